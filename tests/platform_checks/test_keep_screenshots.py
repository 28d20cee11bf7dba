"""CI keeps the browser tests' screenshots: one archive at a documented path, listed in the output (issue #16)."""

import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "keep-screenshots.sh"


def _run(root: Path) -> str:
    return subprocess.run([str(SCRIPT), str(root)], capture_output=True, text=True, check=True).stdout


def test_the_screenshots_are_packed_and_listed(tmp_path):
    shots = tmp_path / "test-artifacts" / "screenshots"
    shots.mkdir(parents=True)
    for name in ("fits-t0001-learn-phone.png", "fits-t0001-learn-desktop.png"):
        (shots / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    output = _run(tmp_path)
    archive = tmp_path / "test-artifacts" / "screenshots.tar.gz"
    assert "2 PNG files kept in" in output and str(archive) in output
    assert "screenshots/fits-t0001-learn-phone.png" in output
    with tarfile.open(archive) as packed:
        assert sorted(packed.getnames()) == [
            "screenshots", "screenshots/fits-t0001-learn-desktop.png", "screenshots/fits-t0001-learn-phone.png",
        ]


def test_no_screenshots_is_said_and_is_no_failure(tmp_path):
    assert "none were taken" in _run(tmp_path)
    assert not (tmp_path / "test-artifacts" / "screenshots.tar.gz").exists()


def test_ci_keeps_them_whatever_the_result():
    run = (ROOT / ".ci" / "run").read_text()
    assert "trap 'scripts/keep-screenshots.sh" in run  # on EXIT: after a failed `make test` too
