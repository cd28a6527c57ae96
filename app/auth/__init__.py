"""Accounts: password hashing, server-side sessions, login throttling, CSRF checks, roles."""
