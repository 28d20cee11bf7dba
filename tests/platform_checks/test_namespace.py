"""Shixun's packages live under the `shixun` namespace only (issue 19).

This file names the old paths on purpose (rename_to_shixun: skip).
"""

import ast
import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

ROOT = Path(__file__).resolve().parents[2]
OLD_NAMES = {
    "config", "accounts", "transcripts", "schools", "spreadsheets", "attendance", "shadowing", "reports", "inbox",
    "courses", "assessments", "themes",
}
DOTTED = re.compile(rf"^({'|'.join(OLD_NAMES)})(\.[A-Za-z_]\w*)+$")
SOURCE_DIRS = ("courses", "assessments", "platform", "themes", "tests", "bench", "shixun")


def old_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{path.relative_to(ROOT)}:{node.lineno} {name}" for name in names if name.split(".")[0] in OLD_NAMES]
    return found


def old_dotted_strings(path: Path) -> list[str]:
    """String literals that are dotted paths into an old package: mock targets, task paths, settings."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    # A signal's dispatch_uid ("transcripts.permissions") is an identifier, not a path.
    uids = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.keyword) and n.arg == "dispatch_uid"}
    for node in ast.walk(tree):
        if id(node) in uids:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED.match(node.value):
            first, second = node.value.split(".")[:2]
            base = ROOT / "platform" / first if (ROOT / "platform" / first).is_dir() else ROOT / first
            if (base / f"{second}.py").is_file() or (base / second).is_dir():
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    return found


def source_files() -> list[Path]:
    files = [p for d in SOURCE_DIRS for p in (ROOT / d).rglob("*.py") if "work" not in p.relative_to(ROOT).parts[:2]]
    return [p for p in files if p != Path(__file__)]


def test_no_source_file_imports_an_old_top_level_name():
    """Installed, `import courses` fails; in a checkout it would load a second copy of shixun.courses."""
    files = source_files()
    assert len(files) > 100
    assert [hit for path in files for hit in old_imports(path)] == []


def test_no_source_file_names_an_old_dotted_path():
    """A mock target or task path like "transcripts.tasks.x" would patch or enqueue a module that is not ours."""
    assert [hit for path in source_files() for hit in old_dotted_strings(path)] == []


def test_old_top_level_names_are_not_importable():
    """courses/, assessments/ and themes/ sit in the root on sys.path: shixun refuses them by name."""
    for name in OLD_NAMES:
        with pytest.raises(ModuleNotFoundError, match=name):
            importlib.import_module(name)


def test_source_tree_maps_the_namespace_onto_the_repository_folders():
    import shixun.accounts
    import shixun.assessments.quizzes
    import shixun.courses

    assert Path(shixun.accounts.__file__).parent == ROOT / "platform" / "accounts"
    assert Path(shixun.assessments.quizzes.__file__).parent == ROOT / "assessments" / "quizzes"
    assert Path(shixun.courses.__file__).parent == ROOT / "courses"
    assert django_apps.get_app_config("shixun_courses").name == "shixun.courses"


@pytest.mark.django_db
def test_the_data_migration_renames_scheduled_and_queued_task_paths():
    migration = importlib.import_module("shixun.assessments.quizzes.migrations.0003_shixun_namespace_task_paths")
    old = Schedule.objects.create(name="old sweep", func="transcripts.tasks.reconcile", schedule_type=Schedule.MINUTES)
    other = Schedule.objects.create(name="someone else's", func="tests.transcripts.slow_tasks.post_slowly")
    queued = OrmQ.objects.create(
        key="shixun",
        payload=SignedPackage.dumps({"id": "abc", "name": "t", "func": "schools.tasks.run_export", "args": (7,)}),
    )

    migration.rewrite(django_apps, None)

    assert Schedule.objects.get(pk=old.pk).func == "shixun.transcripts.tasks.reconcile"
    assert Schedule.objects.get(pk=other.pk).func == "tests.transcripts.slow_tasks.post_slowly"
    task = SignedPackage.loads(OrmQ.objects.get(pk=queued.pk).payload)
    assert task["func"] == "shixun.schools.tasks.run_export" and task["args"] == (7,)
    # Every func a migrated database holds now imports.
    for func in Schedule.objects.filter(func__startswith="shixun.").values_list("func", flat=True):
        module, _, attr = func.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attr)), func

    migration.backwards(django_apps, None)
    assert Schedule.objects.get(pk=old.pk).func == "transcripts.tasks.reconcile"
