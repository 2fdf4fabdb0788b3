"""House rules from docs/architecture.md, checked by tools so they cannot drift.

Import rules are import-linter contracts in pyproject.toml (relative imports count too), style
is ruff, types are mypy. Each tool runs here on the repository, and once more on a copy with
a planted violation, which proves the tool and its configuration can fail.
"""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
BIN = Path(sys.executable).parent  # the venv's tools sit next to its python
PACKAGES = ("records", "search", "archive")

# third-party engine → the only module allowed to import it (docs/architecture.md)
ENGINES = {
    "weasyprint": "records.pdf",
    "whoosh": "search.whoosh_index",
    "psycopg": "search.pg_index",
    "openpyxl": "records.spreadsheets",
    "waitress": "records.cli",
    "pyhanko": "records.signing",
    "segno": "records.pdf",
    "pypdfium2": "records.thumbnails",
    "huey": "records.jobs",
    "bagit": "archive.services.bagexport",
    "alembic": "records.services.schema",  # and the migration scripts (records/migrations)
    "ocrmypdf": None,  # run as a child process only (archive/services/ocr.py)
}


def run(tool: str, *args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "250", **(env or {})}  # report lines unwrapped
    return subprocess.run([str(BIN / tool), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


def copy_sources(dest: Path, *packages: str) -> None:
    """The packages' Python files only (no templates, fonts or static files)."""
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            target = dest / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def plant(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


def statuses(report: str) -> dict[str, str]:
    """Contract name → KEPT or BROKEN, from lint-imports' report."""
    lines = (re.fullmatch(r"(.+) (KEPT|BROKEN)( \(.*\))?", line) for line in report.splitlines())
    return {m[1]: m[2] for m in lines if m}


def contracts() -> dict[str, dict]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


# --- import-linter --------------------------------------------------------------------------

def test_import_contracts_are_kept():
    result = run("lint-imports", "--no-cache", "--no-logo", str(PYPROJECT))
    assert result.returncode == 0, result.stdout + result.stderr
    found = statuses(result.stdout)
    assert set(found) == {c["name"] for c in contracts().values()}
    assert set(found.values()) == {"KEPT"}


def test_import_contracts_catch_planted_violations(tmp_path):
    copy_sources(tmp_path, *PACKAGES)
    plant(tmp_path, "records/services/_planted.py", "from flask import request\n")
    plant(tmp_path, "records/api/_planted.py", "from ..views import common\n")  # relative
    plant(tmp_path, "search/_planted.py", "from records import actor\n")
    plant(tmp_path, "records/_planted.py", "import weasyprint\nimport ocrmypdf\n")
    plant(tmp_path, "records/models/_planted.py", "from ..web_common import current_actor\n")
    result = run("lint-imports", "--no-cache", "--no-logo", str(PYPROJECT), cwd=tmp_path,
                 env={"PYTHONPATH": str(tmp_path)})
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    found = statuses(out)
    broken = {contract_id for contract_id, c in contracts().items() if found[c["name"]] == "BROKEN"}
    assert broken == {"services-no-web", "api-not-views", "ports-alone", "engine-weasyprint",
                      "engine-ocrmypdf", "records-acyclic"}
    assert "records.services._planted -> flask" in out
    assert "records.api._planted -> records.views.common" in out


def test_every_engine_has_its_contract():
    found = contracts()
    for engine, module in ENGINES.items():
        contract = found[f"engine-{engine}"]
        if module is None:
            assert contract["type"] == "forbidden" and contract["forbidden_modules"] == [engine]
        else:
            assert contract["type"] == "protected", engine
            assert (contract["protected_modules"], contract["allowed_importers"]) == ([engine], [module])


# --- rules import-linter cannot express -------------------------------------------------------

def test_core_imports_no_specific_document_type():
    core = [p for p in (ROOT / "records").rglob("*.py") if "builtin" not in p.parts]
    for path in core:
        source = path.read_text(encoding="utf-8")
        assert "builtin.surat_keterangan" not in source or path == ROOT / "records" / "plugins.py"


def test_top_level_names_resolve_inside_the_repository():
    import archive
    import config
    import records
    import search

    for module in (archive, config, records, search):
        assert Path(module.__file__).resolve().is_relative_to(ROOT)


def test_templates_pdf_holds_only_html_css_fonts_and_images():
    allowed = {".html", ".css", ".ttf", ".svg", ".png", ""}
    files = [p for p in (ROOT / "templates_pdf").rglob("*") if p.is_file()]
    assert files and all(p.suffix in allowed for p in files), [p for p in files if p.suffix not in allowed]


# --- ruff ---------------------------------------------------------------------------------------

def test_ruff_is_clean():
    result = run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_catches_planted_violations(tmp_path):
    plant(tmp_path, "planted.py", "import sys\nimport os\n\nLONG = " + repr("x" * 110) + "\n"
          "print(os.sep, sys.argv, LONG, list(zip(LONG, LONG)))\n")
    result = run("ruff", "check", "--no-cache", "--config", str(PYPROJECT), "--output-format",
                 "concise", str(tmp_path / "planted.py"), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    for code in ("I001", "E501", "B905"):
        assert f" {code} " in result.stdout, code


# --- mypy -----------------------------------------------------------------------------------------

def test_mypy_is_clean(tmp_path):
    result = run("mypy", "--cache-dir", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stdout + result.stderr
    checked = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["mypy"]["files"]
    assert {"records/services", "search", "archive/services", "archive/blobstore",
            "records/publikasi/services"} <= set(checked)


@pytest.mark.parametrize(("source", "code"), [
    ("def size() -> int:\n    return 'big'\n", "return-value"),
    ("from archive.blobstore.base import BlobRef\n\nREF = BlobRef('0' * 64)\n", "call-arg"),
])
def test_mypy_catches_planted_type_errors(tmp_path, source, code):
    copy_sources(tmp_path, "archive")  # a small package keeps this fast; same configuration
    plant(tmp_path, "archive/_planted.py", source)
    result = run("mypy", "--config-file", str(PYPROJECT), "--cache-dir", str(tmp_path / "cache"),
                 "archive", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "archive/_planted.py" in result.stdout and f"[{code}]" in result.stdout, result.stdout


# --- the cut: core and feature packages ------------------------------------------------------------

FEATURE_PACKAGES = {"antrian", "pengaduan", "survei", "publikasi", "dashboard", "surat_masuk",
                    "daya", "gratifikasi"}
NOT_CODE = {"data", "migrations", "static", "templates", "translations", "__pycache__"}


def test_every_core_module_is_under_the_no_features_contract():
    """Each module or package directly under records/ is a feature package or is listed as
    core in the `core-no-features` contract, so a new core module cannot import a feature
    unnoticed; and each feature package is one of the contract's forbidden modules."""
    contracts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    contract = next(c for c in contracts if c["id"] == "core-no-features")
    core = {name.removeprefix("records.") for name in contract["source_modules"]}
    forbidden = set(contract["forbidden_modules"])
    top = {p.stem if p.suffix == ".py" else p.name for p in (ROOT / "records").iterdir()
           if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    top -= NOT_CODE
    assert top - FEATURE_PACKAGES == core
    assert {f"records.{name}" for name in FEATURE_PACKAGES} <= forbidden
    assert {"archive.plugin", "archive.models", "archive.services"} <= forbidden
