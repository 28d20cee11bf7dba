"""Embedded lesson videos whose player reports its time: which sites, their player address, the video's length.

YouTube and Vimeo players answer a page that speaks their postMessage
protocol (courses/static/courses/video.js speaks it itself: no third-party
script tag, so the Content-Security-Policy keeps script-src 'self'). The
page turns the reported times into played ranges and sends them to the same
endpoint, interval arithmetic and clamping as an uploaded video
(video_watching.py, video_progress.py): at most 2 × the real time measured on
the server, nothing beyond it.

The video's length. For an uploaded file the server reads it from the file;
an embed's file is on the video site, out of the server's reach, and every
figure the learner's browser sends (the player's "duration") can be forged:
taking the first report's duration as the truth would let a script claim a
2-second video and have "watched" a 40-minute lesson. So the trainer enters
the length on the block (required for these sites), the server measures the
watched share against it, clamps every range to it, and refuses a report
whose duration differs from it by more than EMBED_DURATION_TOLERANCE (the
learner is told to ask the trainer: the entered length is wrong, or the
video on the site was replaced).

Players without a time API (Bilibili, Tencent Video, Youku, …) report nothing
a page could count: their embeds stay lesson content, the block's help text
says so to the trainer and the page to the learner; the lesson's study time
still counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

# A trainer rounds to the second; YouTube and Vimeo report fractions of one.
EMBED_DURATION_TOLERANCE = 2.0
_LENGTH = re.compile(r"^(?:(\d{1,2}):)?(\d{1,3}):([0-5]\d)$|^(\d{1,5})$")
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{1,12}$")


@dataclass(frozen=True)
class TimedEmbed:
    provider: str  # "youtube" | "vimeo": the protocol video.js speaks
    video_id: str
    origin: str  # the only origin whose messages are read, and the only one messages are sent to

    def player_src(self, site_origin: str) -> str:
        if self.provider == "youtube":
            # enablejsapi: the player answers postMessage; origin: where it posts its events (YouTube's docs).
            query = {"enablejsapi": "1", "origin": site_origin, "playsinline": "1", "rel": "0"}
            return f"{self.origin}/embed/{self.video_id}?{urlencode(query)}"
        return f"{self.origin}/video/{self.video_id}?{urlencode({'playsinline': '1', 'dnt': '1'})}"


def timed_embed(url) -> TimedEmbed | None:
    """The time-reporting player of an embed URL (YouTube, Vimeo), or None for every other site."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    path = [segment for segment in parts.path.split("/") if segment]
    if host in ("youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtube-nocookie.com"):
        if host == "youtu.be":
            candidate = path[0] if path else ""
        elif path[:1] == ["watch"]:
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(path) >= 2 and path[0] in ("embed", "shorts", "live", "v"):
            candidate = path[1]
        else:
            candidate = ""
        if _YOUTUBE_ID.match(candidate):
            return TimedEmbed("youtube", candidate, "https://www.youtube.com")
        return None
    if host in ("vimeo.com", "www.vimeo.com", "player.vimeo.com"):
        candidate = path[1] if host == "player.vimeo.com" and path[:1] == ["video"] and len(path) > 1 else (
            path[0] if path and host != "player.vimeo.com" else "")
        if _VIMEO_ID.match(candidate):
            return TimedEmbed("vimeo", candidate, "https://player.vimeo.com")
    return None


def embed_url(value) -> str:
    """The URL of a VideoBlock's embed, from a block value (an EmbedValue) or raw stream data (a string)."""
    embed = value.get("embed") if hasattr(value, "get") else None
    return getattr(embed, "url", embed) or ""


def parse_length(text) -> int | None:
    """Seconds from the trainer's "h:mm:ss", "mm:ss" or plain seconds; None when empty or not a length."""
    text = str(text or "").strip().replace("：", ":")
    match = _LENGTH.match(text)
    if not match:
        return None
    hours, minutes, seconds, plain = match.groups()
    total = int(plain) if plain is not None else int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return total or None


def tracked_embed(value) -> TimedEmbed | None:
    """The embed's timed player when the block counts as watched video: a timed site and a length entered."""
    player = timed_embed(embed_url(value))
    return player if player is not None and parse_length(value.get("duration")) else None
