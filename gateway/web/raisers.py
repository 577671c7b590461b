"""Who raised a need, on a page: the standard questions' choices in words, and a posted form read
into the ``raised_by`` body intake takes (the need form sends the same through GraphQL).

Every question starts at "not asked" (an empty value): an answer left there is unknown, which
is not "no". "No" is a choice of its own wherever a group is asked about.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.inclusion import INDIGENOUS_PEOPLES, Group, WgAnswer, WgDomain
from gateway.i18n import translate

SEX_LABELS = {
    "female": "Woman",
    "male": "Man",
    "other": "Other",
    "prefer_not_to_say": "Prefers not to say",
}
AGE_LABELS = {"youth": "Youth", "adult": "Adult", "elderly": "Elderly"}
# The Washington Group short set, as the questions are asked.
WG_QUESTION_LABELS = {
    WgDomain.SEEING: "Do you have difficulty seeing, even if wearing glasses?",
    WgDomain.HEARING: "Do you have difficulty hearing, even if using a hearing aid?",
    WgDomain.WALKING: "Do you have difficulty walking or climbing steps?",
    WgDomain.REMEMBERING: "Do you have difficulty remembering or concentrating?",
    WgDomain.SELF_CARE: "Do you have difficulty (with self-care such as) washing all over or dressing?",
    WgDomain.COMMUNICATING: "Using your usual language, do you have difficulty communicating?",
}
WG_ANSWER_LABELS = {
    WgAnswer.NO_DIFFICULTY: "No difficulty",
    WgAnswer.SOME_DIFFICULTY: "Some difficulty",
    WgAnswer.A_LOT_OF_DIFFICULTY: "A lot of difficulty",
    WgAnswer.CANNOT_DO_AT_ALL: "Cannot do at all",
}
IDPOOR_LABELS = {"0": "No", "1": "Level 1", "2": "Level 2"}
MIGRANT_LABELS = {
    "not_migrant": "No",
    "working_abroad": "Works abroad",
    "working_elsewhere_in_cambodia": "Works elsewhere in Cambodia",
    "returned": "Returned home",
}
GROUPS = tuple(g.value for g in Group)  # intake's groups, in its order
FIELD_MAX = 100


def _options(lang: str, labels: Mapping[Any, str]) -> list[dict[str, str]]:
    return [{"value": str(k), "label": translate(lang, v)} for k, v in labels.items()]


def choices(lang: str) -> dict[str, Any]:
    """Everything the "who raised it" fields offer, in the page's language."""
    indigenous = [{"value": "none", "label": translate(lang, "No")}]
    indigenous += [{"value": code, "label": f"{km} ({en})"} for code, en, km, _ in INDIGENOUS_PEOPLES]
    indigenous.append({"value": "other", "label": translate(lang, "Other (write it)")})
    return {
        "sexes": _options(lang, SEX_LABELS),
        "ages": _options(lang, AGE_LABELS),
        "wg": [
            # ``field``: the name GraphQL's PersonInput gives the question (the need form's JS).
            {"domain": d.value, "field": _camel(f"wg_{d.value}"), "question": translate(lang, q)}
            for d, q in WG_QUESTION_LABELS.items()
        ],
        "wg_answers": _options(lang, WG_ANSWER_LABELS),
        "idpoor": _options(lang, IDPOOR_LABELS),
        "indigenous": indigenous,
        "migrant": _options(lang, MIGRANT_LABELS),
    }


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = str(form.get(name) or "").strip()[:FIELD_MAX]
    return value or None


def _whole(form: Mapping[str, Any], name: str) -> int | None:
    """A count as typed; words that are not a number go to intake as -1, which it refuses at the
    field with its own message (so the page says what is wrong, in the person's language)."""
    value = _text(form, name)
    if value is None:
        return None
    return int(value) if value.isdigit() else -1


def raiser_body(form: Mapping[str, Any], prefix: str = "") -> dict[str, Any] | None:
    """The ``raised_by`` of a posted form, or None when nothing was said about who raised it."""
    kind = _text(form, f"{prefix}kind") or "person"
    consent = "verbal" if _text(form, f"{prefix}consent") else None
    if kind == "group":
        groups = {g: n for g in GROUPS if (n := _whole(form, f"{prefix}count_{g}")) is not None}
        return {
            "kind": "group",
            "people": _whole(form, f"{prefix}people"),
            "groups": groups,
            "consent": consent,
        }
    wg = {d.value: a for d in WgDomain if (a := _text(form, f"{prefix}wg_{d.value}"))}
    idpoor = _text(form, f"{prefix}idpoor_level")
    attributes = {
        "sex": _text(form, f"{prefix}sex"),
        "age_band": _text(form, f"{prefix}age_band"),
        "idpoor_level": int(idpoor) if idpoor and idpoor.isdigit() else None,
        "indigenous_group": _text(form, f"{prefix}indigenous_group"),
        "indigenous_other": _text(form, f"{prefix}indigenous_other"),
        "migrant_status": _text(form, f"{prefix}migrant_status"),
        "wg": wg or None,
    }
    given = {k: v for k, v in attributes.items() if v is not None}
    if not given and consent is None and kind == "person":
        return None
    return {"kind": "person", "attributes": given or None, "consent": consent}
