"""Discovery: USB by vendor or printer class; TCP 9100 on loopback only."""

from __future__ import annotations

import pytest
import usb.core
from fake_usb import FakeConfiguration, FakeDevice, FakeInterface, patch_find

from printers.discovery import (
    NetworkPrinter,
    UsbPrinter,
    find_usb_printers,
    probe_network,
)
from printers.emulator import run_in_thread
from printers.transports import NetworkTransport, UsbTransport, transport_from_config


def test_usb_printers_by_vendor_or_class(monkeypatch):
    epson = FakeDevice(idVendor=0x04B8, idProduct=0x0E15, bus=1, address=3)
    star = FakeDevice(idVendor=0x0519, idProduct=0x0003, bus=1, address=5)
    keyboard = FakeDevice(
        idVendor=0x046D,
        idProduct=0xC31C,
        configuration=FakeConfiguration((FakeInterface(bInterfaceClass=3),)),
    )
    no_name = FakeDevice(idVendor=0x0416, idProduct=0x5011, bus=2, address=7)  # class 7
    patch_find(monkeypatch, epson, star, keyboard, no_name)
    found = find_usb_printers()
    assert found == [
        UsbPrinter(0x04B8, 0x0E15, 1, 3, "Epson"),
        UsbPrinter(0x0519, 0x0003, 1, 5, "Star Micronics"),
        UsbPrinter(0x0416, 0x5011, 2, 7, ""),
    ]
    assert isinstance(transport_from_config(found[0].config()), UsbTransport)


def test_no_usb_backend_means_no_usb_printers(monkeypatch):
    def no_backend(**kwargs):
        raise usb.core.NoBackendError("No backend available")

    monkeypatch.setattr(usb.core, "find", no_backend)
    assert find_usb_printers() == []


def test_probe_finds_the_emulator_on_loopback():
    with run_in_thread() as emulator:
        found = probe_network("127.0.0.1/32", emulator.port, timeout=1.0)
    assert found == [NetworkPrinter("127.0.0.1", emulator.port, answers_status=True)]
    assert isinstance(transport_from_config(found[0].config()), NetworkTransport)


def test_probe_small_loopback_range_skips_closed_ports():
    with run_in_thread() as emulator:
        found = probe_network("127.0.0.0/30", emulator.port, timeout=1.0)
    assert [p.host for p in found] == ["127.0.0.1"]  # .2 is loopback too, but nobody listens


def test_refuses_to_scan_large_ranges():
    with pytest.raises(ValueError):
        probe_network("127.0.0.0/8")
