"""Render letters in separate, long-lived, resource-limited worker processes.

WeasyPrint's own security advice is to render with a time and memory ceiling, and
its memory is not given back to the OS after a big document.  So the web process
never renders: it hands jobs to a `RenderPool`, whose workers each build one
`PdfRenderer` (fonts and CSS parsed once), run under an address-space limit, are
killed and replaced when a job overruns its time limit, and are recycled after a
number of jobs.  A job blocks the calling thread only; with `workers=N` up to N
threads render at once.

A web server has a few request threads, and every request waiting for a worker holds one.
So a pool admits at most `workers + max_waiting` jobs at a time and a job waits at most
`wait_s` for a worker; beyond either, `render` raises `RenderBusyError` at once (503 with
Retry-After, in Indonesian) instead of queueing without end. Runaway jobs can therefore hold
only that many threads, and the rest of the office keeps answering.
"""

from __future__ import annotations

import atexit
import gc
import math
import multiprocessing
import os
import pickle
import queue
import resource
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from records.exceptions import DocumentProductionError, RecordsError
from records.pdf import PdfMetadata, PdfRenderer, RenderResult

DEFAULT_MEMORY_LIMIT = 1024 * 1024 * 1024
#: Young-generation GC threshold in workers (CPython's default is 700).  WeasyPrint allocates
#: hundreds of thousands of short-lived objects per letter; collecting less often saves a few
#: ms per render, and everything allocated before the first job is frozen out of collection.
WORKER_GC_THRESHOLD = (20_000, 20, 20)
#: Seconds a fresh worker may take to import WeasyPrint and load fonts before the pool gives up.
STARTUP_TIMEOUT_S = 60.0


class RenderTimeoutError(DocumentProductionError):
    """A render job overran its time limit; its worker was killed and replaced."""


class RenderWorkerError(DocumentProductionError):
    """A worker died or failed to start (memory ceiling, crash); it was replaced."""


class RenderBusyError(RecordsError):
    """Every worker is busy and the queue is full, or the wait for a worker ran out: nothing
    was rendered; the caller may try again after `retry_after` seconds."""

    http_status = 503

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RenderJob:
    """Everything a worker needs for one letter; picklable so it can cross the pipe."""

    template_name: str
    context: Mapping[str, Any]
    paper: str
    metadata: PdfMetadata


def _limit_memory(limit_bytes: int | None) -> None:
    """Cap the worker's address space so a runaway document fails with MemoryError."""
    if limit_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def _portable(error: BaseException) -> BaseException:
    """The error itself if it survives pickling, else a RuntimeError describing it."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _tune_gc() -> None:
    """Freeze the start-up heap (fonts, stylesheets, modules) and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLD)


def _worker_main(conn, template_dirs: Sequence[str], memory_limit: int | None) -> None:
    """Child process loop: build the renderer once, then answer jobs until told to stop."""
    try:
        _limit_memory(memory_limit)
        renderer = PdfRenderer(template_dirs)
        renderer.warm_up()
    except Exception as error:
        conn.send(("failed", _portable(error)))
        return
    _tune_gc()
    conn.send(("ready", os.getpid()))
    while (job := conn.recv()) is not None:
        try:
            conn.send(("ok", renderer.render(
                job.template_name, job.context, paper=job.paper, metadata=job.metadata)))
        except MemoryError:
            conn.send(("error", RenderWorkerError("Pembuatan PDF melebihi batas memori.")))
            return
        except Exception as error:
            conn.send(("error", _portable(error)))


class _Worker:
    """Parent-side handle of one worker process and its pipe."""

    def __init__(self, context, template_dirs: Sequence[str], memory_limit: int | None):
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child_conn, template_dirs, memory_limit),
            name="lemari-render", daemon=True)
        self.process.start()
        child_conn.close()
        self.jobs = 0
        self.ready = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def run(self, job: RenderJob, timeout_s: float) -> RenderResult:
        """Send one job and wait for its answer, at most `timeout_s` seconds of rendering."""
        if not self.ready:
            self._receive(STARTUP_TIMEOUT_S, "saat memulai")
            self.ready = True
        self.conn.send(job)
        self.jobs += 1
        return self._receive(timeout_s, "saat membuat dokumen")

    def _receive(self, timeout_s: float, what: str) -> Any:
        """One message from the child; raises on timeout, death or a job error."""
        if not self.conn.poll(timeout_s):
            raise RenderTimeoutError(f"Proses pembuat PDF melebihi batas waktu {timeout_s:g} detik {what}.")
        try:
            status, payload = self.conn.recv()
        except (EOFError, OSError) as error:
            raise RenderWorkerError(
                f"Proses pembuat PDF berhenti {what} (kode keluar {self.process.exitcode}).") from error
        if status == "failed":
            raise RenderWorkerError(f"Proses pembuat PDF gagal dimulai: {payload}")
        if status == "error":
            raise payload
        return payload

    def stop(self) -> None:
        """Ask the child to exit; kill it if it does not within a second."""
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(1)
        self.kill()

    def kill(self) -> None:
        """End the child at once (timeout or shutdown) and release the pipe."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


class RenderPool:
    """A small pool of render workers with a per-job time limit and recycling.

    Workers are started with the 'spawn' method: forking a threaded web server is
    unsafe, and a fresh interpreter keeps the workers free of the parent's state.
    """

    def __init__(
        self,
        template_dirs: Sequence[str | Path],
        workers: int = 1,
        timeout_s: float = 20,
        max_jobs_per_worker: int = 200,
        memory_limit_bytes: int | None = DEFAULT_MEMORY_LIMIT,
        max_waiting: int | None = None,
        wait_s: float | None = None,
        what: str = "PDF",
    ):
        """`max_waiting` jobs may wait for a worker, each at most `wait_s` seconds (None: no
        bound, for a command-line run that owns its pool); `what` names the pool in messages."""
        self.template_dirs = [str(path) for path in template_dirs]
        self.timeout_s = timeout_s
        self.max_jobs_per_worker = max_jobs_per_worker
        self.memory_limit_bytes = memory_limit_bytes
        self.workers = workers
        self.max_waiting = max_waiting
        self.wait_s = wait_s
        self.what = what
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._admitted = 0
        self._closed = False
        for _ in range(workers):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        """Start a worker now so its start-up cost overlaps with other work."""
        worker = _Worker(self._context, self.template_dirs, self.memory_limit_bytes)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _retire(self, worker: _Worker, *, kill: bool) -> _Worker:
        """Stop a worker and start its replacement."""
        with self._lock:
            self._workers.discard(worker)
        if kill:
            worker.kill()
        else:
            worker.stop()
        return self._spawn()

    def render(
        self,
        template_name: str,
        context: Mapping[str, Any],
        *,
        paper: str = "F4",
        metadata: PdfMetadata,
    ) -> RenderResult:
        """Render one letter in a worker; waits for a free worker (at most `wait_s`, and only
        when fewer than `workers + max_waiting` jobs are in), then for the job to be done."""
        if self._closed:
            raise RenderWorkerError("Pembuat PDF sudah dihentikan.")
        job = RenderJob(template_name, dict(context), paper, metadata)
        self._admit()
        try:
            try:
                worker = self._idle.get(timeout=self.wait_s)
            except queue.Empty:
                raise self._busy() from None
            try:
                return worker.run(job, self.timeout_s)
            except (RenderTimeoutError, RenderWorkerError):
                worker = self._retire(worker, kill=True)
                raise
            finally:
                self._release(worker)
        finally:
            with self._lock:
                self._admitted -= 1

    def _admit(self) -> None:
        """Count the job in, or refuse it at once when the pool and its queue are full."""
        with self._lock:
            if self.max_waiting is not None and self._admitted >= self.workers + self.max_waiting:
                raise self._busy()
            self._admitted += 1

    def _busy(self) -> RenderBusyError:
        retry = max(1, math.ceil(min(self.timeout_s, self.wait_s or self.timeout_s)))
        return RenderBusyError(
            f"Pembuat {self.what} sedang sibuk ({self.workers} sedang dibuat, antrean penuh). "
            f"Tidak ada yang berubah; coba lagi dalam {retry} detik.", retry)

    def load(self) -> dict[str, int]:
        """Jobs in the pool now (rendering or waiting) and how many it admits at once."""
        with self._lock:
            capacity = -1 if self.max_waiting is None else self.workers + self.max_waiting
            return {"admitted": self._admitted, "capacity": capacity}

    def _release(self, worker: _Worker) -> None:
        """Return a worker to the idle queue, recycling it once it has done enough jobs."""
        if self._closed:
            worker.stop()
            return
        if worker.jobs >= self.max_jobs_per_worker:
            worker = self._retire(worker, kill=False)
        self._idle.put(worker)

    def pids(self) -> list[int]:
        """Process ids of the live workers (for monitoring and tests)."""
        with self._lock:
            return sorted(worker.pid for worker in self._workers)

    def close(self) -> None:
        """Stop every worker; the pool cannot be used afterwards."""
        self._closed = True
        with self._lock:
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.stop()

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _SharedPoolHandle:
    """An app's handle on a process-wide pool: closing the app leaves the workers running."""

    def __init__(self, pool: RenderPool):
        self._pool = pool

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)

    def close(self) -> None:
        """The pool belongs to the process, not to the app (closed at exit)."""


_SHARED_POOLS: dict[tuple, RenderPool] = {}
_SHARED_LOCK = threading.Lock()


def shared_pool(template_dirs: Sequence[str | Path], *, workers: int, timeout_s: float,
                max_waiting: int | None = None, wait_s: float | None = None) -> Any:
    """One pool per process for the same templates and limits (PDF_POOL_PER_PROCESS).

    The test suite and the benchmarks build hundreds of apps in one process; each cold pool
    costs a worker start (a second of importing WeasyPrint and loading fonts). An office runs
    one app per process, where this changes nothing.
    """
    key = (tuple(str(path) for path in template_dirs), workers, timeout_s, max_waiting, wait_s)
    with _SHARED_LOCK:
        pool = _SHARED_POOLS.get(key)
        if pool is None or pool._closed:
            pool = _SHARED_POOLS[key] = RenderPool(template_dirs, workers=workers, timeout_s=timeout_s,
                                                   max_waiting=max_waiting, wait_s=wait_s)
            atexit.register(pool.close)
    return _SharedPoolHandle(pool)
