"""The one sandboxed worker pool: untrusted or heavy work runs in limited child processes.

Rendering a letter (WeasyPrint) and opening an uploaded scan (pypdf, Pillow) share the same
dangers: a crafted or merely huge input can take unbounded time or memory, and the libraries
do not give memory back. So neither runs in the web or import process. A `WorkerPool` keeps a
few long-lived children, each started with 'spawn' (forking a threaded server is unsafe), with
an address-space ceiling; a job that overruns its time limit gets its worker killed and a
fresh one started; workers are recycled after a number of jobs.

What a worker does is given by a picklable `setup(*args) -> handler` run once in the child
(load fonts and stylesheets there, not per job); `handler(job)` answers each job. An exception
the handler raises reaches the caller as itself (or, if it cannot cross the pipe, as a
RuntimeError describing it); the pool's own failures are the three errors below, whose
messages name the pool (`what`).

A web server has a few request threads, and every request waiting for a worker holds one.
So a pool admits at most `workers + max_waiting` jobs at a time and a job waits at most
`wait_s` for a worker; beyond either, `run` raises `WorkerBusyError` at once (503 with
Retry-After, in Indonesian) instead of queueing without end.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import pickle
import queue
import resource
import threading
from collections.abc import Callable
from typing import Any

from records.exceptions import RecordsError

#: Young-generation GC threshold in workers (CPython's default is 700). WeasyPrint allocates
#: hundreds of thousands of short-lived objects per letter; collecting less often saves a few
#: ms per job, and everything allocated by `setup` is frozen out of collection.
WORKER_GC_THRESHOLD = (20_000, 20, 20)
#: Seconds a fresh worker may take to start (import, load fonts) before the pool gives up.
STARTUP_TIMEOUT_S = 60.0


class WorkerTimeoutError(RecordsError):
    """A job overran its time limit; its worker was killed and replaced."""


class WorkerDiedError(RecordsError):
    """A worker died, ran out of memory or failed to start; it was replaced."""


class WorkerBusyError(RecordsError):
    """Every worker is busy and the queue is full, or the wait for a worker ran out: the job
    was not run; the caller may try again after `retry_after` seconds."""

    http_status = 503

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def limit_memory(limit_bytes: int | None) -> None:
    """Cap this process's address space (never above the hard limit it was given), so a
    runaway job fails with MemoryError instead of taking the machine."""
    if not limit_bytes:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = limit_bytes if hard == resource.RLIM_INFINITY else min(limit_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _portable(error: BaseException) -> BaseException:
    """The error itself if it survives pickling, else a RuntimeError describing it."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _worker_main(conn, setup: Callable[..., Callable[[Any], Any]], setup_args: tuple,
                 memory_limit: int | None) -> None:
    """Child process loop: build the handler once, then answer jobs until told to stop."""
    try:
        limit_memory(memory_limit)
        handler = setup(*setup_args)
    except Exception as error:
        conn.send(("failed", _portable(error)))
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLD)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            conn.send(("ok", handler(job)))
        except MemoryError:
            conn.send(("memory", None))
            return  # the heap may be in pieces: the pool starts a fresh worker
        except Exception as error:
            conn.send(("error", _portable(error)))


class _Worker:
    """Parent-side handle of one worker process and its pipe."""

    def __init__(self, pool: WorkerPool):
        self.what = pool.what
        self.conn, child_conn = pool.context.Pipe()
        self.process = pool.context.Process(
            target=_worker_main, args=(child_conn, pool.setup, pool.setup_args,
                                       pool.memory_limit_bytes),
            name=pool.process_name, daemon=True)
        self.process.start()
        child_conn.close()
        self.jobs = 0
        self.ready = False

    @property
    def pid(self) -> int:
        pid = self.process.pid
        assert pid is not None  # started in __init__
        return pid

    def run(self, job: Any, timeout_s: float) -> Any:
        """Send one job and wait for its answer, at most `timeout_s` seconds of work."""
        if not self.ready:
            self._receive(STARTUP_TIMEOUT_S, "saat memulai")
            self.ready = True
        self.conn.send(job)
        self.jobs += 1
        return self._receive(timeout_s, "saat bekerja")

    def _receive(self, timeout_s: float, when: str) -> Any:
        """One message from the child; raises on timeout, death or a job error."""
        if not self.conn.poll(timeout_s):
            raise WorkerTimeoutError(f"Proses {self.what} melebihi batas waktu {timeout_s:g} "
                                     f"detik {when}.")
        try:
            status, payload = self.conn.recv()
        except (EOFError, OSError) as error:
            raise WorkerDiedError(f"Proses {self.what} berhenti {when} (kode keluar "
                                  f"{self.process.exitcode}).") from error
        if status == "failed":
            raise WorkerDiedError(f"Proses {self.what} gagal dimulai: {payload}")
        if status == "memory":
            raise WorkerDiedError(f"Proses {self.what} melebihi batas memori.")
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


class WorkerPool:
    """A few sandboxed workers with a per-job time limit, recycling and bounded admission.

    With `lazy=True` a worker is started on first use (a pool that may never be used, such as
    the scan prober of a server nobody uploads to, costs nothing); otherwise at once, so its
    start-up overlaps other work.
    """

    def __init__(self, setup: Callable[..., Callable[[Any], Any]], setup_args: tuple = (), *,
                 what: str, workers: int = 1, timeout_s: float = 20,
                 max_jobs_per_worker: int = 200, memory_limit_bytes: int | None = None,
                 max_waiting: int | None = None, wait_s: float | None = None,
                 lazy: bool = False, process_name: str = "lemari-worker"):
        """`max_waiting` jobs may wait for a worker, each at most `wait_s` seconds (None: no
        bound, for a command-line run that owns its pool); `what` names the pool in messages
        ("pembuat PDF")."""
        self.setup, self.setup_args = setup, tuple(setup_args)
        self.what, self.workers, self.timeout_s = what, workers, timeout_s
        self.max_jobs_per_worker = max_jobs_per_worker
        self.memory_limit_bytes = memory_limit_bytes
        self.max_waiting, self.wait_s = max_waiting, wait_s
        self.process_name, self.lazy = process_name, lazy
        self.context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._idle: queue.Queue[_Worker | None] = queue.Queue()  # None: a worker to start
        self._admitted = 0
        self.closed = False
        for _ in range(workers):
            self._idle.put(None if lazy else self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _retire(self, worker: _Worker, *, kill: bool) -> _Worker | None:
        """Stop a worker; its replacement is started now, or on first use in a lazy pool."""
        with self._lock:
            self._workers.discard(worker)
        if kill:
            worker.kill()
        else:
            worker.stop()
        return None if self.lazy else self._spawn()

    def run(self, job: Any, *, timeout_s: float | None = None) -> Any:
        """Run one job in a worker; waits for a free worker (at most `wait_s`, and only when
        fewer than `workers + max_waiting` jobs are in), then for the job to be done (at most
        `timeout_s`, the pool's limit unless given)."""
        if self.closed:
            raise WorkerDiedError(f"Proses {self.what} sudah dihentikan.")
        self._admit()
        try:
            try:
                worker = self._idle.get(timeout=self.wait_s) or self._spawn()
            except queue.Empty:
                raise self._busy() from None
            running: _Worker | None = worker
            try:
                return worker.run(job, self.timeout_s if timeout_s is None else timeout_s)
            except (WorkerTimeoutError, WorkerDiedError):
                running = self._retire(worker, kill=True)
                raise
            finally:
                self._release(running)
        finally:
            with self._lock:
                self._admitted -= 1

    def _admit(self) -> None:
        """Count the job in, or refuse it at once when the pool and its queue are full."""
        with self._lock:
            if self.max_waiting is not None and self._admitted >= self.workers + self.max_waiting:
                raise self._busy()
            self._admitted += 1

    def _busy(self) -> WorkerBusyError:
        retry = max(1, math.ceil(min(self.timeout_s, self.wait_s or self.timeout_s)))
        return WorkerBusyError(
            f"{self.what[:1].upper()}{self.what[1:]} sedang sibuk ({self.workers} sedang "
            f"bekerja, antrean penuh). Tidak ada yang berubah; coba lagi dalam {retry} detik.",
            retry)

    def _release(self, worker: _Worker | None) -> None:
        """Return a worker (or the token to start one) to the idle queue, recycling a worker
        once it has done enough jobs."""
        if worker is not None and self.closed:
            worker.stop()
            return
        if worker is not None and worker.jobs >= self.max_jobs_per_worker:
            worker = self._retire(worker, kill=False)
        self._idle.put(worker)

    def load(self) -> dict[str, int]:
        """Jobs in the pool now (running or waiting) and how many it admits at once."""
        with self._lock:
            capacity = -1 if self.max_waiting is None else self.workers + self.max_waiting
            return {"admitted": self._admitted, "capacity": capacity}

    def pids(self) -> list[int]:
        """Process ids of the live workers (for monitoring and tests)."""
        with self._lock:
            return sorted(worker.pid for worker in self._workers)

    def close(self) -> None:
        """Stop every worker; the pool cannot be used afterwards."""
        self.closed = True
        with self._lock:
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.stop()
