"""The contract between a store's box (edge) and the hub. Imports nothing from `edge` or `hub`.

How sync works, in a few lines:

- A box **pushes** its own events, oldest first: every change made at the store to something
  that syncs (orders and their lines; offline edits of the menu, tables, staff, settings), in
  signed batches of at most 500, each event once. The hub applies each exactly once and answers
  a verdict per event: applied, merged, or rejected with a reason.
- A box **pulls** the hub's changes for its store: what an owner edited on the hub, and the
  hub's view of what the box pushed (with the revision each row is now at).
- **Server wins, field by field.** When a manager changed a dish's price on the box while
  offline and the owner changed the same price on the hub meanwhile, the owner's price stands;
  the manager's is not lost: it is listed, with both values, who changed each and when, and can
  be applied again. If they changed different fields (the box the name, the hub the price),
  both changes stay. Orders are the store's own: the hub takes them as they are.
- Both sides compute a digest of the store's synced data the same way: equal digests mean the
  box and the hub hold the same store.

Modules: `entities` (every entity declared once: fields, owner, secrets, parts, topic),
`canonical` (canonical JSON, field normalisation, the store digest), `envelope` (the request and
answer bodies), `signing` (device keys, signed requests), `merge` (the field-by-field rule),
`errors`, `clock` (UTC time and the hybrid logical clock), `ids` (UUIDv7) and `hashing` (how a
PIN or a password is kept, which both sides check).
"""
