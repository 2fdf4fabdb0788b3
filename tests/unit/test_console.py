"""`lemari nik` and `lemari bench` answer without importing the app's machinery (Flask-AppBuilder,
SQLAlchemy, WeasyPrint): a deterministic check of what is loaded; the time is `lemari bench cli`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
sys.argv = ["lemari", *ARGS]
from records.console import main
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
heavy = sorted(m for m in ("flask_appbuilder", "sqlalchemy", "flask", "weasyprint") if m in sys.modules)
print(json.dumps({"code": code, "heavy": heavy}))
"""


def probe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE.replace("ARGS", repr(list(args)))],
                          capture_output=True, text=True, timeout=60)


def test_nik_runs_without_loading_the_app():
    done = probe("nik", "6402081708050001")
    assert done.returncode == 0, done.stderr
    *explained, summary = done.stdout.strip().splitlines()
    assert json.loads(summary) == {"code": 0, "heavy": []}
    assert json.loads("\n".join(explained))["nik"] == "6402081708050001"


def test_other_commands_still_reach_the_full_group():
    done = subprocess.run([sys.executable, "-c", "import sys; sys.argv=['lemari', '--help'];"
                           "from records.console import main; main()"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert " nik " in done.stdout and " init " in done.stdout and " doctor " in done.stdout


@pytest.mark.parametrize("args", [("nik", "--help"), ("nik", "123"), ("bench", "--help"),
                                  ("bench", "pages", "--help"), ("bench", "cli", "--help")])
def test_app_free_commands_import_no_heavy_library(args):
    done = probe(*args)
    *_, summary = done.stdout.strip().splitlines()
    assert json.loads(summary)["heavy"] == [], args
    assert json.loads(summary)["code"] == (1 if args == ("nik", "123") else 0), done.stdout
