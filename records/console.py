"""The `lemari` console script: commands that need no app answer without loading one.

Importing the full command group costs ~1.2 s (Flask-AppBuilder, SQLAlchemy, the services) and
building the app ~2 s more; `lemari nik` needs neither, nor does `lemari bench` (each benchmark
builds its own throw-away office, and imports what it measures only when it runs). Such
commands are listed in LIGHT and run as plain click commands; every other command goes to the
full group (records.cli), which also lists the light ones in `lemari --help`.
`lemari bench cli` times them.
"""

from __future__ import annotations

import sys

from records.bench_cli import bench_group
from records.nik_cli import nik_command

LIGHT = {"nik": nik_command, "bench": bench_group}


def main() -> None:
    """Entry point of `lemari`: a light command directly, anything else through the full group."""
    command = LIGHT.get(sys.argv[1]) if len(sys.argv) > 1 else None
    if command is not None:
        command.main(args=sys.argv[2:], prog_name=f"lemari {sys.argv[1]}")
        return
    from records.cli import main as full

    full()


if __name__ == "__main__":  # `python -m records.console`: how `lemari serve` starts its children
    main()
