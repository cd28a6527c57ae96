"""A small curriculum and signed-in test clients for the learner page and API tests.

Three concepts: ``composition`` (no prerequisites; its lesson has a choice, a numeric, a
generated and a two-moons lab check), ``softmax-ce`` and ``initialization`` (both need it).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.auth.accounts import create_user
from app.auth.sessions import COOKIE_NAME, create_session
from app.config import Settings
from app.db.engine import database_url, make_engine, make_sessionmaker, upgrade
from app.db.progress import IssuedVariant
from app.main import create_app

with warnings.catch_warnings():  # starlette asks for httpx2; the httpx it finds works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

CONCEPTS = """\
concepts:
  - id: composition
    title: Composition and depth
    summary: Layers composed into one function.
    needs: []
    lessons: [composition]
  - id: softmax-ce
    title: Softmax and cross-entropy
    summary: Scores into probabilities, and the loss that reads them.
    needs: [composition]
    lessons: [softmax]
  - id: initialization
    title: Initialisation
    summary: Starting weights that keep signals alive.
    needs: [composition]
    lessons: [initialization]
"""

COMPOSITION = """\
---
id: composition
title: Composition and depth
concepts: [composition]
minutes: 15
lab: two-moons
preset: {dataset: moons, noise: 0.2, hidden: [8, 8], activation: tanh, learning_rate: 0.03,
  steps_per_frame: 20}
---
A network is a chain $f = f_2 \\circ f_1$ of layers.

<script>alert("never")</script>

~~~check
id: c1
kind: choice
prompt: "What does a hidden layer compute from its input $x$?"
choices: ["A fixed lookup", "An affine map followed by a nonlinearity", "A sort"]
answer: 1
explanation: "Each layer is $h = \\\\phi(Wx + b)$."
~~~

~~~check
id: c2
kind: numeric
prompt: "What is $\\\\mathrm{ReLU}(-2) + \\\\mathrm{ReLU}(3)$?"
answer: 3
tolerance: 0.001
explanation: "ReLU clips the negative input to 0 and keeps 3."
~~~

~~~check
id: c3
kind: generated
generator: relu-forward
~~~

~~~check
id: c4
kind: lab
prompt: "Reach at least 95% test accuracy on moons (noise 0.2) with at most 2 hidden layers."
require:
  lab: two-moons
  params: {dataset: moons, noise: {min: 0.2}, hidden: {len_max: 2}}
  metrics: {test_acc: {min: 0.95}}
explanation: "Two layers of four ReLU units bend the boundary around both moons."
~~~
"""

SOFTMAX = """\
---
id: softmax
title: Softmax and cross-entropy
concepts: [softmax-ce]
minutes: 10
lab: null
---
Softmax turns scores into probabilities.

```check
id: s1
kind: choice
prompt: "Softmax outputs sum to"
choices: ["0", "1", "the number of classes"]
answer: 1
explanation: "They are probabilities."
```

```check
id: s2
kind: generated
generator: softmax
```
"""

INITIALIZATION = """\
---
id: initialization
title: Initialisation
concepts: [initialization]
minutes: 10
---
Weights start small.

```check
id: i1
kind: choice
prompt: "He initialisation suits"
choices: ["ReLU", "nothing"]
answer: 0
explanation: "It keeps the variance of ReLU layers."
```
"""


def write_curriculum(root: Path) -> Path:
    """Write the small curriculum under ``root`` and return it."""
    (root / "lessons").mkdir(parents=True, exist_ok=True)
    (root / "concepts.yaml").write_text(CONCEPTS)
    (root / "lessons" / "composition.md").write_text(COMPOSITION)
    (root / "lessons" / "softmax.md").write_text(SOFTMAX)
    (root / "lessons" / "initialization.md").write_text(INITIALIZATION)
    return root


class Clock:
    """A frozen clock the app reads through app.state.clock; tests move it by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class LearnApp:
    """An app on its own database and curriculum, without its worker pool (not started)."""

    app: object
    settings: Settings
    clock: Clock
    users: int = 0

    def client(self, email: str | None = None, role: str = "learner") -> TestClient:
        """A client; signed in as a new user when ``email`` is given (made unique per app)."""
        client = TestClient(self.app, base_url="http://testserver")
        if email is not None:
            self.users += 1
            name, domain = email.split("@")
            email = f"{name}-{self.users}@{domain}"
            with self.app.state.sessionmaker() as db:
                user = create_user(
                    db, self.settings, email=email, password="correct horse 42", role=role
                )
                token = create_session(db, user, self.settings, now=self.clock())
                db.commit()
                client.user_id = user.id
            client.cookies.set(COOKIE_NAME, token)
        return client


def make_learn_app(tmp_path: Path, db_url: str | None = None) -> LearnApp:
    """The app with the small curriculum, a migrated database and a frozen clock.

    Sessions last the longest the settings allow, so tests may move the clock by days.
    """
    settings = Settings(
        data_dir=tmp_path / "data",
        curriculum_dir=write_curriculum(tmp_path / "curriculum"),
        database_url=db_url,
        argon2_memory_kib=1024,
        argon2_time_cost=1,
        workers=1,
        session_idle_minutes=7 * 24 * 60,
        session_absolute_hours=90 * 24,
    )
    upgrade(database_url(settings))
    app = create_app(settings)
    clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    app.state.clock = clock
    return LearnApp(app, settings, clock)


def issued_seed(source: Callable[[], Session] | str, variant_id: int) -> int:
    """The seed the server issued as variant ``variant_id``, read from its database.

    The browser never sees a seed (the generators are public, so it would give the answer
    away); a test that answers like a teacher looks it up where the server keeps it.
    ``source`` is an app's sessionmaker (``app.state.sessionmaker``) or a database URL.
    """
    engine: Any = None
    if isinstance(source, str):
        engine = make_engine(source)
        source = make_sessionmaker(engine)
    try:
        with source() as db:
            row = db.get(IssuedVariant, variant_id)
            assert row is not None, f"no issued variant {variant_id}"
            return row.seed
    finally:
        if engine is not None:
            engine.dispose()


def seed_keys(value: Any, path: str = "$") -> list[str]:
    """Where a ``seed`` key appears anywhere in a JSON value (for asserting it never does)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "seed":
                found.append(f"{path}.{key}")
            found += seed_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += seed_keys(item, f"{path}[{i}]")
    return found
