"""The `galley` command: setting up a store, refusing to serve an empty box, and a
technician's export of one table (read-only, never a secret)."""

import base64
import contextlib
import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from sqlite_utils import Database
from sqlite_utils.utils import decode_base64_values

from edge.core import db
from edge.core.config import EdgeSettings
from edge.domain import devices
from edge.setup import demo
from edge.setup import export as export_module
from edge.setup.provision import pairing_code, write_once
from galley.cli import main
from service.settings import SettingError
from tests.conftest import count


def test_edge_init_sets_up_a_store_once(tmp_path, capsys):
    data = str(tmp_path / "box")
    args = [
        "edge",
        "init",
        "--data-dir",
        data,
        "--store-name",
        "Warung Sari",
        "--owner-name",
        "Sari",
        "--owner-pin",
        "2468",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "PIN 2468" in out
    code = re.search(r"paired with code (\w{4}-\w{4}) \(it works once, for 24 hours\)", out)
    assert code, out
    conn = db.connect(tmp_path / "box" / "edge.db", readonly=True)
    stored = conn.execute("SELECT id, created_by, expires_at FROM pairing_codes").fetchall()
    assert [(r["id"], r["created_by"]) for r in stored] == [
        (hashlib.sha256(code[1].replace("-", "").encode()).hexdigest(), "system")
    ]  # the code's hash, never the code
    assert conn.execute("SELECT name FROM store").fetchone()[0] == "Warung Sari"
    owner = conn.execute("SELECT name, role FROM staff").fetchall()
    assert [tuple(r) for r in owner] == [("Sari", "owner")]
    assert main(args) == 1  # a second init changes nothing
    assert conn.execute("SELECT COUNT(*) FROM staff").fetchone()[0] == 1


def test_edge_init_makes_a_pin_when_none_is_given(tmp_path, capsys):
    assert (
        main(
            ["edge", "init", "--data-dir", str(tmp_path), "--store-name", "A", "--owner-name", "B"]
        )
        == 0
    )
    out = capsys.readouterr().out
    pin = out.split("with PIN ")[1].split()[0]
    assert pin.isdigit() and len(pin) == 6


@pytest.mark.parametrize(
    ("names", "says"),
    [
        (["--owner-pin", "12"], "PIN must be 4 to 8 digits"),
        (["--store-name", ""], "Store name can't be empty"),
        (["--owner-name", "x" * 200], "at most 60 characters"),
    ],
)
def test_edge_init_refuses_a_bad_name_or_pin_in_a_sentence_and_sets_up_nothing(
    tmp_path, capsys, names, says
):
    """It was a Python traceback, and the first boot wrote nothing for the technician."""
    base = {"--store-name": "A", "--owner-name": "B"}
    base.update(dict(zip(names[::2], names[1::2], strict=True)))
    args = ["edge", "init", "--data-dir", str(tmp_path), *(x for kv in base.items() for x in kv)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("galley edge init: ") and says in err and "Traceback" not in err
    conn = db.connect(tmp_path / "edge.db", readonly=True)
    assert conn.execute("SELECT COUNT(*) FROM store").fetchone()[0] == 0


def test_serve_refuses_a_box_without_a_store(tmp_path, capsys):
    assert main(["edge", "serve", "--data-dir", str(tmp_path)]) == 1
    assert "galley edge init" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["init", "--store-name", "A", "--owner-name", "B"], ["serve"]])
def test_a_data_folder_that_cannot_be_made_is_said_in_a_sentence(tmp_path, capsys, command):
    """README, Setting up a store's box: GALLEY_DATA_DIR a folder the box's user cannot make
    or write is named with why, not a traceback."""
    (tmp_path / "a-file").write_text("")
    data = tmp_path / "a-file" / "galley"
    assert main(["edge", *command, "--data-dir", str(data)]) == 1
    assert capsys.readouterr().err == (
        f"galley edge {command[0]}: the data folder {data} (--data-dir, GALLEY_DATA_DIR)"
        " cannot be used: Not a directory\n"
    )


def test_edge_pair_prints_a_fresh_code_that_pairs_once(settings, capsys):
    args = ["edge", "pair", "--data-dir", str(settings.data_dir), "--name", "Bar tablet"]
    assert main([*args, "--hours", "3"]) == 0
    out = capsys.readouterr().out
    first = re.search(
        r"Pair Bar tablet with code (\w{4}-\w{4}) \(it works once, for 3 hours\)", out
    )
    assert first, out
    assert main(args) == 0
    second = re.search(
        r"with code (\w{4}-\w{4}) \(it works once, for 1 hour\)", capsys.readouterr().out
    )
    assert second and second[1] != first[1]
    assert count(settings.database, "pairing_codes") == 2
    with pytest.raises(SystemExit) as refused:
        main([*args, "--hours", "0"])
    assert refused.value.code == 2
    assert main(["edge", "pair", "--data-dir", str(settings.data_dir / "empty")]) == 1


def test_edge_pair_refuses_the_name_of_a_device_in_use(settings, capsys):
    code = pairing_code(settings.database)["code"]
    write_once(settings.database, devices.pair, {"code": code, "name": "Bar tablet"}, "hash")
    codes = count(settings.database, "pairing_codes")
    args = ["edge", "pair", "--data-dir", str(settings.data_dir), "--name", "bar TABLET"]
    assert main(args) == 1
    assert capsys.readouterr().err.startswith(
        "galley edge pair: Another device in use is called Bar tablet."
    )
    assert count(settings.database, "pairing_codes") == codes


@pytest.mark.parametrize(
    ("flag", "variable", "value", "says"),
    [
        ("--session-hours", "GALLEY_SESSION_HOURS", "0", "a whole number from 1 to 168"),
        ("--session-hours", "GALLEY_SESSION_HOURS", "twelve", "a whole number from 1 to 168"),
        ("--port", "GALLEY_EDGE_PORT", "70000", "a whole number from 1 to 65535"),
        ("--writer-max-batch", "GALLEY_WRITER_MAX_BATCH", "0", "a whole number from 1 to 10000"),
        ("--log-level", "GALLEY_LOG_LEVEL", "LOUD", "one of DEBUG, INFO, WARNING, ERROR"),
        ("--print-workers", "GALLEY_PRINT_WORKERS", "maybe", "on or off"),
        ("--host", "GALLEY_EDGE_HOST", " ", "an address or name"),
        ("--data-dir", "GALLEY_DATA_DIR", "", "a folder's path"),
    ],
)
def test_a_setting_that_makes_no_sense_is_refused_naming_its_flag_and_variable(
    settings, capsys, monkeypatch, flag, variable, value, says
):
    """As a flag: `galley edge serve` exits 2 with what the setting takes, and starts nothing.
    As a variable: the same words."""
    assert main(["edge", "serve", "--data-dir", str(settings.data_dir), flag, value]) == 2
    message = capsys.readouterr().err
    assert message.startswith(f"galley edge serve: {flag} ({variable}) must be {says}"), message
    assert repr(value) in message
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingError, match=rf"^{flag} \({variable}\) must be {says}"):
        EdgeSettings.load()


def test_settings_that_make_sense_are_read_as_their_kind():
    given = EdgeSettings.load(
        {"GALLEY_LOG_LEVEL": "debug", "GALLEY_PRINT_WORKERS": "off", "GALLEY_SESSION_HOURS": "168"}
    )
    assert (given.log_level, given.print_workers, given.session_hours) == ("DEBUG", False, 168)
    assert EdgeSettings.load({}, port="1").port == 1


# --- galley edge export ----------------------------------------------------------------------


def export(settings, *args: str) -> list[str]:
    return ["edge", "export", "--data-dir", str(settings.data_dir), *args]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_writes_a_table_as_csv_without_secret_columns(settings, capsys):
    before = digest(settings.database)
    assert main(export(settings, "staff")) == 0
    assert digest(settings.database) == before  # read-only: not a byte changed
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    with contextlib.closing(db.connect(settings.database, readonly=True)) as conn:
        columns = [c.name for c in Database(conn)["staff"].columns]  # the schema, in order
    assert "pin_hash" in columns and list(rows[0]) == [c for c in columns if c != "pin_hash"]
    assert sorted(r["name"] for r in rows) == sorted(name for name, _, _ in demo.STAFF)


def test_export_events_as_json_to_a_file_holds_no_pin_hash(settings, tmp_path, capsys):
    out = tmp_path / "events.json"
    assert main(export(settings, "events", "--format", "json", "--output", str(out))) == 0
    events = json.loads(out.read_text(encoding="utf-8"))
    assert len(events) == count(settings.database, "events")
    assert f"{len(events)} rows of events written to {out}" in capsys.readouterr().err
    assert "scrypt$" not in out.read_text(encoding="utf-8")
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)


def test_export_refuses_the_box_table_and_unknown_tables_and_writes_nothing(
    settings, tmp_path, capsys
):
    out = tmp_path / "secrets.csv"
    assert main(export(settings, "box", "--output", str(out))) == 2
    assert "never exported" in capsys.readouterr().err
    assert main(export(settings, "sqlite_master", "--output", str(out))) == 2
    message = capsys.readouterr().err
    assert "no table 'sqlite_master' to export" in message and "order_lines" in message
    assert not out.exists()
    assert main(["edge", "export", "--data-dir", str(tmp_path / "none"), "orders"]) == 2
    assert "no database at" in capsys.readouterr().err


def test_export_writes_blobs_as_base64_that_sqlite_utils_reads_back():
    rows = [{"id": "j1", "payload": b"\x1b@Burrata\n\x1dV\x00"}]
    as_json = io.StringIO()
    assert export_module.write(["id", "payload"], iter(rows), "json", as_json) == 1
    assert [decode_base64_values(r) for r in json.loads(as_json.getvalue())] == rows
    as_csv = io.StringIO()
    export_module.write(["id", "payload"], iter(rows), "csv", as_csv)
    line = as_csv.getvalue().splitlines()[1]
    assert base64.b64decode(line.split(",")[1]) == rows[0]["payload"]
    empty = io.StringIO()
    assert export_module.write(["id"], iter([]), "json", empty) == 0
    assert json.loads(empty.getvalue()) == []
