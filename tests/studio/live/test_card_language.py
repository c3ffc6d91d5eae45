"""Every word on a program card follows the show's locale; the operator's UI language never leaks
onto the program (a show in Arabic stayed Chinese after the panel was switched to 简体中文)."""
from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from cover_designer import text as textlib
from cover_designer.regions import REGIONS
from studio.core import i18n
from studio.live import render
from studio.live.card_words import format_number
from studio.live.catalog import Product

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("messages", ROOT / "tools" / "messages.py")
messages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(messages)

# The labels viewers read: every string marked in the module that words the cards.
ON_AIR = sorted(msgid for msgid, where in messages.extract().items()
                if any(w.startswith("studio/live/card_words.py:") for w in where))
OVERLAY_LANGUAGES = sorted(p.parent.name for p in (ROOT / "resources" / "translations").glob("*/overlays.po"))
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
SCALE = 0.6

PRODUCT = Product("SKU-1", {"": "Silk scarf", "ar": "وشاح حرير", "th": "ผ้าพันคอผ้าไหม"}, "19.99", "SAR", "39.99", 50)
SOLD_OUT = dataclasses.replace(PRODUCT, stock=0)
COUPONS = {
    "percent": {"code": "LIVE15", "kind": "percent", "value": "15.0"},
    "amount": {"code": "LIVE5", "kind": "amount", "value": "5.00", "currency": "SAR"},
    "shipping": {"code": "SHIP", "kind": "free_shipping", "value": "0"},
    "referral": {"code": "FRIEND", "kind": "percent", "value": "10", "is_referral": True},
}
SALES = {
    "preroll": {"phase": "preroll", "countdown_s": 9, "stock": 50, "remaining": 50},
    "live": {"phase": "live", "countdown_s": 65, "stock": 50, "remaining": 50},
    "sold_out": {"phase": "ended", "end_reason": "sold_out", "countdown_s": 0, "stock": 50, "remaining": 0},
    "ended": {"phase": "ended", "end_reason": "time", "countdown_s": 0, "stock": 50, "remaining": 7},
}
GIVEAWAYS = {
    "open": {"keyword": "win", "entries": ["a", "b", "c"], "winners": [], "commitment": "ab" * 32},
    "drawn": {"keyword": "win", "entries": ["a"], "winners": ["noura"], "commitment": "ab" * 32},
}


def _cards(locale: str, region: str | None, width_px: int | None = None, min_text_px: int = 0):
    """Every card in every state (``width_px``/``min_text_px``: as the vertical program draws them)."""
    size = {"width_px": width_px, "min_text_px": min_text_px}
    yield "product", lambda: render.product_card(PRODUCT, locale, SCALE, region=region, **size)
    yield "product_sale", lambda: render.product_card(PRODUCT, locale, SCALE, price="14.99", region=region, **size)
    yield "product_sold_out", lambda: render.product_card(SOLD_OUT, locale, SCALE, region=region, **size)
    for name, coupon in COUPONS.items():
        yield f"coupon_{name}", lambda c=coupon: render.coupon_banner(c, locale, SCALE, "SAR", region=region, **size)
    for name, sale in SALES.items():
        yield f"flash_{name}", lambda s=sale: render.flash_sale_card(s, PRODUCT, locale, SCALE, region=region, **size)
    for name, giveaway in GIVEAWAYS.items():
        yield f"giveaway_{name}", lambda g=giveaway: render.giveaway_card(g, SCALE, locale, region, **size)
    yield "answer", lambda: render.answer_card({"user": "noura", "text": "?"}, "OK", SCALE, locale, region, **size)


@pytest.fixture
def ui_in_chinese():
    i18n.set_language("zh_CN")
    try:
        yield
    finally:
        i18n.set_language("en")


@pytest.fixture
def laid_out(monkeypatch):
    """The text of every call into the shaping/layout function, in order."""
    seen: list[str] = []
    real = textlib.layout_text

    def spy(text, *args, **kwargs):
        seen.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(textlib, "layout_text", spy)
    return seen


def _words(locale: str, *msgids: str) -> list[str]:
    words = i18n.translator_for(locale)
    return [words.gettext(m) for m in msgids]


# ar_SA/th_TH with their own pack (its phrases where it has them), and with a pack that does not
# speak the language (every label from the show language's catalog).
@pytest.mark.parametrize("locale,region", [("ar_SA", None), ("th_TH", None), ("ar_SA", "na_eu"), ("th_TH", "jp_kr")])
@pytest.mark.parametrize("vertical", [False, True])
def test_no_ui_language_on_any_card(ui_in_chinese, laid_out, locale, region, vertical):
    chinese = {i18n.translator_for("zh_CN").gettext(m) for m in ON_AIR} - {m for m in ON_AIR}
    size = {"width_px": 700, "min_text_px": 33} if vertical else {}
    for name, paint in _cards(locale, region, **size):
        laid_out.clear()
        paint()
        assert laid_out, name
        for text in laid_out:
            assert not CJK.search(text), f"{name} in {locale}: UI-language text on the card: {text!r}"
            assert not any(word.split("{")[0] and word.split("{")[0] in text for word in chinese), (name, text)


@pytest.mark.parametrize("locale,region", [("ar_SA", "na_eu"), ("th_TH", "jp_kr"), ("ar_SA", None), ("th_TH", None)])
def test_the_show_language_is_on_the_cards(ui_in_chinese, laid_out, locale, region):
    starts, ends, sold_out, ended = _words(locale, "Starts in", "Ends in", "Sold out!", "Flash sale ended")
    expected = {
        "flash_preroll": [starts], "flash_live": [ends, _words(locale, "{remaining} of {stock} left")[0].format(remaining=50, stock=50)],
        "flash_sold_out": [sold_out], "flash_ended": [ended], "product_sold_out": [sold_out],
        "coupon_percent": [_words(locale, "Code: {code}")[0].format(code="LIVE15")],
        "giveaway_open": [_words(locale, "Entries: {count}")[0].format(count=3)], "giveaway_drawn": _words(locale, "Winners"),
    }
    for name, paint in _cards(locale, region):
        laid_out.clear()
        paint()
        for text in expected.get(name, []):
            assert text in laid_out, f"{name} in {locale}: {text!r} not among {laid_out}"
    # The catalogs really are in the show's language, not English passing through.
    assert starts != "Starts in" and ends != "Ends in"


def test_a_sold_out_product_says_so_instead_of_its_discount(laid_out):
    render.product_card(SOLD_OUT, "en_US", SCALE)
    assert "Sold out!" in laid_out and "50% OFF" not in laid_out
    laid_out.clear()
    render.product_card(PRODUCT, "en_US", SCALE)  # in stock: the discount, no "Sold out!"
    assert "Sold out!" not in laid_out and "50% OFF" in laid_out


def test_ar_sa_reads_arabic_with_a_pack_that_does_not_speak_it(ui_in_chinese, laid_out):
    render.flash_sale_card(SALES["live"], PRODUCT, "ar_SA", SCALE, region="na_eu")
    assert "ينتهي خلال" in laid_out and "متبقي 50 من 50" in laid_out
    laid_out.clear()
    render.coupon_banner(COUPONS["percent"], "th_TH", SCALE, region="jp_kr")
    assert "ลด 15%" in laid_out and "โค้ด: LIVE15" in laid_out


def test_switching_the_ui_language_changes_no_pixel(laid_out):
    """Drawn with the UI in Chinese, then in English: the same picture (nothing cached in the wrong language)."""
    for locale in ("ar_SA", "th_TH", "en_US"):
        before = {}
        i18n.set_language("zh_CN")
        try:
            for name, paint in _cards(locale, "na_eu"):
                before[name] = paint()
        finally:
            i18n.set_language("en")
        for name, paint in _cards(locale, "na_eu"):
            assert np.array_equal(before[name], paint()), f"{name} in {locale} depends on the UI language"


def test_percentages_are_formatted_for_the_show(laid_out):
    render.coupon_banner(COUPONS["percent"], "en_US", SCALE, region="sea")  # a pack without English phrases
    assert "15% OFF" in laid_out
    laid_out.clear()
    render.coupon_banner(COUPONS["percent"], "en_US", SCALE)  # the pack's own phrase
    assert "15% OFF" in laid_out
    laid_out.clear()
    render.coupon_banner({**COUPONS["percent"], "value": "12.50"}, "de_DE", SCALE, region="sea")
    assert "12,5 % Rabatt" in laid_out
    laid_out.clear()
    render.coupon_banner({**COUPONS["percent"], "value": "15.0"}, "ar_SA", SCALE)
    assert "خصم 15%" in laid_out
    assert not any("15.0" in text for text in laid_out)
    assert format_number("15.0", "en_US") == "15" and format_number("1250", "de_DE") == "1.250"
    assert format_number("12.5", "fr_FR") == "12,5" and format_number("n/a", "en_US") == "n/a"


def test_translator_follows_the_show_not_the_ui(ui_in_chinese):
    assert i18n.translator_for("ar_SA").gettext("Ends in") == "ينتهي خلال"
    assert i18n.translator_for("es_MX").gettext("Ends in") == "Termina en"  # language fallback
    assert i18n.translator_for("pt-BR").gettext("Flash sale") == "Oferta relâmpago"
    assert i18n.translator_for("en_US").gettext("Ends in") == "Ends in"
    assert i18n.translator_for("sw_KE").gettext("Ends in") == "Ends in"  # no catalog: English
    traditional = "zh_TW" if (ROOT / "resources" / "translations" / "zh_TW").is_dir() else "zh_CN"
    assert i18n.translator_for("zh_TW").language == traditional and i18n.translator_for("zh-Hant-HK").language == traditional
    assert i18n.translator_for("zh_SG").language == "zh_CN"
    assert i18n.translator_for("es_419").language == "es" and i18n.translator_for("th_TH.UTF-8").language == "th"
    assert i18n.translator_for("../zh_CN").language == "en"  # a locale is never a path
    assert i18n.gettext("Ends in") == "距结束"  # the UI itself is still Chinese


def test_overlay_only_languages_are_not_offered_as_ui_languages():
    """A language is a UI language only once its whole catalog ships (``ui.po`` is its mark);
    one with just the on-air labels serves cards and is never offered in the UI."""
    assert {"ar", "th", "vi", "id", "ms", "pt_BR", "es"} <= set(OVERLAY_LANGUAGES)
    translations = ROOT / "resources" / "translations"
    for code in OVERLAY_LANGUAGES:
        assert (code in i18n.LANGUAGES) == (translations / code / "ui.po").is_file(), code
    assert {"en", "zh_CN"} <= set(i18n.LANGUAGES) <= set(i18n.KNOWN_LANGUAGES)
    assert {"de", "fr", "ms"}.isdisjoint(i18n.LANGUAGES)  # on-air labels only
    for locale, code in (("ar_SA", "ar"), ("pt_BR.UTF-8", "pt_BR"), ("de_DE", "de")):
        assert i18n.match_language([locale]) == (code if code in i18n.LANGUAGES else "en")


def test_every_region_pack_language_has_its_on_air_labels():
    shipped = {code.split("_")[0] for code in OVERLAY_LANGUAGES} | {"en", "zh"}
    pack_languages = {language.code.split("-")[0] for pack in REGIONS.values() for language in pack.languages}
    assert pack_languages - shipped <= {"fil"}  # Filipino shows run their cards in English (Taglish)


@pytest.mark.parametrize("language", OVERLAY_LANGUAGES + ["zh_CN"])
def test_overlay_catalogs_are_complete_and_keep_placeholders(language):
    have = messages.translated(language)
    assert ON_AIR, "no on-air labels found"
    for msgid in ON_AIR:
        assert msgid in have, f"{language} lacks {msgid!r}"
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(have[msgid])), (language, msgid)


SHOW_LOCALES = {"ar": "ar_SA", "de": "de_DE", "es": "es_MX", "fr": "fr_FR", "id": "id_ID", "ja": "ja_JP", "ko": "ko_KR",
                "ms": "ms_MY", "pt_BR": "pt_BR", "th": "th_TH", "vi": "vi_VN", "zh_CN": "zh_CN", "en": "en_US"}


@pytest.mark.parametrize("language", sorted(SHOW_LOCALES))
def test_no_label_is_cut_on_the_cards(laid_out, language):
    """Every label fits its card at the designed size (the long referral line and the giveaway call
    included), with the region's own pack and with one that does not speak the language."""
    assert set(OVERLAY_LANGUAGES) <= set(SHOW_LOCALES)
    locale = SHOW_LOCALES[language]
    for region in (None, "sea" if language not in ("th", "vi", "id", "ms") else "latam"):
        laid_out.clear()
        for kind, value in (("percent", "15"), ("amount", "5"), ("free_shipping", "0")):
            render.coupon_banner({"code": "LIVE15", "kind": kind, "value": value, "is_referral": True}, locale, 1.0,
                                 "USD", region=region)
        for name, paint in _cards(locale, region):
            paint()
        cut = {text for text in laid_out if text.endswith("…") and "abab" not in text}  # the hash is cut on purpose
        assert not cut, f"{locale} with {region or 'its own'} pack: {sorted(cut)}"
