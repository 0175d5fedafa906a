"""The ``vnplan`` command: a thin layer over :mod:`pipeline.api`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline import __version__, api
from pipeline.errors import ExitCode, VnplanError
from pipeline.models import BatchResult, Failure
from pipeline.synth import write_scans

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
            click.option("--psm", default=3, show_default=True, type=click.IntRange(0, 13),
                         help="Tesseract page segmentation mode."),
            click.option("--no-clean", is_flag=True,
                         help="Skip the OpenCV cleanup (deskew, binarisation)."),
            click.option("--raw", is_flag=True,
                         help="Plain Tesseract: no cleanup and no correction."),
        ]
    ):
        function = option(function)
    return function


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


@main.command("ocr")
@INPUTS
@OUTPUT_DIR
@ocr_options
def ocr_command(inputs, out_dir, lang, psm, no_clean, raw) -> None:
    """OCR images, multi-page TIFFs, PDFs and folders of them.

    Writes DIR/<name>.txt (pages separated by form feeds) and DIR/<name>.json (lines and words
    with confidences and boxes) for each input document.
    """
    options = api.OcrOptions(lang=lang, psm=psm, clean=not no_clean, raw=raw)
    result = api.run_batch(list(inputs), out_dir, options)
    _finish(result, summary=False)


@main.command("run")
@INPUTS
@OUTPUT_DIR
@ocr_options
def run_command(inputs, out_dir, lang, psm, no_clean, raw) -> None:
    """The main job for a batch of scans, with progress and a summary."""
    options = api.OcrOptions(lang=lang, psm=psm, clean=not no_clean, raw=raw)
    sources, _ = api.discover(list(inputs))
    with click.progressbar(
        length=len(sources), label="Documents", file=sys.stderr, show_pos=True, show_eta=True,
        item_show_func=lambda path: path.name if path else None,
    ) as bar:

        def advance(source: Path, failure: Failure | None) -> None:
            bar.update(1, source)

        result = api.run_batch(list(inputs), out_dir, options, on_document=advance)
    _finish(result, summary=True)


def _finish(result: BatchResult, *, summary: bool) -> None:
    for failure in result.failures:
        click.echo(f"vnplan: error: {failure}", err=True)
    if summary:
        click.echo(
            f"{len(result.done)} documents, {result.pages} pages, "
            f"{len(result.failures)} failed, {result.seconds:.1f} s",
            err=True,
        )
    if result.failures:
        sys.exit(int(ExitCode.input_failed))


@main.command("synth")
@click.argument(
    "texts", nargs=-1, required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@OUTPUT_DIR
@click.option("--level", type=click.Choice(["clean", "scan"]), default="scan", show_default=True,
              help="How worn the pages look.")
@click.option("--seed", default=0, show_default=True, help="Seed of the degradation.")
def synth_command(texts, out_dir, level, seed) -> None:
    """Render plan texts into scan-like pages: <name>-pN.png and its true text <name>-pN.gt.txt."""
    for text in texts:
        for page in write_scans(text, out_dir, seed=seed, level=level):
            click.echo(str(page))
