"""The store's box: the whole store on local SQLite, with or without the hub.

Layers, each importing only those before it:

- `core/`: the kernel: settings, the database and its migrations' runner, the one write path
  (`events.commit`), who may do what, idempotency keys, the box's identity.
- `domain/`: one module per aggregate: plain functions that take a connection and an actor,
  check rules and permissions, and change state only through `commit`.
- `runtime/`: the running box: the writer thread, the realtime bus, sign-ins, the print
  workers, the server.
- `api/`: the HTTP face: the app, thin handlers (parse, call one domain function, answer JSON),
  the API description, the pages' files.
- `setup/`: a box set up outside a running server: a new store, the demo store, the export.

What a Galley HTTP service is made of (errors, bodies, queries, forms, answers' shapes, the API
description, settings) is the kit both the edge and the hub are built from, `service`.
"""
