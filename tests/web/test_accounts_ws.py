"""A lab websocket knows who opened it: its run is owned by the session cookie's user."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.db.models import User
from tests.auth.helpers import COOKIE_NAME, Site, make_site


def _open_run(site: Site, token: str | None, run: str | None = None) -> str:
    """Open two-moons over a websocket (with the cookie, if any); the hello's run id."""
    headers = {"cookie": f"{COOKIE_NAME}={token}"} if token else {}
    path = "/ws/labs/two-moons" + (f"?run={run}" if run else "")
    with site.client.websocket_connect(path, headers=headers) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello"
        while "bytes" not in ws.receive():  # a binary message: the model is built
            pass
        return hello["run"]


def test_runs_are_owned_by_the_signed_in_user(tmp_path: Path) -> None:
    site = make_site(tmp_path, detached_grace_s=60)
    with site.client:  # runs the lifespan: migrations and the lab workers
        site.signup("ada@example.org")
        ada_token = site.client.cookies[COOKIE_NAME]
        site.client.cookies.clear()
        with site.app.state.sessionmaker() as db:
            ada = db.scalars(select(User)).one()
        runs = site.app.state.runtime.runs

        owned = _open_run(site, ada_token)
        assert runs[owned].owner_id == ada.id
        anonymous = _open_run(site, None)
        assert runs[anonymous].owner_id is None
        assert _open_run(site, "forged-token") not in (owned, anonymous)

        # someone else cannot take Ada's run over; Ada can, and an anonymous run becomes hers
        site.signup("bob@example.org", client=site.new_client(), name="Bob")
        bob_token = site.login("bob@example.org").cookies[COOKIE_NAME]
        site.client.cookies.clear()
        assert _open_run(site, bob_token, run=owned) != owned
        assert _open_run(site, ada_token, run=owned) == owned
        assert _open_run(site, ada_token, run=anonymous) == anonymous
        assert runs[anonymous].owner_id == ada.id
