"""The text source: shaped words (Arabic right to left, Thai, CJK) with outline, shadow and box; a
countdown that moves; a ticker that scrolls; bad settings said in words; and the "starting soon"
scene's words in the viewers' language."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from studio.core import i18n
from studio.schedule import parse_start
from studio.schedule.starting_soon import starting_soon_settings
from studio.schedule.store import PlannedShow
from studio.sources import create_source
from studio.sources.base import SourceState
from studio.sources.text import TextSettings, countdown_text, fill_variables, render_text, ticker_window
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("language,text", [("ar", "وشاح حرير بخصم"), ("th", "ผ้าพันคอไหม ราคาพิเศษ"),
                                           ("vi", "Khăn lụa giá sốc"), ("zh-CN", "丝巾限时特价"), ("en", "Silk scarf")])
def test_words_are_drawn_in_their_script(language, text):
    settings = TextSettings(text=text, language=language, outline_px=2)
    bgr, alpha = render_text(settings, text)
    assert bgr.shape == (160, 1280, 3) and alpha.shape == (160, 1280)
    inked = alpha > 0
    assert 500 < int(inked.sum()) < 160 * 1280 // 2  # words, not a filled block and not nothing
    assert not inked[:, :4].any() and not inked[:, -4:].any()  # inside the padding


def test_arabic_starts_at_the_right_and_english_at_the_left():
    arabic = render_text(TextSettings(text="وشاح حرير", language="ar", align="start"), "وشاح حرير")[1]
    english = render_text(TextSettings(text="Silk scarf", language="en", align="start"), "Silk scarf")[1]
    arabic_columns = np.flatnonzero((arabic > 0).any(axis=0))
    english_columns = np.flatnonzero((english > 0).any(axis=0))
    assert arabic_columns.max() > 1200 and arabic_columns.min() > 640  # right-aligned, right to left
    assert english_columns.min() < 80 and english_columns.max() < 640


def test_box_outline_and_shadow():
    plain = render_text(TextSettings(text="SALE", size_px=80), "SALE")[1]
    outlined = render_text(TextSettings(text="SALE", size_px=80, outline_px=4), "SALE")[1]
    shadowed = render_text(TextSettings(text="SALE", size_px=80, shadow_px=6), "SALE")[1]
    boxed = render_text(TextSettings(text="SALE", size_px=80, box_color="#00000080"), "SALE")[1]
    assert (outlined > 0).sum() > (plain > 0).sum() * 1.2
    assert (shadowed > 0).sum() > (plain > 0).sum()
    assert boxed[80, 5] == 128 and plain[80, 5] == 0  # the box's own alpha where there are no words


def test_countdown_counts_down_and_stops_at_zero():
    start = datetime(2026, 11, 11, 12, 0, tzinfo=timezone.utc)
    assert countdown_text(start, start - timedelta(minutes=12, seconds=3)) == "12:03"
    assert countdown_text(start, start - timedelta(hours=2, seconds=1)) == "2:00:01"
    assert countdown_text(start, start + timedelta(seconds=5)) == "00:00"
    settings = TextSettings(text="Live in {countdown} — {price} {other}", countdown_to=start.isoformat())
    # {price} is the show's (empty with no show); a brace the source does not know stays as written.
    assert fill_variables(settings, start - timedelta(seconds=90)) == "Live in 01:30 —  {other}"
    with pytest.raises(ValueError, match="UTC offset"):
        TextSettings(text="x", countdown_to="2026-11-11T12:00")


def test_ticker_scrolls_in_from_the_right():
    settings = TextSettings(text="Free shipping over $30", scroll_px_per_s=100, width=640, height=80, size_px=40)
    strip = render_text(settings, settings.text, strip=True)
    assert strip[0].shape[0] == 80 and strip[0].shape[1] > 300
    first = ticker_window(strip, 640, 0)[1]
    later = ticker_window(strip, 640, 300)[1]
    assert not (first > 0).any()  # not in view yet
    columns = np.flatnonzero((later > 0).any(axis=0))
    assert columns.min() >= 340 - 20 and columns.max() < 640  # entered from the right edge


def test_the_source_publishes_with_alpha_and_refuses_bad_settings_in_words():
    source = create_source("text", "t1", "Title", {"text": "Live in {countdown}", "countdown_to":
                                                    (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat(),
                                                    "box_color": "#000000C0", "width": 640, "height": 120})
    source.start()
    try:
        assert wait_until(lambda: source.latest_frame() is not None, timeout_s=10)
        frame = source.latest_frame()
        assert frame.image.shape == (120, 640, 3) and frame.alpha is not None and frame.alpha[60, 3] == 0xC0
        assert source.natural_size() == (640, 120)
    finally:
        source.stop()
    bad = create_source("text", "t2", "Bad", {"text": "x", "size_px": 9000, "color": "red"})
    bad.start()
    try:
        assert wait_until(lambda: bad.state is SourceState.FAILED, timeout_s=10)
        assert "size_px" in bad.state_message and "color" in bad.state_message
        assert "Traceback" not in bad.state_message
    finally:
        bad.stop()


def test_starting_soon_speaks_the_viewers_language_and_counts_to_the_start():
    start = parse_start("2030-11-11T20:00", "Asia/Shanghai").at
    show = PlannedShow(title=" ", start=start, duration_min=90, markets=["TH", "SA"])  # no title: "starting soon"
    thai = starting_soon_settings(show, "TH", 1920, 1080)
    words = i18n.translator_for("th_TH")
    assert thai["text"].splitlines()[:2] == [words.gettext("Starting soon"), words.gettext("Starting in {countdown}")]
    assert all("\u0e00" <= line[0] <= "\u0e7f" for line in thai["text"].splitlines()[:2])  # in Thai script
    assert "19:00" in thai["text"].splitlines()[2]  # 8 pm in Shanghai is 7 pm in Bangkok
    assert datetime.fromisoformat(thai["countdown_to"]) == start and thai["language"] == "th_TH"
    arabic = TextSettings.model_validate(starting_soon_settings(show, "SA", 1280, 720))
    assert arabic.text.splitlines()[1] == i18n.translator_for("ar_SA").gettext("Starting in {countdown}")
    assert "\u0600" <= arabic.text.splitlines()[1][0] <= "\u06ff"  # in Arabic script
    assert (arabic.width, arabic.height) == (1280, 720)
    bgr, alpha = render_text(arabic, fill_variables(arabic))
    assert (alpha == 255).all()  # the scene's opaque background


def test_every_overlay_language_has_the_starting_soon_words():
    placeholder = re.compile(r"\{[a-z_]+\}")
    languages = sorted(p.parent.name for p in (ROOT / "resources" / "translations").glob("*/overlays.po"))
    for language in languages + ["zh_CN"]:
        words = i18n.Translator(language)
        for msgid in ("Starting soon", "Starting in {countdown}"):
            text = words.gettext(msgid)
            assert text != msgid, f"{language} lacks {msgid!r}"
            assert placeholder.findall(text) == placeholder.findall(msgid)
