"""kill -9 the edge with 50 kitchen tickets queued: after the restart every one is printed,
once each (or marked REPRINT), in order.

The kitchen printer is disabled while the orders are sent, so the tickets wait in its queue;
the server gets SIGKILL; it is restarted on the same data, the printer enabled, and the real
emulator (in this process, on 127.0.0.1) must receive all 50.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from printers.emulator import run_in_thread
from tests.perf.harness import EdgeServer, copy_demo, plain_items, sign_in

pytestmark = pytest.mark.chaos

JOBS = 50


def test_kill_minus_nine_with_tickets_queued(demo_template: Path, tmp_path: Path) -> None:
    data_dir = copy_demo(demo_template, tmp_path / "edge")
    with run_in_thread() as emulator:
        server = EdgeServer(data_dir).start()
        try:
            token = sign_in(server, "manager", "chaos")
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=10.0) as http:
                kitchen = next(
                    p for p in http.get("/api/printers").json() if p["role"] == "kitchen"
                )
                transport = {"kind": "network", "host": "127.0.0.1", "port": emulator.port}
                patched = http.patch(
                    f"/api/printers/{kitchen['id']}",
                    json={"transport": transport, "enabled": False},
                )
                assert patched.status_code == 200, patched.text
                item_id = plain_items(server.url, "KITCHEN")[0]
                numbers = []
                for _ in range(JOBS):
                    body = {"kind": "counter", "send": True, "lines": [{"item_id": item_id}]}
                    response = http.post("/api/orders", json=body)
                    assert response.status_code == 201, response.text
                    numbers.append(response.json()["number"])
                queued = http.get("/api/print-jobs", params={"state": "queued"}).json()
                assert len(queued) == JOBS
            server.kill()

            server = EdgeServer(data_dir, port=server.port).start()
            with httpx.Client(base_url=server.url, headers=headers, timeout=10.0) as http:
                enabled = http.patch(f"/api/printers/{kitchen['id']}", json={"enabled": True})
                assert enabled.status_code == 200, enabled.text
                printed = emulator.wait_for_jobs(JOBS, timeout=30.0)
                deadline = time.monotonic() + 10.0  # bounded: the last "printed" write lands
                while time.monotonic() < deadline:
                    jobs = http.get("/api/print-jobs", params={"limit": 1000}).json()
                    if all(job["state"] == "printed" for job in jobs):
                        break
                    time.sleep(0.05)  # readiness poll interval, not an assertion
            assert len(jobs) == JOBS and all(job["state"] == "printed" for job in jobs)
        finally:
            server.stop()
    assert len(printed) == JOBS
    tickets = [next(line for line in job.lines if line.startswith("#")) for job in printed]
    assert [t.split()[0] for t in tickets] == [f"#{n}" for n in numbers]
