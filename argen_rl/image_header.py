"""Image format and size from the file header, before any pixel is decoded.

``image_info(data)`` recognises JPEG, PNG, WebP and BMP by their magic bytes and reads width and
height from their headers (JPEG: the first SOF segment; PNG: IHDR; WebP: VP8 / VP8L / VP8X;
BMP: the DIB header). Anything else is ``None``: callers decode only formats on their allow-list,
so OpenCV never sees a Radiance HDR, TIFF, JPEG 2000, PFM or EXR file, and an image whose header
claims too many pixels is refused before a decoder allocates them.
"""
from __future__ import annotations

import struct
from typing import NamedTuple

UPLOAD_FORMATS = ("JPEG", "PNG", "WebP")          # what Serve decodes
FRAME_FORMATS = ("JPEG", "PNG", "WebP", "BMP")    # what dataset frame folders may hold


class ImageInfo(NamedTuple):
    format: str
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def sniff_format(data: bytes) -> str | None:
    """The format named by the magic bytes (JPEG, PNG, WebP, BMP), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[:2] == b"BM" and len(data) >= 26:
        return "BMP"
    return None


def image_info(data: bytes) -> ImageInfo | None:
    """(format, width, height) from the header, or None if not an allow-listable image or the
    header is damaged / gives no positive size."""
    fmt = sniff_format(data)
    try:
        size = {"JPEG": _jpeg, "PNG": _png, "WebP": _webp, "BMP": _bmp}[fmt](data) if fmt else None
    except (struct.error, IndexError):
        size = None
    if size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return ImageInfo(fmt, size[0], size[1])


def _png(d: bytes) -> tuple[int, int] | None:
    if d[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", d[16:24])


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(d: bytes) -> tuple[int, int] | None:
    i, n = 2, len(d)
    while i + 4 <= n:
        if d[i] != 0xFF:
            return None
        marker = d[i + 1]
        if marker == 0xFF:             # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):   # standalone markers: no length
            i += 2
            continue
        if marker in (0xD9, 0xDA):     # end of image / start of scan before any frame header
            return None
        length = struct.unpack(">H", d[i + 2:i + 4])[0]
        if length < 2:
            return None
        if marker in _SOF:
            h, w = struct.unpack(">HH", d[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None


def _webp(d: bytes) -> tuple[int, int] | None:
    chunk = d[12:16]
    if chunk == b"VP8 ":
        if d[23:26] != b"\x9d\x01\x2a":
            return None
        w, h = struct.unpack("<HH", d[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L":
        if d[20] != 0x2F:
            return None
        b = int.from_bytes(d[21:25], "little")
        return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(d[24:27], "little") + 1, int.from_bytes(d[27:30], "little") + 1
    return None


def _bmp(d: bytes) -> tuple[int, int] | None:
    header = struct.unpack("<I", d[14:18])[0]
    if header == 12:                   # BITMAPCOREHEADER
        return struct.unpack("<HH", d[18:22])
    if header < 40:
        return None
    w, h = struct.unpack("<ii", d[18:26])
    return w, abs(h)
