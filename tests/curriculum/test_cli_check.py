"""`layerwise curriculum check`: the fixture passes, the broken fixture's every mistake is
named, and the repository's own curriculum passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from tests.curriculum.conftest import FIXTURES, GOOD

ROOT = Path(__file__).resolve().parents[2]


def test_curriculum_check_passes_good_fixture(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["curriculum", "check", "--root", str(GOOD), "--seeds", "10"]) == 0
    out = capsys.readouterr().out
    assert "curriculum OK: 3 concepts, 3 lessons, 12 checks" in out


def test_curriculum_check_names_every_mistake(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["curriculum", "check", "--root", str(FIXTURES / "broken"), "--seeds", "10"]) == 1
    err = capsys.readouterr().err
    for expected in [
        "concepts.yaml: concept 'orphan': has no lesson",
        "concepts.yaml: prerequisite cycle composition → attention → composition",
        "lessons/attention.md: unknown lab 'attention-lab'",
        "lessons/attention.md: 1 check; at least 4 needed",
        "lessons/attention.md: no generated check",
        "lessons/composition.md: preset rejected by two-moons: invalid params — dataset",
        "lessons/composition.md: check 'one': answer 5 is not an index into its 2 choices",
        "lessons/composition.md: check id 'one' is used twice",
        "lessons/composition.md: check 'one': unknown generator 'matrix-inverse'",
        "lessons/composition.md: check 'lab': unknown metric 'accuracy' for lab 'two-moons'",
        "curriculum check: 11 problem(s)",
    ]:
        assert expected in err, err


def test_curriculum_check_reports_unloadable_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "concepts.yaml").write_text("concepts: {}\n")
    assert main(["curriculum", "check", "--root", str(tmp_path), "--skip-metrics"]) == 1
    assert "concepts.yaml: concepts: Input should be a valid list" in capsys.readouterr().err


def test_curriculum_check_refuses_zero_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["curriculum", "check", "--root", str(GOOD), "--seeds", "0"]) == 2
    assert "--seeds must be at least 1" in capsys.readouterr().err


@pytest.mark.skipif(
    not (ROOT / "curriculum" / "concepts.yaml").exists(), reason="no curriculum/ in this tree"
)
def test_curriculum_check_passes_repository_curriculum() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "curriculum", "check", "--seeds", "50"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "curriculum OK: 20 concepts" in result.stdout
