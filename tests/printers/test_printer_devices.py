"""A printer named by a path writes only to a printer's character device, never to a file.

Every refused path is refused by the rule (`devices.resolve`, which saving a printer runs) and
again when a file or serial transport opens it, with nothing created or written anywhere.
"""

from __future__ import annotations

import os
import uuid

import pytest

from printers import devices
from printers.errors import PrinterNotFound
from printers.transports import FileTransport, SerialTransport
from tests.printer_devices import REFUSED, pty, refusals


@pytest.fixture
def refused(tmp_path):
    with refusals(tmp_path) as built:
        yield built


def path_of(refused, case: str) -> str:
    path = refused.paths[case]
    if path is None:
        pytest.skip(f"no {case} on this machine")
    return path


@pytest.mark.parametrize("case", REFUSED)
def test_the_rule_refuses(refused, case):
    path = path_of(refused, case)
    before = refused.contents()
    with pytest.raises(devices.DeviceRefused) as info:
        devices.resolve(path)
    message = str(info.value)
    if case == "missing device":
        assert message == f"there is no device {path}: is the printer plugged in and switched on?"
    elif path.startswith("/dev/") and "/../" not in path:
        assert message.startswith(f"{path} ") and "is not a printer" in message
    else:
        assert message.startswith("a printer's device is a path under /dev")
    assert refused.contents() == before


@pytest.mark.parametrize("transport", [FileTransport, SerialTransport])
@pytest.mark.parametrize("case", REFUSED)
def test_opening_refuses_and_writes_nothing(refused, case, transport):
    """What a printer row holds may have been saved by an older version, or changed since:
    opening checks again, and the refusal is a configuration error, not a write."""
    path = path_of(refused, case)
    before = refused.contents()
    printer = transport(path)
    with pytest.raises(PrinterNotFound):
        printer.send(b"\x1b@TEST PAGE\n" * 40)
    printer.close()
    assert refused.contents() == before


def test_a_file_swapped_in_after_the_check_is_opened_but_not_written(refused):
    """The race between checking a path and opening it: what was opened is checked too."""
    path = refused.paths["regular file"]
    before = refused.contents()
    with pytest.raises(devices.DeviceRefused):
        devices.open_device(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with pytest.raises(FileNotFoundError):  # never created, whatever flags it is given
        devices.open_device(path + ".new", os.O_WRONLY | os.O_CREAT)
    assert refused.contents() == before


def test_printer_names_and_symlinks_to_them_are_accepted(tmp_path):
    with pty() as device:
        assert devices.resolve(device.path) == device.path
        link = tmp_path / "by-id"
        link.symlink_to(device.path)
        shm_link = f"/dev/shm/galley-test-{uuid.uuid4().hex}"
        os.symlink(device.path, shm_link)  # as /dev/serial/by-id/... leads to /dev/ttyUSB0
        try:
            assert devices.resolve(shm_link) == device.path
            FileTransport(shm_link).send(b"via a link")
        finally:
            os.unlink(shm_link)
        assert device.read_all() == b"via a link"
        with pytest.raises(devices.DeviceRefused):  # the link itself must lie under /dev
            devices.resolve(str(link))


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("/dev/usb/lp0", True),
        ("/dev/lp1", True),
        ("/dev/ttyUSB12", True),
        ("/dev/ttyACM0", True),
        ("/dev/ttyS0", True),
        ("/dev/ttyAMA0", True),
        ("/dev/rfcomm0", True),
        ("/dev/pts/3", True),
        ("/dev/usb/lp", False),
        ("/dev/usb/lp0x", False),
        ("/dev/tty", False),
        ("/dev/tty1", False),
        ("/dev/console", False),
        ("/dev/watchdog", False),
        ("/dev/kmsg", False),
        ("/dev/mem", False),
        ("/dev/sda", False),
    ],
)
def test_printer_device_names(path, accepted):
    """The names alone (the devices need not exist here): what a printer may be called."""
    assert bool(devices.PRINTER_NAME.fullmatch(path)) is accepted
