"""The documentation site: `mkdocs build --strict`, then headless Chromium reads the home page, the Value page
and a notebook page as a reader would, over http on 127.0.0.1, and finds their headings, text and figures."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# One worker builds (or finds) the site once for every test here (make test runs pytest with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("docs_site")


def notebook_title(path: Path) -> str:
    """The first `# ` heading of the notebook's first markdown cell: the page's title."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    first = next(c for c in notebook["cells"] if c["cell_type"] == "markdown")
    return next(line[2:].strip() for line in "".join(first["source"]).splitlines() if line.startswith("# "))


def committed_images(path: Path) -> list[str]:
    """The base64 PNGs the notebook was committed with, as its outputs hold them."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(o["data"]["image/png"]).replace("\n", "") for c in notebook["cells"] if c["cell_type"] == "code"
            for o in c.get("outputs", []) if "image/png" in o.get("data", {})]  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# the site, served on 127.0.0.1
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site `make test` just built (CHAINGRAD_SITE=site), or a fresh strict build in a temporary folder."""
    given = os.environ.get("CHAINGRAD_SITE")
    if given:
        path = Path(given) if Path(given).is_absolute() else ROOT / given
        assert (path / "index.html").is_file(), f"CHAINGRAD_SITE={given}, but {path} holds no built site"
        return path
    path = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return path


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The site over http on 127.0.0.1 (a free port), as a reader's browser gets it."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


# ---------------------------------------------------------------------------------------------------------
# what the browser shows
# ---------------------------------------------------------------------------------------------------------


# HTML's elements that have no end tag.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """What a reader sees of a page after its scripts ran: the article's headings, text, figures and math."""

    def __init__(self, dom: str) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[str, str, str]] = []  # (tag, id, text) inside the article
        self.ids: set[str] = set()
        self.toc_links: list[str] = []  # the "Table of contents" sidebar's #anchors
        self.images: list[str] = []  # src of each <img> in the article
        self.svgs = 0
        self.math = 0  # elements MathJax rendered
        self.list_items = 0
        self.text: list[str] = []
        self._depth = {"article": 0, "toc": 0}
        self._stack: list[tuple[str, bool, bool]] = []
        self._heading: list[str] | None = None
        self.feed(dom)
        self.article_text = " ".join(" ".join(self.text).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        article = tag == "article"
        toc = tag == "nav" and "md-nav--secondary" in a.get("class", "")
        if tag in VOID:
            self._void(tag, a)
            return
        self._stack.append((tag, article, toc))
        self._depth["article"] += article
        self._depth["toc"] += toc
        if self._depth["toc"] and tag == "a" and a.get("href", "").startswith("#"):
            self.toc_links.append(a["href"][1:])
        if not self._depth["article"]:
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [tag, a.get("id", "")]
            self.text.append(" ")
        elif tag == "svg":
            self.svgs += 1
        elif tag == "li":
            self.list_items += 1
        if "MathJax" in a.get("class", "") or tag in ("mjx-container", "math"):
            self.math += 1

    def _void(self, tag: str, a: dict[str, str]) -> None:
        if self._depth["article"] and tag == "img":
            self.images.append(a.get("src", ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._void(tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        if self._heading is not None and tag == self._heading[0]:
            text = " ".join("".join(self._heading[2:]).split()).rstrip("¶").strip()
            self.headings.append((self._heading[0], self._heading[1], text))
            self._heading = None
        if tag in VOID or tag not in (t for t, _, _ in self._stack):
            return
        while self._stack:  # close up to the matching tag (a browser's DOM is well nested)
            open_tag, article, toc = self._stack.pop()
            self._depth["article"] -= article
            self._depth["toc"] -= toc
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._depth["article"] and not any(t in ("script", "style") for t, _, _ in self._stack):
            self.text.append(data)
            if self._heading is not None:
                self._heading.append(data)

    def heading_texts(self, tag: str) -> list[str]:
        return [text for t, _, text in self.headings if t == tag]


@pytest.fixture(scope="module")
def browse(server: str, tmp_path_factory: pytest.TempPathFactory):
    """Open a page of the site in headless Chromium and return what its scripts left in the DOM."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is missing: `make chromium` (scripts/ensure-program.sh) installs it as root, "
                    "else run: sudo apt-get update && sudo apt-get install -y chromium")  # fmt: skip
    profile = tmp_path_factory.mktemp("chromium-profile")
    pages: dict[str, Page] = {}

    def open_page(path: str) -> Page:
        if path not in pages:
            done = subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom",
                 server + path],
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, f"chromium failed on {path}:\n{done.stderr[-3000:]}"
            pages[path] = Page(done.stdout)
        return pages[path]

    return open_page


def assert_not_blank(page: Page, path: str) -> None:
    assert len(page.heading_texts("h1")) == 1, f"{path}: h1 headings {page.heading_texts('h1')}"
    assert len(page.article_text) > 500, f"{path} is (nearly) blank: {page.article_text[:300]!r}"


def assert_toc_links_resolve(page: Page, path: str) -> None:
    missing = [anchor for anchor in page.toc_links if anchor not in page.ids]
    assert page.toc_links and not missing, f"{path}: table-of-contents links to missing anchors {missing}"


# ---------------------------------------------------------------------------------------------------------
# the three pages, in the browser
# ---------------------------------------------------------------------------------------------------------


def test_the_home_page_shows_the_title_the_taste_the_tour_and_what_is_inside(browse):
    page = browse("")
    assert_not_blank(page, "the home page")
    assert page.heading_texts("h1") == ["chaingrad"]
    assert {"A taste", "The guided tour", "What is inside"} <= set(page.heading_texts("h2"))
    assert "from autograd import Value" in page.article_text  # the README's first example
    assert page.list_items >= 10  # the README's lists are lists here too, not run-on paragraphs
    assert_toc_links_resolve(page, "the home page")


def test_the_value_page_shows_the_class_its_methods_and_their_docstrings(browse):
    page = browse("reference/value/")
    assert_not_blank(page, "the Value page")
    assert page.heading_texts("h1") == ["Value"]
    ids = {i for _, i, _ in page.headings}
    assert {"autograd.Value", "autograd.Value.backward", "autograd.Value.relu", "autograd.Value.tanh"} <= ids
    assert re.search(r"Value \( ?data", page.article_text), page.article_text[:300]  # the signature
    assert_toc_links_resolve(page, "the Value page")


def test_a_notebook_page_shows_its_title_its_committed_figures_and_its_formulas(browse):
    notebook = NOTEBOOKS[1]  # 02, a neuron: drawn graphs (SVG), plots (PNG) and formulas
    page = browse(f"notebooks/{notebook.stem}/")
    assert_not_blank(page, notebook.name)
    assert page.heading_texts("h1") == [notebook_title(notebook)]
    pngs = [src for src in page.images if src.startswith("data:image/png;base64,")]
    assert pngs or page.svgs, f"{notebook.name}: no figure rendered (images {page.images[:3]}, {page.svgs} svgs)"
    assert page.svgs >= 1  # draw_dot's graphs are inline SVG
    # The committed outputs, not a fresh run: the page holds the notebook's own PNGs, byte for byte.
    assert set(committed_images(notebook)) <= {src.split(",", 1)[1] for src in pngs}
    base64.b64decode(pngs[0].split(",", 1)[1], validate=True)
    assert page.math > 0, "the formulas were not typeset (MathJax did not load from assets/mathjax/)"
    assert "$" not in page.heading_texts("h1")[0]
    assert_toc_links_resolve(page, notebook.name)


# ---------------------------------------------------------------------------------------------------------
# every page, in the files (no browser needed)
# ---------------------------------------------------------------------------------------------------------


def test_every_notebook_of_the_tour_is_a_page_with_its_committed_figures(site: Path):
    assert len(NOTEBOOKS) == 10
    for notebook in NOTEBOOKS:
        html = (site / "notebooks" / notebook.stem / "index.html").read_text(encoding="utf-8")
        assert notebook_title(notebook) in html
        images = committed_images(notebook)
        assert images, f"{notebook.name} has no committed figure"
        assert all(png in html for png in images), f"{notebook.name}: the page lacks a committed figure"


def test_the_pages_for_decisions_benchmarks_micrograd_and_the_api_exist(site: Path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page, quoted in [("decisions", "Decisions worth knowing"), ("benchmarks", "Benchmarks"),
                         ("installing", "Installing")]:  # fmt: skip
        html = (site / page / "index.html").read_text(encoding="utf-8")
        section = readme.split(f"\n## {quoted}\n", 1)[1].split("\n## ", 1)[0]
        first_words = re.sub(r"^- |[*`\[\]]", "", section.strip().splitlines()[0])[:30]
        assert first_words in re.sub(r"<[^>]+>", "", html), f"{page}: README's {quoted!r} section is not on it"
    micrograd = (site / "micrograd-and-pytorch" / "index.html").read_text(encoding="utf-8")
    for name in ("_prev", "_op", "zero_grad", "parameters", "MLP", "Neuron", "Layer", "torch.nn.Module"):
        assert name in micrograd
    for page in ("autograd", "value", "nn", "nn-functional", "nn-optim", "nn-data", "nn-init", "nn-demo"):
        html = (site / "reference" / page / "index.html").read_text(encoding="utf-8")
        assert 'class="doc doc-heading"' in html or "doc-heading" in html, f"reference/{page} documents nothing"


def test_the_api_pages_show_the_docstrings_math_and_examples_as_written(site: Path):
    # Markdown reads `a*b + c*d` as "a, c in italics between b and d", and a `>>>` at the start of a line
    # as three quote marks: a docstring then renders as something else than its source says.
    for page in sorted((site / "reference").glob("*/index.html")):
        html = page.read_text(encoding="utf-8")
        article = html[html.find("<article"):html.find("</article>")]
        italics = re.findall(r"\w<em>[^<]{0,40}|[^>]{0,40}</em>\w", article)
        assert not italics, f"reference/{page.parent.name}: a * between words became italics: {italics[:3]}"
        assert "<blockquote>" not in article, f"reference/{page.parent.name}: a >>> example became a blockquote"
