"""Qt's ``tr()`` answered from the engine's gettext catalogs, so one .po file per language
holds every string of the program (engine and views alike).

``install(app)`` once at start; ``switch_language(code)`` afterwards.  Switching re-installs
the translator, which makes Qt send ``QEvent.LanguageChange`` to every widget; each view
answers it in ``changeEvent`` by calling its ``retranslate()``.

A right-to-left language (Arabic) also turns the application's layout direction, live: Qt
mirrors every layout, dock and menu.  Pictures (the program previews, the cover canvas) set
left-to-right themselves; :mod:`ui.rtl` keeps number, address and secret fields and sliders
left to right.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QGuiApplication

from studio.core import i18n
from ui import rtl

log = logging.getLogger(__name__)


class CatalogTranslator(QTranslator):
    """A QTranslator whose messages come from ``studio.core.i18n.gettext`` (context ignored).

    Returns ``None`` (a null QString) for unknown messages so that Qt keeps asking the
    next translator (Qt's own ``qtbase`` catalog for dialog buttons and the like) and
    finally shows the source text; an empty string would count as a translation.
    """

    def translate(self, context: str, source_text: str, disambiguation: str | None = None, n: int = -1) -> str | None:  # noqa: D102
        if not source_text or i18n.current_language() == i18n.SOURCE_LANGUAGE:
            return None
        text = i18n.gettext(source_text)
        return None if text == source_text else text

    def isEmpty(self) -> bool:  # noqa: N802 - Qt's name
        # Qt sends no LanguageChange for a translator that says it is empty.
        return False

    def language(self) -> str:
        return i18n.current_language()


# The locale of numbers in widgets (spin boxes) per UI language, where it is not the language's
# own: Gulf Arabic writes the Western digits every number from the engine comes with.
_WIDGET_LOCALES = {"ar": "ar_AE"}


_catalog_translator: CatalogTranslator | None = None
_qt_translator: QTranslator | None = None


def install(app: QCoreApplication, language: str | None = "system") -> str:
    """Choose the language, install the catalog translator; returns the code in use."""
    return switch_language(language, app)


def switch_language(language: str | None, app: QCoreApplication | None = None) -> str:
    """Set the catalog language ("system" or a code) and make every view retranslate."""
    global _catalog_translator, _qt_translator
    app = app or QCoreApplication.instance()
    code = i18n.set_language(language)
    if app is None:
        return code
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    if code != i18n.SOURCE_LANGUAGE:
        # Qt's own strings (file dialog buttons, "OK", "Cancel") from the catalogs Qt ships.
        qt_translator = QTranslator(app)
        directory = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt_translator.load(QLocale(code), "qtbase", "_", directory):
            app.installTranslator(qt_translator)
            _qt_translator = qt_translator
        else:
            log.info("no Qt translation for %s in %s", code, directory)
    if _catalog_translator is None:
        _catalog_translator = CatalogTranslator(app)
    else:
        app.removeTranslator(_catalog_translator)
    # Installed last so it is asked first; installing sends LanguageChange to all widgets.
    app.installTranslator(_catalog_translator)
    QLocale.setDefault(QLocale(_WIDGET_LOCALES.get(code, code)))
    if isinstance(app, QGuiApplication):
        rtl.apply_layout_direction(app, i18n.is_rtl(code))
    return code
