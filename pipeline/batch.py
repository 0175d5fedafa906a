"""A batch: every page of every input through the workers, then each document, once all its
pages are read, back to a worker that writes its outputs (:mod:`pipeline.finish`); the manifest
kept so that a re-run picks up where a killed one stopped.

Pages, not documents, are the unit of reading, so one long PDF still keeps every core busy; the
parent only schedules and records, so it never keeps a worker waiting. The workers are local
processes (:mod:`pipeline.pool`) or, with a scheduler address, a Dask cluster (which then needs
the inputs and the output folder at the same paths); both are driven through the same small
interface, so the two give identical outputs.

Failures stay as small as they can: a page that cannot be read (damaged, missing from a PDF
whose page count lies, its worker killed) fails that page; its document is written with the
pages that were read and recorded as failed, and the pages read are kept (see
``manifest.PageStore``) so that the next run reads only what is missing.

With ``adapt`` (``vnplan run --adapt``) the batch has two phases: every page is read and
corrected as without it, and kept in the page store; then the syllable model is adapted once to
the confident lines of all of them (:mod:`pipeline.restore.adapt`) and saved as OUT/lm.npz, and
every document is corrected again with it, from Tesseract's readings, and written. The model is a
function of the pages, so a run killed in any phase and run again makes the same model and the
same outputs; once OUT/lm.npz is there it is the folder's model, reused by every later
``--adapt`` run (new documents are corrected with it, done ones are left alone); deleting it
adapts afresh, and redoes every document.
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Protocol

from pipeline.documents import DocumentSpec, find_documents
from pipeline.errors import (
    ClusterError,
    InputError,
    MissingDependencyError,
    OutputError,
    VnplanError,
)
from pipeline.export import output_dir_lock, prepare_output_dir, remove_stale_temporaries
from pipeline.inputs import missing_pdf_pages
from pipeline.installed import check_tesseract
from pipeline.manifest import (
    MANIFEST_NAME,
    Entry,
    FileFacts,
    Known,
    Manifest,
    PageStore,
    content_sha256,
)
from pipeline.models import BatchResult, Document, DocumentResult, Failure, Page, WordCounts
from pipeline.pool import LocalPool, Outcome, Task, local_pool, remove_abandoned_temp_dirs
from pipeline.selection import PageSelection
from pipeline.tables import write_tables
from pipeline.tasks import (
    DocumentWork,
    KeepPage,
    OcrOptions,
    PageOutcome,
    Written,
    ocr_page_of,
    write_document,
)


def available_cores() -> int:
    return len(os.sched_getaffinity(0))


@dataclass(frozen=True)
class BatchOptions:
    jobs: int = field(default_factory=available_cores)  # local worker processes
    scheduler: str | None = None  # Dask scheduler address, e.g. tcp://10.0.0.5:8786
    force: bool = False  # redo documents the manifest says are done
    parse: bool = True  # extract the plan fields and write the batch tables
    group: str = "auto"  # which files make one document: see pipeline.documents
    output_type: str = "pdfa"  # <stem>.pdf: pdfa (PDF/A-2b), pdf, or none (no PDF)
    adapt: bool = False  # correct with a model adapted to the batch's confident lines
    # the dictionaries folder of the model adapted (None: the installed one, the shipped
    # model's); evaluations give one without a genre, to adapt a model that never saw it
    adapt_dictionaries: Path | None = None


ProgressCallback = Callable[[int, int], None]  # (pages done, pages to do)
ADAPTED_MODEL = "lm.npz"  # OUT/lm.npz: the model --adapt made for the folder
MAX_REASONS = 3  # page failures a document's reason lists; more are counted
INTERRUPTED = "interrupted while its outputs were written; run again"


@dataclass
class _Job:
    """A document being processed: its manifest facts and the pages read so far."""

    spec: DocumentSpec
    stem: str
    files: tuple[FileFacts, ...]
    sha256: str
    replaces: list[Entry]  # rows of documents this one takes the files of
    page_refs: list[tuple[Path, int]] = field(default_factory=list)  # (file, page in it)
    selected: list[int] = field(default_factory=list)  # the positions wanted (--pages)
    todo: list[int] = field(default_factory=list)  # those still to read (not kept from before)
    kept: list[int] = field(default_factory=list)  # positions read and in the page store
    given: dict[int, Page] = field(default_factory=dict)  # read and sent back (one-page ones)
    previews: dict[int, bytes] = field(default_factory=dict)  # the given pages' images
    errors: list[str] = field(default_factory=list)

    @property
    def page_count(self) -> int:
        return len(self.page_refs)

    @property
    def pages_read(self) -> int:
        return len(self.kept) + len(self.given)


def run_batch(
    inputs: Sequence[Path],
    out_dir: Path,
    options: OcrOptions = OcrOptions(),
    batch: BatchOptions = BatchOptions(),
    on_progress: ProgressCallback | None = None,
) -> BatchResult:
    """Process every input not already done into ``out_dir``; see the module docstring.

    A bad document or page becomes a Failure and the batch goes on; only an unwritable output
    folder or manifest, a missing Tesseract or model, or an unreachable cluster stops it, since
    every later document would fail the same way.
    """
    if batch.adapt and (options.raw or not options.correct or options.lm is not None):
        raise ValueError("adapt corrects with a model of its own: not with raw, no correct "
                         "or a model (lm) given")
    started = time.perf_counter()
    with _local_workers(batch) as local:
        if local is not None and (batch.force or not (out_dir / MANIFEST_NAME).exists()):
            local.warm()  # work for sure: the forkserver imports while this plans
        documents, problems = find_documents(inputs, batch.group, skip=out_dir)
        result = BatchResult(failures=[Failure(p.path, p.reason) for p in problems])
        prepare_output_dir(out_dir)
        with output_dir_lock(out_dir):
            remove_stale_temporaries(out_dir)
            remove_abandoned_temp_dirs(tempfile.gettempdir())  # of runs killed before now
            _run(documents, out_dir, options, batch, on_progress, result, local)
    result.seconds = time.perf_counter() - started
    return result


def _import_the_end(parse: bool) -> None:
    """Import what the parent needs only at the end of the batch: the report's modules (OpenCV
    and NumPy, lxml, rapidfuzz) and the tables' pandas, half a second of CPU. Called as the
    local workers' forkserver imports theirs, on the core the parent otherwise leaves idle,
    rather than at the end, where nothing else runs."""
    for name in ("pipeline.report", *(("pandas",) if parse else ())):
        importlib.import_module(name)


def _run(
    documents: list[DocumentSpec], out_dir: Path, options: OcrOptions, batch: BatchOptions,
    on_progress: ProgressCallback | None, result: BatchResult, local: LocalPool | None,
) -> None:
    """The batch proper, with the output folder held; ``local``: the local workers (None: the
    scheduler's)."""
    model = (out_dir / ADAPTED_MODEL).absolute()  # absolute: workers may run elsewhere
    adapted = _folder_model(model) if batch.adapt else None
    settings = _settings(options, batch.parse, batch.output_type, adapted)
    store = PageStore(out_dir)
    with Manifest(out_dir) as manifest:
        jobs = _plan(documents, manifest, out_dir, settings, batch.force, result, options.pages,
                     work_found=local.warm if local is not None else None)
        for job in jobs:  # pages a killed or failed run finished are not read again
            job.kept = [position for position in sorted(job.selected)  # one page held at a time
                        if store.page(job.sha256, settings, position) is not None]
            job.todo = [position for position in job.selected if position not in job.kept]
        record = partial(_record, out_dir=out_dir, manifest=manifest, result=result,
                         store=store)
        for job in jobs:
            if not job.todo and not job.kept:  # nothing to read or write: its errors only
                record(job, Written([], None, []), settings)
        working = [job for job in jobs if job.todo or job.kept]
        if working:
            if any(job.todo for job in working):
                check_tesseract(options.lang)
            if local is not None:
                _import_the_end(batch.parse)
            context = _Context(out_dir, settings, batch.parse, batch.output_type,
                               keep_all=batch.adapt, lang=options.lang)
            learn = None
            if batch.adapt:

                def learn(ready: list[_Job]) -> _Context:
                    if adapted:
                        result.notes.append(f"{model}: the folder's adapted model, made by an "
                                            "earlier run, corrects the documents")
                    digest = adapted or _adapt(model, ready, store, settings, batch, result)
                    return replace(context, model=model, settings=_settings(
                        options, batch.parse, batch.output_type, digest))
            claim = partial(_claim, manifest=manifest)
            with _workers(batch, local) as pool:
                for job, written, job_settings in _process(working, pool, options, context,
                                                           claim, result, on_progress, learn):
                    record(job, written, job_settings)
            remove_stale_temporaries(out_dir)  # of a worker killed while writing
        store.keep_only((e.sha256, e.settings) for e in manifest.entries() if e.status == "failed")
        if batch.parse:
            _write_tables(manifest, out_dir)
    from pipeline.report import write_report  # imported already, if there were workers

    write_report(out_dir)  # from the outputs and the manifest, as `vnplan report` does


def _settings(
    options: OcrOptions, parse: bool, output_type: str = "pdfa", adapted: str | None = None
) -> str:
    """The options that shape the outputs; a change of any of them makes a document redone.

    ``adapted``: with --adapt, the digest of the folder's adapted model ("" until it is made).
    Pages are read alike with and without it, so the page store ignores both (see
    ``manifest.PageStore.folder``)."""
    shaping = asdict(options)
    shaping["pages"] = None if options.pages is None else str(options.pages)
    del shaping["debug_dir"], shaping["timeout"]
    lm = shaping.pop("lm")
    if lm is not None:  # only a model of one's own: outputs made with the default stay done
        shaping["lm"] = str(lm)
    if adapted is not None:  # only with --adapt: outputs made without it stay done
        shaping["adapt"], shaping["adapted_lm"] = True, adapted or None
    return json.dumps({**shaping, "parse": parse, "output_type": output_type}, sort_keys=True)


def _folder_model(path: Path) -> str:
    """The digest of the folder's adapted model, "" when it has none yet."""
    if not path.is_file():
        return ""
    from pipeline.restore.adapt import model_digest  # the parent imports no model unless asked

    try:
        return model_digest(path)
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise OutputError(f"{path}: not the folder's adapted model ({error}); delete it to "
                          "adapt the model again (every document is then redone)") from error


def _adapt(
    path: Path, jobs: list[_Job], store: PageStore, settings: str, batch: BatchOptions,
    result: BatchResult,
) -> str:
    """Adapt the model to the confident lines of every page of ``jobs`` (in the page store),
    save it as ``path`` (atomically) and give its digest; with too few lines, the base model
    is saved instead, and said so."""
    from pipeline.restore import ModelMissingError, candidate_index, load_language_model
    from pipeline.restore.adapt import (
        adapt,
        base_sources,
        confident_lines,
        model_digest,
        ocr_lines,
    )
    from pipeline.restore.build import DICTIONARIES, BuildConfig, build_model

    config = BuildConfig()
    base = base_sources(config, batch.adapt_dictionaries or DICTIONARIES)
    try:
        known = candidate_index(load_language_model()).abbreviation_known
    except ModelMissingError as error:
        raise MissingDependencyError(str(error)) from error
    documents = (Document(job.spec.source, [page])  # a page at a time: memory stays flat
                 for job in jobs for position in sorted(job.kept)
                 if (page := store.page(job.sha256, settings, position)) is not None)
    lines = confident_lines(ocr_lines(documents), known)
    try:
        adaptation = adapt(lines, config, base)
    except ValueError as error:
        model = build_model(base, config)
        result.notes.append(f"warning: {path}: the model is not adapted, too few lines the "
                            f"OCR was sure of ({error}); the base model is kept")
    else:
        model, weight = adaptation.model, adaptation.weight
        result.notes.append(
            f"{path}: adapted to {adaptation.taught} confident lines, weight {weight}; "
            f"held-out lines restored {adaptation.accuracy[0]:.4f} by the base model, "
            f"{adaptation.accuracy[weight]:.4f} by this one")
    try:
        model.save(path)
    except OSError as error:
        raise OutputError(f"{path}: cannot save the adapted model ({error.strerror or error})"
                          ) from error
    return model_digest(path)


def _plan(
    documents: list[DocumentSpec],
    manifest: Manifest,
    out_dir: Path,
    settings: str,
    force: bool,
    result: BatchResult,
    pages: PageSelection | None = None,
    work_found: Callable[[], None] | None = None,
) -> list[_Job]:
    """The documents to process: new, changed, failed before, or made with other settings.

    A document keeps the id it first got in this folder, also once moved or renamed (found
    again by its content), so its outputs never move; a new one gets its own id, with -2,
    -3... when another document has it. ``work_found`` is called as each document with
    pages to read is found (the local workers' forkserver starts then, in a folder done
    before: not at all when everything is done already).
    """
    known = Known(manifest.entries())
    taken = {entry.stem.casefold() for entry in known.entries}
    jobs: list[_Job] = []
    for spec in documents:
        entry = known.by_paths(spec.files)
        try:
            files = tuple(FileFacts.of(path) for path in spec.files)
            if (not force and entry is not None and entry.files == files
                    and _reusable(entry, entry.sha256, settings, out_dir)):
                _retire(known.overlapping(spec.files, entry), entry.outputs, manifest, out_dir)
                result.skipped.append(spec.source)
                continue
            sha256 = content_sha256(spec.files)
        except OSError as error:
            reason = _reason(spec, Path(error.filename or spec.source),
                             f"cannot be read ({error.strerror})")
            result.failures.append(Failure(spec.source, reason))
            continue
        entry = entry or known.moved(sha256)
        replaces = known.overlapping(spec.files, entry)
        if not force and entry is not None and _reusable(entry, sha256, settings, out_dir):
            manifest.repoint(entry.stem, spec.source, files)  # moved, renamed or touched
            _retire(replaces, entry.outputs, manifest, out_dir)
            result.skipped.append(spec.source)
            continue
        stem = entry.stem if entry is not None else _new_stem(spec.id, replaces, taken, out_dir)
        job = _Job(spec, stem, files, sha256, replaces)
        try:
            job.page_refs = spec.pages()
            job.selected = (pages.numbers(job.page_count) if pages
                            else list(range(1, job.page_count + 1)))
            if not job.selected:
                raise InputError(spec.source,
                                 f"none of its {job.page_count} pages is in --pages {pages}")
            _drop_missing_pages(job)
        except InputError as error:
            job.errors.append(_reason(spec, error.path, error.reason))
            job.selected = []
        jobs.append(job)
        if job.selected and work_found is not None:
            work_found()
    return jobs


def _drop_missing_pages(job: _Job) -> None:
    """A PDF whose page count promises more pages than it has: the pages it has are read, and
    what is missing is said once, not once per missing page."""
    for path in dict.fromkeys(path for path, _ in job.page_refs):
        missing = set(missing_pdf_pages(path))
        if missing:
            declared = sum(1 for file, _ in job.page_refs if file == path)
            job.errors.append(_reason(
                job.spec, path, f"declares {declared} pages, {declared - len(missing)} readable"
            ))
            job.selected = [position for position in job.selected
                            if job.page_refs[position - 1] not in
                            {(path, number) for number in missing}]


def _reusable(entry: Entry, sha256: str, settings: str, out_dir: Path) -> bool:
    """Done from this content with these settings, and its outputs all there."""
    return (
        entry.status == "done"
        and entry.sha256 == sha256
        and entry.settings == settings
        and all((out_dir / name).is_file() for name in entry.outputs)
    )


def _new_stem(
    document_id: str, replaces: list[Entry], taken: set[str], out_dir: Path
) -> str:
    """The document's id, or the first free ``-2``, ``-3``...; the id of a document this one
    replaces (a series that gained a page) is its own to take. An id whose output names are
    files the manifest does not know (the user's own ``report.txt``) is not free."""
    from pipeline.writers import OUTPUT_SUFFIXES  # the writers bring the report's OpenCV

    for entry in replaces:
        if entry.stem.casefold() == document_id.casefold():
            return entry.stem
    stem, counter = document_id, 1
    while stem.casefold() in taken or any(
        (out_dir / f"{stem}{suffix}").exists() for suffix in OUTPUT_SUFFIXES
    ):
        counter += 1
        stem = f"{document_id}-{counter}"
    taken.add(stem.casefold())
    return stem


def _reason(spec: DocumentSpec, path: Path, reason: str) -> str:
    """A page's failure; in a document of several files, it names the file."""
    return reason if len(spec.files) == 1 else f"{path.name}: {reason}"


def _retire(replaced: list[Entry], keep: list[str], manifest: Manifest, out_dir: Path) -> None:
    """Forget documents whose files now belong to another, and delete their outputs (but not
    ``keep``, what the new document wrote under the same names)."""
    for entry in replaced:
        if not manifest.remove(entry):
            continue  # its row already describes the new document
        for name in entry.outputs:
            if name not in keep:
                try:
                    (out_dir / name).unlink(missing_ok=True)
                except OSError as error:
                    raise OutputError(
                        f"{out_dir / name}: cannot remove ({error.strerror or error})"
                    ) from error


class _Pool(Protocol):
    """Workers that do tasks: submit them, then collect their outcomes as they come."""

    slots: int  # tasks it works on at once

    def submit(self, key: int, task: Task, first: bool = False) -> None: ...

    def completed(self) -> list[tuple[int, Outcome]]: ...


@contextmanager
def _local_workers(batch: BatchOptions) -> Iterator[LocalPool | None]:
    """The local pool (None with a scheduler), entered before the batch is planned: warmed
    (``LocalPool.warm``) once there is work, its forkserver imports the workers' modules, a
    second or so, while the plan goes on."""
    if batch.scheduler:
        yield None
    else:
        with local_pool(batch.jobs) as pool:
            yield pool


@contextmanager
def _workers(batch: BatchOptions, local: LocalPool | None) -> Iterator[_Pool]:
    """The workers, for the documents' pages and outputs: ``local``, whose workers leave once
    they are done (before the tables and the report), or the scheduler's."""
    if local is None:
        assert batch.scheduler is not None
        yield from _dask_workers(batch.scheduler)
    else:
        yield local
        local.close()


class _FuturesPool:
    """A ``concurrent.futures`` executor (Dask's) as a _Pool. Dask reschedules the tasks of a
    lost worker itself, and orders them itself (``first`` is a hint it does not need); a task
    that keeps killing workers fails as an internal error."""

    def __init__(self, executor: Executor, slots: int) -> None:
        self.slots = slots
        self._executor = executor
        self._running: dict[Future, tuple[int, Task]] = {}

    def submit(self, key: int, task: Task, first: bool = False) -> None:
        future = self._executor.submit(task.function, *task.arguments)
        self._running[future] = (key, task)

    def completed(self) -> list[tuple[int, Outcome]]:
        finished, _ = wait(self._running, return_when=FIRST_COMPLETED)
        outcomes = []
        for future in finished:
            key, task = self._running.pop(future)
            outcomes.append((key, _outcome(future, task)))
        return outcomes


def _dask_workers(address: str) -> Iterator[_Pool]:
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
        yield _FuturesPool(client.get_executor(pure=False),
                           max(sum(client.nthreads().values()), 1))
    finally:
        client.close()


@dataclass(frozen=True)
class _Context:
    """What every document of the run is written with."""

    out_dir: Path
    settings: str
    parse: bool
    output_type: str
    keep_all: bool = False  # every page kept, a one-page document's too (--adapt)
    lang: str = "vie"
    model: Path | None = None  # the adapted model every page is corrected with again

    def task(self, job: _Job) -> Task:
        """The worker's task for ``job``'s outputs."""
        return Task(f"{job.stem}:outputs", "writing its outputs", write_document,
                    (self.work(job),))

    def work(self, job: _Job) -> DocumentWork:
        """The task of writing ``job``'s outputs, once its pages are all in."""
        return DocumentWork(
            source=job.spec.source, stem=job.stem, out_dir=self.out_dir, settings=self.settings,
            sha256=job.sha256, page_refs=tuple(job.page_refs), kept=tuple(sorted(job.kept)),
            given=job.given, previews=job.previews, parse=self.parse,
            output_type=self.output_type, model=self.model, lang=self.lang,
        )

    def keep(self, job: _Job, position: int) -> KeepPage | None:
        """Where the page at ``position`` waits for the rest of its document, if it has any."""
        if len(job.selected) == 1 and not self.keep_all:
            return None
        return KeepPage(self.out_dir, job.sha256, self.settings, position)


def _process(
    jobs: list[_Job],
    pool: _Pool,
    options: OcrOptions,
    context: _Context,
    claim: Callable[[_Job, str], None],
    result: BatchResult,
    on_progress: ProgressCallback | None,
    learn: Callable[[list[_Job]], _Context] | None = None,
) -> Iterator[tuple[_Job, Written, str]]:
    """Submit pages (in ``_reading_order``), a few per worker ahead, and each document, once
    all its pages are in, ahead of every page still waiting (so documents complete and are
    saved early and what waits stays bounded); yield each document with what its worker wrote
    and the settings it was written with.

    The pages of a document of several are kept in the page store by the workers that read
    them; a one-page document's page comes back and goes out again with its document.

    ``learn`` (--adapt): documents wait until every page is read; then ``learn`` is given
    them, in document order, and gives the context they are written in."""
    tasks = _reading_order(jobs, pool.slots)
    held: set[int] = set()  # documents read, waiting for learn
    waiting = {id(job): len(job.todo) for job in jobs}  # pages still to come, per document
    ahead = 2 * pool.slots  # every worker has its next page waiting
    running: dict[int, tuple[_Job, int | None]] = {}  # (document, page position or None)
    reading = 0  # pages among them
    keys = itertools.count()
    done = 0

    def finish(job: _Job) -> None:
        if learn is not None:
            held.add(id(job))
            return
        claim(job, context.settings)
        key = next(keys)
        pool.submit(key, context.task(job), first=True)
        running[key] = job, None

    for job in jobs:
        if not job.todo:  # every page kept by an earlier run
            finish(job)
    if on_progress is not None:
        on_progress(0, len(tasks))
    queue = iter(tasks)
    while True:
        for job, position in queue:
            path, number = job.page_refs[position - 1]
            key = next(keys)
            pool.submit(key, Task(f"{path.name}:{number}", f"reading page {number}", ocr_page_of,
                                  (path, number, options, context.keep(job, position), True)))
            running[key] = job, position
            reading += 1
            if reading >= ahead:
                break
        if not running and held and learn is not None:
            context, learn = learn([job for job in jobs if id(job) in held]), None
            for job in jobs:
                if id(job) in held:
                    finish(job)
        if not running:
            return
        for key, outcome in pool.completed():
            job, position = running.pop(key)
            if position is None:
                written = outcome.value if outcome.failure is None else Written(
                    [], None, [outcome.failure])
                assert isinstance(written, Written)
                result.peak_worker_mb = max(result.peak_worker_mb, written.peak_memory_mb)
                yield job, written, context.settings
                continue
            reading -= 1
            _receive_page(job, position, outcome, result)
            waiting[id(job)] -= 1
            done += 1
            if on_progress is not None:
                on_progress(done, len(tasks))
            if waiting[id(job)] == 0:
                if job.pages_read:
                    finish(job)
                else:  # every page failed: nothing to write
                    yield job, Written([], None, []), context.settings


def _reading_order(jobs: list[_Job], slots: int) -> list[tuple[_Job, int]]:
    """The pages to read, (document, position), in the order they go to the workers.

    Documents with the most pages to read go first, so that the outputs of a long one are
    written while other pages are read, not at the end with the other workers idle. The pages
    of the last ``slots`` documents are interleaved, aligned on their last pages: they are read
    side by side and end together, and so are their outputs, written at once by as many
    workers, rather than one after another while the others wait. Outputs do not depend on
    this order (the report and the tables sort theirs)."""
    order = sorted((job for job in jobs if job.todo), key=lambda job: -len(job.todo))
    head, tail = order[:-slots], order[-slots:]
    tasks = [(job, position) for job in head for position in job.todo]
    longest = max((len(job.todo) for job in tail), default=0)
    for step in range(longest):
        for job in tail:
            index = step - (longest - len(job.todo))  # the shorter ones start later
            if index >= 0:
                tasks.append((job, job.todo[index]))
    return tasks


def _receive_page(job: _Job, position: int, outcome: Outcome, result: BatchResult) -> None:
    """A page's outcome into its document: kept, given, or why it failed."""
    path, number = job.page_refs[position - 1]
    page_outcome = outcome.value
    if outcome.failure is not None or not isinstance(page_outcome, PageOutcome):
        job.errors.append(_reason(job.spec, path, outcome.failure or "no outcome"))
        return
    result.peak_worker_mb = max(result.peak_worker_mb, page_outcome.peak_memory_mb)
    if page_outcome.kept:
        job.kept.append(position)
    elif page_outcome.page is not None:
        job.given[position] = page_outcome.page
        if page_outcome.preview is not None:
            job.previews[position] = page_outcome.preview
    elif page_outcome.error is not None:
        job.errors.append(_reason(job.spec, path, page_outcome.error))


def _outcome(future: Future, task: Task) -> Outcome:
    """The worker's outcome, or one that says why the worker gave none."""
    try:
        return Outcome(future.result())
    except VnplanError:
        raise  # Tesseract or a model missing on the worker: every task would fail alike
    except Exception as error:  # a bug, or a task that killed Dask workers: fail this one
        return Outcome(None, f"internal error while {task.label}: {type(error).__name__}: {error}")


def _claim(job: _Job, settings: str, manifest: Manifest) -> None:
    """The id is claimed before any output is written: a run killed while writing them leaves
    a row that ties the files written to this document, so the next run redoes it under the
    same id instead of taking them for the user's and choosing "<id>-2"."""
    manifest.record(_entry(job, settings, "failed", INTERRUPTED, [], None))


def _record(
    job: _Job, written: Written, settings: str, out_dir: Path, manifest: Manifest,
    result: BatchResult, store: PageStore,
) -> None:
    """Record a document once its outputs are in place: done, or failed with its reasons. A
    document some of whose pages failed is written with the pages read and recorded as
    failed, its pages kept for the next run, which reads only the pages that failed."""
    job.errors.extend(written.errors)
    names = [path.relative_to(out_dir).as_posix() for path in written.outputs]
    if job.errors:
        reason = _failure_reason(job, bool(written.outputs))
        result.failures.append(Failure(job.spec.source, reason))
        manifest.record(_entry(job, settings, "failed", reason, names, None, written.counts))
        return
    manifest.record(_entry(job, settings, "done", None, names, written.fields, written.counts))
    store.discard(job.sha256, settings)
    _retire(job.replaces, names, manifest, out_dir)
    result.done.append(DocumentResult(job.spec.source, job.pages_read, written.outputs))


def _failure_reason(job: _Job, written: bool) -> str:
    """One line: the first few distinct reasons, how many more, and what was written."""
    reasons = list(dict.fromkeys(job.errors))
    reason = "; ".join(reasons[:MAX_REASONS])
    if len(reasons) > MAX_REASONS:
        reason += f"; and {len(reasons) - MAX_REASONS} more"
    if written and job.pages_read > 1:
        reason += f"; the {job.pages_read} pages read are written"
    elif written and job.pages_read:
        reason += "; the page read is written"
    return reason


def _entry(
    job: _Job, settings: str, status: str, error: str | None, outputs: list[str],
    fields: dict | None, counts: WordCounts | None = None,
) -> Entry:
    return Entry(
        stem=job.stem, source=job.spec.source, files=job.files, sha256=job.sha256,
        settings=settings, status=status, pages=job.page_count, error=error, outputs=outputs,
        fields=fields, counts=counts,
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
