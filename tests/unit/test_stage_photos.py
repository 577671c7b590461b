"""A stage's photo keeps its picture and loses what can say where it was taken (EXIF GPS, XMP,
IPTC, PNG text and eXIf); other files, damaged files and big files are refused with clear codes.
Pure, no I/O: the files are built here, block by block."""

from __future__ import annotations

import struct
import zlib

import pytest

from services.budget.photos import MAX_PHOTO_BYTES, PNG, clean_photo
from services.runtime.errors import DomainError

GPS = b"GPSLatitude 13.7367 N GPSLongitude 107.0012 E"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(*extra: bytes) -> bytes:
    """A real 1x1 green PNG, with ``extra`` chunks before its picture."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    picture = png_chunk(b"IDAT", zlib.compress(b"\x00\x00\xff\x00"))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(extra) + picture + png_chunk(b"IEND", b"")


def jpeg_segment(marker: int, data: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(data) + 2) + data


def jpeg(*segments: bytes) -> bytes:
    """A JPEG's structure: SOI, ``segments``, a quantisation table, a frame, a scan, EOI."""
    frame = jpeg_segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
    scan = jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"\x12\x34\xff\x00\x56"
    return (
        b"\xff\xd8"
        + b"".join(segments)
        + jpeg_segment(0xDB, b"\x00" + bytes(64))
        + frame
        + scan
        + b"\xff\xd9"
    )


def test_a_jpeg_loses_exif_xmp_iptc_and_comments_and_keeps_its_picture() -> None:
    jfif = jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    icc = jpeg_segment(0xE2, b"ICC_PROFILE\x00\x01\x01colours")
    raw = jpeg(
        jfif,
        jpeg_segment(0xE1, b"Exif\x00\x00" + GPS),
        jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + GPS + b"</x:xmpmeta>"),
        jpeg_segment(0xED, b"Photoshop 3.0\x00" + GPS),
        jpeg_segment(0xFE, b"taken at home of " + GPS),
        icc,
    )
    cleaned = clean_photo(raw)
    assert cleaned.content_type == "image/jpeg"
    assert b"GPS" not in cleaned.data and b"Exif" not in cleaned.data and b"xmpmeta" not in cleaned.data
    assert jfif in cleaned.data and icc in cleaned.data
    assert cleaned.data == jpeg(jfif, icc)  # the rest exactly as it was
    assert clean_photo(cleaned.data).data == cleaned.data  # cleaning twice changes nothing


def test_what_a_phone_appends_after_a_jpeg_picture_is_dropped() -> None:
    raw = jpeg() + b"SEFT trailer " + GPS
    assert clean_photo(raw).data == jpeg()


def test_a_png_loses_its_exif_and_text_chunks_and_stays_a_valid_png() -> None:
    raw = png(
        png_chunk(b"eXIf", b"MM\x00*" + GPS),
        png_chunk(b"tEXt", b"Comment\x00" + GPS),
        png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + GPS),
        png_chunk(b"tIME", b"\x07\xea\x0c\x04\x12\x00\x00"),
    )
    cleaned = clean_photo(raw)
    assert cleaned.content_type == PNG
    assert GPS not in cleaned.data and b"tIME" not in cleaned.data
    assert cleaned.data == png()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "budget.photo_invalid"),
        (b"GIF89a" + bytes(20), "budget.photo_type"),
        (b"<svg onload=alert(1)>", "budget.photo_type"),
        (png()[:-12], "budget.photo_invalid"),  # no IEND: cut off in transfer
        (png().replace(b"IDAT", b"IDA\x00"), "budget.photo_invalid"),
        (jpeg()[:40], "budget.photo_invalid"),
        (b"\xff\xd8\xff\xe1\xff\xff" + GPS, "budget.photo_invalid"),  # a length past the end
        (b"\xff\xd8" + jpeg_segment(0xE0, b"JFIF") + b"\xff\xd9", "budget.photo_invalid"),  # no picture
        (png(png_chunk(b"tEXt", bytes(MAX_PHOTO_BYTES))), "budget.photo_too_large"),
    ],
)
def test_other_damaged_or_big_files_are_refused_with_a_clear_code_in_khmer_and_english(
    raw: bytes, code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        clean_photo(raw)
    assert refused.value.code == code
    assert refused.value.message("km") != refused.value.message("en")
    assert any("\u1780" <= ch <= "\u17ff" for ch in refused.value.message("km"))
