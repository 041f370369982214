"""UUIDv7: time-ordered ids, made where the thing is made (edge or hub).

Time-ordered keys keep SQLite's B-trees appending at the right edge; random uuid4 keys made
batched inserts 5x slower here. Python 3.11 has no `uuid.uuid7`, hence these few lines (RFC 9562).
"""

from __future__ import annotations

import os
import re
import threading

from sync.clock import now_ms

_lock = threading.Lock()
_last_ms = 0
_seq = 0
# Random bytes from the OS, fetched 4 KiB at a time: a getrandom() system call for each id
# (seven per order) showed in strace under load; this makes one per 409 ids. A forked child
# starts with an empty pool of its own.
_POOL_SIZE = 4096
_pool = b""
_pool_at = 0


def _forget_pool() -> None:
    global _pool, _pool_at
    _pool, _pool_at = b"", 0


os.register_at_fork(after_in_child=_forget_pool)


def uuid7() -> str:
    """A new UUIDv7 string; monotonic within one process even when the clock stands still."""
    global _last_ms, _seq, _pool, _pool_at
    with _lock:
        if _pool_at + 10 > len(_pool):
            _pool, _pool_at = os.urandom(_POOL_SIZE), 0
        noise = int.from_bytes(_pool[_pool_at : _pool_at + 10], "big")
        _pool_at += 10
        ms = now_ms()
        if ms <= _last_ms:
            ms = _last_ms
            _seq += 1
            if _seq > 0xFFF:  # 4096 ids in one millisecond: borrow the next one
                ms += 1
                _seq = 0
        else:
            _seq = noise >> 70  # a random start (10 bits) leaves room to count up
        _last_ms = ms
        seq = _seq
    value = (ms & 0xFFFFFFFFFFFF) << 80 | 0x7 << 76 | seq << 64 | 0b10 << 62
    text = f"{value | (noise & 0x3FFFFFFFFFFFFFFF):032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_uuid(text: object) -> bool:
    """A UUID in its canonical 36-character text form (any version)."""
    return isinstance(text, str) and _UUID.fullmatch(text) is not None
