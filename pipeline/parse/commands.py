"""``vnplan parse``: plan texts to their structured fields, as JSON or CSV tables."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline.api import prepare_output_dir
from pipeline.errors import ExitCode, InputError, OutputError
from pipeline.export import atomic_write_text, unique_stems
from pipeline.inputs import STDIN, read_text
from pipeline.parse.plan import parse_plan
from pipeline.tables import LISTS, write_tables

# A plan is tens of kilobytes; anything this big is not one (and would only be slow).
MAX_PLAN_BYTES = 2_000_000


@click.command("parse")
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path),
              help="Folder for the outputs (created if missing). Needed for several inputs "
                   "and for CSV.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True, help="JSON per document, or CSV tables for the whole batch.")
def parse_command(inputs: tuple[str, ...], out_dir: Path | None, fmt: str) -> None:
    """Structured fields (FIELDS.md) of plan texts: UTF-8 files, or - for stdin.

    JSON: to stdout for one input without -o, else DIR/<name>.json. CSV: DIR/plans.csv and one
    table per list field, keyed by document_id (the input's name), UTF-8 with BOM.
    """
    if out_dir is None and (fmt == "csv" or len(inputs) > 1):
        raise click.UsageError("give -o DIR for CSV output or for several inputs")
    if out_dir is not None:
        prepare_output_dir(out_dir)
    records: dict[str, dict] = {}
    failed = 0
    stems = unique_stems(dict.fromkeys(inputs), lambda s: "stdin" if s == STDIN else Path(s).stem)
    for source, stem in stems.items():
        try:
            record = parse_plan(read_text(source, MAX_PLAN_BYTES)).to_dict()
            if out_dir is None:
                click.echo(json.dumps(record, ensure_ascii=False, indent=1))
            elif fmt == "json":
                _write(out_dir / f"{stem}.json", json.dumps(record, ensure_ascii=False, indent=1),
                       inputs)
            records[stem] = record
        except InputError as error:
            click.echo(f"vnplan: error: {error}", err=True)
            failed += 1
    if fmt == "csv" and out_dir is not None:
        for name in ("plans", *LISTS):
            _check_not_input(out_dir / f"{name}.csv", inputs)
        try:
            write_tables(records, out_dir)
        except OSError as error:
            raise OutputError(f"{out_dir}: cannot write tables ({error})") from error
    if failed:
        sys.exit(int(ExitCode.input_failed))


def _check_not_input(path: Path, inputs: tuple[str, ...]) -> None:
    if any(s != STDIN and Path(s).resolve() == path.resolve() for s in inputs):
        raise OutputError(f"{path}: would overwrite an input; choose another -o")


def _write(path: Path, text: str, inputs: tuple[str, ...]) -> None:
    _check_not_input(path, inputs)
    try:
        atomic_write_text(path, text + "\n")
    except OSError as error:
        raise OutputError(f"{path}: cannot write ({error.strerror or error})") from error
