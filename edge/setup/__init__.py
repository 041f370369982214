"""Setting a box up, outside a running server: a new store (`provision`), the demo store
(`demo`), and the technician's read-only export (`export`).
"""
