"""Cross-site request forgery: unsafe methods must come from this site's own pages.

Browsers say where a request comes from: ``Sec-Fetch-Site`` (all current browsers) and
``Origin`` (on every POST). A request whose Sec-Fetch-Site is ``same-origin`` or ``none``
(typed by the user) passes; ``same-site`` or ``cross-site`` is refused. Without
Sec-Fetch-Site, an Origin must name this host (or one the operator allowed). A request with
neither header comes from no browser (curl, a script) and cannot be forged by a web page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def cross_site_reason(
    method: str,
    host: str | None,
    sec_fetch_site: str | None,
    origin: str | None,
    allowed_origins: list[str] | tuple[str, ...] = (),
) -> str | None:
    """Why this request must be refused as cross-site, or None if it may go on."""
    if method.upper() in SAFE_METHODS:
        return None
    allowed = {o.lower().rstrip("/") for o in allowed_origins}
    if origin is not None and origin.lower().rstrip("/") in allowed:
        return None
    if sec_fetch_site is not None:
        if sec_fetch_site.lower() in ("same-origin", "none"):
            return None
        return f"cross-site request refused (Sec-Fetch-Site: {sec_fetch_site})"
    if origin is None:
        return None
    if origin == "null":
        return "cross-site request refused (Origin: null)"
    netloc = urlsplit(origin).netloc.lower()
    if netloc and netloc == (host or "").lower():
        return None
    return f"cross-site request refused (Origin {origin} is not this site)"
