"""The review report: field provenance in the JSON, OUT/index.html and the document pages a batch
writes, `vnplan report` on an older batch, and the pages as headless Chromium renders them
(driven over the DevTools protocol on a pipe: word boxes over the words, a clicked field's line
highlighted, nothing fetched from outside)."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from pipeline.api import BatchOptions, OcrOptions, run_batch
from pipeline.cli import main
from pipeline.errors import ExitCode
from pipeline.export import output_dir_lock
from pipeline.manifest import Manifest
from pipeline.models import Box, Document, Line, Page, Word
from pipeline.pages import ocr_page_of
from pipeline.preview import preview_of_file
from pipeline.provenance import Span, field_provenance
from pipeline.report import write_report
from pipeline.writers.html import GENERATOR, word_counts
from pipeline.writers.json import read_json

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# A file name that would be markup if it were not escaped.
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, _pixels_a, _pixels_b) -> Path:
    """`vnplan run` over plan A, plan B under a hostile name in a sub-folder and again as
    "index", and a damaged file: three documents done, one failed."""
    folder = tmp_path_factory.mktemp("report")
    scans = folder / "scans"
    (scans / "2024").mkdir(parents=True)
    Image.fromarray(_pixels_a).save(scans / "ke-hoach.png", dpi=(300, 300))
    Image.fromarray(_pixels_b).save(scans / "2024" / f"{HOSTILE}.png", dpi=(300, 300))
    Image.fromarray(_pixels_b).save(scans / "index.png", dpi=(300, 300))
    (scans / "hong.png").write_bytes(b"not an image at all")
    out = folder / "out"
    result = run_batch([scans], out, OcrOptions(), BatchOptions(jobs=2, output_type="none"))
    assert len(result.done) == 3 and len(result.failures) == 1, result.failures
    return out


def _record(out: Path, stem: str) -> dict:
    return json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))


def _lines(record: dict, spans: list[dict]) -> list[str]:
    return [record["pages"][span["page"]]["lines"][n]["text"]
            for span in spans for n in span["lines"]]


# Provenance


def test_the_json_says_which_lines_each_field_was_read_from(batch: Path) -> None:
    record = _record(batch, "ke-hoach")
    assert record["schema_version"] == 3
    fields, provenance = record["fields"], record["provenance"]
    assert set(provenance) == set(fields)
    assert fields["doc_number"] == "18/KH-UBND"
    assert any("18/KH-UBND" in line for line in _lines(record, provenance["doc_number"]))
    assert any("ngày 5 tháng 4 năm 2024" in line for line in _lines(record, provenance["date"]))
    for key in ("issuer", "title", "signer_name"):  # as read, whatever OCR made of them
        assert _folded(fields[key]) in _folded(" ".join(_lines(record, provenance[key]))), key
    assert len(provenance["recipients"]) == len(fields["recipients"])
    for item, spans in zip(fields["recipients"], provenance["recipients"], strict=True):
        assert any(item in line for line in _lines(record, spans))
    assert provenance["movement"] is None and fields["movement"] is None
    page = record["pages"][0]
    assert page["source"].endswith("ke-hoach.png") and page["source_page"] == 1
    assert all(isinstance(line["paragraph"], int) for line in page["lines"])


def _folded(text: str) -> str:
    """Lower case, no tone marks, words only: a field as the lines have it."""
    bare = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join(re.findall(r"[a-z0-9]+", bare.encode("ascii", "ignore").decode()))


def _line(text: str, top: int, paragraph: int) -> Line:
    words = [Word(word, 95.0, Box(100 + 80 * n, top, 70, 30)) for n, word in
             enumerate(text.split())]
    return Line(words, Box.around(word.box for word in words), paragraph)


def test_provenance_finds_each_value_where_it_belongs() -> None:
    """An issuer printed parent first, a date written out, a signer's title whose words also
    occur higher up and in the seal's text read as a junk line, list items that the body
    mentions before their own list."""
    lines = [
        "ỦY BAN MTTQ VIỆT NAM XÃ AN BÌNH", "BAN THƯỜNG TRỰC", "Số: 07/KH-MTTQ",
        "An Bình, ngày 09 tháng 3 năm 2025", "KẾ HOẠCH", "Ra quân vệ sinh môi trường",
        "Đề nghị Chủ tịch UBND xã và các thôn phối hợp.",
        "Nơi nhận:", "- Các thôn;", "- Lưu: VT.", "TM. BAN THƯỜNG TRỰC", "CHỦ TỊCH",
        "CHỦ TỊCH", "Đỗ Thị Hoa",
    ]
    page_one = Page(1, 2480, 3508, 0.0, lines=[_line(text, 100 + 60 * n, n)
                                               for n, text in enumerate(lines[:7])])
    page_two = Page(2, 2480, 3508, 0.0, lines=[_line(text, 100 + 60 * n, n)
                                               for n, text in enumerate(lines[7:])])
    page_two.lines[5].junk = True  # the seal's ring, read as text
    document = Document(Path("kh.png"), [page_one, page_two])
    fields = {
        "doc_type": "Kế hoạch", "doc_number": "07/KH-MTTQ",
        "issuer": "Ban Thường trực Ủy ban MTTQ Việt Nam xã An Bình", "place": "An Bình",
        "date": "2025-03-09", "title": "Ra quân vệ sinh môi trường", "movement": None,
        "signer_name": "Đỗ Thị Hoa", "signer_title": "TM. BAN THƯỜNG TRỰC / CHỦ TỊCH",
        "recipients": ["Các thôn", "Lưu: VT", "Sở Y tế"], "sections": [],
    }
    provenance = field_provenance(document, fields)
    assert provenance["doc_type"] == [Span(0, (4,))]
    assert provenance["doc_number"] == [Span(0, (2,))]
    assert provenance["issuer"] == [Span(0, (0, 1))]  # the header, not a later mention
    assert provenance["place"] == provenance["date"] == [Span(0, (3,))]
    assert provenance["title"] == [Span(0, (5,))]
    assert provenance["signer_name"] == [Span(1, (6,))]
    assert provenance["signer_title"] == [Span(1, (3, 4))]  # neither line 6 nor the seal's
    assert provenance["recipients"] == [[Span(1, (1,))], [Span(1, (2,))], None]
    assert provenance["movement"] is None and provenance["sections"] == []


# What a batch writes


def test_a_batch_writes_the_index_and_a_review_page_per_document(batch: Path) -> None:
    stem = f"2024/{HOSTILE}"
    assert (batch / "index.html").is_file()
    assert (batch / "ke-hoach.html").is_file()
    assert (batch / "ke-hoach.pages" / "page-1.jpg").is_file()
    assert (batch / f"{stem}.pages" / "page-1.jpg").is_file()
    with Manifest(batch) as manifest:
        outputs = {entry.stem: entry.outputs for entry in manifest.entries()}
    assert {"ke-hoach.html", "ke-hoach.pages/page-1.jpg"} <= set(outputs["ke-hoach"])
    assert {f"{stem}.html", f"{stem}.pages/page-1.jpg"} <= set(outputs[stem])
    index = (batch / "index.html").read_text(encoding="utf-8")
    assert HOSTILE not in index and "&lt;img src=x onerror=alert(1)&gt;" in index
    assert 'href="2024/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.html"' in index
    assert "not a readable image" in index  # the failed document and its reason
    assert '<a href="index.document.html">index</a>' in index  # not the index's own name
    assert GENERATOR in (batch / "index.document.html").read_text(encoding="utf-8")
    page = (batch / f"{stem}.html").read_text(encoding="utf-8")
    assert HOSTILE not in page and 'href="../index.html"' in page
    for html in (index, page):
        assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html)
        assert "http://" not in html and "https://" not in html


def test_the_worker_makes_a_png_pages_image_as_the_review_page_would(
    _pixels_a: np.ndarray, tmp_path: Path
) -> None:
    """The image the worker makes from the pixels it read is the one the review page would
    make from the scan; a JPEG's it leaves to the review page, which decodes it reduced."""
    top = np.ascontiguousarray(_pixels_a[:700])
    png, jpeg = tmp_path / "trang.png", tmp_path / "trang.jpg"
    Image.fromarray(top).save(png, dpi=(300, 300))
    Image.fromarray(top).save(jpeg, dpi=(300, 300), quality=90)
    options = OcrOptions(correct=False)
    made = ocr_page_of(png, 1, options, with_preview=True)
    assert made.page is not None and made.page.text.strip()
    assert made.preview is not None and made.preview == preview_of_file(png, 1)
    with Image.open(io.BytesIO(made.preview)) as image:
        assert image.format == "JPEG" and max(image.size) == 1400
    assert ocr_page_of(jpeg, 1, options, with_preview=True).preview is None
    assert ocr_page_of(png, 1, options).preview is None


def test_the_report_stays_within_300_kb_a_page(batch: Path) -> None:
    for stem in ("ke-hoach", f"2024/{HOSTILE}"):
        pages = list((batch / f"{stem}.pages").iterdir())
        size = (batch / f"{stem}.html").stat().st_size + sum(p.stat().st_size for p in pages)
        assert size / len(pages) < 300_000
        with Image.open(pages[0]) as image:
            assert max(image.size) == 1400
            record = _record(batch, stem)["pages"][0]
            assert abs(image.width / image.height - record["width"] / record["height"]) < 0.002


def test_the_index_counts_words_without_reading_the_pages_back(
    batch: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(batch, out)
    with Manifest(out) as manifest:
        entries = [entry for entry in manifest.entries() if entry.counts is not None]
    assert len(entries) == 3  # every document with words; the unreadable image has none
    for entry in entries:  # what the workers recorded is what the JSON holds
        assert entry.counts == word_counts(read_json(out / f"{entry.stem}.json").document.pages)
        assert entry.counts.words > 50
    index = (out / "index.html").read_bytes()
    for entry in entries:  # were it read, the index would say so
        (out / f"{entry.stem}.json").write_text("not JSON", encoding="utf-8")
    with output_dir_lock(out):
        write_report(out)
    assert (out / "index.html").read_bytes() == index


def _as_older_batch(out: Path) -> None:
    """What a batch of the previous vnplan left: JSON of schema 2, no review pages."""
    for path in out.rglob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        record["schema_version"] = 2
        record.pop("provenance", None)
        for page in record["pages"]:
            del page["source"], page["source_page"]
            for line in page["lines"]:
                del line["paragraph"]
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    for path in [*out.rglob("*.html")]:
        path.unlink()
    for folder in [*out.rglob("*.pages")]:
        shutil.rmtree(folder)
    with Manifest(out) as manifest:
        for entry in list(manifest.entries()):
            kept = [name for name in entry.outputs if ".pages/" not in name
                    and not name.endswith(".html")]
            manifest.record(replace(entry, outputs=kept))


def test_vnplan_report_rebuilds_the_report_of_an_older_batch(
    batch: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(batch, out)
    _as_older_batch(out)
    result = CliRunner().invoke(main, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 documents (1 failed), 3 review pages written" in result.output
    for name in ("index.html", "ke-hoach.html", "ke-hoach.pages/page-1.jpg",
                 f"2024/{HOSTILE}.html", f"2024/{HOSTILE}.pages/page-1.jpg"):
        # the same bytes: provenance found again, paragraphs read from the text, the scans
        # found from the manifest
        assert (out / name).read_bytes() == (batch / name).read_bytes(), name
    with Manifest(out) as manifest:
        outputs = {entry.stem: entry.outputs for entry in manifest.entries()}
    assert {"ke-hoach.html", "ke-hoach.pages/page-1.jpg"} <= set(outputs["ke-hoach"])


def test_a_report_whose_scans_are_gone_draws_the_words_without_them(
    batch: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(batch, out)
    _as_older_batch(out)
    record = _record(out, "ke-hoach")
    record["source"] = str(tmp_path / "gone.png")
    (out / "ke-hoach.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    with Manifest(out) as manifest:
        entry = next(e for e in manifest.entries() if e.stem == "ke-hoach")
        moved = replace(entry.files[0], path=tmp_path / "gone.png")
        manifest.record(replace(entry, files=(moved,)))
    result = CliRunner().invoke(main, ["report", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "ke-hoach.html").read_text(encoding="utf-8")
    assert "could not be read" in page and "<img" not in page and "<rect" in page
    assert not (out / "ke-hoach.pages").exists()


def test_the_report_never_overwrites_a_file_it_did_not_make(
    tmp_path: Path, png_a: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("<p>our own site</p>", encoding="utf-8")
    (out / "ke-hoach-a.html").write_text("<p>notes</p>", encoding="utf-8")
    result = run_batch([png_a], out, OcrOptions(),
                       BatchOptions(jobs=1, output_type="none", parse=False))
    assert len(result.done) == 1
    assert (out / "index.html").read_text(encoding="utf-8") == "<p>our own site</p>"
    assert (out / "ke-hoach-a.html").read_text(encoding="utf-8") == "<p>notes</p>"
    assert GENERATOR in (out / "ke-hoach-a-2.html").read_text(encoding="utf-8")
    report = CliRunner().invoke(main, ["report", str(out)])
    assert report.exit_code == 0
    assert f"{out / 'index.html'}: not made by vnplan, left as it is" in report.output
    assert (out / "index.html").read_text(encoding="utf-8") == "<p>our own site</p>"


def test_vnplan_report_on_a_folder_that_is_no_batch(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == ExitCode.input_failed
    assert result.output == (f"vnplan: error: {tmp_path}: no manifest.sqlite: not the output "
                             "folder of a vnplan batch\n")
    assert sorted(tmp_path.iterdir()) == []  # no manifest, no lock file left


def test_vnplan_report_waits_for_no_batch_writing_into_the_folder(tmp_path: Path) -> None:
    Manifest(tmp_path).close()
    with output_dir_lock(tmp_path):
        result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == ExitCode.output_busy
    assert "another vnplan run" in result.output
    assert not (tmp_path / "index.html").exists()


# In a browser


# Starts a program with the two pipe ends given as its fds 3 and 4 (whatever their numbers
# here), where --remote-debugging-pipe expects them.
_ON_FDS_3_AND_4 = (
    "import os, sys; reads, writes = os.dup(int(sys.argv[1])), os.dup(int(sys.argv[2])); "
    "os.dup2(reads, 3); os.dup2(writes, 4); os.set_inheritable(3, True); "
    "os.set_inheritable(4, True); os.execv(sys.argv[3], sys.argv[3:])"
)


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4), so no port
    is opened and nothing but the standard library is needed."""

    def __init__(self, profile: Path) -> None:
        to_browser, self._commands = os.pipe()
        self._replies, from_browser = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ON_FDS_3_AND_4, str(to_browser), str(from_browser), CHROMIUM,
             "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "--window-size=1400,1000", "about:blank"],
            pass_fds=(to_browser, from_browser), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable", session=True)

    def call(self, method: str, session: bool = False, **params: object) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def _read(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, path: Path) -> None:
        self.events.clear()
        self.call("Page.navigate", session=True, url=path.as_uri())
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._read())

    def evaluate(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", session=True, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (of its first line, when it wraps),
        scrolled into view first."""
        x, y = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            "e.scrollIntoView({block: 'center'}); const r = e.getClientRects()[0];"
            "return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session=True, type=kind, x=x, y=y,
                      button="left", clickCount=1)

    def screenshot(self) -> Image.Image:
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        return Image.open(io.BytesIO(base64.b64decode(data))).convert("L")

    def requested(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        with suppress(RuntimeError):  # the browser may close the pipe before replying
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium; `make setup` does)")
    chromium = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


def _ink(image: Image.Image, box: dict) -> float:
    """Share of dark pixels inside a box of the screenshot (CSS pixels = device pixels)."""
    left, top = round(box["left"]) + 2, round(box["top"]) + 2
    right, bottom = round(box["left"] + box["width"]) - 2, round(box["top"] + box["height"]) - 2
    pixels = np.asarray(image.crop((left, top, right, bottom)))
    return float((pixels < 110).mean())


def test_the_index_renders_sorts_and_filters_offline(browser: Browser, batch: Path) -> None:
    browser.open(batch / "index.html")
    screenshot = browser.screenshot()
    assert np.asarray(screenshot).std() > 10, "the page is not blank"
    rows = browser.evaluate(
        "[...document.querySelectorAll('#docs tbody tr')].map(r => r.cells[0].textContent)")
    assert rows == [f"2024/{HOSTILE}", "hong", "index", "ke-hoach"]
    assert browser.evaluate("document.querySelectorAll('img').length") == 0  # no injection
    reason = browser.evaluate("document.querySelector('tr.failed .notes').textContent")
    assert "not a readable image" in reason

    order = "[...document.querySelectorAll('#docs tbody tr')].map(r => r.cells[1].textContent)"
    browser.click("th:nth-child(2)")  # Status
    assert browser.evaluate(order) == ["done", "done", "done", "failed"]
    browser.click("th:nth-child(2)")
    assert browser.evaluate(order) == ["failed", "done", "done", "done"]
    browser.click("th:nth-child(3)")  # Pages, as numbers
    assert browser.evaluate("document.querySelector('th:nth-child(3)').ariaSort") == "ascending"
    browser.evaluate("document.getElementById('q').focus()")
    browser.call("Input.insertText", session=True, text="ho ngheo")  # marks optional
    shown = browser.evaluate(
        "[...document.querySelectorAll('#docs tbody tr:not([hidden])')]"
        ".map(r => r.cells[0].textContent)")
    assert shown == ["ke-hoach"]
    assert browser.evaluate("document.getElementById('count').textContent") == "1 of 4 documents"
    assert all(url.startswith("file://") for url in browser.requested()), browser.requested()


def test_a_document_page_draws_words_on_the_scan_and_links_fields_to_lines(
    browser: Browser, batch: Path
) -> None:
    record = _record(batch, "ke-hoach")
    page = record["pages"][0]
    browser.open(batch / "ke-hoach.html")
    natural = browser.evaluate(
        "new Promise(done => { const i = document.querySelector('#p0 img');"
        "i.complete ? done(i.naturalHeight) : i.onload = () => done(i.naturalHeight); })")
    assert natural == 1400  # loaded despite the page's policy (an A4 page: height the longer)

    # Every word's box where its JSON box falls on the image as displayed.
    placed = browser.evaluate(
        "(() => { const s = document.querySelector('#p0 img').getBoundingClientRect();"
        "return {image: [s.x, s.y, s.width, s.height], words: [...document.querySelectorAll("
        "'#p0 g > rect:not(.b)')].map(r => { const b = r.getBoundingClientRect();"
        "return [b.x, b.y, b.width, b.height]; })}; })()")
    x, y, width, height = placed["image"]
    words = [word for line in page["lines"] for word in line["words"]]
    assert len(placed["words"]) == len(words)
    scale_x, scale_y = width / page["width"], height / page["height"]
    for word, box in zip(words, placed["words"], strict=True):
        expected = (x + word["box"]["left"] * scale_x, y + word["box"]["top"] * scale_y,
                    word["box"]["width"] * scale_x, word["box"]["height"] * scale_y)
        assert box == pytest.approx(expected, abs=0.6), word["text"]
    corrected = sum("corrected_from" in word for word in words)
    assert browser.evaluate("document.querySelectorAll('#p0 rect.c').length") == corrected
    assert browser.evaluate("document.querySelectorAll('#p0 rect.c title').length") == corrected

    # The boxes lie on ink: the image under them is the page they were read from.
    browser.evaluate("document.getElementById('l0-0').scrollIntoView({block: 'start'})")
    boxes = browser.evaluate(
        "[...document.querySelectorAll('#l0-0 rect:not(.b), #l0-1 rect:not(.b)')]"
        ".map(r => { const b = r.getBoundingClientRect();"
        "return {left: b.x, top: b.y, width: b.width, height: b.height}; })")
    screenshot = browser.screenshot()
    assert np.asarray(screenshot).std() > 10
    assert all(_ink(screenshot, box) > 0.03 for box in boxes), [
        _ink(screenshot, box) for box in boxes]
    blank = {**boxes[0], "left": boxes[0]["left"] - 1.5 * boxes[0]["width"]}  # the margin
    assert _ink(screenshot, blank) < 0.01

    # Clicking a field highlights the line it was read from, on the scan and in the text.
    spans = record["provenance"]["doc_number"]
    ids = [f"{span['page']}-{n}" for span in spans for n in span["lines"]]
    browser.click('#fields dt[title="doc_number"] + dd a')
    highlighted = browser.evaluate(
        "[...document.querySelectorAll('.hl')].map(e => e.id)")
    assert sorted(highlighted) == sorted([f"l{i}" for i in ids] + [f"t{i}" for i in ids])
    text = browser.evaluate(f"document.getElementById('t{ids[0]}').textContent")
    assert "18/KH-UBND" in text
    fill = browser.evaluate(
        f"getComputedStyle(document.querySelector('#l{ids[0]} rect.b')).fill")
    assert fill == "rgb(255, 208, 0)"
    inside = browser.evaluate(
        f"(() => {{ const r = document.getElementById('l{ids[0]}').getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= innerHeight; })()")
    assert inside, "the highlighted line is scrolled into view"
    assert all(url.startswith("file://") for url in browser.requested()), browser.requested()
