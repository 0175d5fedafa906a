"""A batch: every page of every input through the workers, outputs written as each document
completes, the manifest kept so that a re-run picks up where a killed one stopped.

Pages, not documents, are the unit of work, so one long PDF still keeps every core busy. The
workers are a local process pool or, with a scheduler address, a Dask cluster; both are driven
through the same ``concurrent.futures`` interface, so the two give identical outputs.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline import ocr
from pipeline.errors import ClusterError, InputError, OutputError, VnplanError
from pipeline.export import (
    output_stem,
    prepare_output_dir,
    remove_stale_temporaries,
    unique_stems,
    write_document_outputs,
)
from pipeline.inputs import count_pages, discover
from pipeline.manifest import Entry, Manifest, file_sha256
from pipeline.models import BatchResult, Document, DocumentResult, Failure, Page
from pipeline.pages import OcrOptions, PageOutcome, ocr_page_of
from pipeline.parse import parse_plan
from pipeline.tables import write_tables


def available_cores() -> int:
    return len(os.sched_getaffinity(0))


@dataclass(frozen=True)
class BatchOptions:
    jobs: int = field(default_factory=available_cores)  # local worker processes
    scheduler: str | None = None  # Dask scheduler address, e.g. tcp://10.0.0.5:8786
    force: bool = False  # redo documents the manifest says are done
    parse: bool = True  # extract the plan fields and write the batch tables


ProgressCallback = Callable[[int, int], None]  # (pages done, pages to do)


@dataclass
class _Job:
    """A document being processed: its manifest facts and the pages received so far."""

    source: Path
    stem: str
    size: int
    mtime_ns: int
    sha256: str
    page_count: int
    pages: dict[int, Page] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    outstanding: int = 0


def run_batch(
    inputs: Sequence[Path],
    out_dir: Path,
    options: OcrOptions = OcrOptions(),
    batch: BatchOptions = BatchOptions(),
    on_progress: ProgressCallback | None = None,
) -> BatchResult:
    """Process every input not already done into ``out_dir``; see the module docstring.

    A bad document becomes a Failure and the batch goes on; only an unwritable output folder,
    a missing Tesseract or model, or an unreachable cluster stops it, since every later
    document would fail the same way.
    """
    started = time.perf_counter()
    sources, problems = discover(inputs)
    result = BatchResult(failures=[Failure(p.path, p.reason) for p in problems])
    prepare_output_dir(out_dir)
    remove_stale_temporaries(out_dir)
    settings = _settings(options, batch.parse)
    with Manifest(out_dir) as manifest:
        jobs = _plan(sources, manifest, out_dir, settings, batch.force, result)
        if jobs:
            ocr.check_tesseract(options.lang)
            with _workers(batch) as (executor, slots):
                for job, outcome in _process(jobs, executor, slots, options, on_progress):
                    result.peak_worker_mb = max(result.peak_worker_mb, outcome.peak_memory_mb)
                    if job.outstanding == 0:
                        _finish(job, out_dir, settings, batch.parse, manifest, result)
        if batch.parse:
            _write_tables(manifest, out_dir)
    result.seconds = time.perf_counter() - started
    return result


def _settings(options: OcrOptions, parse: bool) -> str:
    """The options that shape the outputs; a change of any of them makes a document redone."""
    shaping = asdict(options)
    del shaping["debug_dir"], shaping["timeout"]
    return json.dumps({**shaping, "parse": parse}, sort_keys=True)


def _plan(
    sources: list[Path],
    manifest: Manifest,
    out_dir: Path,
    settings: str,
    force: bool,
    result: BatchResult,
) -> list[_Job]:
    """The documents to process: new, changed, failed before, or made with other settings."""
    known = {entry.source: entry for entry in manifest.entries()}
    unique = list(dict.fromkeys(source.resolve() for source in sources))
    new_stems = unique_stems(
        [source for source in unique if source not in known], output_stem,
        taken={entry.stem for entry in known.values()},
    )
    jobs: list[_Job] = []
    for source in unique:
        entry = known.get(source)
        try:
            stat = source.stat()
            if not force and entry is not None and _still_done(entry, stat, settings, out_dir):
                result.skipped.append(source)
                continue
            sha256 = file_sha256(source)
            if entry is not None and not force and _same_content(entry, sha256, settings, out_dir):
                result.skipped.append(source)
                continue
            job = _Job(source, entry.stem if entry else new_stems[source], stat.st_size,
                       stat.st_mtime_ns, sha256, page_count=0)
        except OSError as error:
            result.failures.append(Failure(source, f"cannot be read ({error.strerror})"))
            continue
        try:
            job.page_count = count_pages(source)
        except InputError as error:
            job.errors.append(error.reason)
            _finish(job, out_dir, settings, False, manifest, result)
            continue
        jobs.append(job)
    return jobs


def _still_done(entry: Entry, stat: os.stat_result, settings: str, out_dir: Path) -> bool:
    """Done, unchanged on disk by size and time, so not even worth hashing again."""
    return (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns) and _same_content(
        entry, entry.sha256, settings, out_dir
    )


def _same_content(entry: Entry, sha256: str, settings: str, out_dir: Path) -> bool:
    return (
        entry.status == "done"
        and entry.sha256 == sha256
        and entry.settings == settings
        and all((out_dir / name).is_file() for name in entry.outputs)
    )


@contextmanager
def _workers(batch: BatchOptions) -> Iterator[tuple[Executor, int]]:
    """The executor, and how many pages it can work on at once."""
    if batch.scheduler:
        yield from _dask_workers(batch.scheduler)
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipeline.pages"])
    executor = ProcessPoolExecutor(
        batch.jobs, mp_context=context, initializer=signal.signal,
        initargs=(signal.SIGINT, signal.SIG_IGN),  # Ctrl-C is the parent's to handle
    )
    try:
        yield executor, batch.jobs
    except BaseException:
        # Interrupted: stop now rather than after every queued page. Python 3.11's pool has
        # no public way to stop running workers, so terminate its processes directly.
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


def _dask_workers(address: str) -> Iterator[tuple[Executor, int]]:
    try:
        from distributed import Client
    except ImportError as error:  # pragma: no cover - distributed is a dependency
        raise ClusterError(f"{address}: dask.distributed is not installed") from error
    try:
        client = Client(address, timeout="30s")
    except (OSError, TimeoutError) as error:
        raise ClusterError(
            f"{address}: cannot reach the Dask scheduler ({error}); "
            "check `dask scheduler` is running there"
        ) from error
    try:
        yield client.get_executor(pure=False), max(sum(client.nthreads().values()), 1)
    finally:
        client.close()


def _process(
    jobs: list[_Job],
    executor: Executor,
    slots: int,
    options: OcrOptions,
    on_progress: ProgressCallback | None,
) -> Iterator[tuple[_Job, PageOutcome]]:
    """Submit pages in document order, a few per worker ahead, and yield each outcome as it
    comes, so documents complete (and are saved) early and memory stays bounded."""
    total = sum(job.page_count for job in jobs)
    tasks = ((job, number) for job in jobs for number in range(1, job.page_count + 1))
    ahead = 2 * slots  # every worker has its next page waiting
    running: dict[Future, tuple[_Job, int]] = {}
    done = 0
    if on_progress is not None:
        on_progress(0, total)
    while True:
        for job, number in tasks:
            running[executor.submit(ocr_page_of, job.source, number, options)] = (job, number)
            job.outstanding += 1
            if len(running) >= ahead:
                break
        if not running:
            return
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            job, number = running.pop(future)
            job.outstanding -= 1
            outcome = _outcome(future, job, number)
            if outcome.page is not None:
                job.pages[number] = outcome.page
            elif outcome.error is not None:
                job.errors.append(outcome.error)
            done += 1
            if on_progress is not None:
                on_progress(done, total)
            yield job, outcome


def _outcome(future: Future, job: _Job, number: int) -> PageOutcome:
    """The worker's outcome, or one that says why the worker gave none."""
    try:
        return future.result()
    except VnplanError:
        raise  # Tesseract or a model missing on the worker: every page would fail alike
    except BrokenProcessPool:
        reason = "the worker process died (out of memory or crashed); run again to retry"
    except Exception as error:  # a bug, or a lost Dask worker: fail this page, keep the batch
        reason = f"internal error on page {number}: {type(error).__name__}: {error}"
    return PageOutcome(job.source, number, None, reason, 0.0)


def _finish(
    job: _Job, out_dir: Path, settings: str, parse: bool, manifest: Manifest, result: BatchResult
) -> None:
    """Write a completed document's outputs, then record it: done only once they are in place."""
    if job.errors:
        reason = "; ".join(dict.fromkeys(job.errors))
        result.failures.append(Failure(job.source, reason))
        manifest.record(_entry(job, settings, "failed", reason, [], None))
        return
    document = Document(job.source, [job.pages[n] for n in sorted(job.pages)])
    fields = parse_plan(document.text).to_dict() if parse else None
    try:
        outputs = write_document_outputs(document, fields, out_dir, job.stem)
    except OSError as error:
        raise OutputError(f"{out_dir}: cannot write outputs ({error.strerror or error})") from error
    manifest.record(_entry(job, settings, "done", None, [p.name for p in outputs], fields))
    result.done.append(DocumentResult(job.source, len(document.pages), outputs))


def _entry(
    job: _Job, settings: str, status: str, error: str | None, outputs: list[str],
    fields: dict | None,
) -> Entry:
    return Entry(
        source=job.source, stem=job.stem, size=job.size, mtime_ns=job.mtime_ns,
        sha256=job.sha256, settings=settings, status=status, pages=job.page_count, error=error,
        outputs=outputs, fields=fields,
    )


def _write_tables(manifest: Manifest, out_dir: Path) -> None:
    """The batch CSV tables over every document done in this folder, this run or before."""
    done = [e for e in manifest.entries() if e.status == "done" and e.fields is not None]
    # In input path order, not in the order workers happened to finish.
    records = {e.stem: e.fields for e in sorted(done, key=lambda e: str(e.source))}
    if not records:
        return
    try:
        write_tables(records, out_dir)
    except OSError as error:
        raise OutputError(f"{out_dir}: cannot write tables ({error.strerror or error})") from error
