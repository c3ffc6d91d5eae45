"""Golden images (with tolerance) for complex scripts and for every region pack."""
from __future__ import annotations

import pytest
from PIL import ImageFont, features

from cover_designer import text as textlib
from cover_designer.document import parse_document
from cover_designer.presets import Preset
from cover_designer.regions import REGIONS
from cover_designer.render import render
from cover_designer.templates import load_template

from .conftest import compare_golden

SMALL = Preset("golden", "Golden 16:9", 640, 360, smallest_display_width_px=640)


def _text_doc(text: str, language: str, direction: str = "ltr") -> dict:
    return {"preset": "youtube", "language": language, "direction": direction, "background": {"color": "#1E3A5F"},
            "layers": [{"type": "text", "text": text, "language": language, "font": {"size": 150, "min_size": 20},
                        "color": "#FFFFFF", "frame": {"anchor": "center", "w": 0.9, "h": 0.8}, "max_lines": 2}]}


def test_raqm_is_available():
    # Arabic/Thai need raqm (FriBiDi); without it L6 blocks export, and these goldens would be wrong.
    assert features.check("raqm"), "install libfribidi0 so Pillow can shape complex text"


@pytest.mark.parametrize("name,text,language", [
    ("arabic_rtl", "تخفيضات كبيرة اليوم", "ar"),
    ("thai", "ลดราคาพิเศษ วันนี้เท่านั้น", "th"),
    ("vietnamese", "Giảm giá sốc hôm nay", "vi"),
    ("japanese", "本日限定セール 送料無料", "ja"),
    ("mixed_script", "SALE セール ลดราคา تخفيضات Giảm giá", "en"),
])
def test_script_golden(name, text, language):
    result = render(parse_document(_text_doc(text, language)), SMALL)
    assert not result.problems
    info = result.layers[0]
    assert not info.missing_glyphs
    compare_golden(result.image, name)


def test_arabic_is_joined_and_right_to_left():
    face = textlib.available_faces()["arabic"]
    font = textlib.load_font(face, 60, "regular")
    word = "سلام"
    shaped = font.getlength(word, direction="rtl", language="ar")
    basic = ImageFont.truetype(face.path, 60, layout_engine=ImageFont.Layout.BASIC).getlength(word)
    assert shaped != basic  # contextual (joined) forms, not isolated letters
    # Right-to-left: the first letter (seen) ends up on the right.
    doc = parse_document(_text_doc("س" + " " * 3 + "....", "ar"))
    image = render(doc, SMALL).image.convert("L")
    width = image.width
    right = image.crop((width // 2, 0, width, image.height)).getextrema()
    assert right[1] > 200


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_region_pack_golden(region):
    doc = load_template(f"{region}-apparel")
    result = render(doc, "youtube")
    assert not result.problems
    compare_golden(result.image, f"region_{region}", size=(480, 270))


def test_rtl_region_is_mirrored():
    doc = load_template("middle_east-apparel")
    result = render(doc, "youtube")
    photo = next(i for i in result.layers if i.layer_id == "photo")
    headline = next(i for i in result.layers if i.layer_id == "headline")
    assert photo.frame.x < result.preset.width / 2 < headline.frame.right
