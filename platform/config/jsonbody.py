"""Reading a JSON request body: one size cap and one nesting cap for every JSON endpoint.

`json.loads` recurses once per nested array or object, so a body such as
`'[' * 5000 + ']' * 5000` raised RecursionError (a 500). The nesting is
measured before parsing, in one pass that skips string contents, so no
parser or code walking the result ever sees a deep structure.
"""

import json
import re

from django.utils.translation import gettext

# No body we accept nests deeper than an xAPI statement (about 6 levels).
MAX_DEPTH = 32

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class BadJSONBody(Exception):
    """The body is refused; `status`, `code` and a translated `message` say why."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def nesting_depth(text: str) -> int:
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def nested_deeper_than(text: str, max_depth: int) -> bool:
    """Whether `text` nests deeper than `max_depth`.

    Each level opens a bracket, so a text with no more opening brackets than `max_depth` (those inside
    strings counted too) cannot nest deeper: two counts in C decide the common body (a heartbeat, an xAPI
    statement) instead of the scan, which cost a few percent of the xAPI route's CPU (issue 18).
    """
    if text.count("[") + text.count("{") <= max_depth:
        return False
    return nesting_depth(text) > max_depth


def read_json(request, max_bytes: int, max_depth: int = MAX_DEPTH):
    """The decoded body of `request`, or BadJSONBody (413 too large, 400 not JSON or too deep).

    The declared length is checked before the body is read, so a large body is
    refused without being held in memory.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes or len(request.body) > max_bytes:
        raise BadJSONBody(
            413, "too_large", gettext("The request is larger than %(kb)d KB.") % {"kb": max(1, max_bytes // 1024)}
        )
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJSONBody(400, "bad_json", gettext("The request is not valid JSON.")) from None
    if nested_deeper_than(text, max_depth):
        raise BadJSONBody(400, "too_deep", gettext("The request is nested too deeply to be read."))
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise BadJSONBody(400, "bad_json", gettext("The request is not valid JSON.")) from None
