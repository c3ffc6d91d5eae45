"""Menu mnemonics (Alt+letter) are unique within each menu, in every UI language.

Two entries with the same ``&`` letter in one menu make Alt+letter cycle between them instead of
choosing one; a translator's mnemonic has to be checked with its neighbours, so the test switches
through every shipped language with the real main window.
"""
from __future__ import annotations

import collections
import re

from PySide6.QtWidgets import QApplication, QMenu

from studio.core import i18n
from ui import i18n as ui_i18n

_MNEMONIC = re.compile(r"&([^&\s])")


def _clashes(actions, where: str) -> list[str]:
    letters: dict[str, list[str]] = collections.defaultdict(list)
    found: list[str] = []
    for action in actions:
        if action.isSeparator() or not action.isVisible():
            continue
        text = action.text().replace("&&", "")
        match = _MNEMONIC.search(text)
        if match:
            letters[match.group(1).casefold()].append(text)
        menu: QMenu | None = action.menu()
        if menu is not None:
            found += _clashes(menu.actions(), f"{where} > {text}")
    found += [f"{where}: '{letter}' in {texts}" for letter, texts in letters.items() if len(texts) > 1]
    return found


def test_mnemonics_are_unique_in_every_menu_in_every_language(window, qtbot):
    problems: list[str] = []
    for code in sorted(i18n.LANGUAGES):
        ui_i18n.switch_language(code)
        QApplication.processEvents()
        problems += [f"[{code}] {clash}" for clash in _clashes(window.menuBar().actions(), "menu bar")]
    assert not problems, "\n".join(problems)
