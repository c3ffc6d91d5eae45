"""Gettext-style message catalog shared by the engine and the Qt views.

Catalogs are ``resources/translations/<lang>/*.po`` (one file per area, merged; English
is the source language).
The engine marks user text with ``_("...")``; ``ui/`` uses Qt's ``tr()``, which a
QTranslator in ``ui/i18n.py`` answers from this same catalog, so one file per language
holds every string.  The language follows the system unless settings pin one.

The words on the program (overlay cards) are not the operator's: they follow the show's
locale through :func:`translator_for`, which reads the same catalogs (a language may ship
only ``overlays.po``, the on-air labels; such partial languages are never offered as a UI
language — :data:`LANGUAGES` lists the complete ones).
"""
from __future__ import annotations

import functools
import locale
import os
import re
import threading
from collections.abc import Callable
from gettext import c2py
from pathlib import Path

from babel.messages.pofile import read_po

from studio.core.paths import RESOURCES_DIR

TRANSLATIONS_DIR = RESOURCES_DIR / "translations"
SOURCE_LANGUAGE = "en"
# Every language the project speaks: code -> the language's own name (shown in the settings
# picker untranslated).  The UI offers a language once its catalog holds the desktop views
# (``ui.po``, written last, when every string of the language is in) — see :data:`LANGUAGES`;
# the others may still ship the on-air labels (``overlays.po``) for cards.
KNOWN_LANGUAGES: dict[str, str] = {
    "en": "English",
    "zh_CN": "简体中文",
    "zh_TW": "繁體中文",
    "id": "Bahasa Indonesia",
    "th": "ไทย",
    "vi": "Tiếng Việt",
    "es": "Español (Latinoamérica)",
    "pt_BR": "Português (Brasil)",
    "ar": "العربية",
    "ja": "日本語",
    "ko": "한국어",
}
# Languages written right to left: the UI mirrors its layout for them.
RTL_UI_LANGUAGES = frozenset({"ar"})


def _shipped_ui_languages() -> dict[str, str]:
    return {code: name for code, name in KNOWN_LANGUAGES.items()
            if code == "en" or (TRANSLATIONS_DIR / code / "ui.po").is_file()}


# The languages offered as the UI's: complete catalogs only.
LANGUAGES: dict[str, str] = _shipped_ui_languages()

_lock = threading.Lock()
_catalogs: dict[str, dict[str, str]] = {}
# language -> {singular msgid: [form 0, form 1, ...]} and the language's plural rule (n -> index)
_plurals: dict[str, dict[str, list[str]]] = {}
_plural_rules: dict[str, Callable[[int], int]] = {}


def _germanic_plural(n: int) -> int:
    return 0 if n == 1 else 1


_current = SOURCE_LANGUAGE


def _load_catalog(language: str) -> dict[str, str]:
    with _lock:
        if language in _catalogs:
            return _catalogs[language]
        messages: dict[str, str] = {}
        plurals: dict[str, list[str]] = {}
        rule: Callable[[int], int] = _germanic_plural
        for path in sorted((TRANSLATIONS_DIR / language).glob("*.po")):
            with path.open("rb") as handle:
                catalog = read_po(handle)
            header = catalog.mime_headers
            if any(name.lower() == "plural-forms" for name, _value in header):
                rule = plural_rule(catalog.plural_forms)
            for message in catalog:
                if not message.id or message.fuzzy:
                    continue
                if isinstance(message.id, str):
                    if isinstance(message.string, str) and message.string:
                        messages[message.id] = message.string
                    continue
                forms = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
                if forms and all(forms):
                    plurals[message.id[0]] = forms
        _catalogs[language] = messages
        _plurals[language] = plurals
        _plural_rules[language] = rule
        return messages


def plural_rule(plural_forms: str) -> Callable[[int], int]:
    """The gettext ``Plural-Forms`` header ("nplurals=2; plural=(n != 1);") as n -> form index.

    The expression is C; :func:`gettext.c2py` parses it safely (a whitelist of tokens, no eval of
    arbitrary text).  A header that cannot be read falls back to the English rule.
    """
    expression = plural_forms.split("plural=", 1)[-1].strip().rstrip(";")
    try:
        return c2py(expression)
    except (ValueError, SyntaxError, RecursionError):
        return _germanic_plural


def _plural(language: str, singular: str, plural: str, n: int) -> str:
    """``n``'s form of the message in ``language``: a ``msgid_plural`` entry chosen by the
    language's Plural-Forms rule; else the older one-msgid-per-form entries; else English."""
    if language == SOURCE_LANGUAGE:
        return singular if n == 1 else plural
    messages = _load_catalog(language)
    forms = _plurals[language].get(singular)
    if forms:
        index = _plural_rules[language](abs(int(n)))
        return forms[min(max(index, 0), len(forms) - 1)]
    key = singular if n == 1 else plural
    return messages.get(key, key)


def system_language() -> str:
    """Best match among shipped languages for the OS setting (LANGUAGE/LC_ALL/LANG)."""
    candidates = []
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            candidates.extend(value.split(":"))
    try:
        loc = locale.getlocale()[0]
        if loc:
            candidates.append(loc)
    except ValueError:
        pass
    return match_language(candidates)


_TRADITIONAL_CHINESE = frozenset({"TW", "HK", "MO", "HANT"})


def match_language(candidates: list[str]) -> str:
    for raw in candidates:
        code = raw.split(".")[0].split("@")[0].replace("-", "_")
        if not code or code in ("C", "POSIX"):
            continue
        if code in LANGUAGES:
            return code
        base = code.split("_")[0].lower()
        if base == "zh":
            # Traditional for Taiwan, Hong Kong, Macau and "Hant" when it ships; Simplified else.
            traditional = any(part.upper() in _TRADITIONAL_CHINESE for part in code.split("_")[1:])
            return "zh_TW" if traditional and "zh_TW" in LANGUAGES else "zh_CN"
        if base in LANGUAGES:
            return base
    return SOURCE_LANGUAGE


def set_language(language: str | None) -> str:
    """Switch the catalog; ``None`` or ``"system"`` follows the OS.  Returns the code in use."""
    global _current
    code = system_language() if language in (None, "", "system") else match_language([language])
    _load_catalog(code)
    _current = code
    return code


def current_language() -> str:
    return _current


def gettext(message: str) -> str:
    if _current == SOURCE_LANGUAGE:
        return message
    return _load_catalog(_current).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _plural(_current, singular, plural, n)


def is_rtl(language: str | None = None) -> bool:
    """Whether ``language`` (default: the UI's) is written right to left."""
    return (language or _current).split("_")[0] in RTL_UI_LANGUAGES


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (translate at display time)."""
    return message


_ = gettext


class Translator:
    """``gettext``/``ngettext`` answered from one language's catalog, whatever the UI language is.

    Used for text viewers see on the program: the show's locale picks it, never the operator's
    UI language.  Calls are written ``words.gettext("...")`` so ``tools/messages.py`` extracts them.
    """

    def __init__(self, language: str) -> None:
        self.language = language  # the catalog's language code ("ar", "pt_BR"; "en" = the source text)

    def gettext(self, message: str) -> str:
        if self.language == SOURCE_LANGUAGE:
            return message
        return _load_catalog(self.language).get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _plural(self.language, singular, plural, n)

    __call__ = gettext

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"


def catalog_language(locale_code: str | None) -> str:
    """The shipped catalog for ``locale_code`` (CLDR "ar_SA", BCP 47 "pt-BR"): the locale's own
    ("pt_BR"), else its language's ("ar", "es"; any Chinese reads Simplified, as in the UI),
    else the source language, English."""
    code = (locale_code or "").split(".")[0].split("@")[0].replace("-", "_").strip()
    if not re.fullmatch(r"[A-Za-z]{2,3}(_[A-Za-z0-9]{2,8})*", code):  # also: never a path
        return SOURCE_LANGUAGE
    parts = code.split("_")
    base = parts[0].lower()
    candidates = ["_".join([base] + [p.upper() if len(p) == 2 else p.title() for p in parts[1:]]), base]
    if base == "zh":
        if any(part.upper() in _TRADITIONAL_CHINESE for part in parts[1:]):
            candidates.append("zh_TW")
        candidates.append("zh_CN")
    for candidate in candidates:
        if candidate == SOURCE_LANGUAGE:
            return SOURCE_LANGUAGE
        folder = TRANSLATIONS_DIR / candidate
        if folder.is_dir() and any(folder.glob("*.po")):
            return candidate
    return SOURCE_LANGUAGE


@functools.lru_cache(maxsize=64)
def translator_for(locale_code: str | None) -> Translator:
    """The words of a show in ``locale_code`` (falling back language → English); independent of
    :func:`set_language`, so switching the UI never changes what viewers read."""
    return Translator(catalog_language(locale_code))
