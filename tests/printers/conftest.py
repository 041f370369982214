"""Golden files and a live emulator for the printer tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from printers.decoder import decode
from printers.emulator import Emulator

GOLDEN_DIR = Path(__file__).parent / "golden"


@pytest.fixture
def golden() -> Callable[[str, bytes], None]:
    """Compare bytes with ``golden/<name>.bin``; GALLEY_REGEN_GOLDEN=1 rewrites them."""

    def check(name: str, data: bytes) -> None:
        path = GOLDEN_DIR / f"{name}.bin"
        preview = GOLDEN_DIR / f"{name}.txt"
        if os.environ.get("GALLEY_REGEN_GOLDEN") == "1":
            GOLDEN_DIR.mkdir(exist_ok=True)
            path.write_bytes(data)
            profile = "POS-5890" if "generic" in name else "TM-T20II"
            preview.write_text(decode(data, escpos_profile=profile).text() + "\n")
            return
        assert path.exists(), f"missing {path}; run with GALLEY_REGEN_GOLDEN=1 and review it"
        expected = path.read_bytes()
        assert data == expected, f"{name} differs from golden file (see {preview})"

    return check


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A live emulator on a free loopback port, in the test's event loop."""
    emu = Emulator("127.0.0.1", 0)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
