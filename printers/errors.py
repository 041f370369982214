"""The printer error tree: the only exceptions that leave ``printers``.

Transports translate socket, pyusb, pyserial and ``OSError`` failures into these
at the boundary, so the print queue can decide "retry later", "reroute to the
backup printer" or "tell a human" from the class alone, without knowing which
wire the printer hangs on::

    PrinterError                  anything that stopped a job from printing
    +-- PrinterNotFound           no such device (USB ids absent, bad path, no serial port)
    +-- PrinterOffline            cannot reach it or it went away (refused, no answer
    |                             to connect, reset, EOF, unplugged)
    +-- PrinterTimeout            connected, but a write did not complete in time
    +-- PrinterNotReady           it answered, and says it cannot print now
    |   +-- PaperOut              roll paper end sensor
    |   +-- CoverOpen             cover open
    +-- PrinterUnsupported        the profile lacks the feature (drawer, cutter)

``PrinterNotFound`` and ``PrinterUnsupported`` are configuration problems; the
others are expected, temporary conditions of a busy kitchen.
"""

from __future__ import annotations


class PrinterError(Exception):
    """Base class: catch this to handle every printer failure."""


class PrinterNotFound(PrinterError):
    """The configured device does not exist (wrong ids, path or port)."""


class PrinterOffline(PrinterError):
    """The printer cannot be reached or dropped the connection."""


class PrinterTimeout(PrinterError):
    """The printer did not accept data or answer within the explicit timeout."""


class PrinterNotReady(PrinterError):
    """The printer is reachable but reports it cannot print."""


class PaperOut(PrinterNotReady):
    """The roll paper end sensor says there is no paper."""


class CoverOpen(PrinterNotReady):
    """The cover is open."""


class PrinterUnsupported(PrinterError):
    """The printer profile does not have the requested feature."""
