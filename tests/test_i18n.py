"""Every user-facing string ships in Simplified Chinese, and switching languages works."""
import importlib.util
from pathlib import Path

import pytest

from studio.core import i18n

spec = importlib.util.spec_from_file_location("messages", Path(__file__).resolve().parent.parent / "tools" / "messages.py")
messages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(messages)


def test_every_string_has_a_chinese_translation():
    gaps = messages.missing("zh_CN")
    listing = "\n".join(f"{where[0]}: {msgid!r}" for msgid, where in sorted(gaps.items(), key=lambda kv: kv[1][0]))
    assert not gaps, f"{len(gaps)} user-facing strings lack a zh_CN translation (python tools/messages.py --missing):\n{listing}"


def test_placeholders_survive_translation():
    import re

    placeholder = re.compile(r"\{[a-z_]*[!:]?[^}]*\}")
    for msgid, text in messages.translated("zh_CN").items():
        assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(text)), f"placeholders differ in {msgid!r} → {text!r}"


def test_switch_language(monkeypatch):
    try:
        assert i18n.set_language("zh_CN") == "zh_CN"
        assert i18n._("Test pattern") != "Test pattern"
        assert i18n.set_language("en") == "en"
        assert i18n._("Test pattern") == "Test pattern"
    finally:
        i18n.set_language("en")


def test_system_language_matching(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.system_language() == "zh_CN"
    monkeypatch.setenv("LANG", "zh_TW.UTF-8")
    assert i18n.system_language() == ("zh_TW" if "zh_TW" in i18n.LANGUAGES else "zh_CN")
    monkeypatch.setenv("LANG", "zh_SG.UTF-8")
    assert i18n.system_language() == "zh_CN"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert i18n.system_language() == "en"


SHIPPED = messages.shipped_languages()


@pytest.mark.parametrize("language", SHIPPED)
def test_every_shipped_ui_language_is_complete(language):
    """A language offered as the UI's has every string (``tools/messages.py --lang X --missing``)."""
    gaps = messages.missing(language)
    listing = "\n".join(f"{where[0]}: {msgid!r}" for msgid, where in sorted(gaps.items(), key=lambda kv: kv[1][0])[:40])
    assert not gaps, f"{len(gaps)} strings lack a {language} translation:\n{listing}"
    assert language in i18n.LANGUAGES


@pytest.mark.parametrize("language", SHIPPED)
def test_translations_keep_placeholders_and_plural_forms(language):
    import re

    placeholder = re.compile(r"\{[a-z_]*[!:]?[^}]*\}")
    entries = messages.plural_entries(language)
    # A msgid_plural entry's forms are checked one by one below, against the plural (a singular
    # such as "reconnected once" has no {count}, while every form of the language carries it).
    in_plural_entries = set(entries) | {plural for plural, _, _ in entries.values()}
    for msgid, text in messages.translated(language).items():
        if msgid in in_plural_entries:
            continue
        assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(text)), f"placeholders differ in {msgid!r} → {text!r}"
    expected = messages.PLURAL_FORMS[language]
    nplurals = int(expected.split("nplurals=")[1].split(";")[0])
    for singular, (plural, forms, header) in entries.items():
        assert header.replace(" ", "") == expected.replace(" ", ""), f"{language}: Plural-Forms {header!r} in the file of {singular!r}"
        assert len(forms) == nplurals, f"{language}: {singular!r} has {len(forms)} forms, the language has {nplurals}"
        for form in forms:
            assert sorted(placeholder.findall(plural)) == sorted(placeholder.findall(form)), (language, singular, form)


def test_plural_rules_follow_the_languages_plural_forms():
    arabic = i18n.plural_rule(messages.PLURAL_FORMS["ar"])
    assert [arabic(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 111)] == [0, 1, 2, 3, 3, 4, 4, 5, 5, 4]
    portuguese = i18n.plural_rule(messages.PLURAL_FORMS["pt_BR"])
    assert [portuguese(n) for n in (0, 1, 2)] == [0, 0, 1]
    assert i18n.plural_rule("nplurals=1; plural=0;")(7) == 0
    assert i18n.plural_rule("nplurals=2; plural=__import__('os');")(2) == 1  # not C: the English rule


def test_ngettext_picks_the_form_the_language_asks_for(tmp_path, monkeypatch):
    folder = tmp_path / "ar"
    folder.mkdir()
    (folder / "test.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        f'"Plural-Forms: {messages.PLURAL_FORMS["ar"]}\\n"\n\n'
        'msgid "{count} coupon"\nmsgid_plural "{count} coupons"\n'
        + "".join(f'msgstr[{i}] "form{i} {{count}}"\n' for i in range(6)), encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path)
    # Every per-language cache, so the real Arabic catalog is read again after this test.
    monkeypatch.setattr(i18n, "_catalogs", {})
    monkeypatch.setattr(i18n, "_plurals", {})
    monkeypatch.setattr(i18n, "_plural_rules", {})
    words = i18n.Translator("ar")
    assert [words.ngettext("{count} coupon", "{count} coupons", n) for n in (0, 1, 2, 4, 12, 100)] == [
        f"form{i} {{count}}" for i in range(6)]
    assert words.ngettext("{count} comment", "{count} comments", 3) == "{count} comments"  # untranslated: English
