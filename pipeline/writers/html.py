"""The review page of one document: each page image (a reduced copy written beside the page)
with the words drawn over it where they were read, doubted and corrected words marked and
Tesseract's own reading on hover, the text beside it, and the fields, each linked to the lines
it was read from (highlighted on the image and in the text when clicked).

A static file: no server, nothing loaded from the network (a Content-Security-Policy forbids
it), readable offline from a shared folder. Everything from the scan or its file names is
escaped: OCR text and names are untrusted. Word boxes are in scan pixels inside an SVG whose
``viewBox`` is the page's size, laid over the image, so they stay on their words at any zoom.
"""

from __future__ import annotations

import base64
import hashlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from html import escape
from pathlib import Path
from urllib.parse import quote

from pipeline import __version__
from pipeline.correct import LOW_CONFIDENCE
from pipeline.export import atomic_write_bytes, atomic_writer, printable_path
from pipeline.models import Document, Page, Word, WordCounts
from pipeline.preview import preview_of_file
from pipeline.provenance import Provenance, Span, Spans

GENERATOR = f"vnplan {__version__} report"  # marks the files the report may overwrite
JUNK_HINT = "not in the text: a seal's or a signature's marks read as text"
IMAGES_SUFFIX = ".pages"  # <stem>.pages/: the folder of a review page's images

LABELS = {  # the fields in FIELDS.md's order, as the page names them
    "doc_type": "Type", "doc_number": "Number", "issuer": "Issuer", "place": "Place",
    "date": "Date", "title": "Title", "movement": "Movement", "period": "Period",
    "signer_name": "Signer", "signer_title": "Signer's title", "recipients": "Recipients",
    "legal_basis": "Legal basis", "targets": "Targets", "award_forms": "Award forms",
    "timeline": "Timeline", "sections": "Sections",
}

STYLE = """\
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#f4f4f2}
header{padding:.6em 1.2em;background:#fff;border-bottom:1px solid #ccc}
header h1{font-size:1.25em;margin:.2em 0}
.legend span{padding:0 .4em;margin-right:.6em;border:1px solid}
.legend .c,mark.c{background:#c8f0c8;border-color:#2a2}
.legend .d,mark.d{background:#ffd9b3;border-color:#e70}
.legend .j{color:#999;font-style:italic;border-style:dashed}
mark{color:inherit;border-bottom:2px solid}
.layout{display:flex;align-items:flex-start}
#fields{position:sticky;top:0;flex:0 0 24em;max-height:100vh;overflow:auto;padding:.6em 1em;
background:#fff;border-right:1px solid #ccc;box-sizing:border-box}
#fields dt{font-weight:600;margin-top:.6em}
#fields dd{margin:0 0 0 .6em}
#fields ol{margin:.2em 0;padding-left:1.4em}
#fields a{color:#124;text-decoration:none;border-bottom:1px dotted #68a}
#fields a.on{background:#ffe14d}
.missing{color:#888}
main{flex:1;min-width:0;padding:0 1em}
.page{display:flex;gap:1em;align-items:flex-start;margin:1em 0}
.page h2{font-size:1em;margin:0 0 .3em}
.scan{position:relative;flex:0 0 58%;background:#fff;box-shadow:0 0 4px #999}
.scan img{position:absolute;inset:0;width:100%;height:100%}
.scan svg{position:relative;display:block;width:100%;height:auto}
rect{fill:none;stroke:#1f5fbf;stroke-opacity:.35;vector-effect:non-scaling-stroke}
rect.c{fill:#2a2;fill-opacity:.25;stroke:#2a2;stroke-opacity:.9}
rect.d{fill:#e70;fill-opacity:.25;stroke:#e70;stroke-opacity:.9}
rect.b{stroke:none}
g.junk rect{stroke:#888;stroke-dasharray:4 3}
g.hl rect.b,g:target rect.b{fill:#ffd000;fill-opacity:.45;stroke:#c90;stroke-opacity:1}
.text{flex:1;min-width:0;background:#fff;padding:.5em .8em;box-shadow:0 0 4px #999}
.text p{margin:0;padding:0 .2em}
.text p.gap{margin-top:.7em}
.text p.junk{color:#999;font-style:italic}
.text p.hl,.text p:target{background:#ffe680}
.note{color:#a40}
"""

SCRIPT = """\
document.addEventListener('click', function (event) {
  var link = event.target.closest('a[data-src]');
  if (!link) return;
  event.preventDefault();
  document.querySelectorAll('.hl, a.on').forEach(function (element) {
    element.classList.remove('hl', 'on');
  });
  link.classList.add('on');
  var first = null;
  link.dataset.src.split(';').forEach(function (span) {
    var parts = span.split(':');
    parts[1].split(',').forEach(function (line) {
      ['l', 't'].forEach(function (prefix) {
        var element = document.getElementById(prefix + parts[0] + '-' + line);
        if (element) {
          element.classList.add('hl');
          if (!first) first = element;
        }
      });
    });
  });
  if (first) first.scrollIntoView({block: 'center'});
});
"""


def write_html(
    document: Document, path: Path, *, fields: dict | None = None,
    provenance: Provenance | None = None, name: str | None = None, index: str | None = None,
    keep_images: bool = False, previews: Mapping[int, bytes] | None = None,
    counts: WordCounts | None = None,
) -> list[Path]:
    """Write the review page ``path`` and its page images, ``<path stem>.pages/page-N.jpg``
    (N the page's number in the document), atomically; return the images' paths.

    ``name`` is the document's id shown as its title, ``index`` the link back to the batch
    index (relative to ``path``). With ``keep_images``, images already there are kept (the
    scans may be gone by the time a report is rebuilt). ``previews``: the images of pages by
    number, made when the worker read them (:mod:`pipeline.preview`); the others are made from
    the scans. A page whose scan cannot be read any more is drawn without its image, with a
    note. ``counts``: the document's word counts, when known (else counted here, a pass over
    the pages).

    One pass over ``document.pages``: each page's image is written as its part of the page is.
    """
    folder = images_folder(path)
    images: list[Path] = []
    pieces = _html_pieces(
        document, fields=fields, provenance=provenance, name=name or document.source.name,
        index=index, counts=counts if counts is not None else word_counts(document.pages),
        image=lambda page: _page_image(document, page, folder, keep_images,
                                       previews if previews is not None else {}, images),
    )
    with atomic_writer(path) as handle:
        for piece in pieces:
            handle.write(piece.encode("utf-8", "backslashreplace"))
    _remove_stale(folder, images)
    return images


def images_folder(path: Path) -> Path:
    """Where the page images of the review page ``path`` go: ``<stem>.pages`` beside it."""
    return path.with_name(f"{path.stem}{IMAGES_SUFFIX}")


def _page_image(
    document: Document, page: Page, folder: Path, keep: bool, previews: Mapping[int, bytes],
    written: list[Path],
) -> str | None:
    """The page's reduced JPEG written (or, with ``keep``, kept) and added to ``written``; its
    URL relative to the review page, None when the scan cannot be read."""
    target = folder / f"page-{page.number}.jpg"
    if not (keep and target.is_file()):
        data = previews.get(page.number) or preview_of_file(
            page.source or document.source, page.source_page or page.number)
        if data is None:
            return None
        folder.mkdir(exist_ok=True)
        atomic_write_bytes(target, data)
    written.append(target)
    return f"{quote(folder.name)}/{quote(target.name)}"


def _remove_stale(folder: Path, written: list[Path]) -> None:
    """Images of pages no longer in the document removed."""
    wanted = {image.name for image in written}
    for image in folder.glob("page-*.jpg"):
        if image.name not in wanted:
            image.unlink(missing_ok=True)


def _html_pieces(
    document: Document, *, fields: dict | None, provenance: Provenance | None, name: str,
    index: str | None, counts: WordCounts, image: Callable[[Page], str | None],
) -> Iterator[str]:
    """The page itself, in pieces (the head, each page), so a long document's is never whole
    in memory; ``image`` gives a page's image URL, relative to it (None: none)."""
    mean = "–" if counts.mean_confidence is None else f"{counts.mean_confidence:.1f}"
    parts = [
        page_head(f"{name} – vnplan review", STYLE, SCRIPT),
        "<header>",
        f'<p><a href="{escape(index)}">All documents</a></p>' if index else "",
        f"<h1>{escape(name)}</h1>",
        f"<p>{escape(printable_path(document.source))} · {len(document.pages)} pages · "
        f"{counts.words} words, mean confidence {mean} · {counts.corrected} corrected · "
        f"{counts.doubted} doubted</p>",
        '<p class="legend"><span class="c">corrected</span><span class="d">doubted '
        f"(confidence under {LOW_CONFIDENCE:.0f})</span>"
        '<span class="j">not in the text (seal, signature)</span>Hover a marked word for '
        "what Tesseract read; click a field to see where it was read.</p>",
        '</header><div class="layout">',
        _fields_html(fields, provenance) if fields is not None else "",
        "<main>",
    ]
    yield "".join(parts)
    for page_index, page in enumerate(document.pages):
        yield _page_html(page, page_index, image(page))
    yield f"</main></div><script>{SCRIPT}</script></body></html>\n"


def word_counts(pages: Iterable[Page]) -> WordCounts:
    """The document's words at a glance (its review page, its row of the batch index): how
    many, their mean confidence, how many correction changed and how many Tesseract doubted;
    one pass, so pages read one at a time are counted without being held."""
    confidences = array("d")  # of the text's words, in order
    corrected = doubted = 0
    for page in pages:
        for line in page.lines:
            if not line.junk:  # as text_words
                for word in line.words:
                    confidences.append(word.confidence)
                    corrected += word.corrected_from is not None
                    doubted += _doubted(word)
    mean = sum(confidences) / len(confidences) if confidences else None
    return WordCounts(len(confidences), mean, corrected, doubted)


def text_words(document: Document) -> list[Word]:
    """The words of the document's text: not those of junk lines (a seal's or a signature's
    marks read as text), which the statistics would only blur."""
    return [word for page in document.pages for line in page.lines if not line.junk
            for word in line.words]


def page_head(title: str, style: str, script: str) -> str:
    """The start of a report page up to ``<body>``: everything is inline, and the policy lets
    in only this style, this script (placed by the caller) and local images."""
    policy = ("default-src 'none'; img-src 'self' file: data:; "
              f"style-src '{_digest(style)}'; script-src '{_digest(script)}'; "
              "base-uri 'none'; form-action 'none'")
    return (
        '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="{escape(GENERATOR)}">'
        f"<title>{escape(title)}</title><style>{style}</style></head><body>"
    )


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _doubted(word: Word) -> bool:
    return word.confidence < LOW_CONFIDENCE


def _page_html(page: Page, index: int, image: str | None) -> str:
    svg = [f'<svg viewBox="0 0 {page.width} {page.height}" preserveAspectRatio="none" '
           f'aria-label="page {page.number}">']
    text = []
    paragraph = None
    for number, line in enumerate(page.lines):
        box = line.box
        junk = ' class="junk"' if line.junk else ""
        svg.append(f'<g id="l{index}-{number}"{junk}><rect class="b" x="{box.left}" '
                   f'y="{box.top}" width="{box.width}" height="{box.height}"/>')
        svg.extend(_word_rect(word, line.junk) for word in line.words)
        svg.append("</g>")
        classes = " ".join(name for name, wanted in (
            ("gap", paragraph is not None and line.paragraph != paragraph), ("junk", line.junk))
            if wanted)
        paragraph = line.paragraph
        text.append(f'<p id="t{index}-{number}"' + (f' class="{classes}"' if classes else "")
                    + (f' title="{JUNK_HINT}"' if line.junk else "") + ">"
                    + " ".join(_word_text(word, line.junk) for word in line.words) + "</p>")
    svg.append("</svg>")
    picture = (f'<img src="{escape(image)}" alt="page {page.number}" loading="lazy">' if image
               else "")
    note = "" if image else '<p class="note">The scan of this page could not be read.</p>'
    return (
        f'<section class="page" id="p{index}"><div class="scan">{picture}{"".join(svg)}</div>'
        f'<div class="text"><h2>Page {page.number}</h2>{note}{"".join(text)}</div></section>'
    )


def _word_rect(word: Word, junk: bool) -> str:
    box = word.box
    geometry = f'x="{box.left}" y="{box.top}" width="{box.width}" height="{box.height}"'
    hint = None if junk else _hint(word)
    if hint is None:
        return f"<rect {geometry}/>"
    kind = "c" if word.corrected_from is not None else "d"
    return f'<rect class="{kind}" {geometry}><title>{escape(hint)}</title></rect>'


def _word_text(word: Word, junk: bool) -> str:
    hint = None if junk else _hint(word)
    if hint is None:
        return escape(word.text)
    kind = "c" if word.corrected_from is not None else "d"
    return f'<mark class="{kind}" title="{escape(hint)}">{escape(word.text)}</mark>'


def _hint(word: Word) -> str | None:
    """What hovering a marked word says: Tesseract's reading of a corrected word, the
    confidence of a doubted one; None for the others."""
    if word.corrected_from is not None:
        return (f"{word.text} — Tesseract read “{word.corrected_from}” "
                f"(confidence {word.confidence:.0f})")
    if _doubted(word):
        return f"{word.text} — confidence {word.confidence:.0f}"
    return None


def _fields_html(fields: dict, provenance: Provenance | None) -> str:
    provenance = provenance or {}
    parts = ['<aside id="fields"><h2>Fields</h2><dl>']
    for key in [*LABELS, *(key for key in fields if key not in LABELS)]:
        if key not in fields:
            continue
        value, spans = fields[key], provenance.get(key)
        parts.append(f'<dt title="{escape(key)}">{escape(LABELS.get(key, key))}</dt><dd>')
        if isinstance(value, list):
            if not value:
                parts.append('<span class="missing">none</span>')
            else:
                items = spans if isinstance(spans, list) and len(spans) == len(value) else []
                parts.append("<ol>" + "".join(
                    f"<li>{_linked(_item_text(item), items[n] if items else None)}</li>"
                    for n, item in enumerate(value)) + "</ol>")
        elif value is None or value == "":
            parts.append('<span class="missing">none</span>')
        else:
            parts.append(_linked(str(value), spans if _is_spans(spans) else None))
        parts.append("</dd>")
    parts.append("</dl></aside>")
    return "".join(parts)


def _is_spans(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(s, Span) for s in value)


def _linked(text: str, spans: Spans | list | None) -> str:
    """The value as a link to the lines it was read from (their ids: ``l<page>-<line>`` on
    the image, ``t<page>-<line>`` in the text); plain text when it was not found."""
    if not _is_spans(spans):
        return f'{escape(text)} <span class="missing" title="not found in the lines">?</span>'
    source = ";".join(f"{span.page}:{','.join(map(str, span.lines))}" for span in spans)
    first = spans[0]
    return (f'<a href="#l{first.page}-{first.lines[0]}" data-src="{source}">'
            f"{escape(text)}</a>")


def _item_text(item: object) -> str:
    """A list item in one line: a record's values joined by " — "."""
    if isinstance(item, dict):
        return " — ".join(str(value) for value in _present(item.values()))
    return str(item)


def _present(values: Iterable[object]) -> Iterable[object]:
    return (value for value in values if value not in (None, ""))
