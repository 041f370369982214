"""The hub: where an owner runs many stores, and what every store's box syncs with.

Layers, as on the edge: `api/` is the HTTP face (thin handlers: read the request, run one domain
function in one transaction, answer JSON); `domain/` holds the rules (`push` applies a store's
batch, `feed` answers pulls and reads, `edits` are owners' changes, `devices` enrols boxes and
checks signed requests, `owners`, `stores`, `refusals`); `storage/` is the one interface to the
database with its two backends (SQLite, PostgreSQL) and `migrations/` their schema. `config`
holds every setting, `cli` the `galley hub` commands.

The hub never imports `edge`; the two meet through `sync` (the protocol) and HTTP, and are built
from the same kit, `service` (the error tree, JSON bodies and answers, query parameters, forms,
the API description, settings).
"""
