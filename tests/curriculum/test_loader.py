"""Loading curriculum files: front matter, check fences, concepts in prerequisite order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.curriculum.loader import DEFAULT_ROOT, CurriculumError, load_curriculum, split_checks
from app.curriculum.schema import ChoiceCheck, GeneratedCheck, LabCheck, NumericCheck
from tests.curriculum.conftest import GOOD

Edit = Callable[[str, str, str], Path]


def test_load_good_fixture() -> None:
    curriculum = load_curriculum(GOOD)
    assert list(curriculum.concepts) == ["composition", "softmax-ce", "cnn-architecture"]
    assert set(curriculum.lessons) == {"composition", "softmax-ce", "cnn-architecture"}
    lesson = curriculum.lessons["composition"]
    assert lesson.title == "Stacking layers"
    assert lesson.lab == "two-moons"
    assert lesson.preset == {
        "dataset": "moons",
        "noise": 0.2,
        "hidden": [4, 4],
        "activation": "relu",
    }
    assert [type(c) for c in lesson.checks] == [ChoiceCheck, NumericCheck, GeneratedCheck, LabCheck]
    assert [c.id for c in lesson.checks] == ["order", "count", "forward", "moons"]
    lab = lesson.checks[3]
    assert isinstance(lab, LabCheck)
    assert lab.require.metrics == {"test_acc": {"min": 0.95}}
    assert lab.require.step == {"max": 5000}
    assert curriculum.lessons["softmax-ce"].lab is None
    assert curriculum.lessons_for("softmax-ce") == [curriculum.lessons["softmax-ce"]]


def test_body_keeps_text_and_code_but_not_checks() -> None:
    body = load_curriculum(GOOD).lessons["composition"].body
    assert "A network applies $f_2(f_1(x))$." in body
    assert 'print("kept")' in body and "```python" in body
    assert "$$h^1 = \\mathrm{ReLU}(W^1 x + b^1)$$" in body
    assert "Some text between checks." in body
    assert "~~~check" not in body and "```check" not in body and "kind:" not in body


def test_split_checks_ignores_check_text_inside_other_fences() -> None:
    body = "a\n````markdown\n~~~check\nid: x\n~~~\n````\nb\n"
    kept, blocks = split_checks(body, "x.md")
    assert blocks == []
    assert "~~~check" in kept


def test_concepts_in_topological_order(good_copy: Path) -> None:
    text = (good_copy / "concepts.yaml").read_text()
    # put the last concept first in the file: it must still come after its prerequisites
    head, rest = text.split("  - id: composition", 1)
    first, last = rest.split("  - id: cnn-architecture", 1)
    (good_copy / "concepts.yaml").write_text(
        head + "  - id: cnn-architecture" + last + "  - id: composition" + first
    )
    assert list(load_curriculum(good_copy).concepts) == [
        "composition",
        "softmax-ce",
        "cnn-architecture",
    ]


def test_default_root_is_the_repository_curriculum() -> None:
    assert Path(__file__).resolve().parents[2] / "curriculum" == DEFAULT_ROOT


@pytest.mark.parametrize(
    ("relative", "old", "new", "expected"),
    [
        (
            "lessons/composition.md",
            "minutes: 10",
            "minutes: ten",
            "lessons/composition.md: minutes",
        ),
        (
            "lessons/composition.md",
            "minutes: 10",
            "minutes: 10\ncolour: red",
            "lessons/composition.md: colour: Extra inputs are not permitted",
        ),
        (
            "lessons/composition.md",
            "---\nid: composition",
            "id: composition",
            "lessons/composition.md: no front matter",
        ),
        (
            "lessons/composition.md",
            "title: Stacking layers",
            "title: [unclosed",
            "lessons/composition.md: not valid YAML",
        ),
        (
            "lessons/composition.md",
            "kind: choice",
            "kind: essay",
            "lessons/composition.md: check 'order'",
        ),
        (
            "lessons/composition.md",
            "answer: 3\n",
            "",
            "lessons/composition.md: check 'count': numeric.answer: Field required",
        ),
        (
            "lessons/composition.md",
            "metrics: {test_acc: {min: 0.95}}",
            "metrics: {test_acc: {least: 0.95}}",
            "unknown condition operator(s) ['least']",
        ),
        (
            "lessons/composition.md",
            "step: {max: 5000}",
            "step: {min: 5000, max: 100}",
            "step: Value error, min 5000 is above max 100: nothing meets it",
        ),
        (
            "lessons/composition.md",
            "hidden: {len_max: 2}",
            "hidden: {len_min: 3, len_max: 2}",
            "hidden: len_min 3 is above len_max 2",
        ),
        (
            "lessons/composition.md",
            "id: composition",
            "id: layers",
            "lessons/composition.md: id 'layers' differs from the file name 'composition'",
        ),
        (
            "lessons/softmax-ce.md",
            "generator: cross-entropy\n~~~\n",
            "generator: cross-entropy\n",
            "lessons/softmax-ce.md: a check fence opened on line",
        ),
        (
            "concepts.yaml",
            "    title: Convolutional networks\n",
            "",
            "concepts.yaml: concepts.2.title: Field required",
        ),
        (
            "concepts.yaml",
            "id: softmax-ce",
            "id: composition",
            "concepts.yaml: concept 'composition' is listed twice",
        ),
    ],
)
def test_load_broken_file_names_file_and_field(
    edit: Edit, relative: str, old: str, new: str, expected: str
) -> None:
    root = edit(relative, old, new)
    with pytest.raises(CurriculumError) as caught:
        load_curriculum(root)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_load_windows_line_endings_and_byte_order_mark(good_copy: Path) -> None:
    path = good_copy / "lessons" / "composition.md"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    lesson = load_curriculum(good_copy).lessons["composition"]
    assert [c.id for c in lesson.checks] == ["order", "count", "forward", "moons"]
    assert lesson.title == "Stacking layers"


def test_load_missing_concepts_file(tmp_path: Path) -> None:
    with pytest.raises(CurriculumError, match=r"concepts\.yaml: missing"):
        load_curriculum(tmp_path)
