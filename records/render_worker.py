"""Render letters in the sandboxed worker pool (`records.sandbox`).

WeasyPrint's own security advice is to render with a time and memory ceiling, and its memory
is not given back to the OS after a big document. So the web process never renders: it hands
jobs to a `RenderPool`, a `WorkerPool` whose workers each build one `PdfRenderer` (fonts and
CSS parsed once), run under an address-space limit, are killed and replaced when a job
overruns its time limit, and are recycled after a number of jobs. A job blocks the calling
thread only; with `workers=N` up to N threads render at once, and beyond `workers +
max_waiting` a render is refused at once with `RenderBusyError` (503 with Retry-After).
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from records.exceptions import DocumentProductionError
from records.pdf import PdfMetadata, PdfRenderer, RenderResult
from records.sandbox import WorkerBusyError, WorkerDiedError, WorkerPool, WorkerTimeoutError

DEFAULT_MEMORY_LIMIT = 1024 * 1024 * 1024


class RenderTimeoutError(DocumentProductionError, WorkerTimeoutError):
    """A render job overran its time limit; its worker was killed and replaced."""


class RenderWorkerError(DocumentProductionError, WorkerDiedError):
    """A worker died or failed to start (memory ceiling, crash); it was replaced."""


class RenderBusyError(WorkerBusyError):
    """Every render worker is busy and the queue is full: nothing was rendered."""


@dataclass(frozen=True)
class RenderJob:
    """Everything a worker needs for one letter; picklable so it can cross the pipe."""

    template_name: str
    context: Mapping[str, Any]
    paper: str
    metadata: PdfMetadata


def _renderer(template_dirs: Sequence[str]):
    """Worker set-up: one renderer, warmed up; its handler renders one job."""
    renderer = PdfRenderer(template_dirs)
    renderer.warm_up()

    def render(job: RenderJob) -> RenderResult:
        return renderer.render(job.template_name, job.context, paper=job.paper,
                               metadata=job.metadata)
    return render


class RenderPool:
    """A small pool of render workers with a per-job time limit and recycling."""

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
        self.workers, self.timeout_s = workers, timeout_s
        self._pool = WorkerPool(_renderer, (self.template_dirs,), what=f"pembuat {what}",
                                workers=workers, timeout_s=timeout_s,
                                max_jobs_per_worker=max_jobs_per_worker,
                                memory_limit_bytes=memory_limit_bytes, max_waiting=max_waiting,
                                wait_s=wait_s, process_name="lemari-render")

    def render(self, template_name: str, context: Mapping[str, Any], *, paper: str = "F4",
               metadata: PdfMetadata) -> RenderResult:
        """Render one letter in a worker (see `WorkerPool.run`); the pool's own failures come
        back as the render errors above."""
        try:
            return self._pool.run(RenderJob(template_name, dict(context), paper, metadata))
        except WorkerBusyError as error:
            raise RenderBusyError(str(error), error.retry_after) from None
        except WorkerTimeoutError as error:
            raise RenderTimeoutError(str(error)) from None
        except WorkerDiedError as error:
            raise RenderWorkerError(str(error)) from None

    @property
    def closed(self) -> bool:
        return self._pool.closed

    def load(self) -> dict[str, int]:
        """Jobs in the pool now (rendering or waiting) and how many it admits at once."""
        return self._pool.load()

    def pids(self) -> list[int]:
        """Process ids of the live workers (for monitoring and tests)."""
        return self._pool.pids()

    def close(self) -> None:
        """Stop every worker; the pool cannot be used afterwards."""
        self._pool.close()

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
        if pool is None or pool.closed:
            pool = _SHARED_POOLS[key] = RenderPool(template_dirs, workers=workers, timeout_s=timeout_s,
                                                   max_waiting=max_waiting, wait_s=wait_s)
            atexit.register(pool.close)
    return _SharedPoolHandle(pool)
