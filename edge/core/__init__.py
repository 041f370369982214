"""The kernel: settings, the database, the one write path (`events.commit`), who may do what,
idempotency keys and the box's identity. Imports no other layer of the edge.
"""
