"""animate_backward's saved page in a real browser: headless Chromium loads it over http, a small page around it
presses its buttons and moves its slider, and we read what it saw; the page logs nothing and fetches nothing."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dot_text import drawing_order, notebook_one

from autograd import animate_backward

pytestmark = pytest.mark.xdist_group("chromium")

# The page around the animation: it loads it in an iframe (same origin, so it can reach in), presses next,
# previous, moves the slider to the end, presses next again, then play, waits three seconds of (virtual)
# time, and writes down what the animation showed after each of these.
HARNESS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>harness</title></head><body>
<iframe id="f" src="backward.html" width="1400" height="600"></iframe>
<pre id="result">not run</pre>
<script>
var f = document.getElementById("f");
f.onload = function () {
  var w = f.contentWindow, d = f.contentDocument, out = {};
  function state() {
    var frame = d.querySelector(".cg-frame:not([hidden])");
    var current = frame && frame.querySelector(".cg-current");
    var caption = d.querySelector(".cg-caption:not([hidden])");
    return {node: frame && frame.getAttribute("data-node"), current: current && current.id,
            frames: d.querySelectorAll(".cg-frame:not([hidden])").length,
            caption: caption && caption.textContent, counter: d.querySelector(".cg-counter").textContent};
  }
  function press(action) { d.querySelector("[data-action=" + action + "]").click(); }
  out.count = d.querySelectorAll(".cg-frame").length;
  out.start = state();
  press("next");
  out.next = state();
  press("previous");
  out.previous = state();
  var slider = d.querySelector("input[type=range]");
  slider.value = slider.max;
  slider.dispatchEvent(new Event("input"));
  out.slider = state();
  press("next");
  out.past_the_end = state();
  press("play");
  out.play_start = state();
  setTimeout(function () {
    out.played = state();
    out.resources = w.performance.getEntriesByType("resource").map(function (e) { return e.name; });
    document.getElementById("result").textContent = JSON.stringify(out);
  }, 3000);
};
</script>
</body></html>
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A folder served over http on 127.0.0.1 (a free port): (its address, the folder)."""
    folder = tmp_path_factory.mktemp("animation")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", folder
    finally:
        httpd.shutdown()
        httpd.server_close()


def browse(url: str, profile: Path) -> tuple[dict, list[str]]:
    """Open url in headless Chromium: (what the harness wrote down, the console messages Chromium logged)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is missing: `make chromium` (scripts/ensure-chromium.sh) installs it as root, "
                    "else run: sudo apt-get update && sudo apt-get install -y chromium")  # fmt: skip
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000",
         "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, f"chromium failed on {url}:\n{done.stderr[-3000:]}"
    found = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    assert found and found.group(1) != "not run", done.stdout[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return json.loads(found.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")), console


def test_the_saved_page_steps_through_backward_in_a_browser_and_logs_no_error(served, tmp_path):
    url, folder = served
    L = notebook_one()
    animation = animate_backward(L)
    animation.save(folder / "backward.html")
    (folder / "harness.html").write_text(HARNESS, encoding="utf-8")
    seen, console = browse(url + "harness.html", tmp_path / "profile")

    numbering = {v: f"n{i}" for i, v in enumerate(drawing_order(L))}
    expected = [numbering[step.node] for step in animation.steps]  # the engine's order: L, h, z, m
    assert seen["count"] == len(expected) == 4
    for moment, k in [("start", 0), ("next", 1), ("previous", 0), ("slider", 3), ("past_the_end", 3),
                      ("play_start", 0), ("played", 2)]:  # fmt: skip
        state = seen[moment]
        assert state["frames"] == 1, (moment, state)  # exactly one frame shows
        assert state["node"] == expected[k], (moment, state)
        assert state["current"].endswith(f"-{expected[k]}"), (moment, state)  # the node drawn highlighted
        assert state["counter"] == f"step {k + 1} of 4"
        assert state["caption"] == animation.caption(k)
    assert seen["next"]["current"] != seen["start"]["current"]  # pressing next moved the highlight
    assert seen["resources"] == []  # the page fetched nothing: everything is in the file
    assert console == [], console  # no error, no warning, nothing logged at all
