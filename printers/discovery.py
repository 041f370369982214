"""Find printers to offer in the setup screen: USB devices and hosts with TCP 9100.

Only ever probes the network the caller names (the store's LAN, from the
settings page), limited to a small range, with a short connect timeout; a probe
asks ``DLE EOT 1`` so a port 9100 that answers like a printer can be told from
any other service.
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import usb.core

from printers import status as status_codes

USB_VENDORS = {0x04B8: "Epson", 0x0519: "Star Micronics"}
USB_CLASS_PRINTER = 7
MAX_PROBE_HOSTS = 1024


@dataclass(frozen=True)
class UsbPrinter:
    """A USB device that looks like a receipt printer."""

    vendor_id: int
    product_id: int
    bus: int | None = None
    address: int | None = None
    vendor: str = ""

    def config(self) -> dict[str, Any]:
        """Settings for ``transports.transport_from_config``."""
        return {"kind": "usb", "vendor_id": self.vendor_id, "product_id": self.product_id}


@dataclass(frozen=True)
class NetworkPrinter:
    """A host that accepted a TCP connection on the printer port."""

    host: str
    port: int = 9100
    answers_status: bool = False

    def config(self) -> dict[str, Any]:
        """Settings for ``transports.transport_from_config``."""
        return {"kind": "network", "host": self.host, "port": self.port}


def _has_printer_interface(device: Any) -> bool:
    """Whether any interface is of the printer class; a device whose descriptors cannot be
    read (no permission, a backend without the call) is not offered as a printer."""
    try:
        return any(
            interface.bInterfaceClass == USB_CLASS_PRINTER
            for configuration in device
            for interface in configuration
        )
    except (usb.core.USBError, NotImplementedError, TypeError):
        return False


def find_usb_printers() -> list[UsbPrinter]:
    """Epson and Star devices, and any device with a printer-class interface.

    Returns ``[]`` when libusb is missing or the bus cannot be read.
    """
    try:
        devices = list(usb.core.find(find_all=True) or [])
    except (usb.core.USBError, usb.core.NoBackendError):
        return []
    found = []
    for device in devices:
        vendor_id, product_id = device.idVendor, device.idProduct
        if vendor_id in USB_VENDORS or _has_printer_interface(device):
            found.append(
                UsbPrinter(
                    vendor_id=vendor_id,
                    product_id=product_id,
                    bus=getattr(device, "bus", None),
                    address=getattr(device, "address", None),
                    vendor=USB_VENDORS.get(vendor_id, ""),
                )
            )
    return found


def _probe(host: str, port: int, timeout: float) -> NetworkPrinter | None:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            try:
                sock.sendall(status_codes.query(status_codes.PRINTER))
                answer = sock.recv(1)
            except OSError:
                answer = b""
            answers = bool(answer) and status_codes.is_status_byte(answer[0])
            return NetworkPrinter(host=host, port=port, answers_status=answers)
    except OSError:
        return None


def probe_network(
    network: str, port: int = 9100, *, timeout: float = 0.5, workers: int = 32
) -> list[NetworkPrinter]:
    """Hosts in ``network`` (e.g. ``"192.168.1.0/24"``) accepting TCP on ``port``.

    Refuses ranges larger than ``MAX_PROBE_HOSTS`` addresses: discovery is for
    one shop's LAN, not for scanning.
    """
    net = ipaddress.ip_network(network, strict=False)
    if net.num_addresses > MAX_PROBE_HOSTS:
        raise ValueError(f"{network} is too large to probe (max {MAX_PROBE_HOSTS} addresses)")
    hosts = [str(h) for h in (net.hosts() if net.num_addresses > 2 else net)]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(hosts)))) as pool:
        results = pool.map(lambda host: _probe(host, port, timeout), hosts)
        return [printer for printer in results if printer is not None]
