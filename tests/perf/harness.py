"""Helpers shared by the benchmarks and the crash tests: a real edge server in a subprocess."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.conftest import credential, pairing, sign_in_body, signed_in

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_demo(template: Path, data_dir: Path) -> Path:
    """A fresh data dir holding a copy of the seeded demo database."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, data_dir / "edge.db")
    return data_dir


class Line:
    """One keep-alive HTTP/1.1 connection over plain asyncio streams, as little client as
    asyncio allows (about 0.2 ms of CPU a request in the checkout benchmark, where httpx's pool
    spent 2.5-5.5 ms). The benchmarks run many clients in one process on the server's two
    cores: an expensive client slows the server and is counted in every latency. `headers` go
    with every request."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str
    ) -> None:
        self.reader, self.writer, self.head = reader, writer, head

    @classmethod
    async def open(cls, url: str, headers: dict[str, str] | None = None) -> Line:
        parts = urlsplit(url)
        head = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        return cls(*await asyncio.open_connection(parts.hostname, parts.port), head)

    async def request(
        self, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, bytes]:
        """The answer's status and body (the server must send a Content-Length)."""
        head = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        kind = "Content-Type: application/json\r\n" if body else ""
        self.writer.write(
            f"{method} {target} HTTP/1.1\r\nHost: bench\r\n{kind}"
            f"Content-Length: {len(body)}\r\n{self.head}{head}\r\n".encode()
            + body
        )
        status = int((await self.reader.readline()).split()[1])
        length = None
        while (line := await self.reader.readline()) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError(f"{method} {target}: an answer without Content-Length")
        return status, await self.reader.readexactly(length)

    async def get(self, target: str) -> tuple[int, bytes]:
        return await self.request("GET", target)

    async def post(
        self, target: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        return await self.request("POST", target, headers, body)

    def close(self) -> None:
        self.writer.close()


@dataclass
class EdgeServer:
    """`python -m tests.perf.serve` as a child process, optionally pinned to one CPU."""

    data_dir: Path
    cpu: int | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, ready_within: float = 20.0) -> EdgeServer:
        command = [
            sys.executable,
            "-m",
            "tests.perf.serve",
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
        ]
        if self.cpu is not None:
            # taskset execs the command: the child's pid is the server's pid.
            command = ["taskset", "-c", str(self.cpu), *command]
        self.proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.wait_ready(ready_within)
        return self

    def wait_ready(self, within: float) -> None:
        """Poll /healthz until the server answers 200 (bounded); fail if it dies first."""
        deadline = time.monotonic() + within
        last: Exception | str = "no answer"
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"the edge server exited with {self.proc.returncode}")
            try:
                response = httpx.get(f"{self.url}/healthz", timeout=1.0)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text}"
            except httpx.TransportError as exc:
                last = exc
            time.sleep(0.05)  # readiness poll interval, not an assertion
        raise RuntimeError(f"the edge server did not become ready in {within}s: {last}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lifespan, no flush; what is on disk is what survives."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def stats(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/_bench/stats", timeout=5.0)
        response.raise_for_status()
        return response.json()


def sign_in(server: EdgeServer, role: str, device: str = "bench") -> str:
    """A bearer token for the demo staff member with `role`, on a device paired for it."""
    with httpx.Client(base_url=server.url, timeout=10.0) as http:
        body = pairing(device, server.data_dir / "edge.db")
        paired = credential(http.post("/api/devices/pair", json=body))
        roster = http.get("/api/staff/roster", headers=paired).json()
        answer = http.post("/api/sessions", headers=paired, json=sign_in_body(roster, role))
        return signed_in(answer)["Authorization"].removeprefix("Bearer ")


def plain_items(base_url: str, station: str | None = None) -> list[str]:
    """Ids of orderable menu items (of `station`, if given) with no modifier groups."""
    menu = httpx.get(f"{base_url}/api/menu", timeout=10.0).json()
    return [
        item["id"]
        for category in menu["categories"]
        for item in category["items"]
        if item["active"]
        and item["available"]
        and not item["modifier_group_ids"]
        and station in (None, item["station"])
    ]
