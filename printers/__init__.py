"""Printing for Galley: documents -> ESC/POS bytes -> a printer.

``documents`` (what to print) -> ``render`` (bytes for one ``profiles`` entry)
-> ``transports`` (network, USB, serial, file) with ``status`` read back, all
failures as ``errors``. ``emulator`` is a TCP printer for tests and the demo.
This package imports nothing from ``edge`` or ``hub``.
"""
