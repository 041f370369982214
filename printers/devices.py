"""Which device files a printer may be, and opening one without ever writing to a file.

A printer's settings come from a manager (later also from the hub), and the print worker writes
each job, with the service user's rights, to whatever path they name. Any path at all made the
`file` transport a file writer: a test page landed 512 bytes in the store's own ``edge.db``. So a
printer's path must lie under ``/dev`` and lead, once every symlink is resolved, to a character
device named like the kinds printers appear as (``PRINTER_DEVICES``). The name matters as much
as the type: ``/dev/null``, ``/dev/kmsg`` and ``/dev/watchdog`` are character devices too, and
merely opening the last one starts a countdown to a reboot. A symlink is fine if it leads to a
printer (``/dev/serial/by-id/...``, the Raspberry Pi's ``/dev/serial0``).

The rule is checked when a manager saves the printer (`resolve`: the refusal is a 422 that says
what is wrong) and again each time a transport opens it (`open_printer`), as the path may lead
elsewhere by then. Opening never creates anything (no ``O_CREAT``), follows no symlink at the
last step (it opens the resolved path with ``O_NOFOLLOW``) and checks what it opened with
``fstat`` before a byte is written, so a path swapped for a regular file between the check and
the open is refused, not written.

Pseudo-terminals (``/dev/pts/N``) count as printers: a virtual serial port (socat, a network or
Bluetooth bridge) is one, and tests print to one and read the bytes back. The service user can
write only to the pseudo-terminals it owns: another user's terminal is writable by its owner and
the ``tty`` group alone.
"""

from __future__ import annotations

import os
import re
import stat

# Each ``*`` is a number: the kernel names every one of these devices ``<prefix><n>``.
PRINTER_DEVICES = (
    "/dev/usb/lp*",  # USB printers (the kernel's usblp driver)
    "/dev/lp*",  # parallel ports
    "/dev/ttyUSB*",  # USB-serial adapters
    "/dev/ttyACM*",  # USB printers in virtual COM port mode
    "/dev/ttyS*",  # the board's serial ports
    "/dev/ttyAMA*",  # the Raspberry Pi's serial port
    "/dev/rfcomm*",  # Bluetooth serial printers
    "/dev/pts/*",  # pseudo-terminals: virtual serial ports
)
PRINTER_NAME = re.compile(  # fullmatch a resolved path against this
    "|".join(re.escape(p.removesuffix("*")) + r"\d+" for p in PRINTER_DEVICES)
)
_ALWAYS = os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC
_NEVER = os.O_CREAT | os.O_TRUNC


class DeviceRefused(ValueError):
    """The path is not a printer's device now: missing, or no printer at all."""


def resolve(path: str) -> str:
    """The device `path` leads to, if that is a printer's; else `DeviceRefused`, saying why in
    words a manager can act on."""
    if (
        not isinstance(path, str)
        or not path.startswith("/dev/")
        or os.path.normpath(path) != path
        or "\0" in path
    ):
        raise DeviceRefused("a printer's device is a path under /dev, such as /dev/usb/lp0")
    real = os.path.realpath(path)
    if os.path.lexists(path) and not PRINTER_NAME.fullmatch(real):
        raise _not_a_printer(path, real)  # a link to nothing too: it leads to no printer
    try:
        mode = os.stat(real).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise DeviceRefused(
            f"there is no device {path}: is the printer plugged in and switched on?"
        ) from None
    except OSError as exc:
        raise DeviceRefused(f"cannot look at {path}: {exc.strerror}") from None
    if not stat.S_ISCHR(mode):
        raise _not_a_printer(path, real)
    return real


def _not_a_printer(path: str, real: str) -> DeviceRefused:
    shown = path if real == path else f"{path} leads to {real}, which"
    return DeviceRefused(f"{shown} is not a printer: pick one such as /dev/usb/lp0 or /dev/ttyUSB0")


def open_device(path: str, flags: int) -> int:
    """Open the device at `path`, already resolved: a file descriptor, or `DeviceRefused` if it
    is not a character device (even a regular file is opened only to look, never written).
    `OSError`s of the open itself (gone, busy, no permission) are the caller's to translate."""
    fd = os.open(path, (flags | _ALWAYS) & ~_NEVER)
    try:
        if not stat.S_ISCHR(os.fstat(fd).st_mode):
            raise DeviceRefused(f"{path} is not a device any more: not printed")
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_printer(path: str, flags: int) -> int:
    """`resolve` `path` and `open_device` what it leads to."""
    return open_device(resolve(path), flags)
