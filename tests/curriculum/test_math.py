"""The math that learners see typesets with the vendored KaTeX (strict mode): every
generator's prompts, solutions and labels, and every lesson of the repository's curriculum."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

from app.curriculum.generators import GENERATORS
from app.curriculum.loader import DEFAULT_ROOT, load_curriculum

KATEX = Path(__file__).resolve().parents[2] / "static" / "vendor" / "katex" / "katex.min.js"
TYPESET = """
const katex = require(process.argv[1]);
const snippets = JSON.parse(require("fs").readFileSync(0, "utf8"));
const bad = [];
for (const s of snippets) {
  try { katex.renderToString(s, {throwOnError: true, strict: "error"}); }
  catch (e) { bad.push(s + " :: " + e.message); }
}
console.log(JSON.stringify(bad.slice(0, 5)));
"""
MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)
CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.S)

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not KATEX.exists(), reason="needs node and KaTeX"
)


def math_in(texts: Iterable[str]) -> set[str]:
    """The TeX between dollar signs, code spans and blocks left out."""
    found = set()
    for text in texts:
        for match in MATH.finditer(CODE.sub("", text)):
            found.add(match.group(1) or match.group(2))
    return found


def untypesettable(snippets: set[str]) -> list[str]:
    result = subprocess.run(
        ["node", "-e", TYPESET, str(KATEX)],
        input=json.dumps(sorted(snippets)),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def test_generator_math_typesets() -> None:
    texts = []
    for generator in GENERATORS.values():
        for seed in range(20):
            v = generator.make(seed)
            texts += [v.prompt, v.solution, *(f.label for f in v.fields)]
    snippets = math_in(texts)
    assert len(snippets) > 500
    assert untypesettable(snippets) == []


@pytest.mark.skipif(not (DEFAULT_ROOT / "concepts.yaml").exists(), reason="no curriculum/")
def test_curriculum_math_typesets() -> None:
    texts = []
    for lesson in load_curriculum().lessons.values():
        texts.append(lesson.body)
        for check in lesson.checks:
            texts += [getattr(check, "prompt", ""), getattr(check, "explanation", "")]
            texts += list(getattr(check, "choices", []))
    assert untypesettable(math_in(texts)) == []


def test_planted_bad_math_is_caught() -> None:
    found = untypesettable({"\\frac{1}{2}", "\\nosuchcommand x"})
    assert len(found) == 1
    assert found[0].startswith("\\nosuchcommand x :: KaTeX parse error: Undefined control")
