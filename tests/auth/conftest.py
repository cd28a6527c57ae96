"""The account tests' in-process site."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.helpers import Site, make_site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A fresh migrated app with a frozen clock and a client."""
    made = make_site(tmp_path)
    yield made
    made.client.close()
    made.app.state.engine.dispose()
