"""The cross-site decision: which unsafe requests pass and which are refused."""

from __future__ import annotations

import pytest

from app.auth.csrf import cross_site_reason

HOST = "school.example:8000"


@pytest.mark.parametrize(
    ("method", "site", "origin"),
    [
        ("GET", "cross-site", "https://evil.example"),  # safe methods are never refused
        ("POST", "same-origin", None),
        ("POST", "none", None),  # typed in the address bar / a bookmark
        ("POST", None, "http://school.example:8000"),
        ("DELETE", None, "http://School.Example:8000"),
        ("POST", None, None),  # no browser sent this: no page can forge it
        ("POST", "cross-site", "https://partner.example"),  # an origin the operator allowed
    ],
)
def test_cross_site_reason_allows(method: str, site: str | None, origin: str | None) -> None:
    allowed = ["https://partner.example"]
    assert cross_site_reason(method, HOST, site, origin, allowed) is None


@pytest.mark.parametrize(
    ("method", "site", "origin", "named"),
    [
        ("POST", "cross-site", "https://evil.example", "Sec-Fetch-Site: cross-site"),
        ("PUT", "same-site", "https://sub.school.example", "Sec-Fetch-Site: same-site"),
        ("POST", None, "https://evil.example", "evil.example is not this site"),
        ("PATCH", None, "http://school.example:9000", "is not this site"),
        ("POST", None, "null", "Origin: null"),
        ("DELETE", "cross-site", None, "cross-site"),
    ],
)
def test_cross_site_reason_refuses(method: str, site: str | None, origin: str | None, named: str):
    reason = cross_site_reason(method, HOST, site, origin)
    assert reason is not None and named in reason
