"""A printer named by a path is a printer's device, or it is not saved; the worker checks again.

The probe that found it: a manager made a printer `{"kind": "file", "path": ".../edge.db"}` and
its test page wrote 512 bytes into the store's database. Real SQLite, real HTTP; the printer
that prints is a real pseudo-terminal read back by the test.
"""

from __future__ import annotations

import dataclasses

import pytest
from freezegun import freeze_time

from edge.core.config import EdgeSettings
from edge.core.events import commit
from edge.domain import print_queue
from printers.decoder import decode
from tests.clock import advance
from tests.conftest import sign_in
from tests.edge.test_contract import assert_error_shape
from tests.edge.test_printing import add_printer, drain, printers_by_name, rows
from tests.printer_devices import pty, refusals

SETTINGS = (("file", "path"), ("serial", "url"))


@pytest.fixture
def settings(settings: EdgeSettings) -> EdgeSettings:
    return dataclasses.replace(settings, print_workers=False)


def written(app) -> tuple[int, int]:
    (events,) = rows(app, "SELECT COUNT(*) AS n FROM events")
    (printers,) = rows(app, "SELECT COUNT(*) AS n FROM printers")
    return events["n"], printers["n"]


def says(case: str) -> str:
    """What the refusal tells the manager, by case."""
    if case == "missing device":
        return "is the printer plugged in and switched on?"
    if case in ("regular file", "relative path", "/dev/../ to a file", "the store's database"):
        return "a printer's device is a path under /dev"
    if case.startswith("symlink"):
        return "leads to"
    return "is not a printer"


async def test_a_path_that_is_no_printer_is_refused_on_the_field(app, client, settings, tmp_path):
    manager = await sign_in(client, "manager")
    counter = (await printers_by_name(client, manager))["Counter receipt"]
    before = written(app)
    with refusals(tmp_path) as refused:
        files = refused.contents()
        cases = {**refused.paths, "the store's database": str(settings.data_dir / "edge.db")}
        for case, path in cases.items():
            if path is None:  # no block device on this machine
                continue
            for kind, setting in SETTINGS:
                transport = {"kind": kind, setting: path}
                new = {"name": "Bar", "role": "receipt", "transport": transport}
                created = await client.post("/api/printers", headers=manager, json=new)
                changed = await client.patch(
                    f"/api/printers/{counter['id']}", headers=manager, json={"transport": transport}
                )
                for answer in (created, changed):
                    assert_error_shape(answer)
                    assert answer.status_code == 422, (case, kind)
                    error = answer.json()["error"]
                    assert error["code"] == "not_a_printer_device", (case, kind)
                    assert error["field"] == f"transport.{setting}", (case, kind)
                    assert says(case) in error["message"], (case, error["message"])
        assert refused.contents() == files
    assert written(app) == before


async def test_a_file_printer_saved_before_the_rule_fails_its_jobs_and_writes_nothing(
    app, client, tmp_path
):
    """A row that names a file (saved by an older version, or synced from elsewhere): opening
    refuses it as a configuration error, so its job fails for a manager to see; no byte lands."""
    manager = await sign_in(client, "manager")
    counter = (await printers_by_name(client, manager))["Counter receipt"]
    with refusals(tmp_path) as refused:
        files = refused.contents()
        path = refused.paths["symlink in /dev to a file"]

        def saved_long_ago(conn):
            transport = {"kind": "file", "path": path}
            commit(conn, None, "printers", counter["id"], "update", {"transport": transport})

        await app.state.box.write(saved_long_ago)
        with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
            test = await client.post(f"/api/printers/{counter['id']}/test", headers=manager)
            assert test.status_code == 201
            for _ in range(print_queue.REROUTE_AFTER):
                await drain(app)
                advance(frozen, 61)
        assert refused.contents() == files
    (job,) = rows(app, "SELECT state, last_error FROM print_jobs")
    assert job["state"] == "failed"
    assert "PrinterNotFound" in job["last_error"] and "not a printer" in job["last_error"]


@pytest.mark.parametrize(("kind", "setting"), SETTINGS)
async def test_a_printer_on_a_device_prints_its_test_page(app, client, kind, setting):
    manager = await sign_in(client, "manager")
    with pty() as device:
        transport = {"kind": kind, setting: device.path}
        if kind == "serial":  # it asks for the status, and a pseudo-terminal never answers
            transport["status_timeout"] = 0.05
        printer = await add_printer(client, manager, "Bar receipt", "receipt", transport)
        test = await client.post(f"/api/printers/{printer['id']}/test", headers=manager)
        assert test.status_code == 201
        await drain(app)
        printed = decode(device.read_all())
    assert printed.lines[0] == "TEST PAGE"
    (job,) = rows(app, "SELECT state FROM print_jobs")
    assert job["state"] == "printed"
