"""The referral leaderboard card speaks the show's language, fits its labels in every shipped one,
mirrors for right-to-left shows, and comes and goes on the program with the host's command."""
from __future__ import annotations

import numpy as np
import pytest

from cover_designer import text as textlib
from studio.core import i18n
from studio.engine import Studio, default_collection
from studio.live import LiveShow, render
from studio.live.layout import OVERLAY_LEADERBOARD
from studio.scene import Canvas

SHOW_LOCALES = ("ar_SA", "de_DE", "es_MX", "fr_FR", "id_ID", "ja_JP", "ko_KR", "ms_MY", "pt_BR", "th_TH", "vi_VN",
                "zh_CN", "en_US")
ROWS = [{"rank": 1, "name": "Ann", "points": 1250, "is_vip": True}, {"rank": 2, "name": "نورة", "points": 40},
        {"rank": 3, "name": "สมชาย", "points": 35}, {"rank": 4, "name": "Bob", "points": 20},
        {"rank": 5, "name": "李雷", "points": 5}]


@pytest.fixture
def laid_out(monkeypatch):
    seen: list[str] = []
    real = textlib.layout_text

    def spy(text, *args, **kwargs):
        seen.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(textlib, "layout_text", spy)
    return seen


@pytest.mark.parametrize("locale", SHOW_LOCALES)
def test_the_labels_are_in_the_show_language_and_fit(laid_out, locale):
    i18n.set_language("zh_CN")  # the operator's UI language must not reach the card
    try:
        words = i18n.translator_for(locale)
        for region in (None, "sea"):
            laid_out.clear()
            render.leaderboard_card(ROWS, 1.0, locale, region)
            title = words.gettext("Top inviters")
            assert title in laid_out and words.gettext("{points} pts").format(points=5) in laid_out
            assert not [text for text in laid_out if text.endswith("…")], (locale, region, laid_out)
            if not locale.startswith(("en", "zh")):
                assert title != "Top inviters"
    finally:
        i18n.set_language("en")


def test_a_right_to_left_show_mirrors_the_card():
    left_to_right = render.leaderboard_card(ROWS, 1.0, "en_US", "middle_east")
    mirrored = render.leaderboard_card(ROWS, 1.0, "ar_SA", "middle_east")
    stripe_column = lambda card: card[125, 2, :3]  # the accent stripe is on the reading-start edge
    assert not np.array_equal(stripe_column(left_to_right), stripe_column(mirrored))


def test_the_host_puts_the_leaderboard_on_the_program_and_takes_it_off(tmp_path):
    studio = Studio(collection=default_collection(Canvas(width=640, height=360, fps=15)))
    studio.start()
    show = LiveShow(studio, tmp_path / "show.db")
    try:
        code = show.referrals.add_inviter("ann", "Ann")["data"]["code"]
        show.referrals.set_rules({"vest_after_s": 0})
        show.referrals.join(code, "bob")
        show.tick()
        show.referrals.show_board(True)
        ids = [o.overlay_id for o in studio.compositor.overlays]
        assert OVERLAY_LEADERBOARD in ids
        show.referrals.show_board(False)
        leaving = [o for o in studio.compositor.overlays if o.overlay_id == OVERLAY_LEADERBOARD]
        assert not leaving or leaving[0].is_leaving
    finally:
        show.stop()
        studio.stop()
