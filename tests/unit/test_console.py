"""`lemari nik` answers without importing the app's machinery (Flask-AppBuilder, SQLAlchemy)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
sys.argv = ["lemari", "nik", "6402081708050001"]
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


def test_nik_runs_without_loading_the_app():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
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
