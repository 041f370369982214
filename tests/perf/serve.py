"""Run the edge under real uvicorn (uvloop + httptools) for benchmarks and crash tests.

`python -m uvicorn` cannot take our settings, so this builds `create_app(EdgeSettings(...))`
itself. It adds one test-only route, `/_bench/stats`: the writer's counters and the process's
resident memory, so a benchmark can tell how many orders went into each commit.

    python -m tests.perf.serve --data-dir DIR --port PORT
"""

from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from edge.api.app import create_app
from edge.core.config import EdgeSettings
from edge.runtime import server


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process in MiB, from /proc (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int | str = "self", tid: int | None = None) -> float:
    """User + system CPU time a process (or one of its threads: `tid`, a native thread id) has
    used, from /proc (Linux)."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    with open(path, encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()  # after "pid (comm)"
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def bench_stats(request: Request) -> JSONResponse:
    """The writer's counters (commits, fsyncs, writes, failed writes) and this process's RSS."""
    stats = request.app.state.box.writer.stats
    return JSONResponse(
        {
            "commits": stats.commits,
            "syncs": stats.syncs,
            "writes": stats.writes,
            "failed_writes": stats.failed_writes,
            "rss_mb": rss_mb(),
            # native thread ids, to split the process's CPU time by thread in /proc
            "writer_tid": request.app.state.box.writer._thread.native_id,
            "loop_tid": threading.get_native_id(),
            "print_tids": [
                worker.thread.native_id
                for worker in request.app.state.box.printing.workers.values()
                if worker.thread is not None
            ],
        }
    )


def build(data_dir: Path) -> Starlette:
    app = create_app(EdgeSettings(data_dir=data_dir))
    # Appended last: the edge's own routes match exactly as they do in production.
    app.router.routes.append(Route("/_bench/stats", bench_stats, methods=["GET"]))
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    server.run(
        build(args.data_dir),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
