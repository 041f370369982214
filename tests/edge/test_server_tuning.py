"""The C library as the box tunes it before serving (`edge.runtime.server`). What the tuning is
for is measured by the orders benchmark (its resident memory beside a live hub, `make bench`);
no small program here held memory apart in threads' heaps the way the box's threads do."""

from __future__ import annotations

import subprocess
import sys


def test_glibc_takes_the_boxs_cap_on_malloc_heaps():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from edge.runtime import server; print(server.cap_malloc_arenas())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "True"
