"""Import rules from docs/architecture.md, checked on the source so they cannot drift."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("records", "search", "archive")

# third-party engine → the only modules allowed to import it
ENGINES = {
    "weasyprint": {"records/pdf.py"},
    "whoosh": {"search/whoosh_index.py"},
    "psycopg": {"search/pg_index.py"},
    "openpyxl": {"records/spreadsheets.py"},
    "waitress": {"records/cli.py"},
    "pyhanko": {"records/signing.py"},
    "segno": {"records/pdf.py"},
    "pypdfium2": {"records/thumbnails.py"},
    "huey": {"records/jobs.py"},
    "bagit": {"records/services/bagexport.py"},
    "ocrmypdf": set(),  # run as a child process only (records/services/ocr.py)
}
NO_WEB = ("flask", "flask_appbuilder", "flask_babel", "werkzeug", "wtforms")


def python_files():
    for package in PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_engine_is_imported_by_its_adapter_only(engine):
    offenders = {relative(p) for p in python_files() if engine in imported_roots(p)}
    assert offenders <= ENGINES[engine]


def test_only_the_postgresql_adapter_uses_sqlalchemy_inside_search():
    offenders = {relative(p) for p in (ROOT / "search").rglob("*.py")
                 if "sqlalchemy" in imported_roots(p)}
    assert offenders <= {"search/pg_index.py"}


@pytest.mark.parametrize("package", ["search", "archive"])
def test_ports_import_neither_records_nor_flask(package):
    for path in (ROOT / package).rglob("*.py"):
        assert not imported_roots(path) & {"records", *NO_WEB}, relative(path)


def test_services_do_not_import_the_web_layer():
    for path in (ROOT / "records" / "services").rglob("*.py"):
        assert not imported_roots(path) & set(NO_WEB), relative(path)


def test_core_imports_no_specific_document_type():
    core = [p for p in (ROOT / "records").rglob("*.py") if "builtin" not in p.parts]
    for path in core:
        source = path.read_text(encoding="utf-8")
        assert "builtin.surat_keterangan" not in source or relative(path) == "records/plugins.py"


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
