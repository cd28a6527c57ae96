"""Argon2id password hashing (pwdlib) with a bounded, configurable cost."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.config import Settings

MIN_LENGTH = 10
MAX_LENGTH = 256  # hashing cost must not grow with whatever a client posts


class PasswordError(ValueError):
    """A password that does not meet the rules; the message says which."""


@lru_cache(maxsize=8)
def _hasher(memory_kib: int, time_cost: int) -> PasswordHash:
    return PasswordHash([Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)])


def hasher(settings: Settings) -> PasswordHash:
    """The Argon2id hasher for the configured memory (KiB) and time cost."""
    return _hasher(settings.argon2_memory_kib, settings.argon2_time_cost)


def check_password_rules(password: str) -> None:
    """Raise PasswordError unless the password is 10–256 characters and not blank."""
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"the password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"the password may have at most {MAX_LENGTH} characters")
    if not password.strip():
        raise PasswordError("the password cannot be only spaces")


def hash_password(password: str, settings: Settings) -> str:
    """The Argon2id hash of a password that passes the rules."""
    check_password_rules(password)
    return hasher(settings).hash(password)


def verify_password(password: str, password_hash: str | None, settings: Settings) -> str | None:
    """None if the password is wrong; else the hash to keep (re-hashed if the cost changed).

    With no stored hash, a dummy hash is still verified, so an unknown email takes as long
    to refuse as a wrong password.
    """
    h = hasher(settings)
    if len(password) > MAX_LENGTH:
        return None
    if password_hash is None:
        h.verify(password, _dummy_hash(settings.argon2_memory_kib, settings.argon2_time_cost))
        return None
    try:
        ok, updated = h.verify_and_update(password, password_hash)
    except Exception:  # an unreadable stored hash refuses the login, never crashes it
        return None
    if not ok:
        return None
    return updated or password_hash


@lru_cache(maxsize=8)
def _dummy_hash(memory_kib: int, time_cost: int) -> str:
    return _hasher(memory_kib, time_cost).hash("not a password of anyone")
