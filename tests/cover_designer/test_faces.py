"""L1 for faces: faces in photo layers must stay out of the platform's UI.

Two paths are tested.  Real detection (OpenCV's Haar cascade on a real photo of a face, see
data/README.md) runs where the installed OpenCV has the cascade — OpenCV 4.x wheels do, OpenCV 5
dropped it — and is skipped otherwise.  The geometry (crop, zoom, turn, tile offset → canvas →
unsafe zones) is tested everywhere with a detector passed in as a parameter.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cover_designer import faces
from cover_designer.document import parse_document
from cover_designer.lint import lint
from cover_designer.render import render

ASTRONAUT = Path(__file__).parent / "data" / "astronaut.jpg"
needs_cascade = pytest.mark.skipif(faces.cascade_path() is None,
                                   reason="this OpenCV has no Haar face cascade (OpenCV 5 dropped it)")


def _doc(layer: dict, preset: str = "tiktok_live") -> object:
    return parse_document({"preset": preset, "background": {"color": "#FFFFFF"}, "layers": [layer]})


def _face_findings(findings) -> list:
    return [f for f in findings if f.rule == "L1" and "face" in f.message.lower()]


@needs_cascade
def test_haar_finds_the_real_face():
    with Image.open(ASTRONAUT) as photo:
        found = faces.haar_faces(photo.convert("RGB"))
    assert len(found) == 1
    x, y, w, h = found[0]
    # Eileen Collins' face: centred near (224, 113) in the 512×512 picture, about 90 px wide.
    assert (x + w / 2, y + h / 2) == (pytest.approx(224, abs=15), pytest.approx(113, abs=15))
    assert 60 < w < 130
    assert faces.haar_faces(Image.new("RGB", (400, 400), "#DADDE2")) == []


@needs_cascade
def test_l1_flags_a_real_face_under_the_top_bar_and_passes_it_lower_down():
    top = {"type": "image", "id": "host", "src": str(ASTRONAUT), "fit": "fill",
           "frame": {"anchor": "top", "w": 0.5, "h": 900 / 1920}}
    findings = _face_findings(lint(_doc(top), check_file_size=False))
    assert len(findings) == 1 and findings[0].layer == "host" and "top bar" in findings[0].message
    assert findings[0].severity == "error" and "safe area" in findings[0].fix
    lower = dict(top, frame={"anchor": "center", "dy": 0.05, "w": 0.5, "h": 900 / 1920})
    assert _face_findings(lint(_doc(lower), check_file_size=False)) == []


def test_default_detector_matches_what_this_opencv_offers():
    if faces.cascade_path() is None:
        assert faces.default_detector() is None
        assert "OpenCV 5" in faces.detector_status()
    else:
        assert faces.default_detector() is faces.haar_faces
        assert "automatically" in faces.detector_status()


@pytest.fixture
def marked_photo(tmp_path):
    """A grey 400×400 photo with one pure-white 60×60 square at (170, 40) — the "face"."""
    pixels = np.full((400, 400, 3), 90, np.uint8)
    pixels[40:100, 170:230] = 255
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    return path


def white_square(image: Image.Image) -> list[tuple[float, float, float, float]]:
    """A stand-in detector: the bounding box of the pure-white pixels of the picture it is shown."""
    pixels = np.asarray(image.convert("RGBA"))
    mask = (pixels[..., :3].min(axis=2) > 245) & (pixels[..., 3] > 200)
    if not mask.any():
        return []
    ys, xs = np.nonzero(mask)
    return [(float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1))]


def test_injected_detection_is_mapped_from_the_tile_to_the_canvas(marked_photo):
    # 600×600 photo box at the top centre of TikTok: the square lands at y 60–150, under the top bar.
    layer = {"type": "image", "id": "photo", "src": str(marked_photo), "fit": "fill",
             "frame": {"anchor": "top", "w": 600 / 1080, "h": 600 / 1920}}
    findings = _face_findings(lint(_doc(layer), check_file_size=False, face_detector=white_square))
    assert len(findings) == 1 and "top bar" in findings[0].message and findings[0].path == "layers[0].frame"
    # Without detection (what OpenCV 5 gives) only marked faces count: nothing here.
    assert _face_findings(lint(_doc(layer), check_file_size=False, face_detector=None)) == []
    # The same photo lower down clears the top bar.
    lower = dict(layer, frame={"anchor": "top", "dy": 0.1, "w": 600 / 1080, "h": 600 / 1920})
    assert _face_findings(lint(_doc(lower), check_file_size=False, face_detector=white_square)) == []


def test_injected_detection_follows_zoom_and_rotation(marked_photo):
    base = {"type": "image", "id": "photo", "src": str(marked_photo), "fit": "fill",
            "frame": {"anchor": "center", "w": 600 / 1080, "h": 600 / 1920}}
    # Centred, the square sits at y 720–810: inside the safe area.
    assert _face_findings(lint(_doc(base), check_file_size=False, face_detector=white_square)) == []
    # Near the right edge the square (x ~681–771) still clears TikTok's right rail (x 900 on);
    # turned a quarter clockwise about the box centre it swings to x ~876–966, under the rail.
    right = dict(base, frame={"anchor": "right", "dx": -0.05, "w": 600 / 1080, "h": 600 / 1920})
    assert _face_findings(lint(_doc(right), check_file_size=False, face_detector=white_square)) == []
    turned = dict(right, rotation_deg=90)
    findings = _face_findings(lint(_doc(turned), check_file_size=False, face_detector=white_square))
    assert len(findings) == 1 and "right rail" in findings[0].message
    # Zooming in on the middle of the photo crops the square away.
    zoomed = dict(turned, zoom=2.0)
    assert _face_findings(lint(_doc(zoomed), check_file_size=False, face_detector=white_square)) == []


def test_detection_is_remembered_per_picture():
    calls = []

    def counting(image):
        calls.append(image)
        return [(1.0, 2.0, 3.0, 4.0)]

    picture = Image.new("RGB", (50, 50))
    assert faces.faces_in(picture, counting) == [(1.0, 2.0, 3.0, 4.0)]
    assert faces.faces_in(picture, counting) == [(1.0, 2.0, 3.0, 4.0)]
    assert len(calls) == 1
    faces.faces_in(Image.new("RGB", (50, 50)), counting)
    assert len(calls) == 2


@needs_cascade
def test_lazada_close_ups_centre_on_the_real_face():
    from cover_designer.coverset import expand
    from cover_designer.presets import get_preset

    photo = {"type": "image", "id": "host", "src": str(ASTRONAUT), "fit": "fill",
             "frame": {"anchor": "center", "w": 1, "h": 1}}
    covers = expand(_doc(photo, "lazada"), get_preset("lazada"))
    assert covers[2][1].layers[0].face is not None  # found and marked for the crops
    sizes = []
    for number, variant in covers:
        found = faces.haar_faces(render(variant, "lazada").image.convert("RGB"))
        assert len(found) == 1, number
        x, y, w, h = found[0]
        sizes.append(w)
        if number > 1:
            # Centred across; vertically the crop stops at the photo's top edge, just above her hair.
            assert x + w / 2 == pytest.approx(400, abs=60)
    assert sizes[0] < sizes[1] < sizes[2]
