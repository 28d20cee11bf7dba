"""Pictures: recognised by signature, checked for hidden passengers, and always re-encoded.

Re-encoding is the real protection: what gets stored is pixels Pillow decoded
and wrote out again, so nothing that was hidden in the original (a ZIP, a
script, EXIF GPS coordinates, an XMP block with the teacher's name) can
survive. The checks before it exist to refuse crafted files honestly and to
keep Pillow from decoding something huge:

* pixel count (width x height x frames) is checked from the header, before
  any pixel is decoded, against an explicit limit; Pillow's own
  ``DecompressionBombError`` is caught as well;
* the EXIF orientation is applied first (so a phone photo is not stored on
  its side), colours are converted to sRGB when the photo carries a profile
  (iPhones shoot Display P3), then every piece of metadata is dropped;
* HEIC (iPhone photos) is stored as JPEG.

Polyglot rules for pictures (the shared ones are in :mod:`.checks`): PNG, GIF and WebP
must end where their own structure says they end (trailing NUL padding
aside). JPEG may carry a trailer, because Android "motion photos" append a
video after the picture, so only the shared rules apply to it; the trailer
is dropped by re-encoding anyway. GIF and JPEG files whose header bytes
spell ``/*`` are refused: that is how a picture is made to parse as
JavaScript too.
"""

from __future__ import annotations

import functools
import io
from tempfile import SpooledTemporaryFile
from typing import BinaryIO

from PIL import Image, ImageOps, ImageSequence

from . import kinds
from ._spool import new_spool
from .kinds import Format
from .refusals import UnsupportedFormat, UploadRefused, refuse

# A 48-megapixel iPhone photo is 48.8 million pixels; a scanned A4 page at
# 600 dpi is 35 million. Decoding 50 million RGBA pixels takes 200 MB of memory.
DEFAULT_MAX_IMAGE_PIXELS = 50_000_000

_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
_PILLOW_FORMAT = {kinds.JPEG: "JPEG", kinds.PNG: "PNG", kinds.GIF: "GIF", kinds.WEBP: "WEBP", kinds.HEIC: "HEIF"}
_STORED_AS = {fmt: fmt for fmt in (kinds.JPEG, kinds.PNG, kinds.GIF, kinds.WEBP)} | {kinds.HEIC: kinds.JPEG}
_SAVE_OPTIONS = {kinds.JPEG: {"quality": 90}, kinds.PNG: {}, kinds.GIF: {}, kinds.WEBP: {"quality": 90}}
# The only pieces of image.info that survive: what is needed to draw the
# picture (transparency) and to animate it. Everything else is metadata.
_KEPT_INFO = frozenset({"transparency", "duration"})
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def format_of(head: bytes) -> Format | None:
    """The picture format ``head`` (the first bytes of a file) starts, if any."""
    if head.startswith(b"\xff\xd8\xff"):
        return kinds.JPEG
    if head.startswith(_PNG_SIGNATURE):
        return kinds.PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return kinds.GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return kinds.WEBP
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return kinds.HEIC
    return None


# --- Hidden data -----------------------------------------------------------------


def refuse_hidden_data(fmt: Format, data) -> None:
    """Raise ``polyglot`` if the picture ``data`` (bytes or mmap) carries bytes that are not picture."""
    if (fmt is kinds.GIF and data[6:8] == b"/*") or (fmt is kinds.JPEG and data[2:6] == b"\xff\xe0/*"):
        raise refuse("polyglot")
    end = {kinds.PNG: _png_end, kinds.GIF: _gif_end, kinds.WEBP: _webp_end}.get(fmt)
    if end is not None and bytes(data[end(data) :]).strip(b"\x00"):
        raise refuse("polyglot")


def _png_end(data) -> int:
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunk_type = data[pos + 4 : pos + 8]
        pos += 12 + length  # length, type, data, CRC
        if chunk_type == b"IEND":
            return pos
    return len(data)  # truncated: nothing after it, and Pillow will judge the rest


def _gif_end(data) -> int:
    pos = 13 + _colour_table_size(data[10])  # header, logical screen descriptor, global colour table
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:  # trailer
            return pos + 1
        if block == 0x21:  # extension: label, then data sub-blocks
            pos = _skip_sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image: descriptor, local colour table, LZW code size, sub-blocks
            pos = _skip_sub_blocks(data, pos + 10 + _colour_table_size(data[pos + 9]) + 1)
        else:
            raise refuse("damaged")
    return len(data)


def _colour_table_size(flags: int) -> int:
    return 3 << ((flags & 0x07) + 1) if flags & 0x80 else 0


def _skip_sub_blocks(data, pos: int) -> int:
    while pos < len(data):
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
    return len(data)


def _webp_end(data) -> int:
    riff_size = int.from_bytes(data[4:8], "little")
    return 8 + riff_size + (riff_size & 1)


# --- Re-encoding -----------------------------------------------------------------


def reencode(fileobj: BinaryIO, fmt: Format, max_pixels: int) -> tuple[Format, SpooledTemporaryFile]:
    """Decode the picture in ``fileobj`` and write it out again, without metadata."""
    if fmt is kinds.HEIC and not _heif_available():
        raise UnsupportedFormat("HEIC")
    stored_as = _STORED_AS[fmt]
    fileobj.seek(0)
    try:
        # formats=[...]: decode with the plugin for the format we detected,
        # never let Pillow guess (it knows dozens of exotic formats).
        with Image.open(fileobj, formats=[_PILLOW_FORMAT[fmt]]) as image:
            _refuse_too_many_pixels(image, max_pixels)
            loop = image.info.get("loop")  # absent means "play once"; keep it that way
            frames = [_clean_frame(frame, stored_as) for frame in ImageSequence.Iterator(image)]
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refuse("too_many_pixels") from None
    except Exception:  # noqa: BLE001 - decoders fail on hostile input in many ways; all mean "cannot open"
        raise refuse("damaged") from None
    return stored_as, _save(frames, stored_as, loop)


def _refuse_too_many_pixels(image: Image.Image, max_pixels: int) -> None:
    width, height = image.size
    if width * height * getattr(image, "n_frames", 1) > max_pixels:
        raise refuse("too_many_pixels")


def _clean_frame(frame: Image.Image, stored_as: Format) -> Image.Image:
    upright = ImageOps.exif_transpose(frame)  # always a copy, so `frame` stays untouched
    upright = _to_srgb(upright)
    upright = _mode_for(upright, stored_as)
    # A palette index for transparency means nothing once the mode has changed.
    kept = _KEPT_INFO if upright.mode == frame.mode else _KEPT_INFO - {"transparency"}
    upright.info = {key: value for key, value in frame.info.items() if key in kept}
    return upright


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert a photo with an embedded colour profile to plain sRGB, so dropping the profile keeps its colours."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, _srgb_profile(), outputMode=mode)
    except Exception:  # noqa: BLE001 - no littleCMS or a broken profile: keep the pixels as they are
        return image


@functools.cache
def _srgb_profile():
    from PIL import ImageCms

    return ImageCms.createProfile("sRGB")


def _mode_for(image: Image.Image, stored_as: Format) -> Image.Image:
    if stored_as is kinds.JPEG and image.mode not in ("L", "RGB"):
        if "A" in image.mode or image.mode == "P":
            # JPEG has no transparency: put the picture on white, as a viewer would.
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(background, rgba).convert("RGB")
        return image.convert("RGB")
    if stored_as is kinds.WEBP and image.mode not in ("RGB", "RGBA"):
        return image.convert("RGBA")
    if stored_as is kinds.PNG and image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        return image.convert("RGBA")
    return image


def _save(frames: list[Image.Image], stored_as: Format, loop: int | None) -> SpooledTemporaryFile:
    out = new_spool()
    options = dict(_SAVE_OPTIONS[stored_as])
    first, *rest = frames
    if rest:
        durations = [frame.info.get("duration", 100) for frame in frames]
        options.update(save_all=True, append_images=rest, duration=durations)
        if loop is not None:
            options["loop"] = loop
    try:
        first.save(out, format=_PILLOW_FORMAT[stored_as], **options)
    except Exception:
        out.close()
        raise
    out.seek(0)
    return out


@functools.cache
def _heif_available() -> bool:
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True
