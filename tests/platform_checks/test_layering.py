"""Which parts of the code may import which: read from the source with ast, imports inside functions included.

A lower layer that imports a higher one cannot be reused or tested without it,
and a cycle is one lazy import away.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The folders the `shixun` package maps (shixun/__init__.py): a module's name is shixun. + its path below one.
SOURCE_ROOTS = [ROOT / "platform", ROOT]


def module_name(path: Path) -> str:
    for source_root in SOURCE_ROOTS:
        if path.is_relative_to(source_root) and not path.relative_to(source_root).parts[0] == "platform":
            parts = list(path.relative_to(source_root).with_suffix("").parts)
            return ".".join(["shixun", *(parts[:-1] if parts[-1] == "__init__" else parts)])
    raise AssertionError(f"{path} is not under a source root")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` may import: for ``from a import b`` both ``a`` and ``a.b`` (b may be a module)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names)
    return found


def imports_from(folder: Path, forbidden: str) -> list[str]:
    """'file: module' for each import below ``folder`` of ``forbidden`` or a module inside it."""
    return [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted(folder.rglob("*.py"))
        for module in sorted(imported_modules(path))
        if module == forbidden or module.startswith(forbidden + ".")
    ]


def test_the_import_reader_resolves_relative_imports():
    zipsafe_users = imported_modules(ROOT / "assessments" / "uploads" / "office.py")
    assert "shixun.assessments.uploads.zipsafe" in zipsafe_users
    assert "shixun.assessments.uploads.kinds" in zipsafe_users


def test_uploads_imports_nothing_from_h5p():
    """The upload checks (and the ZIP reader in them) serve H5P, never the other way round."""
    assert imports_from(ROOT / "assessments" / "uploads", "shixun.assessments.h5p") == []


def test_accounts_imports_nothing_from_schools():
    """schools builds on accounts (people, roles, first login); accounts works without it."""
    assert imports_from(ROOT / "platform" / "accounts", "schools") == []


APP_FOLDERS = [ROOT / "platform", ROOT / "courses", ROOT / "assessments", ROOT / "themes"]


def models_modules() -> list[Path]:
    found = (path for folder in APP_FOLDERS for path in folder.rglob("models.py"))
    return sorted(path for path in found if "migrations" not in path.parts)


def test_models_modules_are_found():
    names = {module_name(path) for path in models_modules()}
    assert {
        "shixun.courses.models", "shixun.accounts.models", "shixun.schools.models", "shixun.assessments.h5p.models"
    } <= names


def test_no_models_module_imports_a_views_module():
    """Models are imported by views, the admin, migrations and tasks; a view imported back is a cycle waiting."""
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in models_modules()
        for module in sorted(imported_modules(path))
        if module.rpartition(".")[2] == "views"
    ]
    assert offenders == []


def test_inbox_builds_on_accounts_only():
    """Every app sends messages through the inbox, so it may not import any of them back."""
    inbox = ROOT / "platform" / "inbox"
    for app in ("shixun.courses", "shixun.schools", "shixun.transcripts", "shixun.assessments"):
        assert imports_from(inbox, app) == []
def test_attendance_imports_nothing_from_transcripts():
    """transcripts reads attendance (absence days) and listens to its signal; attendance works without it."""
    assert imports_from(ROOT / "platform" / "attendance", "shixun.transcripts") == []


def test_courses_imports_nothing_from_attendance():
    """attendance is an activity kind like the others: courses never names it."""
    assert imports_from(ROOT / "courses", "shixun.attendance") == []
