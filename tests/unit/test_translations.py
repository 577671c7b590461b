"""Khmer is the default language: every UI string has a Khmer translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from gateway.i18n import catalog_files, translate

REPO = Path(__file__).resolve().parents[2]
# _("...") and _('...') in templates; translate(lang, "...") in the gateway's Python code.
TEMPLATE_STRING = re.compile(r"""_\(\s*(["'])(.+?)\1""")
PYTHON_STRING = re.compile(r"""(?:translate\(\s*lang,\s*|ctx\.t\(\s*|\.t\(\s*)(["'])(.+?)\1""")
# Refusals raised with English source text that the GraphQL layer translates.
ADMIN_ERROR = re.compile(r'AdminError\(\s*"[a-z_.]+",\s*"([^"]+)"')
PYTHON_TABLE_VALUE = re.compile(r"""^\s+(?:Sector|Role)\.[A-Z_]+: "([A-Za-z][^"]*)",$""", re.M)


def _catalog() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in catalog_files("km"):
        with path.open("rb") as fh:
            for message in read_po(fh):
                if message.id:
                    assert str(message.id) not in merged, f"{message.id!r} is translated twice"
                    merged[str(message.id)] = str(message.string)
    return merged


def _label_tables() -> set[str]:
    """Words shown on pages from the ``*_LABELS`` tables of the page modules."""
    import importlib
    import pkgutil

    import gateway.web

    found: set[str] = set()

    def collect(value: object) -> None:
        if isinstance(value, dict):
            for inner in value.values():
                collect(inner)
        elif isinstance(value, str):
            found.add(value)

    for info in pkgutil.iter_modules(gateway.web.__path__):
        module = importlib.import_module(f"gateway.web.{info.name}")
        for name, value in vars(module).items():
            if name.endswith("_LABELS"):
                collect(value)
    return found


def _used_strings() -> set[str]:
    used: set[str] = set()
    for template in (REPO / "pwa" / "templates").glob("*.html"):
        used |= {m.group(2) for m in TEMPLATE_STRING.finditer(template.read_text(encoding="utf-8"))}
    for module in (REPO / "gateway").rglob("*.py"):
        text = module.read_text(encoding="utf-8")
        used |= {m.group(2) for m in PYTHON_STRING.finditer(text)}
        used |= set(PYTHON_TABLE_VALUE.findall(text))
        used |= set(ADMIN_ERROR.findall(text))
    return used | _label_tables()


def test_every_ui_string_has_a_khmer_translation() -> None:
    catalog = _catalog()
    used = _used_strings()
    assert len(used) > 30  # the extraction itself works
    missing = sorted(s for s in used if not catalog.get(s))
    assert missing == []


def test_khmer_translations_are_written_in_khmer_script() -> None:
    khmer = re.compile(r"[\u1780-\u17FF]")
    for source, text in _catalog().items():
        assert khmer.search(text), f"{source!r} is not translated into Khmer"


def test_translations_keep_their_placeholders() -> None:
    for source, text in _catalog().items():
        assert re.findall(r"%\(\w+\)s", source) == re.findall(r"%\(\w+\)s", text), source


def test_translate_falls_back_to_english_source_text() -> None:
    assert translate("en", "Record a need") == "Record a need"
    assert translate("km", "Record a need") == "កត់ត្រាតម្រូវការ"
    assert translate("km", "Hello, %(name)s", name="សុភា") == "សួស្តី សុភា"


def test_no_ui_string_holds_a_percent_sign_that_is_not_a_placeholder() -> None:
    """Jinja's gettext formats every string with %: a bare "%" (e.g. "share (%)") breaks the page."""
    bare = re.compile(r"%(?!\(\w+\)s)")
    assert sorted(s for s in _used_strings() if bare.search(s)) == []


def test_khmer_translations_write_numbers_in_khmer_digits() -> None:
    """A Khmer page writes ៥, not 5 (the phone-layout walk checks pages; this checks every string,
    including those only a rare page shows). Names of formats such as UTF-8 keep their digits."""
    western = re.compile(r"[0-9]")
    names = re.compile(r"%\(\w+\)s|\{\w+\}|UTF-8|ISO 8601|E\.164|CSV|JSON")
    wrong = sorted(s for s, text in _catalog().items() if western.search(names.sub("", text)))
    assert wrong == []
