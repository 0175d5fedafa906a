"""The ``vnplan`` command: a thin layer over :mod:`pipeline.api`."""

from __future__ import annotations

import math
import signal
import sys
import time
import zipfile
from pathlib import Path

import click

from pipeline import __version__, api
from pipeline.documents import GROUPINGS
from pipeline.errors import (
    ExitCode,
    InputError,
    MissingDependencyError,
    OutputError,
    VnplanError,
)
from pipeline.export import atomic_write_text
from pipeline.inputs import read_text
from pipeline.models import BatchResult
from pipeline.parse.commands import parse_command
from pipeline.preprocess import STEPS
from pipeline.report import rebuild_report
from pipeline.restore import (
    MODES,
    LanguageModel,
    ModelMissingError,
    candidate_index,
    load_language_model,
    restore_text,
)
from pipeline.restore.adapt import adapt, confident_lines, ocr_lines
from pipeline.restore.build import DEFAULT_MODEL_PATH, DICTIONARIES, BuildConfig, build_default
from pipeline.restore.channel import DEFAULT_CHANNEL_PATH
from pipeline.restore.channel_build import build_channels
from pipeline.selection import parse_pages
from pipeline.synth import LEVELS, write_pdf, write_scans
from pipeline.tasks import LAYOUTS, OUTPUT_TYPES

INPUTS = click.argument(
    "inputs", nargs=-1, required=True, type=click.Path(path_type=Path)
)
OUTPUT_DIR = click.option(
    "-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path),
    help="Folder for the outputs (created if missing).",
)


def ocr_options(function):
    """OCR options shared by ``ocr`` and ``run``."""
    for option in reversed(
        [
            click.option("--lang", default="vie", show_default=True,
                         help="Tesseract language(s), e.g. vie or vie+eng."),
            click.option("--psm", default=3, show_default=True, type=click.IntRange(3, 13),
                         help="Tesseract page segmentation mode, 3-13 (0-2 read no text, or "
                              "need orientation data that is not installed)."),
            click.option("--layout", type=click.Choice(LAYOUTS), default="detector",
                         show_default=True,
                         help="How lines are found: a text-line detector, then Tesseract on "
                              "each line (--psm unused); or Tesseract's own layout analysis, "
                              "also used on a page that defeats the detector."),
            click.option("--no-clean", is_flag=True,
                         help="Skip the OpenCV cleanup (deskew, binarisation)."),
            click.option("--raw", is_flag=True,
                         help="Plain Tesseract: no cleanup and no correction."),
            click.option("--no-correct", is_flag=True,
                         help="Keep Tesseract's words (no post-OCR correction)."),
            click.option("--steps", callback=_parse_steps,
                         help="Comma-separated cleanup steps to run (default all: "
                              + ",".join(STEPS) + ")."),
            click.option("--debug-dir", type=click.Path(file_okay=False, path_type=Path),
                         help="Write each cleanup step's image here, to see what it did."),
            click.option("--lm", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                         help="Syllable language model for the correction (default: the "
                              "installed one; make your own with `vnplan lm train`)."),
            click.option("--output-type", type=click.Choice(OUTPUT_TYPES), default="pdfa",
                         show_default=True,
                         help="<name>.pdf: searchable PDF/A-2b (pdfa), plain PDF (pdf), "
                              "or none."),
            click.option("--force-ocr", is_flag=True,
                         help="OCR PDF pages that have a text layer of their own too."),
            click.option("--pages", callback=_parse_pages, metavar="SPEC",
                         help="Only these pages of each document, e.g. 1-3,7 or 2-."),
        ]
    ):
        function = option(function)
    return function


def _parse_steps(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    steps = tuple(step.strip() for step in value.split(",") if step.strip())
    unknown = [step for step in steps if step not in STEPS]
    if unknown:
        raise click.BadParameter(f"unknown step(s) {', '.join(unknown)}; known: {', '.join(STEPS)}")
    return steps


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """``nan`` and ``inf`` pass a range check but would fail or hang every page."""
    if not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of seconds", ctx, param)
    return value


def _parse_pages(ctx: click.Context, param: click.Parameter, value: str | None):
    """A bad spec is one line on stderr and exit code 2, like every other usage error here."""
    if value is None:
        return None
    try:
        return parse_pages(value)
    except ValueError as error:
        click.echo(f"vnplan: error: --pages {value}: {error}", err=True)
        ctx.exit(int(ExitCode.usage))


def _ocr_settings(settings: dict) -> api.OcrOptions:
    return api.OcrOptions(
        lang=settings["lang"], psm=settings["psm"], clean=not settings["no_clean"],
        raw=settings["raw"], correct=not settings["no_correct"], steps=settings["steps"],
        debug_dir=settings["debug_dir"], timeout=settings["page_timeout"],
        force_ocr=settings["force_ocr"], pages=settings["pages"], layout=settings["layout"],
        lm=settings["lm"].resolve() if settings["lm"] else None,  # workers may run elsewhere
    )


class VnplanGroup(click.Group):
    """Turns the project's errors into one line on stderr and the documented exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except VnplanError as error:
            click.echo(f"vnplan: error: {error}", err=True)
            ctx.exit(int(error.exit_code))
        except KeyboardInterrupt:
            click.echo("vnplan: interrupted", err=True)
            ctx.exit(int(ExitCode.interrupted))


@click.group(cls=VnplanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vnplan")
def main() -> None:
    """Scanned Vietnamese administrative plans to correct text and structured data."""


def batch_options(function):
    """Parallelism and resumption options shared by ``ocr`` and ``run``."""
    for option in reversed(
        [
            click.option("-j", "--jobs", type=click.IntRange(1), default=api.available_cores,
                         show_default="all cores",
                         help="Worker processes, each running one single-threaded Tesseract."),
            click.option("--force", is_flag=True,
                         help="Redo documents the folder's manifest says are done."),
            click.option("--scheduler", metavar="ADDRESS",
                         help="Run the pages on a Dask cluster (e.g. tcp://host:8786) "
                              "instead of local processes."),
            click.option("--page-timeout", type=click.FloatRange(0), default=600,
                         show_default=True, callback=_finite,
                         help="Seconds Tesseract may spend on one page (0: no limit)."),
            click.option("--group", type=click.Choice(GROUPINGS), default="auto",
                         show_default=True,
                         help="Which files make one document. auto: images of a folder whose "
                              "names differ only by a page number (scan-p1.png, scan-p2.png); "
                              "folder: all images of a folder; file: every file alone."),
        ]
    ):
        function = option(function)
    return function


@main.command("ocr")
@INPUTS
@OUTPUT_DIR
@ocr_options
@batch_options
def ocr_command(inputs, out_dir, **settings) -> None:
    """OCR images, multi-page TIFFs, PDFs and folders of them, without parsing.

    Writes DIR/<name>.txt (corrected text, pages separated by form feeds), DIR/<name>.raw.txt
    (Tesseract's own reading), DIR/<name>.json (lines and words with confidences and boxes in
    the scan's pixels), DIR/<name>.alto.xml (ALTO 4.4), DIR/<name>.hocr and DIR/<name>.pdf (the
    pages under the corrected words, PDF/A) for each input document. Like `run`, it skips
    documents already done.
    """
    _finish(_run(inputs, out_dir, settings, parse=False), summary=False)


@main.command("run")
@INPUTS
@OUTPUT_DIR
@ocr_options
@batch_options
@click.option("--adapt", is_flag=True,
              help="Adapt the correction's syllable model to the batch: read every page, learn "
                   "from the lines Tesseract was sure of, save the model as DIR/lm.npz, then "
                   "correct and write the documents with it. Once there, DIR/lm.npz is reused "
                   "by later --adapt runs; delete it to adapt afresh (every document is redone).")
def run_command(inputs, out_dir, **settings) -> None:
    """The main job: scans to corrected text, plan fields and CSV tables, for a whole batch.

    Per document: DIR/<name>.txt, <name>.raw.txt, <name>.json (words and the plan's fields),
    <name>.alto.xml, <name>.hocr and <name>.pdf (searchable PDF/A);
    for the folder: plans.csv and the list tables (legal_basis.csv, targets.csv, ...), and
    manifest.sqlite, which makes a re-run skip what is done. A progress bar shows on a terminal.
    With --adapt, also DIR/lm.npz, for `vnplan restore --lm` on the archive's text.
    """
    if settings["adapt"] and (settings["raw"] or settings["no_correct"] or settings["lm"]):
        raise click.UsageError("--adapt corrects with a model of its own: not with --raw, "
                               "--no-correct or --lm")
    _finish(_run(inputs, out_dir, settings, parse=True), summary=True)


def _run(inputs: tuple[Path, ...], out_dir: Path, settings: dict, *, parse: bool) -> BatchResult:
    batch = api.BatchOptions(
        jobs=settings.pop("jobs"), scheduler=settings.pop("scheduler"),
        force=settings.pop("force"), parse=parse, output_type=settings.pop("output_type"),
        group=settings.pop("group"), adapt=settings.pop("adapt", False),
    )
    options = _ocr_settings(settings)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a kill is handled like Ctrl-C
    try:
        with _ProgressBar() as progress:
            result = api.run_batch(list(inputs), out_dir, options, batch, progress.update)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return result


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class _ProgressBar:
    """Pages done of pages to do, with rate and ETA, on stderr; nothing when not a terminal."""

    def __init__(self) -> None:
        self._bar = None
        self._done = 0
        self._started = time.perf_counter()

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.render_finish()

    def update(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self._bar is None:
            self._bar = click.progressbar(
                length=total, label="Pages", file=sys.stderr, show_pos=True, show_eta=True,
                item_show_func=self._rate,
            )
            self._bar.render_progress()
        self._bar.update(done - self._done, done)
        self._done = done

    def _rate(self, done: int | None) -> str | None:
        elapsed = time.perf_counter() - self._started
        return f"{60 * done / elapsed:.1f} pages/min" if done and elapsed > 0 else None


def _finish(result: BatchResult, *, summary: bool) -> None:
    for note in result.notes:
        click.echo(f"vnplan: {note}", err=True)
    for failure in result.failures:
        click.echo(f"vnplan: error: {failure}", err=True)
    if summary:
        line = (
            f"{len(result.done)} documents, {result.pages} pages, {len(result.failures)} failed, "
            f"{len(result.skipped)} already done, {result.seconds:.1f} s"
        )
        if result.peak_worker_mb:
            line += f", peak memory per worker {result.peak_worker_mb:.0f} MB"
        click.echo(line, err=True)
    if result.failures:
        sys.exit(int(ExitCode.input_failed))


@main.command("report")
@click.argument("out_dir", metavar="OUT", type=click.Path(path_type=Path))
def report_command(out_dir: Path) -> None:
    """Rebuild the review report of a batch in OUT, from its outputs.

    Writes OUT/index.html (every document: status, pages, word confidence, corrected and
    doubted words, main fields; sortable and filterable) and each document's review page
    OUT/<name>.html (its pages with the words drawn over them, the text, the fields linked to
    the lines they were read from), with reduced page images in OUT/<name>.pages/, made from
    the scans while they can still be read. Static files: open index.html in any browser.
    """
    report = rebuild_report(out_dir)
    for note in report.notes:
        click.echo(f"vnplan: warning: {note}", err=True)
    failed = sum(row.status != "done" for row in report.rows)
    where = report.index or "no index"
    click.echo(f"{where}: {len(report.rows)} documents ({failed} failed), "
               f"{report.pages_written} review pages written", err=True)


@main.command("synth")
@click.argument(
    "texts", nargs=-1, required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@OUTPUT_DIR
@click.option("--level", type=click.Choice(LEVELS), default="scan", show_default=True,
              help="How worn the pages look.")
@click.option("--seed", default=0, show_default=True, help="Seed of the degradation.")
@click.option("--format", "file_format", type=click.Choice(["png", "pdf"]), default="png",
              show_default=True,
              help="png: one image per page; pdf: one multi-page PDF per text, seal in red.")
def synth_command(texts, out_dir, level, seed, file_format) -> None:
    """Render document texts into scan-like pages.

    TEXTS are written as blocks separated by blank lines (header left, header right, title,
    body..., recipients, signature) or as plain lines, the way documents are typed out. PNG:
    <name>-pN.png and its true text <name>-pN.gt.txt; PDF: <name>.pdf and <name>.gt.txt, the
    true text of its pages separated by form feeds.
    """
    for text in texts:
        if file_format == "pdf":
            pdf = write_pdf(text.read_text(encoding="utf-8"), out_dir / f"{text.stem}.pdf",
                            level=level, seed=seed)
            click.echo(str(pdf))
            continue
        for page in write_scans(text, out_dir, seed=seed, level=level):
            click.echo(str(page))

MAX_TEXT_BYTES = 200_000_000  # `restore` holds the text in memory: /dev/zero must not fill it

MODEL_OPTION = click.option(
    "--lm", "model", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help=f"Syllable language model (default: {DEFAULT_MODEL_PATH.name} from `vnplan lm build`).",
)


def _write_text(target: str, text: str) -> None:
    if target == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))  # UTF-8 whatever the locale says
        sys.stdout.buffer.flush()
        return
    try:
        atomic_write_text(Path(target), text)
    except OSError as error:
        raise OutputError(f"{target}: {error.strerror or error}") from error


@main.command("restore")
@click.argument("source", default="-", metavar="[INPUT|-]")
@click.option("-o", "--output", default="-", metavar="OUTPUT|-",
              help="Where to write (default: stdout).")
@MODEL_OPTION
@click.option("--mode", type=click.Choice(["auto", *MODES]), default="auto", show_default=True,
              help="auto: decide per line; clean: leave as is; stripped: restore marks; "
                   "ocr: repair OCR damage.")
def restore_command(source: str, output: str, model: Path | None, mode: str) -> None:
    """Correct Vietnamese text: put the diacritics back, repair OCR damage.

    Reads UTF-8 text from INPUT (or stdin) and writes the corrected text. Each line
    is taken as clean (left as it is), typed without marks (marks restored) or
    OCR-damaged (repaired, e.g. English-model OCR: "ctia" → "của"); stamp or
    signature junk passes through. Line breaks, punctuation, numbers, case,
    abbreviations, document symbols and URLs are kept.
    """
    if source != "-" and output != "-" and Path(source).resolve() == Path(output).resolve():
        raise click.UsageError("OUTPUT must differ from INPUT (the input is never overwritten)")
    text = read_text(source, MAX_TEXT_BYTES)
    lm = _load_model(model)
    try:
        restored = restore_text(text, lm, mode)
    except ModelMissingError as error:
        raise MissingDependencyError(str(error)) from error
    _write_text(output, restored)


def _load_model(model: Path | None) -> LanguageModel:
    """The syllable model at ``model`` (None: the shipped one), or the error to tell."""
    try:
        return load_language_model(model)
    except ModelMissingError as error:
        raise MissingDependencyError(str(error)) from error
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise InputError(
            model or DEFAULT_MODEL_PATH,
            f"not a usable syllable language model ({error}); rebuild it with `vnplan lm build`",
        ) from error


@main.group("lm")
def lm_group() -> None:
    """Build or adapt the syllable language model used by `vnplan restore`."""


@lm_group.command("build")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_MODEL_PATH, show_default=True, help="Where to save the model.")
def lm_build_command(output: Path) -> None:
    """Build the model from the installed sources and dictionaries/ (takes seconds)."""
    _build(output, None)


@lm_group.command("train")
@click.option("--corpus", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of your own correctly accented .txt documents.")
@click.option("--from-run", "run_dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Output folder of a `vnplan run`: learn from the lines its OCR was sure of.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to save the adapted model (with --from-run: RUN/lm.npz by default).")
def lm_train_command(corpus: Path | None, run_dir: Path | None, output: Path | None) -> None:
    """Adapt the model to your documents: the base sources plus CORPUS weighted up, or plus
    the confidently read lines of a batch at the weight that restores its held-out lines
    best. Use the model with `--lm` on `restore`, `ocr` and `run`."""
    if (corpus is None) == (run_dir is None):
        raise click.UsageError("give one of --corpus DIR and --from-run OUT")
    if corpus is not None:
        if output is None:
            raise click.UsageError("--corpus needs -o MODEL")
        if not any(corpus.rglob("*.txt")):
            raise click.UsageError(f"no .txt files under {corpus}")
        _build(output, corpus)
        return
    assert run_dir is not None
    output = output or run_dir / "lm.npz"
    start = time.perf_counter()
    documents = api.run_documents(run_dir)
    known = candidate_index(_load_model(None)).abbreviation_known
    lines = confident_lines(ocr_lines(documents), known)
    try:
        adapted = adapt(lines)
    except ValueError as error:
        raise InputError(run_dir, f"cannot adapt the model: {error}") from error
    try:
        adapted.model.save(output)
    except OSError as error:
        raise OutputError(f"{output}: {error.strerror or error}") from error
    click.echo(
        f"{output}: adapted to {adapted.taught} confident lines of {len(documents)} documents, "
        f"weight {adapted.weight}; held-out lines restored {adapted.accuracy[0]:.4f} by the "
        f"base model, {adapted.accuracy[adapted.weight]:.4f} by this one "
        f"({time.perf_counter() - start:.1f} s)",
        err=True,
    )


def _build(output: Path, corpus: Path | None) -> None:
    start = time.perf_counter()
    if not DICTIONARIES.is_dir():
        click.echo(f"vnplan: warning: {DICTIONARIES} not found (installed from a wheel?): this "
                   "model lacks the project's lexicon and plans, which the shipped one has",
                   err=True)
    try:
        model = build_default(BuildConfig(), extra_corpus=corpus, output=output)
    except OSError as error:
        raise OutputError(f"{output}: {error.strerror or error}") from error
    sizes = ", ".join(f"{len(t.keys)} {k}-grams" for k, t in enumerate(model.tables, start=2))
    click.echo(
        f"{output}: {len(model.vocab)} syllables, {sizes} "
        f"({time.perf_counter() - start:.1f} s)",
        err=True,
    )


@main.group("channel")
def channel_group() -> None:
    """Build the OCR channel model used to repair OCR-damaged text."""


@channel_group.command("build")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_CHANNEL_PATH, show_default=True, help="Where to save the model.")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path),
              default=Path("out/channel-renders"), show_default=True,
              help="Cache of the rendered pages and their OCR (re-used by later builds).")
@click.option("--workers", default=2, show_default=True, help="Tesseract processes at once.")
def channel_build_command(output: Path, work: Path, workers: int) -> None:
    """Render dictionaries/corpus and samples/ texts, OCR them with Tesseract (eng, vie) and
    count how each syllable and character was read (a few minutes on 2 cores)."""
    start = time.perf_counter()
    try:
        channels = build_channels(work, output, workers)
    except OSError as error:
        raise OutputError(f"{output}: {error.strerror or error}") from error
    sizes = ", ".join(f"{lang}: {len(model.syllables)} syllables"
                      for lang, model in channels.items())
    click.echo(f"{output}: {sizes} ({time.perf_counter() - start:.1f} s)", err=True)


main.add_command(parse_command)
