"""Autosave/recovery, show-time variables, background removal."""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone

from PIL import Image, ImageDraw

from cover_designer.autosave import autosave, autosave_path, recover, save
from cover_designer.document import parse_document
from cover_designer.render import render
from cover_designer.templates import load_template
from cover_designer.variables import product_variables, show_time_variables


def test_autosave_and_recover(tmp_path):
    path = tmp_path / "cover.json"
    doc = load_template("latam-food")
    save(doc, path)
    assert recover(path) is None
    edited = doc.model_copy(update={"name": "edited"})
    backup = autosave(edited, path)
    os.utime(backup, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert recover(path).name == "edited"
    save(edited, path)
    assert not autosave_path(path).exists()


def test_show_time_is_dst_safe():
    # 13:00 UTC is 08:00 in New York before the March DST switch and 09:00 after it.
    before = show_time_variables(datetime(2026, 3, 7, 13, 0, tzinfo=timezone.utc), "America/New_York", "en_US")
    after = show_time_variables(datetime(2026, 3, 9, 13, 0, tzinfo=timezone.utc), "America/New_York", "en_US")
    assert before["start_clock_local"] == "08:00" and after["start_clock_local"] == "09:00"
    assert product_variables({"price": "70", "original_price": "100"})["discount"] == "30"


def test_background_removal_keeps_subject(tmp_path):
    photo = tmp_path / "subject.png"
    image = Image.new("RGB", (200, 200), (30, 120, 220))
    ImageDraw.Draw(image).ellipse([60, 60, 140, 140], fill=(250, 200, 40))
    image.save(photo)
    doc = parse_document({"preset": "shopee_square", "background": {"color": "#000000"}, "layers": [
        {"type": "image", "src": str(photo), "remove_background": True, "frame": {"w": 1, "h": 1}}]})
    out = render(doc).image.convert("RGB")
    w, h = out.size
    assert out.getpixel((w // 2, h // 2))[0] > 200  # the yellow subject stays
    assert out.getpixel((8, 8)) == (0, 0, 0)  # the blue backdrop is gone (black canvas shows)


def test_a_language_that_is_no_language_tag_still_renders():
    """Found by the cover property suite: a document whose language is a NUL made raqm raise
    'embedded null character' out of the renderer; such a language is left out of shaping."""
    from cover_designer.text import layout_text

    for language in ("\x00", "not a tag", "th\x00", ""):
        layout = layout_text("ผ้าไหม {product_name}", 800, 200, 48, 24, "regular", language, "auto", 2, True)
        assert layout.lines and layout.width > 0, language
