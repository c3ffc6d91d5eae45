"""The words on the program's cards, in the show's language — never the operator's UI language.

Viewers read the cards; the assistant may run the panel in 简体中文 for a show in Arabic.  Every
label here comes from :func:`studio.core.i18n.translator_for` for the show's locale (falling back
language → English), or from the region pack's ready phrase when the pack speaks that language;
numbers (percentages, stock, entries) go through Babel in the show's locale, so a coupon stored as
``"15.0"`` reads "15% OFF", never "15.0%".
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from babel import UnknownLocaleError
from babel.numbers import format_decimal

from studio.core.i18n import Translator, translator_for


class _Phrases(Protocol):
    def phrase(self, key: str, fallback: str, **values: object) -> str: ...


def format_number(value: Any, locale: str) -> str:
    """``value`` (int, decimal text) as ``locale`` writes it: "15", "1,250", "1.250", "15,5";
    text that is not a number comes back as it is."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))  # "15.0" → 15 (no "15.0%")
    try:
        return format_decimal(number, locale=locale)
    except (ValueError, TypeError, UnknownLocaleError):
        return format_decimal(number, locale="en")


class CardWords:
    """Every word a card shows for a show in ``locale`` drawn with ``style``'s region phrases.

    ``words.gettext(...)`` marks the labels for ``tools/messages.py`` and answers them from the
    show language's catalog (``resources/translations/<lang>/overlays.po``).
    """

    def __init__(self, locale: str, style: _Phrases) -> None:
        self.locale = locale
        self.style = style
        self.words: Translator = translator_for(locale)

    def number(self, value: Any) -> str:
        return format_number(value, self.locale)

    # -- product card ---------------------------------------------------------------------------
    def discount_badge(self, percent: Any) -> str:
        value = self.number(percent)
        return self.style.phrase("discount", self.words.gettext("-{percent}%").format(percent=value), discount=value)

    def sold_out(self) -> str:
        return self.words.gettext("Sold out!")

    # -- coupon banner --------------------------------------------------------------------------
    def coupon_headline(self, coupon: dict[str, Any], amount_text: str | None) -> str:
        """The offer: "15% OFF", "$5.00 OFF" (``amount_text``: the value already as a price),
        "Free shipping"; a referral coupon says both sides gain."""
        kind = coupon["kind"]
        if kind == "percent":
            value = self.number(coupon.get("value", "0"))
            headline = self.style.phrase("discount", self.words.gettext("{percent}% OFF").format(percent=value),
                                         discount=value)
        elif kind == "amount":
            headline = self.words.gettext("{amount} OFF").format(amount=amount_text or "")
        else:
            headline = self.style.phrase("free_shipping", self.words.gettext("Free shipping"))
        if coupon.get("is_referral"):
            headline = self.words.gettext("Invite a friend: you both get {offer}").format(offer=headline)
        return headline

    def coupon_code(self, code: str) -> str:
        return self.words.gettext("Code: {code}").format(code=code)

    # -- flash sale -----------------------------------------------------------------------------
    def sale_chip(self) -> str:
        return self.style.phrase("sale", self.words.gettext("Flash sale"))

    def sale_status(self, sale: dict[str, Any]) -> tuple[str, bool]:
        """The status beside the clock and whether the clock still shows (it does not once over)."""
        phase = sale.get("phase")
        if phase == "preroll":
            return self.words.gettext("Starts in"), True
        if phase == "live":
            return self.words.gettext("Ends in"), True
        if sale.get("end_reason") == "sold_out":
            return self.words.gettext("Sold out!"), False
        return self.words.gettext("Flash sale ended"), False

    def stock_left(self, remaining: int, stock: int) -> str:
        return self.words.gettext("{remaining} of {stock} left").format(
            remaining=self.number(remaining), stock=self.number(stock))

    # -- giveaway -------------------------------------------------------------------------------
    def winners(self) -> str:
        return self.words.gettext("Winners")

    def giveaway_call(self, keyword: str) -> str:
        return self.words.gettext("Giveaway! Comment “{keyword}” to enter").format(keyword=keyword)

    def entries(self, count: int) -> str:
        # A label, not a sentence: one form reads right for every count in every language
        # (Arabic has six plural forms, Thai none).
        return self.words.gettext("Entries: {count}").format(count=self.number(count))

    def commitment(self, digest: str) -> str:
        return self.words.gettext("Commitment {hash}").format(hash=digest)

    # -- referral leaderboard -------------------------------------------------------------------
    def leaderboard_title(self) -> str:
        return self.words.gettext("Top inviters")

    def leaderboard_points(self, points: int) -> str:
        # A label, like the entries: one form for every count.
        return self.words.gettext("{points} pts").format(points=self.number(points))

    def vip(self) -> str:
        return self.words.gettext("VIP")
