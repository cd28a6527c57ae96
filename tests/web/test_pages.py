"""The HTML pages and static files, fetched from a real server process."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from app.labs.registry import LABS, describe
from tests.conftest import Server

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "static" / "js"
pytestmark = [pytest.mark.server]


class Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def get(server: Server, path: str) -> httpx.Response:
    return httpx.get(server.url + path, timeout=10)


def test_index_lists_two_moons(server: Server) -> None:
    response = get(server, "/")
    assert response.status_code == 200
    tags = parse(response.text)
    links = {a.get("href") for tag, a in tags.tags if tag == "a"}
    assert "/labs/two-moons" in links
    assert LABS["two-moons"].title in response.text
    assert LABS["two-moons"].summary in response.text
    cards = [a for tag, a in tags.tags if tag == "li" and a.get("data-lab")]
    assert [c["data-lab"] for c in cards] == list(LABS)


def test_lab_page_has_the_frame_and_its_schema(server: Server) -> None:
    response = get(server, "/labs/two-moons")
    assert response.status_code == 200
    tags = parse(response.text)
    ids = {a.get("id") for _, a in tags.tags}
    for needed in ("controls", "play", "step", "reset", "regenerate", "step-count", "rate",
                   "status", "boundary-plot", "network-canvas", "loss-plot", "norms-plot",
                   "download-weights", "download-script", "explain-title"):  # fmt: skip
        assert needed in ids, needed
    lab = next(a for _, a in tags.tags if a.get("id") == "lab")
    assert lab["data-lab-id"] == "two-moons"
    described = describe(LABS["two-moons"])
    assert json.loads(lab["data-schema"]) == described["params"]
    assert json.loads(lab["data-defaults"]) == described["defaults"]
    status = next(a for _, a in tags.tags if a.get("id") == "status")
    assert status["aria-live"] == "polite"
    assert sum(1 for tag, a in tags.tags if tag == "details" and "data-table" in a) == 5


def test_pages_have_no_inline_script_and_no_external_urls(server: Server) -> None:
    for path in ("/", "/labs/two-moons"):
        tags = parse(get(server, path).text)
        assert tags.script_text == [], path
        for tag, attrs in tags.tags:
            assert not any(name.startswith("on") for name in attrs), (path, tag, attrs)
            if tag == "script":
                assert attrs["src"].startswith("/static/"), attrs
            for name in ("src", "href"):
                url = attrs.get(name) or ""
                assert not url.startswith(("http:", "https:", "//")), (path, tag, url)
    scripts = [a for t, a in parse(get(server, "/labs/two-moons").text).tags if t == "script"]
    assert [s["src"] for s in scripts] == ["/static/vendor/plotly.min.js", "/static/js/lab.js"]
    assert scripts[1]["type"] == "module"


def test_plotly_is_served_as_javascript(server: Server) -> None:
    response = get(server, "/static/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(response.content) > 1_000_000


def test_csp_forbids_inline_script(server: Server) -> None:
    for path in ("/", "/labs/two-moons", "/static/js/socket.js"):
        csp = get(server, path).headers["content-security-policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert script_src.split() == ["script-src", "'self'"]
        assert "frame-ancestors 'none'" in csp


def test_unknown_lab_is_404(server: Server) -> None:
    assert get(server, "/labs/no-such-lab").status_code == 404


def test_socket_js_is_served(server: Server) -> None:
    response = get(server, "/static/js/socket.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert "export class LabSocket" in response.text


def test_every_module_lab_js_imports_is_served(server: Server) -> None:
    seen: set[str] = set()
    todo = ["/static/js/lab.js"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = get(server, path)
        assert response.status_code == 200, path
        assert "javascript" in response.headers["content-type"], path
        for spec in re.findall(r'^(?:import|export)[^;]*?from\s+"([^"]+)"', response.text, re.M):
            todo.append(urljoin(path, spec))
    assert "/static/js/plots/boundary.js" in seen
    assert "/static/js/socket.js" in seen


def test_page_stylesheets_are_served(server: Server) -> None:
    tags = parse(get(server, "/labs/two-moons").text)
    sheets = [a["href"] for t, a in tags.tags if t == "link" and a.get("rel") == "stylesheet"]
    assert sheets == ["/static/css/app.css", "/static/css/lab.css"]
    for href in sheets:
        response = get(server, href)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/css")


def imports(path: Path) -> list[str]:
    return re.findall(r'from\s+"([^"]+)"', path.read_text())


def test_js_modules_keep_their_layers() -> None:
    """plots/* never touch the socket; socket.js and codec.js never touch Plotly or the DOM."""
    for plot in (JS / "plots").glob("*.js"):
        text = plot.read_text()
        assert not any("socket" in spec for spec in imports(plot)), plot.name
        assert "WebSocket" not in text, plot.name
    for module in ("socket.js", "codec.js"):
        text = (JS / module).read_text()
        assert "Plotly." not in text and "document." not in text, module
        assert all(not spec.startswith("./plots") for spec in imports(JS / module)), module
    assert imports(JS / "codec.js") == []


def test_js_has_no_console_log() -> None:
    for path in JS.rglob("*.js"):
        assert "console.log" not in path.read_text(), path.name


@pytest.mark.skipif("cnn" not in LABS, reason="the server has no `cnn` lab registered")
def test_cnn_page_has_its_stage_and_no_inline_script(server: Server) -> None:
    tags = parse(get(server, "/labs/cnn").text)
    assert tags.script_text == []
    ids = {a.get("id") for _, a in tags.tags}
    needed = {"controls", "play", "step-count", "input-canvas", "probs-plot", "maps-canvas",
              "kernels-canvas", "confusion-plot", "depth-plot", "runs-plot", "layers-table",
              "picker", "pad", "loss-plot", "accuracy-plot", "norms-plot"}  # fmt: skip
    assert needed <= ids, needed - ids
    tables = {a["data-table"] for tag, a in tags.tags if tag == "details" and "data-table" in a}
    assert tables == {"input", "probs", "maps", "rf", "kernels", "confusion", "depth", "runs",
                      "loss", "accuracy", "norms"}  # fmt: skip


def test_lab_page_shows_only_the_curves_its_frames_carry(server: Server) -> None:
    for lab in LABS.values():
        html = get(server, f"/labs/{lab.id}").text
        assert 'id="loss-plot"' in html
        assert ('id="accuracy-plot"' in html) == ("accuracy" in lab.curves), lab.id
    assert "accuracy" not in LABS["upsampling"].curves
