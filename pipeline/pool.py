"""Local worker processes that each do one task at a time (read a page, write a document's
outputs), so the pool knows which task each one is on.

``concurrent.futures``' process pool only knows that it is broken when a worker dies (the OOM
killer, a crash in a native library): every task in flight fails, the healthy workers' too, and
the pool is gone. Here each worker has a pipe of its own and one task at a time, so a dead
worker fails the task it was doing and nothing else, and a new worker takes its place while
the others go on.

Workers start from a forkserver that has imported :mod:`pipeline.pages` and
:mod:`pipeline.finish` once (the parent itself imports neither: its tasks name their functions,
:mod:`pipeline.tasks`), and leave when the parent does (see ``start_worker``). The forkserver
starts when the batch says there is work (``warm``: a new output folder or --force, else the
first document its plan finds to do), so that its imports (about a second of CPU) run while the
parent plans; the workers are forked from it when the first task comes. A run with nothing to
do starts neither. Their temporary files (Tesseract's page images, a PDF being made) go to the
run's own folder, removed when the run ends; one that a killed run left behind is removed by
the next run of any output folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from multiprocessing import forkserver, util
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from pipeline.errors import VnplanError

RUN_TEMP_PREFIX = "vnplan-run-"
MULTIPROCESSING_RECORD = "multiprocessing"  # in a run's folder: where multiprocessing's is
MULTIPROCESSING_PREFIX = "pymp-"  # how multiprocessing names its temporary folders
# Tests only (tests/test_reliability.py): a task's name ("<file name>:<page>" for a page,
# "<document id>:outputs" for a document's outputs) makes the worker given that task SIGKILL
# itself, as the OOM killer would.
KILL_AT_VARIABLE = "VNPLAN_TEST_KILL_WORKER_AT"


@dataclass(frozen=True)
class Task:
    """A call for a worker to make: ``function(*arguments)``, both picklable."""

    name: str  # what it works on: "<file name>:<page>", "<document id>:outputs"
    label: str  # what it does, for the failure of a worker that died on it: "reading page 3"
    function: Callable[..., object]
    arguments: tuple


@dataclass(frozen=True)
class Outcome:
    """What a task gave, or why it gave nothing (a bug, its worker killed)."""

    value: object | None
    failure: str | None = None


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    task: tuple[int, Task] | None = None  # (key, task) it is doing


# glibc's malloc in the workers (issue 15). By default, once a large block (a page's pixels) is
# freed, glibc serves every block up to that size from its heap and keeps up to twice that free
# at the heap's top: what a worker keeps resident between pages then depends on the order its
# blocks came and went (185-275 MB), and its peak with it, so a worker given more pages met a
# worse layout (329 MB at 50 pages, 369 at 200). Here every block of 1 MB or more is mapped on
# its own and unmapped when freed (175-205 MB kept; peaks of 325 and 328 MB), in transparent
# huge pages where the system gives them on request, so that mapping a fresh block costs no
# more time than reusing the heap did.
MMAP_THRESHOLD = 1 << 20
WORKER_MALLOC = f"glibc.malloc.mmap_threshold={MMAP_THRESHOLD}:glibc.malloc.hugetlb=1"
M_MMAP_THRESHOLD = -3  # mallopt's name for it (malloc.h)


@cache
def hold_malloc() -> None:
    """The workers' mmap threshold in a worker this module did not start (a Dask worker),
    whose environment never had WORKER_MALLOC: glibc's mallopt sets it as the process runs
    (huge pages can only be asked for in the environment). A threshold the environment sets,
    ours or the user's, is left as it is. Nothing on a C library other than glibc's."""
    if "glibc.malloc.mmap_threshold" in os.environ.get("GLIBC_TUNABLES", ""):
        return
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc
            ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


@contextmanager
def _worker_malloc() -> Iterator[None]:
    """GLIBC_TUNABLES with WORKER_MALLOC for the processes started inside (the user's own
    tunables after ours, so theirs win); the parent's environment is left as it was."""
    before = os.environ.get("GLIBC_TUNABLES")
    os.environ["GLIBC_TUNABLES"] = ":".join(filter(None, [WORKER_MALLOC, before]))
    try:
        yield
    finally:
        if before is None:
            del os.environ["GLIBC_TUNABLES"]
        else:
            os.environ["GLIBC_TUNABLES"] = before


class LocalPool:
    """``jobs`` worker processes, started with the first task; ``submit`` tasks, then
    ``completed`` gives their outcomes."""

    def __init__(self, jobs: int, temp_dir: str) -> None:
        self.slots = jobs
        self._context = multiprocessing.get_context("forkserver")
        # imported once, in the server every worker is forked from: pages and documents
        self._context.set_forkserver_preload(["pipeline.pool", "pipeline.pages",
                                              "pipeline.finish"])
        self._temp_dir = temp_dir
        self._queue: deque[tuple[int, Task]] = deque()
        self._workers: list[_Worker] = []

    def warm(self) -> None:
        """Start the forkserver, if it is not running: its imports go on while this process
        does other work. Called when there is work for the workers, not before, so that a
        run with nothing to do spends no second of CPU on them."""
        with _worker_malloc():  # read by glibc when the forkserver starts: the workers' too
            forkserver.ensure_running()

    def _start_workers(self) -> None:
        """Fork the workers, waiting for the forkserver's imports if they are not done."""
        self.warm()
        try:
            while len(self._workers) < self.slots:
                self._workers.append(self._start())
        except BaseException:
            self.terminate()
            raise

    def _start(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs, os.getpid(), self._temp_dir), name="vnplan-worker"
        )
        process.start()
        theirs.close()  # the worker's end: held only by the worker, so its death closes it
        return _Worker(process, ours)

    def submit(self, key: int, task: Task, first: bool = False) -> None:
        """Do ``task``; its outcome comes back from ``completed`` under ``key``. A ``first``
        task goes before those waiting (a document's outputs before more pages are read)."""
        if first:
            self._queue.appendleft((key, task))
        else:
            self._queue.append((key, task))
        self._dispatch()

    def _dispatch(self) -> None:
        if self._queue and not self._workers:
            self._start_workers()
        for index, worker in enumerate(self._workers):
            while worker.task is None and self._queue:
                key, task = self._queue[0]
                try:
                    worker.connection.send(task)
                except OSError:  # died while idle: replace it, the task goes to the new one
                    worker = self._replace(index)
                    continue
                self._queue.popleft()
                worker.task = (key, task)

    def completed(self) -> list[tuple[int, Outcome]]:
        """Wait for at least one task to be done, and give (key, outcome) of each that is.

        A worker that died fails its task, with how it ended, and is replaced; a VnplanError
        from a worker (Tesseract or a model missing, an output folder it cannot write) is
        raised here.
        """
        busy = [worker for worker in self._workers if worker.task is not None]
        if not busy and not self._queue:
            return []
        ready = set(wait([w.connection for w in busy]
                         + [w.process.sentinel for w in self._workers]))
        outcomes: list[tuple[int, Outcome]] = []
        for index, worker in enumerate(list(self._workers)):
            dead = worker.process.sentinel in ready
            if worker.task is not None and (worker.connection in ready or dead):
                reply = self._receive(worker) if worker.connection.poll() else None
                if reply is not None:  # its answer, sent before it died if it did
                    outcomes.append(reply)
            if dead:
                if worker.task is not None:  # died on its task, before it could answer
                    outcomes.append(_died(worker))
                self._replace(index)
        self._dispatch()
        return outcomes

    def _receive(self, worker: _Worker) -> tuple[int, Outcome] | None:
        """The worker's answer, or None when it died before giving one."""
        try:
            kind, value = worker.connection.recv()
        except (EOFError, OSError):
            return None
        assert worker.task is not None
        key, task = worker.task
        worker.task = None
        if kind == "error":
            raise value
        if kind == "bug":  # a bug: fail this task, keep the batch
            return key, Outcome(None, f"internal error while {task.label}: {value}")
        return key, Outcome(value)

    def _replace(self, index: int) -> _Worker:
        old = self._workers[index]
        old.process.join()
        old.connection.close()
        self._workers[index] = self._start()
        return self._workers[index]

    def close(self) -> None:
        """Let every worker finish and leave."""
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
        for worker in self._workers:
            worker.process.join()
            worker.connection.close()
        self._workers = []

    def terminate(self) -> None:
        """Stop every worker now (Ctrl-C, SIGTERM, an error that stops the batch)."""
        for worker in self._workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self._workers:
            worker.process.join(timeout=10)
            worker.connection.close()


def _died(worker: _Worker) -> tuple[int, Outcome]:
    assert worker.task is not None
    key, task = worker.task
    worker.process.join()
    code = worker.process.exitcode or 0
    if code == -signal.SIGKILL:
        how = "killed by signal 9, as when memory runs out"
    elif code < 0:
        how = f"killed by signal {-code}"
    else:
        how = f"exit code {code}"
    reason = f"the worker process died ({how}) while {task.label}; run again to retry"
    return key, Outcome(None, reason)


PARENT_CHECK_SECONDS = 0.5


def start_worker(parent_pid: int, temp_dir: str) -> None:
    """A local worker's set-up: Ctrl-C is the parent's to handle; temporary page images go to
    the run's own folder, which the parent removes however the run ends; and the worker leaves
    as soon as the parent is gone, killed too, rather than live on holding memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tempfile.tempdir = temp_dir

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _serve(connection: Connection, parent_pid: int, temp_dir: str) -> None:
    """A worker: do the tasks it is sent, one at a time, until told to stop."""
    start_worker(parent_pid, temp_dir)
    kill_at = os.environ.get(KILL_AT_VARIABLE)
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if task is None:
            return
        if task.name == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        try:
            reply: tuple[str, object] = ("done", task.function(*task.arguments))
        except VnplanError as error:
            reply = ("error", error)
        except Exception as error:  # a bug: reported as this task's failure
            reply = ("bug", f"{type(error).__name__}: {error}")
        connection.send(reply)


@contextmanager
def local_pool(jobs: int) -> Iterator[LocalPool]:
    """The pool in its run's temporary folder; stopped at once if the batch is interrupted."""
    with run_temp_dir() as temp_dir:
        # multiprocessing's own folder (the forkserver's socket) is removed when this process
        # exits, unless it is killed: named here as soon as it exists, before the forkserver
        # starts in it, the next run removes it then
        Path(temp_dir, MULTIPROCESSING_RECORD).write_text(
            f"{os.getpid()}\n{util.get_temp_dir()}", encoding="utf-8"
        )
        pool = LocalPool(jobs, temp_dir)
        try:
            yield pool
        except BaseException:
            pool.terminate()
            raise
        else:
            pool.close()


@contextmanager
def run_temp_dir() -> Iterator[str]:
    """A temporary folder for the run, locked (flock) for as long as the run lives: removed when
    it ends and, after a SIGKILL or a power cut, by the next run (``remove_abandoned_temp_dirs``
    removes every such folder no run holds)."""
    base = tempfile.gettempdir()
    while True:
        path = tempfile.mkdtemp(prefix=RUN_TEMP_PREFIX, dir=base)
        handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another run is removing it as abandoned: take another
            os.close(handle)
            continue
        if os.fstat(handle).st_nlink > 0:  # not removed before we held it
            break
        os.close(handle)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)  # page images of stopped workers too
        os.close(handle)


def remove_abandoned_temp_dirs(base: str) -> None:
    """Remove the run folders in ``base`` that no living run holds: those of killed runs,
    with the multiprocessing folder each names."""
    for path in Path(base).glob(f"{RUN_TEMP_PREFIX}*"):
        try:
            if path.is_symlink() or not path.is_dir() or path.stat().st_uid != os.getuid():
                continue
            handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a run is using it
        else:
            _remove_multiprocessing_dir(path / MULTIPROCESSING_RECORD, Path(base))
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(handle)


def _remove_multiprocessing_dir(record: Path, base: Path) -> None:
    """The ``pymp-*`` folder a killed run's record names, if it is one of ours in ``base``
    and not this process's own (a run of this process that left its folder behind)."""
    try:
        pid, name = record.read_text(encoding="utf-8").split("\n", 1)
        folder = Path(name)
        if int(pid) == os.getpid():
            return
    except (OSError, ValueError):
        return
    if (folder.parent == base and folder.name.startswith(MULTIPROCESSING_PREFIX)
            and folder.is_dir() and not folder.is_symlink()
            and folder.stat().st_uid == os.getuid()):
        shutil.rmtree(folder, ignore_errors=True)
