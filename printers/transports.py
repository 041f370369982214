"""Deliver bytes to a printer: network, USB, serial or its device file.

Every transport has the same three methods, explicit timeouts on every wait
(python-escpos waits forever on USB and 60 s on the network by default) and
raises only ``printers.errors``. Constructors do no I/O, so building a
transport from settings never fails because a printer is off; the first
``open``, ``send`` or ``read_status`` opens the connection, and any failure drops it so
the next call starts clean.

A transport is used by one worker thread at a time. The print worker does::

    with transport_from_config(settings) as t:
        t.open()                   # fails: not a byte of the job reached the printer
        t.send(job_bytes)          # fails: some of it may have, and printed
        status = t.read_status()   # None when the printer cannot answer

``read_status`` returns ``None`` when the device gave no answer within
``status_timeout`` (one-way cables, write-only device nodes): status unknown
is not an error. A connection that is gone raises ``PrinterOffline``.

A printer named by a path (a device file, or a serial port given as a path) may only be a
printer's device (``printers.devices``): saving a printer calls ``check`` so a manager hears at
once what is wrong, and opening checks again, refusing with ``PrinterNotFound``.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import select
import socket
import termios
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, Self

import serial
import usb.core
import usb.util

from printers import devices
from printers import status as status_codes
from printers.errors import (
    PrinterError,
    PrinterNotFound,
    PrinterOffline,
    PrinterTimeout,
)
from printers.status import PrinterStatus

log = logging.getLogger(__name__)

STATUS_QUERIES = (status_codes.PRINTER, status_codes.OFFLINE_CAUSE, status_codes.PAPER_SENSOR)
STATUS_QUESTIONS = b"".join(status_codes.query(n) for n in STATUS_QUERIES)


class Transport(Protocol):
    """What the print worker needs from any connection to a printer."""

    timeout: float  # seconds a write may take

    def check(self) -> None: ...

    def open(self) -> None: ...

    def send(self, data: bytes) -> None: ...

    def read_status(self, wait: float | None = None) -> PrinterStatus | None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...


class _Base:
    """Shared status polling and context management.

    Subclasses implement ``_write`` and ``_read_byte`` (``None`` on timeout).
    """

    status_timeout: float

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def check(self) -> None:
        """Refuse now (``devices.DeviceRefused``) a path that is no printer's device, so that
        saving the printer says why. Nothing to look at for a network or USB printer."""

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _write(self, data: bytes) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _read_byte(self, deadline: float) -> int | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _status_byte(self, wait: float | None = None) -> int | None:
        """The next status-shaped byte within ``wait`` (else ``status_timeout``) seconds; other
        bytes are skipped."""
        deadline = time.monotonic() + (self.status_timeout if wait is None else wait)
        while True:
            value = self._read_byte(deadline)
            if value is None or status_codes.is_status_byte(value):
                return value
            log.debug("ignoring non-status byte 0x%02x", value)

    def _answer(self, n: int) -> int | None:
        """Ask ``DLE EOT n`` and wait for a status-shaped byte until the timeout."""
        self._write(status_codes.query(n))
        return self._status_byte()

    def read_status(self, wait: float | None = None) -> PrinterStatus | None:
        """Ask DLE EOT 1, 2 and 4; ``None`` if the printer does not answer at all within
        ``wait`` seconds (else ``status_timeout``).

        The three questions go in one write and their answers are read as they come, in the
        order asked: one round trip to the printer instead of three (each wait costs the worker
        a wake-up, and the GIL, twice per job). Only a printer that answers two of the three
        leaves which one it left out unknown: those two are asked again one at a time.
        """
        self._write(STATUS_QUESTIONS)
        printer = self._status_byte(wait)
        if printer is None:
            return None
        more: list[int | None] = []
        while len(more) < len(STATUS_QUERIES) - 1:
            value = self._status_byte()
            if value is None:
                break
            more.append(value)
        if len(more) == 1:  # the answer to 2 or to 4?
            more = [
                self._answer(status_codes.OFFLINE_CAUSE),
                self._answer(status_codes.PAPER_SENSOR),
            ]
        offline_cause, paper = (*more, None, None)[:2]
        return status_codes.parse(printer, offline_cause=offline_cause, paper=paper)


# --- network ---------------------------------------------------------------


class NetworkTransport(_Base):
    """Raw TCP ("JetDirect", port 9100), one connection per job.

    Connecting per job (rather than holding a socket for hours) means a printer
    that was power-cycled is noticed at connect time instead of writes silently
    vanishing into a half-open connection. A refused or timed-out connect is
    ``PrinterOffline``; a write or read that stalls is ``PrinterTimeout``.
    """

    def __init__(
        self,
        host: str,
        port: int = 9100,
        *,
        connect_timeout: float = 3.0,
        timeout: float = 10.0,
        status_timeout: float = 2.0,
    ) -> None:
        if not isinstance(host, str) or not host:
            raise ValueError("a network printer needs a host")
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise ValueError(f"port must be a whole number from 1 to 65535, got {port!r}")
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.status_timeout = status_timeout
        self._sock: socket.socket | None = None

    def __repr__(self) -> str:
        return f"NetworkTransport({self.host!r}, {self.port})"

    @contextlib.contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        try:
            yield
        except PrinterError:
            raise
        except TimeoutError as exc:
            self._drop()
            if action == "connect":
                raise PrinterOffline(f"{self}: no answer to connect") from exc
            raise PrinterTimeout(f"{self}: {action} timed out") from exc
        except socket.gaierror as exc:
            self._drop()
            raise PrinterNotFound(f"{self}: cannot resolve host: {exc}") from exc
        except OSError as exc:
            self._drop()
            raise PrinterOffline(f"{self}: {action} failed: {exc}") from exc

    def open(self) -> None:
        """Connect, sending nothing."""
        self._connection()

    def _connection(self) -> socket.socket:
        if self._sock is None:
            with self._translate("connect"):
                sock = socket.create_connection(
                    (self.host, self.port), timeout=self.connect_timeout
                )
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._sock = sock
        return self._sock

    def _drop(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def _write(self, data: bytes) -> None:
        sock = self._connection()
        with self._translate("write"):
            sock.settimeout(self.timeout)
            sock.sendall(data)

    def send(self, data: bytes) -> None:
        """Send one job's bytes; returns when the printer's TCP stack took them."""
        self._write(data)

    def _read_byte(self, deadline: float) -> int | None:
        sock = self._connection()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        with self._translate("read"):
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(1)
            except TimeoutError:
                return None
        if not chunk:
            self._drop()
            raise PrinterOffline(f"{self}: printer closed the connection")
        return chunk[0]

    def close(self) -> None:
        """Close the connection (ends the job on the printer side)."""
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_WR)
        self._drop()


# --- USB -------------------------------------------------------------------

USB_CLASS_PRINTER = 7


def _usb_error(exc: Exception, what: str) -> PrinterError:
    """Map a pyusb failure to our tree (the printer was unplugged, busy, ...)."""
    if isinstance(exc, usb.core.USBTimeoutError):
        return PrinterTimeout(f"{what}: timed out")
    if isinstance(exc, usb.core.NoBackendError):
        return PrinterNotFound(f"{what}: no libusb backend installed")
    code = getattr(exc, "errno", None)
    if code in (errno.EACCES, errno.EPERM):
        return PrinterNotFound(f"{what}: permission denied (udev rule missing?)")
    if code == errno.ETIMEDOUT:
        return PrinterTimeout(f"{what}: timed out")
    return PrinterOffline(f"{what}: {exc}")


class UsbTransport(_Base):
    """A USB printer through pyusb (libusb), found by vendor and product id.

    The kernel's ``usblp`` driver holds printer-class devices, so it is
    detached before the interface is claimed, and given back on ``close``.
    """

    def __init__(
        self,
        vendor_id: int,
        product_id: int,
        *,
        serial_number: str | None = None,
        interface: int = 0,
        timeout: float = 10.0,
        status_timeout: float = 1.0,
    ) -> None:
        self.vendor_id = vendor_id
        self.product_id = product_id
        self.serial_number = serial_number
        self.interface = interface
        self.timeout = timeout
        self.status_timeout = status_timeout
        self._device: Any = None
        self._out: int | None = None
        self._in: int | None = None
        self._unread = b""  # the rest of the last IN transfer: answers can come together
        self._detached = False

    def __repr__(self) -> str:
        return f"UsbTransport(0x{self.vendor_id:04x}:0x{self.product_id:04x})"

    def _find(self) -> Any:
        kwargs: dict[str, Any] = {"idVendor": self.vendor_id, "idProduct": self.product_id}
        if self.serial_number is not None:
            wanted = self.serial_number
            kwargs["custom_match"] = lambda d: getattr(d, "serial_number", None) == wanted
        try:
            device = usb.core.find(**kwargs)
        except (usb.core.USBError, usb.core.NoBackendError) as exc:
            raise _usb_error(exc, repr(self)) from exc
        if device is None:
            raise PrinterNotFound(f"{self}: no such USB device")
        return device

    def open(self) -> None:
        """Claim the device, sending nothing."""
        self._open()

    def _open(self) -> Any:
        if self._device is not None:
            return self._device
        device = self._find()
        try:
            try:
                if device.is_kernel_driver_active(self.interface):
                    device.detach_kernel_driver(self.interface)
                    self._detached = True
            except NotImplementedError:  # not on every OS (macOS, Windows)
                pass
            try:
                config = device.get_active_configuration()
            except usb.core.USBError:
                config = None
            if config is None:
                device.set_configuration()
                config = device.get_active_configuration()
            usb.util.claim_interface(device, self.interface)
            self._out, self._in = self._endpoints(config[(self.interface, 0)])
        except (usb.core.USBError, ValueError) as exc:
            self._device = device
            self._release()
            raise _usb_error(exc, repr(self)) from exc
        self._device = device
        return device

    def _endpoints(self, interface: Any) -> tuple[int, int | None]:
        out_ep = in_ep = None
        for endpoint in interface:
            address = endpoint.bEndpointAddress
            is_in = usb.util.endpoint_direction(address) == usb.util.ENDPOINT_IN
            if is_in and in_ep is None:
                in_ep = address
            elif not is_in and out_ep is None:
                out_ep = address
        if out_ep is None:
            raise PrinterNotFound(f"{self}: interface {self.interface} has no OUT endpoint")
        return out_ep, in_ep

    def _release(self) -> None:
        device, self._device = self._device, None
        self._unread = b""
        if device is None:
            return
        with contextlib.suppress(Exception):
            usb.util.release_interface(device, self.interface)
        if self._detached:
            with contextlib.suppress(Exception):
                device.attach_kernel_driver(self.interface)
            self._detached = False
        with contextlib.suppress(Exception):
            usb.util.dispose_resources(device)

    def _write(self, data: bytes) -> None:
        device = self._open()
        try:
            written = device.write(self._out, data, int(self.timeout * 1000))
        except usb.core.USBError as exc:
            error = _usb_error(exc, repr(self))
            if not isinstance(error, PrinterTimeout):
                self._release()
            raise error from exc
        if written != len(data):
            raise PrinterTimeout(f"{self}: printer took {written} of {len(data)} bytes")

    def send(self, data: bytes) -> None:
        """Write the job to the OUT endpoint within ``timeout`` seconds."""
        self._write(data)

    def _read_byte(self, deadline: float) -> int | None:
        device = self._open()
        if self._unread:
            value, self._unread = self._unread[0], self._unread[1:]
            return value
        remaining = deadline - time.monotonic()
        if self._in is None or remaining <= 0:
            return None
        try:
            chunk = device.read(self._in, 64, max(1, int(remaining * 1000)))
        except usb.core.USBTimeoutError:
            return None
        except usb.core.USBError as exc:
            self._release()
            raise _usb_error(exc, repr(self)) from exc
        if not len(chunk):
            return None
        self._unread = bytes(chunk[1:])
        return chunk[0]

    def read_status(self, wait: float | None = None) -> PrinterStatus | None:
        """Status over the IN endpoint; ``None`` for devices without one."""
        self._open()
        if self._in is None:
            return None
        return super().read_status(wait)

    def close(self) -> None:
        """Release the interface and hand the device back to the kernel driver."""
        self._release()


# --- serial ----------------------------------------------------------------


SERIAL_SCHEMES = ("socket", "rfc2217", "loop")


class SerialTransport(_Base):
    """An RS-232 (or USB-serial) printer via pyserial.

    ``url`` is a printer's device (``/dev/ttyUSB0``, checked by ``printers.devices``), or one of
    the ``serial.serial_for_url`` schemes in ``SERIAL_SCHEMES``: ``socket://host:port``,
    ``rfc2217://host:port``, ``loop://`` in tests. Its other schemes are refused: ``spy://``
    writes a log to any file its URL names, ``hwgrep://`` and ``alt://`` open ports no check
    has seen. pyserial opens the device without creating it and configures it as a terminal
    before a byte is written, which a regular file cannot pass.
    """

    def __init__(
        self,
        url: str,
        baudrate: int = 9600,
        *,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        rtscts: bool = False,
        dsrdtr: bool = False,
        xonxoff: bool = False,
        timeout: float = 10.0,
        status_timeout: float = 1.0,
    ) -> None:
        if not isinstance(url, str) or not url:
            raise ValueError("a serial printer needs a url, such as /dev/ttyUSB0")
        scheme = url.split("://", 1)[0].lower() if "://" in url else None
        if scheme is not None and scheme not in SERIAL_SCHEMES:
            raise ValueError(
                f"serial url must be a device such as /dev/ttyUSB0, socket://HOST:PORT or"
                f" rfc2217://HOST:PORT, not {scheme}://"
            )
        if type(baudrate) is str and baudrate.isascii() and baudrate.isdigit():
            baudrate = int(baudrate)  # as a printer saved before rates were checked may hold it
        if type(baudrate) is not int or baudrate not in serial.SerialBase.BAUDRATES:
            # 0 hangs the line up: every job "printed", and the printer got nothing
            raise ValueError(
                "baudrate must be one of a serial port's rates (9600, 19200, 38400, 57600,"
                f" 115200, ...): the printer's self-test page says which, got {baudrate!r}"
            )
        self.url = url
        self.device = url if scheme is None else None
        self.settings = {
            "baudrate": baudrate,
            "bytesize": bytesize,
            "parity": parity,
            "stopbits": stopbits,
            "rtscts": rtscts,
            "dsrdtr": dsrdtr,
            "xonxoff": xonxoff,
        }
        self.timeout = timeout
        self.status_timeout = status_timeout
        self.port: Any = None

    def __repr__(self) -> str:
        return f"SerialTransport({self.url!r})"

    def check(self) -> None:
        """A url that is a path must be a printer's device (``devices.resolve``)."""
        if self.device is not None:
            devices.resolve(self.device)

    def open(self) -> None:
        """Open the port, sending nothing."""
        self._open()

    def _open(self) -> Any:
        if self.port is None:
            try:
                url = self.url if self.device is None else devices.resolve(self.device)
            except devices.DeviceRefused as exc:
                raise PrinterNotFound(f"{self}: {exc}") from exc
            try:
                self.port = serial.serial_for_url(
                    url,
                    timeout=self.status_timeout,
                    write_timeout=self.timeout,
                    **self.settings,
                )
            except serial.SerialException as exc:
                if isinstance(exc.__cause__, FileNotFoundError) or exc.errno == errno.ENOENT:
                    raise PrinterNotFound(f"{self}: no such port") from exc
                raise PrinterOffline(f"{self}: cannot open: {exc}") from exc
            except (OSError, ValueError) as exc:
                raise PrinterNotFound(f"{self}: cannot open: {exc}") from exc
        return self.port

    def _fail(self, exc: Exception, action: str) -> PrinterError:
        self.close()
        if isinstance(exc, serial.SerialTimeoutException):
            return PrinterTimeout(f"{self}: {action} timed out")
        return PrinterOffline(f"{self}: {action} failed: {exc}")

    def _write(self, data: bytes) -> None:
        port = self._open()
        try:
            port.write(data)
            port.flush()
        except (serial.SerialException, OSError) as exc:
            raise self._fail(exc, "write") from exc

    def send(self, data: bytes) -> None:
        """Write the job; ``PrinterTimeout`` if flow control holds it past ``timeout``."""
        self._write(data)

    def _read_byte(self, deadline: float) -> int | None:
        port = self._open()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            port.timeout = remaining
            chunk = port.read(1)
        except (serial.SerialException, OSError) as exc:
            raise self._fail(exc, "read") from exc
        return chunk[0] if chunk else None

    def close(self) -> None:
        """Close the port."""
        port, self.port = self.port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()


# --- a printer's device file -------------------------------------------------


class FileTransport(_Base):
    """Write to a printer's device file, such as ``/dev/usb/lp0`` (``printers.devices``).

    Writes are non-blocking with a deadline: the kernel's ``usblp`` driver otherwise blocks a
    writer forever while the printer is off or out of paper. A device that is not there
    (unplugged) or a path that is no printer's device is ``PrinterNotFound``: nothing is ever
    created or written but a printer's character device. Each ``send`` closes the device
    after it; ``open`` (or the ``send`` itself) opens it.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 10.0) -> None:
        self.path = os.fspath(path)
        self.timeout = timeout
        self.status_timeout = 0.0
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"FileTransport({self.path!r})"

    def check(self) -> None:
        """The path must be a printer's device (``devices.resolve``)."""
        devices.resolve(self.path)

    def open(self) -> None:
        """Open the device (a serial port set to pass the bytes as they are), sending nothing."""
        self._device()

    def _device(self) -> int:
        if self._fd is not None:
            return self._fd
        try:
            fd = devices.open_printer(self.path, os.O_WRONLY | os.O_NONBLOCK)
        except devices.DeviceRefused as exc:
            raise PrinterNotFound(f"{self}: {exc}") from exc
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise PrinterNotFound(f"{self}: no such device") from exc
        except PermissionError as exc:
            raise PrinterNotFound(f"{self}: permission denied") from exc
        except OSError as exc:
            raise PrinterOffline(f"{self}: cannot open: {exc}") from exc
        self._fd = fd
        try:
            if os.isatty(fd):
                self._verbatim(fd)
        except PrinterError:
            self.close()
            raise
        return fd

    def send(self, data: bytes) -> None:
        """Write ``data`` to the device within ``timeout``, then close it."""
        fd = self._device()
        try:
            self._write_all(fd, data)
            with contextlib.suppress(OSError):  # not every device supports fsync
                os.fsync(fd)
        finally:
            self.close()

    def _verbatim(self, fd: int) -> None:
        """A serial port or pseudo-terminal turns each ``\\n`` into ``\\r\\n`` by default
        (output processing, OPOST): that breaks the bytes of a raster image or a QR code."""
        try:
            attributes = termios.tcgetattr(fd)
            attributes[1] &= ~termios.OPOST
            termios.tcsetattr(fd, termios.TCSANOW, attributes)
        except termios.error as exc:
            raise PrinterOffline(f"{self}: cannot set the port up: {exc}") from exc

    def _write_all(self, fd: int, data: bytes) -> None:
        deadline = time.monotonic() + self.timeout
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PrinterTimeout(f"{self}: device did not accept data in time")
            try:
                _, writable, _ = select.select([], [fd], [], remaining)
                if not writable:
                    continue
                written = os.write(fd, view)
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno in (errno.ENODEV, errno.ENXIO, errno.EIO, errno.EPIPE):
                    raise PrinterOffline(f"{self}: {exc}") from exc
                raise PrinterOffline(f"{self}: write failed: {exc}") from exc
            view = view[written:]

    def read_status(self, wait: float | None = None) -> PrinterStatus | None:
        """Always ``None``: a device file written this way cannot answer queries."""
        return None

    def close(self) -> None:
        """Close the device if ``open`` left it open."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


# --- from settings ---------------------------------------------------------

MOST_TIMEOUT_S = 300
_KINDS: dict[str, Callable[..., Any]] = {
    "network": NetworkTransport,
    "usb": UsbTransport,
    "serial": SerialTransport,
    "file": FileTransport,
}


def _usb_id(options: dict[str, Any], name: str) -> int:
    """A USB id (16 bits) from settings: a number, or text in hexadecimal as lsusb shows it
    (``"04b8"``, ``"0x04b8"``). Text read as a Python literal refused Star's ``"0519"`` and took
    Bixolon's ``"1504"`` for decimal, another device."""
    if name not in options:
        raise ValueError("a usb printer needs vendor_id and product_id")
    value = options[name]
    if type(value) is int:
        number = value
    elif isinstance(value, str) and _HEX_ID.fullmatch(value.strip()):
        number = int(value.strip(), 16)
    else:
        raise ValueError(
            f"{name} must be 4 hexadecimal digits as lsusb shows them (04b8 in ID 04b8:0e15),"
            f" got {value!r}"
        )
    if not 0 <= number <= 0xFFFF:
        raise ValueError(f"{name} must be from 0 to 0xffff, got {value!r}")
    return number


_HEX_ID = re.compile(r"(0[xX])?[0-9a-fA-F]{1,4}")


def _check_timeouts(options: Mapping[str, Any]) -> None:
    """Each ``*timeout`` option is seconds, up to ``MOST_TIMEOUT_S``: a wrong one (text, NaN,
    negative) was taken and failed every job at the printer's worker."""
    for name, value in options.items():
        if name.endswith("timeout") and not (
            type(value) in (int, float) and 0 < value <= MOST_TIMEOUT_S
        ):
            raise ValueError(f"{name} must be seconds, more than 0 and at most {MOST_TIMEOUT_S}")


def transport_from_config(config: Mapping[str, Any]) -> Transport:
    """Build a transport from a printer's settings (does no I/O).

    ``{"kind": "network", "host": "192.168.1.50", "port": 9100}``,
    ``{"kind": "usb", "vendor_id": 0x04b8, "product_id": 0x0e15}``,
    ``{"kind": "serial", "url": "/dev/ttyUSB0", "baudrate": 38400}``,
    ``{"kind": "file", "path": "/dev/usb/lp0"}``; each also accepts its
    constructor's keyword options (``timeout``, ``connect_timeout``, ...).
    Whether a path is a printer's device is the transport's ``check`` (it looks).
    """
    options = dict(config)
    kind = options.pop("kind", None)
    if kind not in _KINDS:
        raise ValueError(f"printer transport kind must be one of {sorted(_KINDS)}, got {kind!r}")
    if kind == "usb":
        options["vendor_id"] = _usb_id(options, "vendor_id")
        options["product_id"] = _usb_id(options, "product_id")
    _check_timeouts(options)
    try:
        return _KINDS[kind](**options)
    except TypeError as exc:
        raise ValueError(f"bad {kind} printer settings: {exc}") from exc
