"""A stand-in for pyusb's ``usb.core.Device``, handed out by a patched ``usb.core.find``.

Only the USB device is faked (it is outside the machine); our transport and
pyusb's ``usb.util`` helpers run for real against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FakeEndpoint:
    bEndpointAddress: int  # noqa: N815 - pyusb's attribute name


@dataclass
class FakeInterface:
    bInterfaceNumber: int = 0  # noqa: N815
    bInterfaceClass: int = 7  # noqa: N815
    endpoints: tuple[FakeEndpoint, ...] = (FakeEndpoint(0x01), FakeEndpoint(0x82))

    def __iter__(self):
        return iter(self.endpoints)


@dataclass
class FakeConfiguration:
    interfaces: tuple[FakeInterface, ...] = (FakeInterface(),)

    def __getitem__(self, key: tuple[int, int]) -> FakeInterface:
        number, _alternate = key
        return self.interfaces[number]

    def __iter__(self):
        return iter(self.interfaces)


class FakeContext:
    """What ``usb.util.claim_interface`` and friends call on a device."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def managed_claim_interface(self, device, interface) -> None:
        self.log.append(f"claim {interface}")

    def managed_release_interface(self, device, interface) -> None:
        self.log.append(f"release {interface}")

    def dispose(self, device) -> None:
        self.log.append("dispose")


@dataclass
class FakeDevice:
    idVendor: int = 0x04B8  # noqa: N815
    idProduct: int = 0x0E15  # noqa: N815
    bus: int = 1
    address: int = 4
    serial_number: str = "X123"
    configuration: FakeConfiguration = field(default_factory=FakeConfiguration)
    kernel_driver: bool = True
    answers: list[int] = field(default_factory=list)
    write_error: Exception | None = None
    short_write: bool = False
    log: list[str] = field(default_factory=list)
    written: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        self._ctx = FakeContext(self.log)

    def __iter__(self):
        return iter([self.configuration])

    def is_kernel_driver_active(self, interface: int) -> bool:
        return self.kernel_driver

    def detach_kernel_driver(self, interface: int) -> None:
        self.log.append(f"detach {interface}")
        self.kernel_driver = False

    def attach_kernel_driver(self, interface: int) -> None:
        self.log.append(f"attach {interface}")
        self.kernel_driver = True

    def get_active_configuration(self) -> FakeConfiguration:
        return self.configuration

    def set_configuration(self) -> None:
        self.log.append("set_configuration")

    def write(self, endpoint: int, data: bytes, timeout: int) -> int:
        self.log.append(f"write ep=0x{endpoint:02x} timeout={timeout}")
        if self.write_error is not None:
            raise self.write_error
        self.written += data
        return len(data) - 1 if self.short_write else len(data)

    def read(self, endpoint: int, size: int, timeout: int):
        import usb.core

        if not self.answers:
            raise usb.core.USBTimeoutError("timeout", -7, 110)
        return bytearray([self.answers.pop(0)])


def patch_find(monkeypatch, *devices: FakeDevice) -> None:
    """Make ``usb.core.find`` see exactly ``devices``."""
    import usb.core

    def find(find_all=False, custom_match=None, **filters):
        matches = [
            d
            for d in devices
            if all(getattr(d, key) == value for key, value in filters.items())
            and (custom_match is None or custom_match(d))
        ]
        return iter(matches) if find_all else (matches[0] if matches else None)

    monkeypatch.setattr(usb.core, "find", find)
