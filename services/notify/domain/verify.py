"""A citizen's rating of completed works by keyword: ``OK <tracking code> [feedback code] <1-5>``.

Like the other keywords it counts only as the whole message. The 6-digit feedback code is
needed when the message does not come from the phone or chat the need's people gave; intake
decides that, since only intake knows the need's people. Khmer digits are read too (១-៥), and
Khmer ``យល់ព្រម`` works as the keyword.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.notify.domain.commands import normalise_tracking_code

KEYWORDS = ("OK", "/OK", "VERIFY", "/VERIFY", "យល់ព្រម")
_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_SHAPE = re.compile(r"^(?P<code>[A-Z0-9]{4}-?[A-Z0-9]{3})(?:\s+(?P<secret>\d{6}))?\s+(?P<rating>[1-5])$")


@dataclass(frozen=True)
class Verification:
    tracking_code: str
    feedback_code: str | None
    rating: int


def parse_verification(text: str) -> Verification | None:
    cleaned = " ".join(text.translate(_KHMER_DIGITS).split()).rstrip(".!។៕")
    first, _, rest = cleaned.partition(" ")
    if first.upper().split("@", 1)[0] not in KEYWORDS:
        return None
    # ABCD EFG (a space inside the code, as people type it) is joined first.
    rest = re.sub(r"^([A-Za-z0-9]{4})\s+([A-Za-z0-9]{3})(?=\s)", r"\1\2", rest.strip()).upper()
    found = _SHAPE.match(rest)
    if found is None:
        return None
    return Verification(normalise_tracking_code(found["code"]), found["secret"], int(found["rating"]))
