"""Device keys and signed requests."""

import base64
import stat
from datetime import timedelta

import pytest
from freezegun import freeze_time

from sync.clock import utcnow
from sync.errors import BadSignature
from sync.signing import DeviceKey, Signed, public_key_id, sign, signed_key_id, verify

PATH = "/sync/v1/pull?cursor=12&limit=500"
BODY = b'{"schema":1}'
NONCE = "00112233445566778899aabbccddeeff"


@pytest.fixture(scope="module")
def key():
    return DeviceKey.generate()


def _refused(key, headers, method="POST", path=PATH, body=BODY, code="bad_signature", **kwargs):
    with pytest.raises(BadSignature) as refused:
        verify(key.public_pem(), headers, method, path, body, **kwargs)
    assert refused.value.code == code
    return refused.value


@freeze_time("2026-05-01 12:00:00")
def test_a_signed_request_verifies_and_names_its_key_time_and_nonce(key):
    headers = sign(key, "post", PATH, BODY, now=utcnow(), nonce=NONCE)
    assert headers["X-Galley-Key"] == key.key_id == public_key_id(key.public_pem())
    assert headers["X-Galley-Timestamp"] == str(int(utcnow().timestamp()))
    assert len(base64.b64decode(headers["X-Galley-Signature"])) == 64
    signed = verify(key.public_pem(), headers, "POST", PATH, BODY, now=utcnow())
    assert signed == Signed(key.key_id, int(utcnow().timestamp()), NONCE)
    assert signed_key_id(headers) == key.key_id


def test_header_names_are_read_in_any_case(key):
    headers = {name.lower(): value for name, value in sign(key, "GET", PATH, b"").items()}
    assert verify(key.public_pem(), headers, "GET", PATH, b"").key_id == key.key_id
    assert signed_key_id(headers) == key.key_id


def test_each_request_gets_a_fresh_nonce(key):
    first, second = sign(key, "GET", PATH, b""), sign(key, "GET", PATH, b"")
    assert first["X-Galley-Nonce"] != second["X-Galley-Nonce"]
    assert len(first["X-Galley-Nonce"]) == 32


@pytest.mark.parametrize(
    "changed",
    [
        {"method": "PUT"},
        {"path": "/sync/v1/pull?cursor=13&limit=500"},
        {"path": "/sync/v1/pull?cursor=12"},
        {"path": "/sync/v1/push?cursor=12&limit=500"},
        {"body": b'{"schema":2}'},
        {"body": b""},
    ],
)
def test_a_request_changed_in_any_part_fails(key, changed):
    headers = sign(key, "POST", PATH, BODY)
    error = _refused(key, headers, **changed)
    assert "does not match" in error.message


@pytest.mark.parametrize("header", ["X-Galley-Timestamp", "X-Galley-Nonce"])
def test_a_changed_timestamp_or_nonce_fails(key, header):
    headers = sign(key, "POST", PATH, BODY, nonce=NONCE)
    headers[header] = (
        "1" + headers[header][1:] if header == "X-Galley-Nonce" else str(int(headers[header]) - 1)
    )
    _refused(key, headers)


def test_a_signature_made_by_another_devices_key_fails(key):
    thief = DeviceKey.generate()
    forged = sign(thief, "POST", PATH, BODY)
    assert "another device's key" in _refused(key, forged).message
    forged["X-Galley-Key"] = key.key_id  # claiming to be the other device changes nothing
    assert "does not match" in _refused(key, forged).message


@pytest.mark.parametrize("seconds", [301, -301, 3600, -86400])
def test_a_request_signed_more_than_5_minutes_away_is_stale_either_way(key, seconds):
    with freeze_time("2026-05-01 12:00:00") as frozen:
        headers = sign(key, "POST", PATH, BODY, now=utcnow())
        frozen.tick(timedelta(seconds=seconds))
        error = _refused(key, headers, code="stale")
        assert f"{abs(seconds)} s" in error.message


@pytest.mark.parametrize("seconds", [300, -300, 0])
def test_a_request_within_the_window_either_way_verifies(key, seconds):
    with freeze_time("2026-05-01 12:00:00") as frozen:
        headers = sign(key, "POST", PATH, BODY)
        frozen.tick(timedelta(seconds=seconds))
        assert verify(key.public_pem(), headers, "POST", PATH, BODY).nonce


def test_the_window_can_be_given(key):
    with freeze_time("2026-05-01 12:00:00") as frozen:
        headers = sign(key, "POST", PATH, BODY)
        frozen.tick(timedelta(seconds=31))
        _refused(key, headers, code="stale", window=30)


@pytest.mark.parametrize(
    "header", ["X-Galley-Key", "X-Galley-Timestamp", "X-Galley-Nonce", "X-Galley-Signature"]
)
def test_a_missing_header_is_missing(key, header):
    headers = sign(key, "POST", PATH, BODY)
    del headers[header]
    assert header in _refused(key, headers, code="missing").message
    assert _refused(key, {}, code="missing")


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Galley-Key", "XYZ"),
        ("X-Galley-Key", "0123456789abcdef0"),
        ("X-Galley-Timestamp", "soon"),
        ("X-Galley-Timestamp", "-5"),
        ("X-Galley-Nonce", "short"),
        ("X-Galley-Nonce", "00112233445566778899AABBCCDDEEFF"),
        ("X-Galley-Signature", "not base64!"),
    ],
)
def test_a_malformed_header_is_malformed(key, header, value):
    headers = sign(key, "POST", PATH, BODY)
    headers[header] = value
    assert header in _refused(key, headers, code="malformed").message


def test_a_truncated_signature_fails(key):
    headers = sign(key, "POST", PATH, BODY)
    headers["X-Galley-Signature"] = base64.b64encode(b"x" * 10).decode()
    _refused(key, headers)


def test_a_line_break_cannot_smuggle_another_request(key):
    with pytest.raises(ValueError):
        sign(key, "POST", "/sync/v1/push\n123", BODY)


def test_the_key_file_is_its_owners_only_and_loads_back(tmp_path):
    key = DeviceKey.generate()
    path = tmp_path / "device.key"
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    loaded = DeviceKey.load(path)
    assert loaded.key_id == key.key_id and loaded.public_pem() == key.public_pem()
    headers = sign(loaded, "GET", PATH, b"")
    assert verify(key.public_pem(), headers, "GET", PATH, b"").key_id == key.key_id


def test_saving_again_replaces_the_file_whole_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "device.key"
    path.write_text("old")
    path.chmod(0o644)
    key = DeviceKey.generate()
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert DeviceKey.load(path).key_id == key.key_id
    assert [p.name for p in tmp_path.iterdir()] == ["device.key"]


def test_a_key_file_of_another_kind_is_refused(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ec.key"
    path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="no Ed25519 private key"):
        DeviceKey.load(path)
    public = other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError, match="not an Ed25519 public key"):
        public_key_id(public.decode())
    with pytest.raises(ValueError, match="not a public key"):
        public_key_id("hello")
