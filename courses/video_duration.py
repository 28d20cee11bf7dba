"""A lesson video's duration, read from the file's own header (WebM/Matroska and MP4), not from the learner.

A report's duration comes from the learner's browser; a scripted client that
claimed a 2-second video would have "watched 90 %" of a 40-minute lesson in a
second. So the server reads the duration the container declares, once per
file (cached), and refuses reports that disagree with it
(video_progress.record_video_report). Only the few bytes of the header are
read: the Matroska Segment Info (TimecodeScale, Duration), or the MP4 'mvhd'
box, found by walking the top-level boxes (the 'moov' box may follow the
media data). A file whose duration cannot be read (a live-recorded WebM
without Duration) falls back to the browser's figure.
"""

from __future__ import annotations

import struct

from django.core.cache import cache

_HEAD = 64 * 1024
_MATROSKA_MAGIC = b"\x1a\x45\xdf\xa3"
_SEGMENT, _INFO = 0x18538067, 0x1549A966
_TIMECODE_SCALE, _DURATION = 0x2AD7B1, 0x4489
_MAX_BOXES = 64


def _vint(data: bytes, pos: int, *, keep_marker: bool):
    """An EBML variable-length integer at `pos`: (value, next position), or None past the data."""
    if pos >= len(data):
        return None
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        return None
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1:pos + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = -1  # "unknown size" (a streamed Segment)
    return value, pos + length


def _elements(data: bytes, start: int, end: int):
    pos = start
    while pos < end:
        element = _vint(data, pos, keep_marker=True)
        if element is None:
            return
        size = _vint(data, element[1], keep_marker=False)
        if size is None:
            return
        body = size[1]
        yield element[0], body, (end if size[0] < 0 else min(end, body + size[0]))
        if size[0] < 0:
            return
        pos = body + size[0]


def matroska_duration(data: bytes) -> float | None:
    if not data.startswith(_MATROSKA_MAGIC):
        return None
    for element, body, end in _elements(data, 0, len(data)):
        if element != _SEGMENT:
            continue
        for child, child_body, child_end in _elements(data, body, end):
            if child != _INFO:
                continue
            scale, duration = 1_000_000, None
            for item, item_body, item_end in _elements(data, child_body, child_end):
                raw = data[item_body:item_end]
                if item == _TIMECODE_SCALE and raw:
                    scale = int.from_bytes(raw, "big")
                elif item == _DURATION and len(raw) in (4, 8):
                    duration = struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0]
            return duration * scale / 1e9 if duration and duration > 0 else None
    return None


def mp4_duration(handle) -> float | None:
    """The 'mvhd' duration of an MP4 file open for reading (binary, seekable)."""
    handle.seek(0)
    for _box in range(_MAX_BOXES):
        header = handle.read(8)
        if len(header) < 8:
            return None
        size, kind = struct.unpack(">I4s", header)
        offset = 8
        if size == 1:
            size = struct.unpack(">Q", handle.read(8))[0]
            offset = 16
        if kind == b"moov":
            moov = handle.read(min(max(size - offset, 0), 4 * 1024 * 1024))
            at = moov.find(b"mvhd")
            if at < 4:
                return None
            body = moov[at + 4:]
            if body[:1] == b"\x01":
                scale, duration = struct.unpack(">IQ", body[20:32])
            else:
                scale, duration = struct.unpack(">II", body[12:20])
            return duration / scale if scale and duration else None
        if size < offset:
            return None  # size 0 ("to the end") or corrupt: no moov after it
        handle.seek(size - offset, 1)
    return None


def file_duration(field_file) -> float | None:
    """The declared duration, in seconds, of a stored video file; None when it cannot be read."""
    try:
        with field_file.open("rb") as handle:
            head = handle.read(_HEAD)
            if head.startswith(_MATROSKA_MAGIC):
                return matroska_duration(head)
            if head[4:8] == b"ftyp":
                return mp4_duration(handle)
    except (OSError, ValueError, struct.error):
        return None
    return None


def document_duration(document) -> float | None:
    """file_duration, cached per stored file (a replaced file has another name)."""
    key = f"shixun:video-duration:{document.pk}:{document.file.name}:{getattr(document, 'file_hash', '')}"
    cached = cache.get(key)
    if cached is None:
        duration = file_duration(document.file)
        cached = duration if duration is not None else 0.0
        cache.set(key, cached, 24 * 60 * 60)
    return cached or None
