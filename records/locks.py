"""One installation-wide file lock for every "one at a time" of Lemari.

`flock` on a file in the data folder: shared by every process of the installation (the
front office, the main workers, the job consumer, a CLI command), and released by the kernel
when its holder dies, so a power cut or a kill never leaves a lock behind. The descriptor is
marked as held (search.versions.holding), so a process forked while holding it (an index
rebuild's writer) closes its inherited copy and cannot keep the lock alive.

Used by the search drain (records.indexing), issuing (records.desk), backups
(records.services.backup_targets) and the demo certificates (records.signing).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from search.versions import holding

#: Seconds between two tries while waiting for a busy lock.
POLL = 0.05


@contextmanager
def file_lock(path: Path, *, wait: float | None = None) -> Iterator[bool]:
    """Hold the lock on `path` for the block; yields True when held, False when it stayed busy.

    `wait=None` blocks until the lock is free; `wait=0` tries once; otherwise it tries for
    up to `wait` seconds. A caller that must not go on without it raises its own message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _take(fd, wait):
            yield False
            return
        with holding(fd):
            yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _take(fd: int, wait: float | None) -> bool:
    """flock, blocking or polling until `wait` seconds have passed."""
    if wait is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)
