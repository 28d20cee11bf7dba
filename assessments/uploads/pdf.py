"""PDF inspection: refuse PDFs that can run code, launch programs or carry files.

A PDF is refused when it uses one of :data:`ACTIVE_NAMES` anywhere. Malicious
PDFs hide those names in two ways, and both are looked through:

* Names may be written with ``#xx`` escapes (``/J#61vaScript`` is
  ``/JavaScript``); the patterns below match every escaped spelling.
* Since PDF 1.5, dictionaries can sit inside compressed object streams
  (``/Type /ObjStm``), invisible in the raw bytes. Those streams are inflated
  within a byte budget and searched too. Page content and image streams hold
  no dictionaries, so they are left compressed.

What we cannot look through is refused rather than trusted: an object stream
whose filter is not plain FlateDecode or that uses a predictor, an object
stream in a file that also uses the legacy text encodings (ASCIIHex, ASCII85,
LZW, RunLength: in a modern PDF they are there to hide bytes from scanners),
and an encrypted PDF (its object streams are encrypted). This is a scanner,
not a parser: a dictionary longer than :data:`_DICTIONARY_WINDOW` bytes could
hide a predictor from it, which is why the stored file should still only ever
be served as a download with ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import re
import zlib

from .refusals import refuse

# /JavaScript and /JS run code; /Launch starts programs; /EmbeddedFile(s)
# carry attachments (an .exe inside a PDF); /RichMedia embeds Flash or video
# players; /XFA forms carry scripts of their own.
ACTIVE_NAMES = (b"JavaScript", b"JS", b"Launch", b"EmbeddedFiles", b"EmbeddedFile", b"RichMedia", b"XFA")
_LEGACY_FILTERS = (b"ASCIIHexDecode", b"ASCII85Decode", b"LZWDecode", b"RunLengthDecode", b"AHx", b"A85", b"LZW", b"RL")

# All object streams together may inflate to at most this much. Real ones are
# a few hundred KiB; the budget stops a PDF-shaped zip bomb.
INFLATE_BUDGET = 32 * 1024 * 1024

# A stream's dictionary is short: look this far back for its "N 0 obj" header.
_DICTIONARY_WINDOW = 4096
_CHUNK = 64 * 1024

_DELIMITER = rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)"
_OBJECT_HEADER = re.compile(rb"\d+[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+obj" + _DELIMITER)
_STREAM_KEYWORD = re.compile(rb"stream\r?\n")


def _name(*names: bytes) -> re.Pattern[bytes]:
    """A regex matching any of ``/Name...`` however their characters are #-escaped."""

    def char(c: int) -> bytes:
        hi, lo = f"{c:02x}"
        escaped = f"#[{hi}{hi.upper()}][{lo}{lo.upper()}]".encode()
        return b"(?:" + re.escape(bytes([c])) + b"|" + escaped + b")"

    alternatives = b"|".join(b"".join(char(c) for c in name) for name in names)
    return re.compile(b"/(?:" + alternatives + b")" + _DELIMITER)


_ACTIVE = _name(*ACTIVE_NAMES)
_ENCRYPT = _name(b"Encrypt")
_OBJECT_STREAM = _name(b"ObjStm")
_LEGACY_FILTER = _name(*_LEGACY_FILTERS)
_FILTER = _name(b"Filter")
_FLATE = _name(b"FlateDecode")
# Filters other than Flate that are still allowed elsewhere in a PDF (images, encryption).
_OTHER_FILTER = _name(b"Fl", b"DCTDecode", b"DCT", b"JPXDecode", b"JBIG2Decode", b"CCITTFaxDecode", b"CCF", b"Crypt")
_DECODE_PARMS = _name(b"DecodeParms", b"DP")


def inspect_pdf(data) -> None:
    """Raise :class:`UploadRefused` unless the PDF ``data`` (bytes or mmap) is passive and readable."""
    if _ENCRYPT.search(data):
        raise refuse("encrypted")
    if _ACTIVE.search(data):
        raise refuse("pdf_active_content")
    object_streams = list(_OBJECT_STREAM.finditer(data))
    if object_streams and _LEGACY_FILTER.search(data):
        raise refuse("pdf_active_content")
    budget = INFLATE_BUDGET
    for match in object_streams:
        contents = _object_stream_contents(data, match.start(), budget)
        budget -= len(contents)
        if _ACTIVE.search(contents):
            raise refuse("pdf_active_content")


def _object_stream_contents(data, type_at: int, budget: int) -> bytes:
    """The inflated bytes of the object stream whose dictionary says /ObjStm at ``type_at``."""
    stream = _STREAM_KEYWORD.search(data, type_at)
    headers = list(_OBJECT_HEADER.finditer(data, max(0, type_at - _DICTIONARY_WINDOW), type_at))
    if stream is None or not headers:
        return b""  # the word sits in a comment or a string, not in a stream dictionary
    dictionary = bytes(data[headers[-1].start() : stream.start()])
    if _DECODE_PARMS.search(dictionary):
        raise refuse("pdf_active_content")  # a predictor would scramble the names we look for
    if _FILTER.search(dictionary) is None:
        return b""  # stored uncompressed: the raw search has already read it
    if _FLATE.search(dictionary) is None or _OTHER_FILTER.search(dictionary):
        raise refuse("pdf_active_content")  # only a single FlateDecode is something we can undo
    return _inflate(data, stream.end(), budget)


def _inflate(data, offset: int, budget: int) -> bytes:
    inflater = zlib.decompressobj()
    out = bytearray()
    pos = offset
    try:
        while not inflater.eof and pos < len(data):
            pending = bytes(data[pos : pos + _CHUNK])
            pos += len(pending)
            while pending:
                out += inflater.decompress(pending, budget - len(out) + 1)
                if len(out) > budget:
                    raise refuse("pdf_active_content")
                pending = inflater.unconsumed_tail
    except zlib.error:
        # A forgiving reader might still make sense of a broken stream; we cannot check it.
        raise refuse("damaged") from None
    return bytes(out)
