"""Curriculum Markdown: raw HTML never reaches the page, math reaches KaTeX intact."""

from __future__ import annotations

from app.curriculum.render import render_inline, render_markdown


def test_render_escapes_script_tags() -> None:
    html = render_markdown("Before <script>alert('x')</script> after\n\n<img src=x onerror=y>")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(" in html
    assert "&lt;img src=x onerror=y&gt;" in html


def test_render_refuses_javascript_links() -> None:
    html = render_markdown("[click](javascript:alert(1)) and [ok](https://example.org/a)")
    assert 'href="javascript' not in html
    assert '<a href="https://example.org/a">ok</a>' in html


def test_render_keeps_inline_and_display_math_source() -> None:
    html = render_markdown(
        "The loss $L = -\\log p_y$ with $a<b$.\n\n"
        "$$\n\\sigma(z)_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}\n$$\n"
    )
    assert '<span class="math inline">L = -\\log p_y</span>' in html
    assert '<span class="math inline">a&lt;b</span>' in html  # escaped, still the same TeX
    assert (
        '<div class="math block">\n\\sigma(z)_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}\n</div>' in html
    )


def test_render_display_math_inside_a_paragraph_is_a_span() -> None:
    html = render_markdown("so $$h^l = f_l(h^{l-1})$$ holds")
    assert html == '<p>so <span class="math display">h^l = f_l(h^{l-1})</span> holds</p>\n'


def test_render_money_is_not_math() -> None:
    assert render_inline("costs $5 or $10") == "costs $5 or $10"


def test_render_inline_has_no_paragraph() -> None:
    assert (
        render_inline("pick *one*: $x$") == 'pick <em>one</em>: <span class="math inline">x</span>'
    )


def test_math_does_not_swallow_html_around_it() -> None:
    html = render_markdown("$x$ <b>bold</b>")
    assert "<b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
