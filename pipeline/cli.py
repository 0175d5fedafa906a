"""The ``vnplan`` command: a thin layer over :mod:`pipeline.api`.

Light to import: ``vnplan run`` is the batch's parent, which only plans and schedules, so it
starts its workers' forkserver a fifth of a second after it starts; the commands that need
NumPy, OpenCV or the correction's models (``restore``, ``lm``, ``channel``, ``synth``, ``parse``,
``report``) import them when they are run.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import math
import signal
import sys
import tempfile
import time
from pathlib import Path

import click

from pipeline import __version__, api
from pipeline.documents import GROUPINGS
from pipeline.errors import ExitCode, VnplanError
from pipeline.models import BatchResult
from pipeline.selection import parse_pages
from pipeline.tasks import LAYOUTS, OUTPUT_TYPES

INPUTS = click.argument(
    "inputs", nargs=-1, required=True, type=click.Path(path_type=Path)
)


def _folder(context: click.Context, parameter: click.Parameter, value: Path) -> Path:
    """A folder's path: "-", which click's commands read as standard output, would otherwise
    become a folder named "-" in the current one."""
    if str(value) == "-":
        raise click.BadParameter(
            "the outputs (text, JSON, ALTO, PDF...) go to a folder: '-' (standard output) is "
            "not one; give a folder and read DIR/<name>.txt", context, parameter)
    return value


OUTPUT_DIR = click.option(
    "-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path),
    callback=_folder, help="Folder for the outputs (created if missing).",
)
STANDARD_OUTPUT = Path("-")


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
            click.option("--steps", callback=_parse_steps, cls=_StepsOption,
                         help="Comma-separated cleanup steps to run (default all: {steps})."),
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


class _StepsOption(click.Option):
    """``--steps``, whose help names the cleanup steps: read from :mod:`pipeline.preprocess`
    (OpenCV) when the help is shown, not when the command starts."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from pipeline.preprocess import STEPS

        help_text = self.help
        self.help = (help_text or "").format(steps=",".join(STEPS))
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = help_text


def _parse_steps(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    from pipeline.preprocess import STEPS

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


# Commands defined elsewhere, imported when run or listed (--help): (module, attribute).
LAZY_COMMANDS = {
    "channel": ("pipeline.commands", "channel_group"),
    "lm": ("pipeline.commands", "lm_group"),
    "parse": ("pipeline.parse.commands", "parse_command"),
    "restore": ("pipeline.commands", "restore_command"),
    "synth": ("pipeline.commands", "synth_command"),
}


class VnplanGroup(click.Group):
    """Turns the project's errors into one line on stderr and the documented exit code; the
    commands of LAZY_COMMANDS are imported when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module, attribute = LAZY_COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

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
                         help="Seconds the reading of one page may take, all its stages "
                              "(0: no limit)."),
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
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder for the outputs (created if missing); - prints the corrected "
                   "text instead.")
@ocr_options
@batch_options
def ocr_command(inputs, out_dir, **settings) -> None:
    """OCR images, multi-page TIFFs, PDFs and folders of them, without parsing.

    Writes DIR/<name>.txt (corrected text, pages separated by form feeds), DIR/<name>.raw.txt
    (Tesseract's own reading), DIR/<name>.json (lines and words with confidences and boxes in
    the scan's pixels), DIR/<name>.alto.xml (ALTO 4.4), DIR/<name>.hocr and DIR/<name>.pdf (the
    pages under the corrected words, PDF/A) for each input document. Like `run`, it skips
    documents already done. With -o -, it prints the corrected text of the documents in the
    order given, pages and documents separated by form feeds, and keeps no files.
    """
    if out_dir == STANDARD_OUTPUT:
        _print_text(inputs, settings)
    else:
        _finish(_run(inputs, out_dir, settings, parse=False), summary=False)


def _print_text(inputs: tuple[Path, ...], settings: dict) -> None:
    """The batch, in a folder of its own that goes when the text is printed: documents are
    grouped, read and corrected exactly as for a folder of outputs."""
    settings["output_type"] = "none"
    with tempfile.TemporaryDirectory(prefix="vnplan-ocr-") as folder:
        result = _run(inputs, Path(folder), settings, parse=False)
        in_order = sorted(result.done, key=lambda done: _given_order(done.source, inputs))
        texts = [_corrected_text(document.outputs) for document in in_order]
    if texts:
        click.echo("\f".join(texts))
    _finish(result, summary=False)


def _corrected_text(outputs: list[Path]) -> str:
    text = next(path for path in outputs
                if path.name.endswith(".txt") and not path.name.endswith(".raw.txt"))
    return text.read_text(encoding="utf-8")


def _given_order(source: Path, inputs: tuple[Path, ...]) -> tuple[int, str]:
    """Where a document's source stands among the inputs as the user gave them."""
    resolved = source.resolve()
    for position, given in enumerate(inputs):
        given = given.resolve()
        if resolved == given or given in resolved.parents:
            return position, str(source)
    return len(inputs), str(source)


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
    # The command ends with the batch: the interpreter's last garbage collection, as it exits,
    # would go through every object of the packages the batch imported (pandas, OpenCV),
    # 60-80 ms of CPU after the work is done, to free what the exit frees anyway.
    atexit.unregister(gc.freeze)  # once, however many batches the process runs
    atexit.register(gc.freeze)
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
    from pipeline.report import rebuild_report

    report = rebuild_report(out_dir)
    for note in report.notes:
        click.echo(f"vnplan: warning: {note}", err=True)
    failed = sum(row.status != "done" for row in report.rows)
    where = report.index or "no index"
    click.echo(f"{where}: {len(report.rows)} documents ({failed} failed), "
               f"{report.pages_written} review pages written", err=True)
