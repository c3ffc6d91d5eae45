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
from pathlib import Path

from babel.messages.pofile import read_po

from studio.core.paths import RESOURCES_DIR

TRANSLATIONS_DIR = RESOURCES_DIR / "translations"
SOURCE_LANGUAGE = "en"
# Language code -> the language's own name (shown in the settings picker untranslated).
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}

_lock = threading.Lock()
_catalogs: dict[str, dict[str, str]] = {}
_current = SOURCE_LANGUAGE


def _load_catalog(language: str) -> dict[str, str]:
    with _lock:
        if language in _catalogs:
            return _catalogs[language]
        messages: dict[str, str] = {}
        for path in sorted((TRANSLATIONS_DIR / language).glob("*.po")):
            with path.open("rb") as handle:
                catalog = read_po(handle)
            for message in catalog:
                if message.id and message.string and not message.fuzzy:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    text = message.string if isinstance(message.string, str) else message.string[0]
                    if text:
                        messages[key] = text
        _catalogs[language] = messages
        return messages


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


def match_language(candidates: list[str]) -> str:
    for raw in candidates:
        code = raw.split(".")[0].split("@")[0].replace("-", "_")
        if not code or code in ("C", "POSIX"):
            continue
        if code in LANGUAGES:
            return code
        base = code.split("_")[0].lower()
        if base == "zh":
            # zh_TW/zh_HK readers get Simplified until Traditional ships; better than English.
            return "zh_CN"
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
    return gettext(singular if n == 1 else plural)


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
        return self.gettext(singular if n == 1 else plural)

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
