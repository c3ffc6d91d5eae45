"""Every shipped UI language with more than one plural form picks the right form of real
catalog strings through ``Translator(lang).ngettext`` for n = 0, 1, 2, 5.

The expected form index per n is written out here from CLDR's cardinal rules (not computed
with :func:`studio.core.i18n.plural_rule`), and the expected text is read from the language's
.po files with Babel, so neither side borrows the code under test.
"""
import importlib.util
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from studio.core import i18n

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("messages", ROOT / "tools" / "messages.py")
messages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(messages)

COUNTS = (0, 1, 2, 5)
# CLDR cardinal categories for 0, 1, 2, 5, as the index of msgstr[i] in gettext's order.
FORM_FOR_COUNT = {
    "es": (1, 0, 1, 1),  # one: n = 1; other: 0, 2, 5
    "pt_BR": (0, 0, 1, 1),  # one: i = 0, 1 (CLDR pt); other: 2, 5
    "ar": (0, 1, 2, 3),  # zero, one, two, few (3–10)
}
# Two ngettext pairs the live panel really uses (studio/live, ui/live_panel).
PAIRS = (("{count} comment", "{count} comments"), ("{count} coupon", "{count} coupons"))


def _nplurals(language: str) -> int:
    return int(messages.PLURAL_FORMS[language].split("nplurals=")[1].split(";")[0])


PLURAL_LANGUAGES = [code for code in messages.shipped_languages() if _nplurals(code) > 1]


def _forms_in_catalog(language: str, singular: str) -> list[str]:
    """msgstr[0..n-1] of the msgid_plural entry for ``singular``, read straight from the .po files."""
    for path in sorted((ROOT / "resources" / "translations" / language).glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if isinstance(message.id, tuple) and message.id[0] == singular:
                    return list(message.string)
    raise AssertionError(f"{language}: no msgid_plural entry for {singular!r}")


def test_the_plural_languages_under_test_ship():
    """At least the Latin American and Brazilian catalogs are checked (they ship complete)."""
    assert {"es", "pt_BR"} <= set(PLURAL_LANGUAGES)


@pytest.mark.parametrize("language", PLURAL_LANGUAGES)
@pytest.mark.parametrize("singular, plural", PAIRS)
def test_ngettext_gives_the_cldr_form(language, singular, plural):
    assert language in FORM_FOR_COUNT, f"{language} ships with plural forms: add its CLDR forms for {COUNTS}"
    forms = _forms_in_catalog(language, singular)
    assert len(forms) == _nplurals(language) and all(forms)
    assert len(set(forms)) > 1, f"{language}: every form of {singular!r} is the same text"
    words = i18n.Translator(language)
    for n, index in zip(COUNTS, FORM_FOR_COUNT[language]):
        got = words.ngettext(singular, plural, n)
        assert got == forms[index], f"{language}, n={n}: {got!r}, expected form {index} {forms[index]!r}"
        assert got.format(count=n) != (singular if n == 1 else plural).format(count=n)  # translated, not English
