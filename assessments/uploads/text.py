"""Plain text: decoded, checked and stored as UTF-8.

Chinese Windows users often save text as GBK (Notepad's "ANSI"), older
Notepad offers "Unicode" (UTF-16 with a byte-order mark), everything else
writes UTF-8. All three are accepted and stored as UTF-8 without a BOM, so
every later reader sees the same thing.

A file counts as text only if it decodes completely and holds no control
characters other than tab, line breaks and form feed: binary data almost
never does. GB18030 (a superset of GBK) is only tried after UTF-8 fails,
because nearly any UTF-8 text would also decode, wrongly, as GB18030.
"""

from __future__ import annotations

import codecs
import re
from tempfile import SpooledTemporaryFile
from typing import BinaryIO

from ._spool import new_spool
from .refusals import refuse
from .signatures import starts_with_markup

_CHUNK = 64 * 1024
# C0 controls except \t \n \f \r, plus DEL: a NUL or an escape means binary.
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Browsers decide whether bytes are a web page from roughly the first 512 bytes.
_SNIFF_CHARS = 1024


def to_utf8(fileobj: BinaryIO) -> SpooledTemporaryFile | None:
    """A UTF-8 copy of the text in ``fileobj``, or None if it is not text.

    Refuses (``active_content``) text that a browser would take for a web
    page or an SVG picture.
    """
    for encoding in _candidate_encodings(fileobj):
        converted = _convert(fileobj, encoding)
        if converted is not None:
            return converted
    return None


def _candidate_encodings(fileobj: BinaryIO) -> tuple[str, ...]:
    fileobj.seek(0)
    bom = fileobj.read(3)
    if bom.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ("utf-16",)  # the "utf-16" codec reads and drops the BOM
    return ("utf-8-sig", "gb18030")  # "utf-8-sig" drops a BOM if there is one


def _convert(fileobj: BinaryIO, encoding: str) -> SpooledTemporaryFile | None:
    """Stream-decode ``fileobj`` as ``encoding`` into a UTF-8 spool; None on the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    out = new_spool()
    head: str | None = ""  # None once the start has been checked
    fileobj.seek(0)
    try:
        while True:
            chunk = fileobj.read(_CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            if _BINARY_CONTROL.search(text):
                out.close()
                return None
            if head is not None:
                head += text
                if len(head) >= _SNIFF_CHARS or not chunk:
                    if starts_with_markup(head):
                        raise refuse("active_content")
                    head = None
            out.write(text.encode("utf-8"))
            if not chunk:
                break
    except UnicodeDecodeError:
        out.close()
        return None
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out
