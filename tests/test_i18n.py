"""Every user-facing string ships in Simplified Chinese, and switching languages works."""
import importlib.util
from pathlib import Path

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
    assert i18n.system_language() == "zh_CN"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert i18n.system_language() == "en"
