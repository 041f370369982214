"""Drive wrk (pinned to its own CPU) with a Lua script that reports its results as JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

LOAD_CPU = 1
THREADS = 2
CONNECTIONS = 20

# wrk calls done() once, in its main Lua state, after every thread has finished. Latencies are
# in microseconds; errors.status counts responses with a status of 400 or more.
_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,'
    .. '"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: dict[str, int]
    output: str

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds


def script(
    path: Path, method: str = "GET", body: str | None = None, headers: dict[str, str] | None = None
) -> Path:
    """A wrk script that sends one fixed request (wrk builds it once) and reports as JSON."""
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        assert "]==]" not in body
        lines.append(f"wrk.body = [==[{body}]==]")
    for name, value in (headers or {}).items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    path.write_text("\n".join(lines) + "\n" + _DONE, encoding="utf-8")
    return path


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        pytest.fail("wrk is not installed; the benchmark needs it: `apt-get install -y wrk`")
    if shutil.which("taskset") is None:
        pytest.fail("taskset is not installed (util-linux); the benchmark pins server and load")
    return found


def run(url: str, lua: Path, seconds: float) -> WrkResult:
    """`taskset -c 1 wrk -t2 -c20 -dNs --latency -s lua url`, parsed."""
    command = [
        "taskset",
        "-c",
        str(LOAD_CPU),
        wrk_binary(),
        "-t",
        str(THREADS),
        "-c",
        str(CONNECTIONS),
        "-d",
        f"{seconds:g}s",
        "--latency",
        "-s",
        str(lua),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    assert done.returncode == 0, f"wrk failed ({done.returncode}): {done.stderr}\n{done.stdout}"
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    assert line is not None, f"wrk printed no result line:\n{done.stdout}\n{done.stderr}"
    data = json.loads(line.removeprefix("WRKJSON "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        max_ms=data["max_us"] / 1e3,
        non_2xx=data["status"],
        socket_errors={k: data[k] for k in ("connect", "read", "write", "timeout")},
        output=done.stdout,
    )
