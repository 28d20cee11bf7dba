"""Storing packages: libraries once, content versions, refusals leave nothing behind.

Real files in a per-test folder, the real database, packages built from the
test library by tests/h5p/packages.py.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shixun.assessments.h5p import storage
from shixun.assessments.h5p.models import H5PActivity, H5PContent, H5PLibrary, H5PResult
from shixun.assessments.h5p.packages import PackageRefused

from . import packages as P
from .conftest import import_test_package, stored_files

LIB = P.LIBRARY_FOLDER

pytestmark = pytest.mark.django_db


def package_with_patch(patch: int, *, marker: str = "") -> bytes:
    js = (P.LIBRARY_DIR / "quickcheck.js").read_bytes() + marker.encode()
    return P.package(
        replace={f"{LIB}/library.json": P.dumps(P.library_json(patchVersion=patch)), f"{LIB}/quickcheck.js": js}
    )


def test_a_library_is_stored_once_and_shared_by_two_activities(h5p_root):
    first = import_test_package(title="第一个")
    second = import_test_package(title="第二个")

    assert H5PLibrary.objects.count() == 1
    library = H5PLibrary.objects.get()
    assert (library.machine_name, library.major_version, library.minor_version) == P.MAIN_LIBRARY
    assert first.activity != second.activity
    assert list(first.libraries.all()) == list(second.libraries.all()) == [library]
    assert first.main_library == second.main_library == library
    # One library folder on disk, two content folders.
    assert len(list((h5p_root / "libraries").iterdir())) == 1
    assert len(list((h5p_root / "content").iterdir())) == 2
    assert (storage.absolute(library.storage_dir) / "quickcheck.js").is_file()
    assert (storage.absolute(first.storage_dir) / "content" / "content.json").is_file()
    assert (storage.absolute(first.storage_dir) / "h5p.json").is_file()
    # Nothing is left in the scratch folder.
    assert not any((h5p_root / "incoming").iterdir())


def test_a_newer_patch_version_upgrades_the_shared_library_and_an_older_one_is_ignored(
    h5p_root, django_capture_on_commit_callbacks
):
    first = import_test_package(package_with_patch(1))
    library = H5PLibrary.objects.get()
    old_folder = storage.absolute(library.storage_dir)

    with django_capture_on_commit_callbacks(execute=True):
        import_test_package(package_with_patch(3, marker="// patch three"))
    library.refresh_from_db()
    assert library.patch_version == 3
    assert b"patch three" in (storage.absolute(library.storage_dir) / "quickcheck.js").read_bytes()
    assert not old_folder.exists()

    import_test_package(package_with_patch(2, marker="// patch two"))
    library.refresh_from_db()
    assert library.patch_version == 3
    assert H5PLibrary.objects.count() == 1
    # The first activity plays the upgraded library too: libraries are shared.
    assert list(first.libraries.all()) == [library]


def test_a_package_may_rely_on_a_library_already_installed(h5p_root):
    import_test_package()
    without_library = P.zip_bytes(
        {"h5p.json": P.dumps(P.h5p_json()), "content/content.json": P.dumps(P.CONTENT)}
    )
    content = import_test_package(without_library, title="只有内容")
    assert list(content.libraries.all()) == [H5PLibrary.objects.get()]


def test_replacing_the_package_keeps_the_activity_and_its_results(h5p_root, org):
    first = import_test_package()
    activity = first.activity
    H5PResult.objects.create(user=org.teacher, activity=activity, attempts=2, completed=True)

    second = import_test_package(activity=activity)

    activity.refresh_from_db()
    assert activity.current_content == second
    assert set(activity.versions.all()) == {first, second}
    assert H5PResult.objects.get(activity=activity).attempts == 2
    assert H5PActivity.objects.count() == 1


def test_a_refused_package_leaves_no_rows_and_no_files(h5p_root):
    broken = P.package(replace={"h5p.json": b"{ not json"})
    with pytest.raises(PackageRefused) as refused:
        import_test_package(broken)
    assert refused.value.code == "invalid_h5p_json"
    assert H5PActivity.objects.count() == H5PContent.objects.count() == H5PLibrary.objects.count() == 0
    assert stored_files(h5p_root) == []


def test_a_package_whose_sizes_lie_is_refused_while_extracting_and_leaves_nothing(h5p_root):
    lying = P.size_lie_package("content/content.json", P.dumps(P.CONTENT) + b" " * 5000, claimed_size=100)
    with pytest.raises(PackageRefused):
        import_test_package(lying)
    assert H5PActivity.objects.count() == H5PLibrary.objects.count() == 0
    assert stored_files(h5p_root) == []


def test_a_database_failure_after_the_files_were_moved_removes_them_again(h5p_root, monkeypatch):
    from shixun.assessments.h5p import packages

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(packages.H5PContent.objects, "create", fail)
    with pytest.raises(RuntimeError):
        import_test_package()
    assert H5PLibrary.objects.count() == 0
    assert stored_files(h5p_root) == []


# --- h5p_import ------------------------------------------------------------------


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_h5p_import_accepts_every_file_and_exits_zero(h5p_root, tmp_path, capsys, english):
    one = write(tmp_path, "one.h5p", P.package())
    two = write(tmp_path, "two.h5p", P.package())

    call_command("h5p_import", str(one), str(two), "--title", "等待时间")

    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("OK") for line in out)
    assert "one.h5p" in out[0] and "two.h5p" in out[1]
    assert list(H5PActivity.objects.values_list("title", flat=True)) == ["等待时间", "等待时间"]
    assert H5PLibrary.objects.count() == 1


def test_h5p_import_exits_non_zero_with_each_refusal_and_keeps_only_the_good_files(
    h5p_root, tmp_path, capsys, english
):
    good = write(tmp_path, "good.h5p", P.package())
    not_zip = write(tmp_path, "notes.h5p", b"this is not a zip file at all")
    no_library = write(
        tmp_path,
        "nolib.h5p",
        P.zip_bytes({"h5p.json": P.dumps(P.h5p_json()), "content/content.json": P.dumps(P.CONTENT)}),
    )

    with pytest.raises(CommandError) as failed:
        # nolib.h5p comes first: once good.h5p is in, its library is installed and nolib.h5p is fine.
        call_command("h5p_import", str(not_zip), str(no_library), str(good), str(tmp_path / "missing.h5p"))

    # manage.py exits with CommandError.returncode (BaseCommand.run_from_argv).
    assert failed.value.returncode == 1
    assert "3 of 4" in str(failed.value)
    captured = capsys.readouterr()
    assert captured.out.count("OK") == 1 and "good.h5p" in captured.out
    errors = captured.err.splitlines()
    assert len(errors) == 3
    assert errors[0].startswith("REFUSED") and "notes.h5p" in errors[0] and "ZIP" in errors[0]
    assert "nolib.h5p" in errors[1] and "H5P.ShixunQuickCheck 1.0" in errors[1]
    assert "missing.h5p" in errors[2]
    # Only the good package is stored.
    assert H5PActivity.objects.count() == 1
    assert len(list((h5p_root / "content").iterdir())) == 1
    assert not any((h5p_root / "incoming").iterdir())


def test_stored_content_json_is_what_the_package_holds(h5p_root):
    content = import_test_package()
    stored = json.loads((storage.absolute(content.storage_dir) / "content" / "content.json").read_text("utf-8"))
    assert stored == P.CONTENT
    assert content.metadata["mainLibrary"] == "H5P.ShixunQuickCheck"
    assert content.title == "等待时间小测"


def test_storage_paths_cannot_leave_the_root(h5p_root):
    with pytest.raises(ValueError):
        storage.absolute("../outside")
    assert storage.resolve_file(h5p_root, "../../etc/passwd") is None
    assert storage.resolve_file(h5p_root, "/etc/passwd") is None
