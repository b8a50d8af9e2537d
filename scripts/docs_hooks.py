"""mkdocs hooks: README sections quoted into pages, and a local MathJax for the notebooks' formulas.

A line `<!-- README: Decisions worth knowing -->` in a page under docs/ is replaced by the body of README.md's
`## Decisions worth knowing` section (its heading left out: the page has its own), so the README stays the one
source of that text. A heading that the README no longer has fails the build, naming the page and the heading.

A notebook page's table of contents is rebuilt from the headings on the page: mkdocs-jupyter's own drops code
from heading names, so a heading that is only code (nn.Neuron in backticks) became an empty entry linking to an
anchor that does not exist.

The notebook pages load MathJax 3 from `assets/mathjax/` of the site (mkdocs.yml's `custom_mathjax_url`): its
files come from the django-static-mathjax package (the `docs` extra, a copy of MathJax's build with no
dependencies), copied in after the build, so the formulas render with no network. mkdocs-jupyter's template
configures MathJax 2, which MathJax 3 ignores, so each notebook page gets MathJax 3's configuration, with the
same `$...$` and `$$...$$` delimiters, right before the script.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.toc import get_toc

MARKER = re.compile(r"^<!-- README: (?P<heading>.+?) -->$", re.MULTILINE)
MATHJAX_DIR = "assets/mathjax"  # inside the site; mkdocs.yml's custom_mathjax_url points here
MATHJAX_SCRIPT = re.compile(r'<script src="[^"]*assets/mathjax/tex-chtml\.js">')
MATHJAX_CONFIG = r"""<script>
window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
        processEscapes: true, processEnvironments: true, tags: "ams"}
};
</script>
"""
# MathJax's own build, less what tex-chtml.js never loads: the SVG and MathML bundles and the speech engine.
MATHJAX_UNUSED = ("sre", "svg", "svg.js", "mml-*.js", "tex-mml-*.js", "tex-svg*.js", "tex-chtml-full*.js",
                  "node-main.js")  # fmt: skip


def readme_sections(text: str) -> dict[str, str]:
    """{heading: body} for each `## heading` of a Markdown text; a body runs to the next `## ` heading."""
    sections: dict[str, str] = {}
    heading, lines = None, []
    fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence  # a `## ` inside a code block is not a heading
        if not fence and line.startswith("## "):
            if heading is not None:
                sections[heading] = _python_markdown("\n".join(lines).strip()) + "\n"
            heading, lines = line[3:].strip(), []
        elif heading is not None:
            lines.append(line)
    if heading is not None:
        sections[heading] = _python_markdown("\n".join(lines).strip()) + "\n"
    return sections


def _python_markdown(text: str) -> str:
    """GitHub's Markdown lets a list start right under a paragraph line; Python-Markdown needs a blank line."""
    item = re.compile(r"([-*]|\d+\.) ")
    out: list[str] = []
    fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
        under_a_paragraph = out and out[-1].strip() and not out[-1].startswith((" ", "|")) and not item.match(out[-1])
        if not fence and item.match(line) and under_a_paragraph:
            out.append("")
        out.append(line)
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Paste the README sections that the page asks for."""
    if not MARKER.search(markdown):
        return markdown
    readme = Path(config["config_file_path"]).parent / "README.md"
    sections = readme_sections(readme.read_text(encoding="utf-8"))

    def paste(match: re.Match[str]) -> str:
        heading = match["heading"]
        if heading not in sections:
            raise PluginError(f"{page.file.src_uri} quotes the README section {heading!r}, which README.md "
                              f"does not have (its sections: {', '.join(sections)})")  # fmt: skip
        return sections[heading]

    return MARKER.sub(paste, markdown)


HEADING = re.compile(r'<h(?P<level>[1-6]) id="(?P<id>[^"]+)">(?P<inner>.*?)<a class="anchor-link"', re.DOTALL)


def notebook_toc_tokens(html: str) -> list[dict[str, Any]]:
    """The nested table-of-contents tokens (level, id, name, children) of nbconvert's headings in `html`."""
    tokens: list[dict[str, Any]] = []
    stack: list[dict[str, Any]] = []
    for match in HEADING.finditer(html):
        name = re.sub(r"<[^>]+>", "", match["inner"]).strip()  # the heading's text, code included
        token = {"level": int(match["level"]), "id": match["id"], "name": name, "children": []}
        while stack and stack[-1]["level"] >= token["level"]:
            stack.pop()
        (stack[-1]["children"] if stack else tokens).append(token)
        stack.append(token)
    return tokens


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Give a notebook page the table of contents of the headings it really has, and MathJax 3's settings."""
    if page.file.src_uri.endswith(".ipynb"):
        page.toc = get_toc(notebook_toc_tokens(html))
        html = MATHJAX_SCRIPT.sub(lambda m: MATHJAX_CONFIG + m.group(0), html, count=1)
    return html


def on_post_build(config: Any) -> None:
    """Copy MathJax 3 into the site, where the notebook pages look for it."""
    try:
        import mathjax  # the django-static-mathjax package: MathJax's files, no code of its own to run
    except ImportError as err:
        raise PluginError("the notebook pages need MathJax from the django-static-mathjax package: "
                          "pip install -e \".[docs]\"") from err  # fmt: skip
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (es5 / "tex-chtml.js").is_file():
        raise PluginError(f"no MathJax 3 build at {es5} (tex-chtml.js is missing)")
    target = Path(config["site_dir"]) / MATHJAX_DIR
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(es5, target, ignore=shutil.ignore_patterns(*MATHJAX_UNUSED))
