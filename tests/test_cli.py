"""The `galley` command: setting up a store and refusing to serve an empty box."""

from edge import db
from galley.cli import main


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
    assert "PIN 2468" in capsys.readouterr().out
    conn = db.connect(tmp_path / "box" / "edge.db", readonly=True)
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


def test_serve_refuses_a_box_without_a_store(tmp_path, capsys):
    assert main(["edge", "serve", "--data-dir", str(tmp_path)]) == 1
    assert "galley edge init" in capsys.readouterr().err
