"""Curriculum Markdown → HTML: CommonMark with raw HTML disabled and math left for KaTeX.

``$…$`` becomes ``<span class="math inline">``, ``$$…$$`` ``<div class="math block">`` on
lines of its own (``<span class="math display">`` inside a paragraph), each holding the
escaped TeX source; ``static/js/learn/math.js`` typesets them in the browser
with the vendored KaTeX. Raw HTML in a lesson is shown as text, never interpreted, and
links keep markdown-it's own refusal of ``javascript:`` and other unsafe schemes.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.dollarmath import dollarmath_plugin


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    # A digit next to a dollar sign is money ("costs $5 and $10"), not math.
    md.use(dollarmath_plugin, allow_digits=False, allow_labels=False, double_inline=True)
    md.add_render_rule("math_inline_double", _display_in_line)
    md.enable("table")
    return md


def _display_in_line(self: object, tokens: list, idx: int, options: object, env: object) -> str:
    """``$$…$$`` inside a paragraph: display math, but in a <span> (a <div> cannot sit in <p>)."""
    return f'<span class="math display">{escapeHtml(tokens[idx].content)}</span>'


def render_markdown(text: str) -> str:
    """Block Markdown (paragraphs, lists, code, tables, display math) as safe HTML."""
    return _markdown().render(text)


def render_inline(text: str) -> str:
    """One line of Markdown (a prompt, a choice) as safe inline HTML, with no <p> around it."""
    return _markdown().renderInline(text)
