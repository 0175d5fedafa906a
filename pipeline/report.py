"""The batch's review report: ``OUT/index.html``, every document of the output folder at a
glance (status, pages, word confidence, corrected and doubted words, main fields, or why it
failed), sortable and filterable, each linking to its review page (:mod:`pipeline.writers.html`).

It is made from what the folder holds, the manifest and each document's JSON, so the same
function ends every ``vnplan run`` and rebuilds the report of an earlier batch (``vnplan
report``). Review pages a batch did not write (made by an older vnplan) are written from the
JSON, their page images from the scans when these can still be read, and recorded in the
manifest as the document's outputs, so re-runs and retirements treat them like the others.
Files the report did not make are never overwritten: a page or index that lacks the report's
mark is left alone and named in ``Report.notes``.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path
from urllib.parse import quote

from pipeline.correct import LOW_CONFIDENCE
from pipeline.errors import InputError, OutputError
from pipeline.export import atomic_write_text, output_dir_lock, printable_path
from pipeline.inputs import count_pages
from pipeline.manifest import MANIFEST_NAME, Entry, Manifest
from pipeline.models import Document, WordCounts
from pipeline.provenance import field_provenance
from pipeline.writers import INDEX_NAME, index_link, review_page_name
from pipeline.writers.html import (
    GENERATOR,
    IMAGES_SUFFIX,
    page_head,
    word_counts,
    write_html,
)
from pipeline.writers.json import StoredDocument, read_json

COLUMNS = (  # header, kind: "number" columns sort numerically
    ("Document", "text"), ("Status", "text"), ("Pages", "number"),
    ("Mean confidence", "number"), ("Corrected", "number"), ("Doubted", "number"),
    ("Number", "text"), ("Issuer", "text"), ("Date", "text"), ("Title", "text"),
    ("Signer", "text"), ("Notes", "text"),
)
MAIN_FIELDS = ("doc_number", "issuer", "date", "title", "signer_name")
NO_WRAP = ' class="nw"'


@dataclass
class Row:
    """One document of the index."""

    stem: str
    source: str
    status: str  # "done" or "failed"
    pages: int
    link: str | None = None  # its review page, relative to the index
    words: int = 0
    mean_confidence: float | None = None
    corrected: int = 0
    doubted: int = 0
    fields: dict = field(default_factory=dict)
    notes: str = ""  # why it failed, or what is missing


@dataclass
class Report:
    index: Path | None  # None: an index.html of someone else's is there, left alone
    rows: list[Row]
    pages_written: int = 0  # review pages (re)written
    notes: list[str] = field(default_factory=list)  # files left alone, and why


def rebuild_report(out_dir: Path) -> Report:
    """``vnplan report``: every review page and the index made again, with the folder held
    as a batch holds it (a batch writing into it makes this fail with OutputBusyError)."""
    if not out_dir.is_dir():
        raise InputError(out_dir, "no such folder")
    _check_batch(out_dir)
    with output_dir_lock(out_dir):
        return write_report(out_dir, rebuild=True)


def write_report(out_dir: Path, *, rebuild: bool = False) -> Report:
    """Write ``out_dir/index.html`` and the review pages missing (all of them with
    ``rebuild``). The caller holds the output folder (:func:`pipeline.export.output_dir_lock`).
    """
    _check_batch(out_dir)
    report = Report(index=None, rows=[])
    with Manifest(out_dir) as manifest:
        for entry in sorted(manifest.entries(), key=lambda e: e.stem.casefold()):
            report.rows.append(_row(entry, out_dir, manifest, rebuild, report))
    _remove_empty_image_folders(out_dir)
    index = out_dir / INDEX_NAME
    if not _ours(index):
        report.notes.append(f"{index}: not made by vnplan, left as it is (no index written)")
        return report
    try:
        atomic_write_text(index, index_html(report.rows))
    except OSError as error:
        raise OutputError(f"{index}: cannot write ({error.strerror or error})") from error
    report.index = index
    return report


def _check_batch(out_dir: Path) -> None:
    if not (out_dir / MANIFEST_NAME).is_file():
        raise InputError(out_dir, f"no {MANIFEST_NAME}: not the output folder of a vnplan batch")


def _remove_empty_image_folders(out_dir: Path) -> None:
    """A retired document's outputs are deleted file by file, which leaves the folder of its
    page images behind, empty."""
    for folder in out_dir.rglob(f"*{IMAGES_SUFFIX}"):
        if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
            with suppress(OSError):
                folder.rmdir()


def _ours(path: Path) -> bool:
    """Missing, or made by the report (its generator mark in the first kilobytes)."""
    try:
        with path.open("rb") as handle:
            return GENERATOR.encode() in handle.read(4096)
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _row(entry: Entry, out_dir: Path, manifest: Manifest, rebuild: bool, report: Report) -> Row:
    """The document's row; its review page written when missing (all with ``rebuild``). A
    failed document whose other pages were written has one too."""
    row = Row(entry.stem, printable_path(entry.source), entry.status, entry.pages,
              fields=entry.fields or {}, notes=entry.error or "")
    record = out_dir / f"{entry.stem}.json"
    if f"{entry.stem}.json" not in entry.outputs:
        return row
    page = out_dir / review_page_name(entry.stem)
    if entry.counts is not None and not rebuild and page.is_file() and record.is_file():
        _count(row, entry.counts)  # nothing to write: the document's pages are not read
        row.link = quote(review_page_name(entry.stem))
        return row
    try:
        stored = read_json(record)
    except (OSError, ValueError, KeyError, TypeError) as error:
        reason = getattr(error, "strerror", None) or error
        row.notes = "; ".join(filter(None, [row.notes, f"{record.name} cannot be read ({reason})"]))
        return row
    _count(row, entry.counts or word_counts(stored.document.pages))
    row.fields = row.fields or stored.fields or {}
    if rebuild or not page.is_file():
        if not _ours(page):
            report.notes.append(f"{page}: not made by vnplan, left as it is")
            return row
        _write_page(entry, stored, page, out_dir, manifest)
        report.pages_written += 1
    row.link = quote(review_page_name(entry.stem))
    return row


def _count(row: Row, counts: WordCounts) -> None:
    row.words, row.mean_confidence = counts.words, counts.mean_confidence
    row.corrected, row.doubted = counts.corrected, counts.doubted


def _write_page(
    entry: Entry, stored: StoredDocument, page: Path, out_dir: Path, manifest: Manifest
) -> None:
    """The review page of a document done earlier, recorded among its outputs."""
    document = stored.document
    _find_sources(document, entry)
    provenance = stored.provenance
    if provenance is None and stored.fields is not None:
        provenance = field_provenance(document, stored.fields)
    try:
        images = write_html(document, page, fields=stored.fields, provenance=provenance,
                            name=entry.stem, index=index_link(entry.stem), keep_images=True)
    except OSError as error:
        raise OutputError(f"{page}: cannot write ({error.strerror or error})") from error
    names = [path.relative_to(out_dir).as_posix() for path in (page, *images)]
    missing = [name for name in names if name not in entry.outputs]
    if missing:
        manifest.record(replace(entry, outputs=[*entry.outputs, *missing]))


def _find_sources(document: Document, entry: Entry) -> None:
    """Which file and page each page came from, for a JSON of schema 2 that does not say:
    the manifest's files in page order, each with its pages."""
    if all(page.source is not None for page in document.pages):
        return
    refs = []
    for path in entry.paths:
        try:
            refs.extend((path, number) for number in range(1, count_pages(path) + 1))
        except InputError:
            return  # gone or damaged since: the pages are drawn without their images
    for page in document.pages:
        if page.source is None and 1 <= page.number <= len(refs):
            page.source, page.source_page = refs[page.number - 1]


def index_html(rows: list[Row]) -> str:
    done = [row for row in rows if row.status == "done"]
    words = sum(row.words for row in done)
    confidence = (sum((row.mean_confidence or 0) * row.words for row in done) / words
                  if words else None)
    summary = (
        f"{len(rows)} documents: {len(done)} done, {len(rows) - len(done)} failed · "
        f"{sum(row.pages for row in done)} pages · {words} words, mean confidence "
        f"{_number(confidence)} · {sum(row.corrected for row in done)} corrected · "
        f"{sum(row.doubted for row in done)} doubted (confidence under {LOW_CONFIDENCE:.0f})"
    )
    head = "".join(f'<th data-type="{kind}" tabindex="0">{escape(name)}</th>'
                   for name, kind in COLUMNS)
    return (
        page_head(f"vnplan review – {len(rows)} documents", INDEX_STYLE, INDEX_SCRIPT)
        + "<header><h1>vnplan review</h1>"
        f"<p>{escape(summary)}</p>"
        '<p><input id="q" type="search" placeholder="Filter: any words, marks optional" '
        'aria-label="filter" size="40"> <select id="status" aria-label="status">'
        '<option value="">all</option><option value="done">done</option>'
        '<option value="failed">failed</option></select> <span id="count"></span> · '
        "click a column to sort</p></header>"
        f'<table id="docs"><thead><tr>{head}</tr></thead><tbody>'
        + "".join(_row_html(row) for row in rows)
        + f"</tbody></table><script>{INDEX_SCRIPT}</script></body></html>\n"
    )


def _row_html(row: Row) -> str:
    name = (f'<a href="{escape(row.link)}">{escape(row.stem)}</a>' if row.link
            else escape(row.stem))
    cells = [
        f'<td title="{escape(row.source)}">{name}</td>',
        f"<td>{escape(row.status)}</td>",
        _numeric(row.pages),
        _numeric(row.mean_confidence, _number(row.mean_confidence)),
        _numeric(row.corrected if row.words else None),
        _numeric(row.doubted if row.words else None),
        *(f"<td{NO_WRAP if key == 'date' else ''}>{escape(str(row.fields.get(key) or ''))}</td>"
          for key in MAIN_FIELDS),
        f'<td class="notes">{escape(row.notes)}</td>',
    ]
    return f'<tr class="{escape(row.status)}" data-status="{escape(row.status)}">' \
        + "".join(cells) + "</tr>"


def _numeric(value: float | int | None, shown: str | None = None) -> str:
    if value is None:
        return '<td data-v=""></td>'
    return f'<td class="n" data-v="{value}">{escape(shown or str(value))}</td>'


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


INDEX_STYLE = """\
body{font:14px/1.4 system-ui,sans-serif;margin:0 1em;color:#222}
h1{font-size:1.3em;margin:.6em 0 .2em}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{position:sticky;top:0;background:#eef;cursor:pointer;white-space:nowrap}
th[aria-sort=ascending]::after{content:" ▲"}
th[aria-sort=descending]::after{content:" ▼"}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.nw{white-space:nowrap}
tr.failed{background:#fdecea}
tr.failed .notes{color:#a10}
tr:hover{background:#f6f6ff}
"""

INDEX_SCRIPT = """\
(function () {
  var table = document.getElementById('docs');
  var body = table.tBodies[0];
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById('q');
  var status = document.getElementById('status');
  var count = document.getElementById('count');
  function fold(text) {
    return text.toLowerCase().normalize('NFD').replace(/[\\u0300-\\u036f]/g, '')
      .replace(/\\u0111/g, 'd');
  }
  rows.forEach(function (row) { row.dataset.text = fold(row.textContent); });
  function filter() {
    var words = fold(search.value).split(/\\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var keep = (!status.value || row.dataset.status === status.value) &&
        words.every(function (word) { return row.dataset.text.indexOf(word) >= 0; });
      row.hidden = !keep;
      if (keep) shown++;
    });
    count.textContent = shown + ' of ' + rows.length + ' documents';
  }
  function key(row, column, numeric) {
    var cell = row.cells[column];
    if (!numeric) return cell.textContent;
    var value = parseFloat(cell.dataset.v);
    return isNaN(value) ? -Infinity : value;
  }
  function sort(header, column) {
    var ascending = header.getAttribute('aria-sort') !== 'ascending';
    var numeric = header.dataset.type === 'number';
    headers.forEach(function (other) { other.removeAttribute('aria-sort'); });
    header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    rows.sort(function (a, b) {
      var x = key(a, column, numeric), y = key(b, column, numeric);
      var order = numeric ? (x > y) - (x < y) : x.localeCompare(y, 'vi');
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  headers.forEach(function (header, column) {
    header.addEventListener('click', function () { sort(header, column); });
    header.addEventListener('keydown', function (event) {
      if (event.key === 'Enter') sort(header, column);
    });
  });
  search.addEventListener('input', filter);
  status.addEventListener('change', filter);
  filter();
})();
"""
