"""A stage's photo: a small JPEG or PNG, kept without the metadata that can say where it was taken.

Phones write the GPS position, the time and the device into a photo (EXIF, XMP, IPTC; PNG's
eXIf and text chunks). A photo of a well shows the public the well; it must not also show the
facilitator's home when the photo was taken there, so every such block is dropped before the
photo is stored, and only what draws the picture is kept. The file is walked block by block,
not decoded: nothing here needs an image library, and a file that does not walk cleanly is
refused rather than stored half-understood. Pure: bytes in, bytes out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from services.budget.rules import BudgetError

MAX_PHOTO_BYTES = 400_000
"""Enough for a phone photo resized for the web; a council on 3G uploads it in seconds."""

JPEG = "image/jpeg"
PNG = "image/png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# JPEG markers kept: JFIF (APP0), the ICC colour profile (APP2, for true colours) and Adobe
# (APP14, which says how colours are encoded). Every other APPn (APP1 is EXIF and XMP, APP13 is
# IPTC) and comments (COM) are dropped; everything that is not an APPn or COM is the picture.
_JPEG_KEEP_APP = {0xE0, 0xE2, 0xEE}
_JPEG_COMMENT = 0xFE
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn carry no length
_JPEG_SOS = 0xDA
# PNG chunks dropped: EXIF, text of any kind (tools write GPS there too) and the save time.
_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


@dataclass(frozen=True)
class Photo:
    content_type: str
    data: bytes


def clean_photo(raw: bytes) -> Photo:
    """The photo without its metadata, or a refusal with a clear code."""
    if not raw:
        raise invalid()
    if len(raw) > MAX_PHOTO_BYTES:
        raise BudgetError(
            "budget.photo_too_large",
            "The photo is {size} KB; at most {limit} KB. Take it smaller or send a smaller copy.",
            "រូបថតមានទំហំ {size} KB ប៉ុន្តែអនុញ្ញាតយ៉ាងច្រើន {limit} KB។ សូមថតឱ្យតូចជាងនេះ ឬផ្ញើច្បាប់ចម្លងតូចជាង។",
            status=413,
            field="photo",
            size=len(raw) // 1000,
            limit=MAX_PHOTO_BYTES // 1000,
        )
    if raw.startswith(b"\xff\xd8\xff"):
        return Photo(JPEG, _clean_jpeg(raw))
    if raw.startswith(PNG_SIGNATURE):
        return Photo(PNG, _clean_png(raw))
    raise BudgetError(
        "budget.photo_type",
        "Send the photo as a JPEG or PNG picture.",
        "សូមផ្ញើរូបថតជាប្រភេទ JPEG ឬ PNG។",
        status=415,
        field="photo",
    )


def invalid() -> BudgetError:
    return BudgetError(
        "budget.photo_invalid",
        "This photo file is damaged or incomplete. Please take or choose it again.",
        "ឯកសាររូបថតនេះខូច ឬមិនពេញលេញ។ សូមថត ឬជ្រើសរើសវាម្តងទៀត។",
        field="photo",
    )


def _clean_jpeg(raw: bytes) -> bytes:
    out = bytearray(raw[:2])  # SOI
    i = 2
    while i < len(raw):
        if raw[i] != 0xFF:
            raise invalid()
        while i < len(raw) and raw[i] == 0xFF:  # fill bytes before a marker
            i += 1
        if i >= len(raw):
            raise invalid()
        marker = raw[i]
        i += 1
        if marker in _JPEG_STANDALONE:
            out += bytes((0xFF, marker))
            continue
        if marker == 0xD9:  # EOI without a picture
            raise invalid()
        if i + 2 > len(raw):
            raise invalid()
        (length,) = struct.unpack(">H", raw[i : i + 2])
        end = i + length
        if length < 2 or end > len(raw):
            raise invalid()
        segment = bytes((0xFF, marker)) + raw[i:end]
        if marker == _JPEG_SOS:
            # The picture runs to the first EOI: inside it every 0xFF byte is stuffed or starts
            # a marker that is not EOI (further scans of a progressive JPEG included). Whatever
            # a phone appends after EOI (a maker's trailer, a motion-photo video) is dropped.
            eoi = raw.find(b"\xff\xd9", end)
            if eoi < 0:
                raise invalid()
            out += segment + raw[end : eoi + 2]
            return bytes(out)
        keep = not (0xE0 <= marker <= 0xEF or marker == _JPEG_COMMENT) or marker in _JPEG_KEEP_APP
        if keep:
            out += segment
        i = end
    raise invalid()  # no picture (SOS) at all


def _clean_png(raw: bytes) -> bytes:
    out = bytearray(PNG_SIGNATURE)
    i = len(PNG_SIGNATURE)
    seen_end = False
    while i < len(raw):
        if i + 8 > len(raw):
            raise invalid()
        (length,) = struct.unpack(">I", raw[i : i + 4])
        kind = raw[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(raw) or not kind.isalpha():
            raise invalid()
        if kind not in _PNG_DROP:
            out += raw[i:end]
        i = end
        if kind == b"IEND":
            seen_end = True
            break
    if not seen_end or b"IDAT" not in out:
        raise invalid()
    return bytes(out)
