"""The ``vnplan`` commands that work on texts and models rather than on a batch of scans:
``restore``, ``lm``, ``channel`` and ``synth``.

Apart from :mod:`pipeline.cli` so that the ``vnplan`` command imports them, and what they
bring (NumPy and the correction's models, OpenCV and Pillow's fonts), only when one of them is
run: ``vnplan run`` starts without them.
"""

from __future__ import annotations

import sys
import time
import zipfile
from pathlib import Path

import click

from pipeline import api
from pipeline.cli import OUTPUT_DIR
from pipeline.errors import InputError, MissingDependencyError, OutputError
from pipeline.export import atomic_write_text
from pipeline.inputs import read_text
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
from pipeline.synth import LEVELS, write_pdf, write_scans


@click.command("synth")
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


@click.command("restore")
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


@click.group("lm")
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


@click.group("channel")
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
