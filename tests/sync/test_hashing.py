"""A PIN or a password is kept one way, which the edge and the hub both check."""

from sync import hashing


def test_a_secret_is_kept_salted_and_only_its_own_text_matches():
    stored = hashing.hash_secret("4821")
    assert stored.startswith("scrypt$16384$8$1$") and "4821" not in stored
    assert stored != hashing.hash_secret("4821")  # a fresh salt each time
    assert hashing.matches("4821", stored)
    assert not hashing.matches("4822", stored)
    assert not hashing.matches(" 4821", stored)  # spaces are part of a password


def test_anything_that_is_no_such_hash_matches_nothing():
    for stored in ("garbage", "", "***", "scrypt:16384:8:1:a:b", "bcrypt$1$2$3$a$b"):
        assert not hashing.matches("4821", stored), stored
    assert not hashing.matches(4821, hashing.hash_secret("4821"))  # type: ignore[arg-type]
