"""Argon2id hashing: the format and cost written, verification, re-hashing, the rules."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from app.auth.passwords import PasswordError, check_password_rules, hash_password, verify_password
from app.config import Settings

CHEAP = Settings(argon2_memory_kib=1024, argon2_time_cost=1)


def test_hash_password_is_argon2id_with_the_configured_cost() -> None:
    stored = hash_password("correct horse battery", CHEAP)
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    # argon2-cffi's own verifier, not pwdlib's, agrees the hash is of this password
    assert PasswordHasher().verify(stored, "correct horse battery")


def test_verify_password_right_and_wrong() -> None:
    stored = hash_password("correct horse battery", CHEAP)
    assert verify_password("correct horse battery", stored, CHEAP) == stored
    assert verify_password("correct horse batterY", stored, CHEAP) is None
    assert verify_password("x" * 1000, stored, CHEAP) is None


def test_verify_password_rehashes_when_the_cost_changed() -> None:
    stored = hash_password("correct horse battery", CHEAP)
    dearer = Settings(argon2_memory_kib=2048, argon2_time_cost=1)
    updated = verify_password("correct horse battery", stored, dearer)
    assert updated is not None and updated != stored
    assert "$m=2048,t=1,p=1$" in updated


def test_verify_password_without_a_hash_or_with_garbage_refuses() -> None:
    assert verify_password("anything at all", None, CHEAP) is None
    assert verify_password("anything at all", "not-a-hash", CHEAP) is None


@pytest.mark.parametrize(
    ("password", "problem"),
    [("short", "at least 10"), ("x" * 257, "at most 256"), (" " * 12, "only spaces")],
)
def test_check_password_rules_names_the_problem(password: str, problem: str) -> None:
    with pytest.raises(PasswordError, match=problem):
        check_password_rules(password)


def test_memory_cost_is_bounded() -> None:
    with pytest.raises(ValueError, match="argon2_memory_kib"):
        Settings(argon2_memory_kib=4 * 1024 * 1024)
