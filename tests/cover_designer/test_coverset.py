"""Cover sets: Lazada LazLive takes three covers of one show — the same design, three crops."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from cover_designer.batch import run_batch
from cover_designer.cli import EXIT_BAD_INPUT, EXIT_OK, main
from cover_designer.coverset import DEFAULT_COVER_SET, apply_variant, expand, numbered, variants_for
from cover_designer.document import parse_document
from cover_designer.presets import get_preset
from cover_designer.render import render


@pytest.fixture
def photo(tmp_path):
    """A 600×600 photo: four coloured quadrants with a small white square in the middle."""
    pixels = np.zeros((600, 600, 3), np.uint8)
    pixels[:300, :300] = (229, 57, 53)
    pixels[:300, 300:] = (30, 136, 229)
    pixels[300:, :300] = (67, 160, 71)
    pixels[300:, 300:] = (251, 192, 45)
    pixels[270:330, 270:330] = (255, 255, 255)
    path = tmp_path / "product.png"
    Image.fromarray(pixels).save(path)
    return path


def _doc(photo, **extra) -> dict:
    data = {"id": "show", "preset": "lazada", "background": {"color": "#FFFFFF"}, "layers": [
        {"type": "image", "id": "photo", "src": str(photo), "fit": "fill", "frame": {"anchor": "center", "w": 1, "h": 1}},
        {"type": "logo", "id": "logo", "src": str(photo), "frame": {"anchor": "top_left", "w": 0.2, "h": 0.2}},
    ]}
    data.update(extra)
    return data


def _white_fraction(image: Image.Image) -> float:
    pixels = np.asarray(image.convert("RGB"))
    return float((pixels.min(axis=2) > 240).mean())


def test_lazada_takes_three_covers_others_one():
    assert get_preset("lazada").cover_count == 3 and get_preset("lazlive").id == "lazada"
    assert get_preset("youtube").cover_count == 1
    doc = parse_document({"layers": []})
    assert variants_for(doc, get_preset("youtube")) == []
    assert [v.name for v in variants_for(doc, get_preset("lazada"))] == ["full", "close-up", "detail"]
    assert expand(doc, get_preset("youtube")) == [(None, doc)]
    assert numbered("out/cover.jpg", 2).name == "cover-2.jpg" and numbered("cover.jpg", None).name == "cover.jpg"


def test_the_three_covers_are_closer_crops_of_the_same_design(photo):
    doc = parse_document(_doc(photo))
    covers = expand(doc, get_preset("lazada"))
    assert [number for number, _doc in covers] == [1, 2, 3]
    zooms = [variant.layers[0].zoom for _n, variant in covers]
    assert zooms == [1.0, DEFAULT_COVER_SET[1].zoom, DEFAULT_COVER_SET[2].zoom]
    assert all(variant.layers[1].zoom == 1.0 for _n, variant in covers)  # logos are never cropped
    images = [render(variant, "lazada").image for _n, variant in covers]
    # The white square in the middle of the photo grows with each closer crop.
    white = [_white_fraction(image.crop((100, 100, 700, 700))) for image in images]
    assert white[0] < white[1] < white[2]
    assert white[1] == pytest.approx(white[0] * 1.5 ** 2, rel=0.15)
    # The centre stays the focal point: the four colours still meet there.
    centre = np.asarray(images[2].convert("RGB"))[400, 400]
    assert centre.min() > 240


def test_a_documents_own_cover_set_sets_focal_points(photo):
    own = [{"name": "whole"}, {"name": "top-left", "zoom": 2, "focal_x": 0.25, "focal_y": 0.25}]
    doc = parse_document(_doc(photo, cover_set=own))
    variants = variants_for(doc, get_preset("lazada"))
    assert [v.name for v in variants] == ["whole", "top-left", "full"]  # filled up from the built-in set
    second = render(apply_variant(doc, variants[1]), "lazada").image
    red = np.asarray(second.convert("RGB"))[200:600, 200:600]
    assert (np.abs(red.astype(int) - (229, 57, 53)).max(axis=2) < 8).mean() > 0.95  # only the red quadrant
    with pytest.raises(Exception) as info:
        parse_document(_doc(photo, cover_set=[{"zoom": 0.5}]))
    assert getattr(info.value, "path", "") == "cover_set[0].zoom"


def test_a_marked_face_follows_the_closer_crop(photo):
    data = _doc(photo)
    data["layers"][0]["face"] = [0.45, 0.45, 0.1, 0.1]
    doc = parse_document(data)
    _n, close = expand(doc, get_preset("lazada"))[1]
    face = next(info for info in render(close, "lazada").layers if info.layer_id == "photo").face_box
    assert (face.w, face.h) == (pytest.approx(800 * 0.1 * 1.5, abs=1), pytest.approx(800 * 0.1 * 1.5, abs=1))
    assert face.x + face.w / 2 == pytest.approx(400, abs=1)


def test_cli_render_writes_the_numbered_set(photo, tmp_path, capsys):
    source = tmp_path / "show.json"
    source.write_text(json.dumps(_doc(photo)), encoding="utf-8")
    out = tmp_path / "covers" / "lazada.jpg"
    out.parent.mkdir()
    assert main(["render", str(source), "--preset", "lazada", "--out", str(out), "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [row["cover"] for row in report["covers"]] == [1, 2, 3] and report["preset"] == "lazada"
    files = sorted(p.name for p in out.parent.iterdir())
    assert files == ["lazada-1.jpg", "lazada-2.jpg", "lazada-3.jpg"]
    pictures = [Image.open(out.parent / name) for name in files]
    assert all(picture.size == (800, 800) for picture in pictures)
    white = [_white_fraction(picture.crop((100, 100, 700, 700))) for picture in pictures]
    assert white[0] < white[1] < white[2]  # three different crops, in order
    # Single-cover presets keep the plain name.
    single = tmp_path / "yt.jpg"
    assert main(["render", str(source), "--preset", "youtube", "--out", str(single)]) in (EXIT_OK, 1)
    assert single.exists()
    assert main(["render", str(source), "--preset", "lazada", "--out", str(tmp_path / "x.jpg"),
                 "--set", "nonsense"]) == EXIT_BAD_INPUT


def test_batch_makes_three_covers_per_row_for_lazada(photo, tmp_path):
    rows = [{"sku": "A1", "product_name": "Shirt", "price": "10"}, {"sku": "B2", "product_name": "Hat", "price": "12"}]
    doc = parse_document(_doc(photo))
    results, _seconds = run_batch(doc, rows, ["lazada", "youtube"], tmp_path / "out", workers=1)
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(f"{sku}-{preset}.jpg" for sku in ("A1", "B2")
                             for preset in ("lazada-1", "lazada-2", "lazada-3", "youtube"))
    lazada = [r for r in results if r.preset == "lazada"]
    assert [r.cover for r in lazada] == [1, 2, 3, 1, 2, 3] and all(r.ok for r in results)


@pytest.fixture
def off_centre(tmp_path):
    """A grey 800×600 photo with a white 60×60 square (the "face") high up on the left."""
    pixels = np.full((600, 800, 3), 90, np.uint8)
    pixels[100:160, 200:260] = 255
    path = tmp_path / "off.png"
    Image.fromarray(pixels).save(path)
    return path


def _white_centre(image: Image.Image, box=(0, 0, 800, 800)) -> tuple[float, float]:
    pixels = np.asarray(image.convert("RGB").crop(box))
    ys, xs = np.nonzero(pixels.min(axis=2) > 245)
    return float(xs.mean()), float(ys.mean())


def _photo_doc(photo, **layer) -> object:
    image = {"type": "image", "id": "photo", "src": str(photo), "fit": "fill", "frame": {"anchor": "center", "w": 1, "h": 1}}
    image.update(layer)
    return parse_document({"preset": "lazada", "background": {"color": "#000000"}, "layers": [image]})


def test_closer_crops_centre_on_a_marked_face(off_centre):
    # Filled into 800×800 the photo is scaled ×1.333 and cropped at the sides: the square sits at (173, 173).
    doc = _photo_doc(off_centre, face=[0.18, 0.18, 0.075, 0.075])
    images = [render(variant, "lazada").image for _n, variant in expand(doc, get_preset("lazada"), face_detector=None)]
    assert _white_centre(images[0]) == (pytest.approx(173, abs=4), pytest.approx(173, abs=4))
    for image in images[1:]:
        # Centred on the face (as far as the photo's edges allow), and the face is still in the picture.
        x, y = _white_centre(image)
        assert x > 173 + 50 and y > 173 + 50
    faces_boxes = [next(i for i in render(v, "lazada").layers).face_box
                   for _n, v in expand(doc, get_preset("lazada"), face_detector=None)]
    for box, image in zip(faces_boxes, images):
        x, y = _white_centre(image)
        assert box.x <= x <= box.right and box.y <= y <= box.bottom  # the face box follows the crop


def test_closer_crops_centre_on_a_detected_face(off_centre):
    from tests.cover_designer.test_faces import white_square

    doc = _photo_doc(off_centre)
    plain = [render(v, "lazada").image for _n, v in expand(doc, get_preset("lazada"), face_detector=None)]
    assert _white_fraction(plain[2]) == 0  # cropped around the centre, the square is gone…
    found = expand(doc, get_preset("lazada"), face_detector=white_square)
    assert found[1][1].layers[0].face is not None
    detail = render(found[2][1], "lazada").image
    assert _white_fraction(detail) > 0.01  # …but kept, and centred, when the face is found
    x, y = _white_centre(detail)
    assert (x, y) == (pytest.approx(400, abs=60), pytest.approx(400, abs=60))
