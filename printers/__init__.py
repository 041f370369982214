"""Printing for Galley: documents -> ESC/POS bytes -> a printer.

``documents`` (what to print) -> ``render`` (bytes for one ``profiles`` entry)
-> ``transports`` (network, USB, serial, file) with ``status`` read back, all
failures as ``errors``. ``emulator`` is a TCP printer for tests and the demo.
This package imports nothing from ``edge`` or ``hub``.
"""

from __future__ import annotations

import json
import os
import pickle
import platform
import shutil
import tempfile
from importlib import resources

_PICKLE_DIR = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def _load_escpos_capabilities() -> None:
    """python-escpos reads its printer database, a JSON file, with PyYAML's pure-Python parser
    when it is first imported: 0.3 s of every start of the box (a third of its cold start),
    unless it finds a pickle of it, newer than the file, in `ESCPOS_CAPABILITIES_PICKLE_DIR`
    (by default a new temporary folder each process, so never). Read as the JSON it is, it takes
    1 ms: so the file is read here, pickled into a private temporary folder that escpos is
    pointed at, and the folder goes once escpos has loaded it. One who sets the variable keeps
    escpos's own way."""
    if _PICKLE_DIR in os.environ:
        return
    source = resources.files("escpos") / "capabilities.json"
    folder = tempfile.mkdtemp(prefix="galley-escpos-")
    try:
        name = os.path.join(folder, f"{platform.python_version()}.capabilities.pickle")
        with open(name, "wb") as made:
            pickle.dump(json.loads(source.read_text(encoding="utf-8")), made, protocol=2)
        os.environ[_PICKLE_DIR] = folder
        import escpos.capabilities  # noqa: F401  (loads the pickle)
    finally:
        os.environ.pop(_PICKLE_DIR, None)
        shutil.rmtree(folder, ignore_errors=True)


_load_escpos_capabilities()
