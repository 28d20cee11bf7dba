"""The arithmetic of watched video (courses/video_watching.py): covered intervals, the 2× cap, clamping."""

import math

import pytest

from shixun.courses import video_watching as vw


def test_overlapping_and_touching_ranges_merge_into_one():
    assert vw.merge([(10, 20), (0, 5), (15, 30), (30, 31), (40, 40)]) == [(0, 5), (10, 31)]
    assert vw.total([(0, 5), (10, 31)]) == 26


def test_seeking_ahead_covers_only_what_was_played():
    # Played 0–10, jumped to 50 and played 50–55: the 40 s skipped are not covered.
    credit = vw.credit([], [(0, 10), (50, 55)], elapsed_seconds=60)
    assert credit.covered == [(0, 10), (50, 55)]
    assert credit.added == 15


def test_replaying_covers_nothing_new():
    covered = [(0, 30)]
    credit = vw.credit(covered, [(0, 30)], elapsed_seconds=30)
    assert credit.added == 0 and credit.covered == covered
    credit = vw.credit(covered, [(20, 40)], elapsed_seconds=30)
    assert credit.added == 10 and credit.covered == [(0, 40)]


def test_only_the_parts_not_yet_covered_are_new():
    assert vw.uncovered_parts([(5, 10), (20, 25)], [(0, 30)]) == [(0, 5), (10, 20), (25, 30)]
    assert vw.uncovered_parts([(0, 30)], [(5, 10)]) == []


@pytest.mark.parametrize("rate", [1.0, 1.5, 2.0])
def test_playing_at_up_to_twice_the_speed_is_credited_in_full(rate):
    # 15 s of real time at `rate` plays 15 × rate seconds of the timeline.
    credit = vw.credit([(0, 10)], [(0, 10 + 15 * rate)], elapsed_seconds=15)
    assert credit.added == pytest.approx(15 * rate)
    assert credit.withheld == 0


def test_playing_faster_than_twice_the_speed_does_not_count_faster():
    # 15 s at 4×: 60 s played, 30 s credited now; the rest is reported again later.
    credit = vw.credit([(0, 10)], [(0, 70)], elapsed_seconds=15)
    assert credit.added == 30 and credit.covered == [(0, 40)]
    assert credit.withheld == 30
    # The next report (the same cumulative range, 15 s later) credits the next 30 s, in timeline order.
    later = vw.credit(credit.covered, [(0, 70)], elapsed_seconds=15)
    assert later.covered == [(0, 70)]


def test_the_first_report_and_a_burst_of_reports_credit_nothing():
    assert vw.credit([], [(0, 600)], elapsed_seconds=None).added == 0
    assert vw.credit([], [(0, 600)], elapsed_seconds=0).added == 0
    assert vw.credit([], [(0, 600)], elapsed_seconds=-5).added == 0  # a clock gone backwards
    # 100 reports 10 ms apart: each credits at most 20 ms.
    covered = []
    for _ in range(100):
        covered = vw.credit(covered, [(0, 600)], elapsed_seconds=0.01).covered
    assert vw.total(covered) == pytest.approx(2.0)


def test_a_tab_left_alone_earns_at_most_the_window():
    credit = vw.credit([], [(0, 3600)], elapsed_seconds=3600)
    assert credit.added == vw.RATE_CAP * vw.CREDIT_WINDOW


def test_ranges_are_clamped_to_the_video():
    assert vw.checked_ranges([[0, 60.4]], 60.0) == [(0, 60.0)]
    assert vw.checked_ranges([], 60.0) == []


@pytest.mark.parametrize(
    ("ranges", "code"),
    [
        ([[0, 100]], "out_of_range"),  # far beyond the end
        ([[-1, 5]], "bad_ranges"),
        ([[10, 5]], "bad_ranges"),  # reversed
        ([[0, math.inf]], "bad_ranges"),
        ([[0, math.nan]], "bad_ranges"),
        ([["0", "5"]], "bad_ranges"),
        ([[True, 5]], "bad_ranges"),
        ([[0, 1, 2]], "bad_ranges"),
        ("0-60", "bad_ranges"),
        (None, "bad_ranges"),
        ([[i, i + 0.1] for i in range(vw.MAX_RANGES + 1)], "bad_ranges"),
    ],
)
def test_absurd_ranges_refuse_the_report(ranges, code):
    with pytest.raises(vw.ReportRefused) as refused:
        vw.checked_ranges(ranges, 60.0)
    assert refused.value.code == code
    assert refused.value.message


@pytest.mark.parametrize("duration", [0, 0.5, -3, None, "60", math.inf, math.nan, 13 * 3600, True])
def test_absurd_durations_refuse_the_report(duration):
    with pytest.raises(vw.ReportRefused) as refused:
        vw.checked_duration(duration)
    assert refused.value.code == "bad_duration"


def test_watched_means_the_configured_share_covered():
    assert vw.is_watched([(0, 54)], 60, 0.9)
    assert not vw.is_watched([(0, 53.9)], 60, 0.9)
    # Covering 90 % as two parts counts the same.
    assert vw.is_watched([(0, 30), (36, 60)], 60, 0.9)
    assert vw.share([(0, 120)], 60) == 1.0


def test_the_duration_is_read_from_the_files_own_header(tmp_path):
    import io
    import shutil
    import subprocess

    from shixun.courses.video_duration import matroska_duration, mp4_duration

    from .test_video_reports import webm

    assert matroska_duration(webm(754.5)) == pytest.approx(754.5)
    assert matroska_duration(b"\x1a\x45\xdf\xa3" + bytes(40)) is None
    assert matroska_duration(b"%PDF-1.4") is None
    assert mp4_duration(io.BytesIO(b"\x00\x00\x00\x08free" * 3)) is None
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is missing: `make test` installs it")
    clip = tmp_path / "clip.mp4"
    subprocess.run([shutil.which("ffmpeg"), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x36:rate=10",  # noqa: S603
                    "-t", "3", "-c:v", "mpeg4", "-y", str(clip)], check=True, timeout=300)
    with clip.open("rb") as handle:  # the 'moov' box follows the media data here
        assert mp4_duration(handle) == pytest.approx(3.0, abs=0.05)
