"""The kit both HTTP services (the edge and the hub) are built from: what a Galley API is made of,
apart from what it does. Imports nothing from `edge` or `hub`, so that the two apps share it
without importing each other.

Modules: `errors` (the error tree every refusal is raised from), `http` (reading a JSON body,
answering JSON, the one error shape and the handlers that answer it, ids in paths), `query`
(query parameters, declared once), `fields` (the rules that check a request's body, as forms),
`shapes` (the JSON Schema of answers), `openapi` (a handler's contract and /openapi.json made
from it), `settings` (settings read from flags, `GALLEY_*` variables and defaults, each
documented), `tokens` (bearer tokens: made, read, kept as their hash), `attempts` (how often
one client address may try something) and `checkpoints` (SQLite's WAL copied into the database
file beside the writes, for the box's writer and the hub on SQLite).

Each app keeps its own routes, domain and settings fields; what the two must agree on as a
protocol (the entities, hashing a PIN) is in `sync`, not here.
"""
