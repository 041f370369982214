"""Transports: explicit timeouts and every failure mapped to the printer error tree."""

from __future__ import annotations

import errno
import os
import socket
import threading
import time

import pytest
import serial
import usb.core
from fake_usb import FakeDevice, patch_find

from printers.errors import (
    PrinterError,
    PrinterNotFound,
    PrinterOffline,
    PrinterTimeout,
)
from printers.status import PrinterStatus
from printers.transports import (
    FileTransport,
    NetworkTransport,
    SerialTransport,
    UsbTransport,
    transport_from_config,
)
from tests.printer_devices import pty


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- network -----------------------------------------------------------------


def test_refused_connection_is_offline_and_quick():
    transport = NetworkTransport("127.0.0.1", free_port(), connect_timeout=2.0)
    started = time.monotonic()
    with pytest.raises(PrinterOffline):
        transport.send(b"x")
    assert time.monotonic() - started < 2.0


def test_write_that_stalls_is_a_timeout():
    """A printer that accepts but stops reading (buffer full) must not hang the worker."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        transport = NetworkTransport(*server.getsockname(), timeout=0.3)
        with pytest.raises(PrinterTimeout):
            transport.send(b"\0" * (64 * 1024 * 1024))
        transport.close()


def test_printer_closing_the_connection_is_offline():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        transport = NetworkTransport(*server.getsockname(), status_timeout=2.0)
        transport.send(b"\x1b@")
        conn, _ = server.accept()
        conn.close()
        with pytest.raises(PrinterOffline):
            transport.read_status()


def test_silent_printer_gives_unknown_status():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with NetworkTransport(*server.getsockname(), status_timeout=0.05) as transport:
            assert transport.read_status() is None


class AnsweringPrinter:
    """A network printer on a thread that answers the DLE EOT questions it knows (`answers`,
    by n) and records each chunk it received."""

    def __init__(self, answers: dict[int, int]) -> None:
        self.answers = answers
        self.chunks: list[bytes] = []
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            while chunk := conn.recv(1024):
                self.chunks.append(chunk)
                for n in chunk.split(b"\x10\x04")[1:]:
                    if n[0] in self.answers:
                        conn.sendall(bytes([self.answers[n[0]]]))

    def __enter__(self) -> AnsweringPrinter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.thread.join(5)
        self.server.close()


def test_status_questions_go_in_one_write():
    with (
        AnsweringPrinter({1: 0x12, 2: 0x12, 4: 0x7E}) as printer,
        NetworkTransport(*printer.server.getsockname(), status_timeout=2.0) as transport,
    ):
        status = transport.read_status()
    assert status == PrinterStatus(paper_near_end=True, paper_out=True)
    assert printer.chunks == [b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"]


def test_printer_answering_two_questions_of_three_is_asked_again_one_at_a_time():
    # no answer to DLE EOT 2: the paper sensor's "near end" must not be read as a cover open
    with (
        AnsweringPrinter({1: 0x12, 4: 0x1E}) as printer,
        NetworkTransport(*printer.server.getsockname(), status_timeout=0.05) as transport,
    ):
        status = transport.read_status()
    assert status == PrinterStatus(paper_near_end=True)


def test_unresolvable_host_is_not_found(monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(PrinterNotFound):
        NetworkTransport("kitchen-printer.invalid").send(b"x")


# --- serial --------------------------------------------------------------------


def test_serial_loop_carries_the_exact_bytes():
    transport = SerialTransport("loop://", 38400, status_timeout=0.05)
    transport.send(b"\x1b@hello\n\x1dV\x01")
    assert transport.port.read(11) == b"\x1b@hello\n\x1dV\x01"
    assert transport.port.baudrate == 38400
    assert transport.port.write_timeout == 10.0
    transport.close()


def test_serial_status_answer_is_read_and_echo_ignored():
    transport = SerialTransport("loop://", status_timeout=0.05)
    transport.send(b"\x12")  # stands in for the printer's answer to DLE EOT 1
    assert transport.read_status() == PrinterStatus()
    transport.close()


def test_serial_without_answers_is_unknown_status():
    with SerialTransport("loop://", status_timeout=0.05) as transport:
        assert transport.read_status() is None


def test_missing_serial_port_is_not_found():
    with pytest.raises(PrinterNotFound):
        SerialTransport("/dev/ttyUSB4242").send(b"x")


def test_serial_port_given_as_a_path_gets_the_bytes():
    with pty() as device, SerialTransport(device.path, 19200) as transport:
        transport.send(b"\x1b@hi\n")
        assert device.read_all() == b"\x1b@hi\n"


@pytest.mark.parametrize(
    "url", ["spy:///dev/ttyUSB0?file=/var/lib/galley/edge.db", "hwgrep://.*", "ALT://x", ""]
)
def test_serial_urls_that_could_reach_anything_are_refused(url):
    with pytest.raises(ValueError, match="serial"):
        SerialTransport(url)


def test_serial_write_timeout_is_printer_timeout(monkeypatch):
    transport = SerialTransport("loop://")
    port = transport._open()

    def stalled(data):
        raise serial.SerialTimeoutException("Write timeout")

    monkeypatch.setattr(port, "write", stalled)
    with pytest.raises(PrinterTimeout):
        transport.send(b"x")
    assert transport.port is None  # dropped; next send reopens


# --- a printer's device file ---------------------------------------------------


def test_device_file_gets_the_exact_bytes():
    """A pseudo-terminal is a real character device: what it is sent is read back as sent,
    each newline alone (a terminal would make it CR LF and break raster images)."""
    with pty() as device:
        transport = FileTransport(device.path)
        transport.send(b"\x1b@one\n")
        transport.send(b"\x1dv0\x00\x0a\x0d\x0a")
        assert device.read_all() == b"\x1b@one\n\x1dv0\x00\x0a\x0d\x0a"
        assert transport.read_status() is None


def test_open_reaches_the_device_and_sends_nothing():
    """The worker opens first: what fails there failed before a byte of the job left."""
    with pty() as device:
        transport = FileTransport(device.path)
        transport.open()
        transport.close()
        transport.open()
        transport.send(b"\x1b@job\n")
        assert device.read_all() == b"\x1b@job\n"
        device.unplug()
        with pytest.raises(PrinterNotFound):
            FileTransport(device.path).open()


def test_unplugged_device_is_not_found():
    with pty() as device:
        device.unplug()
        with pytest.raises(PrinterNotFound):
            FileTransport(device.path).send(b"x")


def test_device_that_stops_accepting_is_a_timeout():
    with pty() as device, pytest.raises(PrinterTimeout):  # nobody reads: the buffer fills
        FileTransport(device.path, timeout=0.1).send(b"\0" * (1024 * 1024))


def test_device_that_goes_away_mid_job_is_offline():
    with pty() as device:
        writer = FileTransport(device.path)
        reader_saw = []

        def printer_pulled_out() -> None:  # takes the first bytes, then the cable goes
            reader_saw.append(os.read(device.master, 16))
            os.close(device.slave)
            os.close(device.master)
            device.master = device.slave = -1

        thread = threading.Thread(target=printer_pulled_out)
        thread.start()
        try:
            with pytest.raises(PrinterOffline):
                writer.send(b"\0" * (1024 * 1024))
        finally:
            thread.join()
        assert reader_saw and reader_saw[0]


# --- USB -----------------------------------------------------------------------


def test_usb_not_present(monkeypatch):
    patch_find(monkeypatch)
    with pytest.raises(PrinterNotFound):
        UsbTransport(0x04B8, 0x0E15).send(b"x")


def test_usb_detaches_claims_writes_with_timeout_and_gives_back(monkeypatch):
    device = FakeDevice()
    patch_find(monkeypatch, device)
    transport = UsbTransport(0x04B8, 0x0E15, timeout=2.5)
    transport.send(b"\x1b@hi")
    transport.close()
    assert device.written == b"\x1b@hi"
    assert device.log == [
        "detach 0",
        "claim 0",
        "write ep=0x01 timeout=2500",
        "release 0",
        "attach 0",
        "dispose",
    ]


def test_usb_selects_by_serial_number(monkeypatch):
    first, second = FakeDevice(serial_number="A"), FakeDevice(serial_number="B")
    patch_find(monkeypatch, first, second)
    UsbTransport(0x04B8, 0x0E15, serial_number="B").send(b"x")
    assert second.written == b"x" and first.written == b""


def test_usb_status_over_in_endpoint(monkeypatch):
    device = FakeDevice(answers=[0x1A, 0x32, 0x7E])
    patch_find(monkeypatch, device)
    status = UsbTransport(0x04B8, 0x0E15).read_status()
    assert status is not None and status.paper_out and not status.online
    assert device.written == b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"


def test_usb_answers_in_one_transfer_are_all_read(monkeypatch):
    device = FakeDevice()
    device.read = lambda endpoint, size, timeout: bytearray([0x1A, 0x32, 0x7E])  # type: ignore[method-assign]
    patch_find(monkeypatch, device)
    status = UsbTransport(0x04B8, 0x0E15).read_status()
    assert status is not None and status.paper_out and not status.online


def test_usb_no_answer_is_unknown_status(monkeypatch):
    patch_find(monkeypatch, FakeDevice())
    assert UsbTransport(0x04B8, 0x0E15, status_timeout=0.05).read_status() is None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT), PrinterTimeout),
        (usb.core.USBError("No such device", -4, errno.ENODEV), PrinterOffline),
        (usb.core.USBError("Input/Output Error", -1, errno.EIO), PrinterOffline),
        (usb.core.USBError("Resource busy", -6, errno.EBUSY), PrinterOffline),
        (usb.core.USBError("Access denied", -3, errno.EACCES), PrinterNotFound),
    ],
)
def test_usb_errors_are_translated(monkeypatch, error, expected):
    patch_find(monkeypatch, FakeDevice(write_error=error))
    with pytest.raises(expected) as info:
        UsbTransport(0x04B8, 0x0E15).send(b"x")
    assert not isinstance(info.value, usb.core.USBError)
    assert isinstance(info.value.__cause__, usb.core.USBError)


def test_usb_short_write_is_a_timeout(monkeypatch):
    patch_find(monkeypatch, FakeDevice(short_write=True))
    with pytest.raises(PrinterTimeout):
        UsbTransport(0x04B8, 0x0E15).send(b"abc")


def test_usb_without_backend_is_not_found(monkeypatch):
    def no_backend(**kwargs):
        raise usb.core.NoBackendError("No backend available")

    monkeypatch.setattr(usb.core, "find", no_backend)
    with pytest.raises(PrinterNotFound):
        UsbTransport(0x04B8, 0x0E15).send(b"x")


# --- from settings ---------------------------------------------------------------


def test_transport_from_config():
    network = transport_from_config({"kind": "network", "host": "127.0.0.1", "port": 9101})
    assert isinstance(network, NetworkTransport) and network.port == 9101
    usb_t = transport_from_config({"kind": "usb", "vendor_id": "0x04b8", "product_id": 3605})
    assert isinstance(usb_t, UsbTransport) and (usb_t.vendor_id, usb_t.product_id) == (
        0x04B8,
        0x0E15,
    )
    serial_t = transport_from_config({"kind": "serial", "url": "loop://", "baudrate": 19200})
    assert isinstance(serial_t, SerialTransport) and serial_t.settings["baudrate"] == 19200
    file_t = transport_from_config({"kind": "file", "path": "/dev/usb/lp0", "timeout": 3})
    assert isinstance(file_t, FileTransport) and file_t.timeout == 3
    rfc2217 = transport_from_config({"kind": "serial", "url": "rfc2217://127.0.0.1:7000"})
    assert isinstance(rfc2217, SerialTransport) and rfc2217.device is None


@pytest.mark.parametrize(
    "config",
    [
        {"kind": "bluetooth"},
        {},
        {"kind": "network", "host": "h", "colour": "red"},
        # taken, each failed every job at the printer's worker, or named no device there is
        {"kind": "network", "host": "h", "timeout": "a"},
        {"kind": "network", "host": "h", "connect_timeout": float("nan")},
        {"kind": "file", "path": "/dev/usb/lp0", "timeout": -1},
        {"kind": "serial", "url": "/dev/ttyUSB0", "status_timeout": True},
        {"kind": "usb", "vendor_id": 2**70, "product_id": 1},
        {"kind": "usb", "vendor_id": 1, "product_id": -1},
    ],
)
def test_bad_config_is_a_value_error(config):
    with pytest.raises(ValueError):
        transport_from_config(config)


def test_a_usb_printer_without_its_ids_says_which_it_needs():
    """It was a KeyError, shown to a manager as "Transport: 'vendor_id'"."""
    with pytest.raises(ValueError, match="a usb printer needs vendor_id and product_id"):
        transport_from_config({"kind": "usb", "product_id": 1})


@pytest.mark.parametrize(
    ("vendor", "product", "ids"),
    [
        ("04b8", "0e15", (0x04B8, 0x0E15)),  # as lsusb shows them: "ID 04b8:0e15 Seiko Epson"
        ("0519", "0003", (0x0519, 0x0003)),  # Star: a leading zero, refused as a Python literal
        ("1504", "0006", (0x1504, 0x0006)),  # Bixolon: read as decimal 1504 it was another device
        ("0x04B8", "0X0E15", (0x04B8, 0x0E15)),
        (0x04B8, 3605, (0x04B8, 0x0E15)),  # numbers are numbers
    ],
)
def test_usb_ids_written_as_text_are_hexadecimal_as_lsusb_shows_them(vendor, product, ids):
    usb_t = transport_from_config({"kind": "usb", "vendor_id": vendor, "product_id": product})
    assert (usb_t.vendor_id, usb_t.product_id) == ids


@pytest.mark.parametrize("value", ["04bz", "", "0x", True, 4.5, None])
def test_a_usb_id_that_is_no_id_says_how_to_write_one(value):
    """It said "invalid literal for int() with base 0: '04bz'"."""
    with pytest.raises(ValueError, match=r"vendor_id must be 4 hexadecimal digits as lsusb"):
        transport_from_config({"kind": "usb", "vendor_id": value, "product_id": 1})


@pytest.mark.parametrize("baudrate", [0, -9600, "0", "٩٦٠٠", "9600 baud", 9600.0, True, 12345678])
def test_a_baud_rate_no_serial_port_runs_at_is_refused(baudrate):
    """0 hangs the line up (B0): the test page was "printed" and the printer got nothing."""
    with pytest.raises(ValueError, match="baudrate must be one of"):
        transport_from_config({"kind": "serial", "url": "/dev/ttyUSB0", "baudrate": baudrate})


def test_a_baud_rate_written_as_text_is_taken():
    """A printer saved before rates were checked, with its rate as text, as the hub's JSON may
    hold it: pyserial took "38400", and so do we, rather than stop its jobs."""
    serial_t = transport_from_config({"kind": "serial", "url": "/dev/ttyUSB0", "baudrate": "38400"})
    assert serial_t.settings["baudrate"] == 38400


def test_errors_form_one_tree():
    for error in (PrinterNotFound, PrinterOffline, PrinterTimeout):
        assert issubclass(error, PrinterError)
