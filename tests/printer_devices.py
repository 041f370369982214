"""Real device files for printer tests: a pseudo-terminal to print to, and paths a printer must
never write to, shared by the transport tests (refused at open) and the edge's printer settings
tests (refused at save).

A pseudo-terminal is a real character device under /dev/pts that a test can make without root
and read back; /dev/shm, a tmpfs under /dev that anyone may write, holds the regular files and
symlinks that pretend to be printers.
"""

from __future__ import annotations

import os
import select
import shutil
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Pty:
    """A pseudo-terminal: a printer writes to `path`, the test reads what came from `master`."""

    master: int
    slave: int
    path: str

    def read_all(self) -> bytes:
        """Everything written to `path` so far (the slave end stays open, so no EIO)."""
        chunks = []
        while select.select([self.master], [], [], 0)[0]:
            chunks.append(os.read(self.master, 65536))
        return b"".join(chunks)

    def unplug(self) -> None:
        """Close both ends: the device file disappears, as a USB printer's does."""
        for fd in (self.slave, self.master):
            if fd >= 0:
                os.close(fd)
        self.master = self.slave = -1


@contextmanager
def pty() -> Iterator[Pty]:
    master, slave = os.openpty()
    device = Pty(master, slave, os.ttyname(slave))
    try:
        yield device
    finally:
        device.unplug()


def block_device() -> str | None:
    """An empty block device under /dev (a loop device with nothing attached), if this machine
    has one: a disk is no printer, and a test that failed must not write to a real one."""
    for entry in sorted(os.scandir("/dev"), key=lambda e: e.name):
        if not stat.S_ISBLK(entry.stat(follow_symlinks=False).st_mode):
            continue
        size = Path("/sys/class/block", entry.name, "size")
        if size.exists() and size.read_text().strip() == "0":
            return entry.path
    return None


REFUSED = (
    "regular file",
    "regular file under /dev",
    "directory under /dev",
    "missing device",
    "symlink in /dev to a file",
    "symlink in /dev to a file not there yet",
    "symlink in /dev to a directory",
    "/dev/../ to a file",
    "relative path",
    "device that is no printer",
    "symlink in /dev to a device that is no printer",
    "block device",
)


@dataclass
class Refusals:
    """One path per case of `REFUSED`, and the files a write to any of them would change."""

    paths: dict[str, str | None]
    watched: list[Path]

    def contents(self) -> dict[str, object]:
        """What each watched place holds now, to compare before and after."""
        return {str(item): _content(item) for place in self.watched for item in _walk(place)}


def _walk(place: Path) -> list[Path]:
    return [place, *place.rglob("*")] if place.is_dir() else [place]


def _content(item: Path) -> object:
    if item.is_symlink():
        return ("symlink to", os.readlink(item))
    if item.is_dir():
        return "directory"
    return item.read_bytes() if item.exists() else "not there"


@contextmanager
def refusals(tmp_path: Path) -> Iterator[Refusals]:
    """Build every refused path; what they lead to is removed afterwards."""
    data = tmp_path / "data"
    data.mkdir()
    db = data / "edge.db"
    db.write_bytes(b"SQLite format 3\0 the store's orders")
    shm = Path("/dev/shm") / f"galley-test-{uuid.uuid4().hex}"
    relative = Path(f"galley-test-{uuid.uuid4().hex}.db")  # in the working directory
    shm.mkdir()
    try:
        in_dev = shm / "lp0"
        in_dev.write_bytes(b"not a printer")
        links = {
            "symlink in /dev to a file": db,
            "symlink in /dev to a file not there yet": data / "new.db",
            "symlink in /dev to a directory": data,
            "symlink in /dev to a device that is no printer": Path("/dev/null"),
        }
        for n, target in enumerate(links.values()):
            (shm / f"ttyUSB{n}").symlink_to(target)
        paths: dict[str, str | None] = {
            "regular file": str(db),
            "regular file under /dev": str(in_dev),
            "directory under /dev": str(shm),
            "missing device": "/dev/usb/lp4242",
            **{case: str(shm / f"ttyUSB{n}") for n, case in enumerate(links)},
            "/dev/../ to a file": "/dev/.." + str(db),
            "relative path": str(relative),
            "device that is no printer": "/dev/null",
            "block device": block_device(),
        }
        assert set(paths) == set(REFUSED)
        yield Refusals(paths, [data, shm, relative.absolute()])
    finally:
        shutil.rmtree(shm)
        relative.unlink(missing_ok=True)  # there only if a printer wrote it
