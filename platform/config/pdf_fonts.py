"""The Chinese font every PDF embeds (transcripts, certificates, attendance sheets).

reportlab embeds TrueType outlines only: Noto Sans CJK (CFF-based OTF/TTC)
cannot be embedded. We look for a TrueType CJK font in this order:
settings.SHIXUN_PDF_FONT (a path, optionally "path#index" for a .ttc), then
Debian's fonts-wqy-zenhei and fonts-droid-fallback. Without any, reportlab's
built-in CID font STSong-Light is used: it needs no file but is not embedded,
so it only shows where the reader has Chinese fonts; a warning is logged.
"""

import logging
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

from shixun.config.conf import shixun_settings

logger = logging.getLogger(__name__)

FONT_NAME = "ShixunCJK"
FALLBACK_CID_FONT = "STSong-Light"
FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc#0",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc#0",
]


@cache
def cjk_font() -> str:
    """Register and return the name of the font to use for Chinese text."""
    configured = shixun_settings.SHIXUN_PDF_FONT
    for candidate in ([configured] if configured else []) + FONT_CANDIDATES:
        path, _sep, index = candidate.partition("#")
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=int(index or 0)))
        except Exception:  # noqa: BLE001 - a broken or CFF font: try the next one
            logger.warning("PDF font %s cannot be embedded", candidate, exc_info=True)
            continue
        return FONT_NAME
    logger.warning("No embeddable CJK TrueType font found; PDFs use the non-embedded %s", FALLBACK_CID_FONT)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
    return FALLBACK_CID_FONT
