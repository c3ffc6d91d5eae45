"""Image source: Pillow decoding corner cases, missing files, files that appear or change."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.sources import create_source
from studio.sources.base import SourceState
from studio.sources.image import ImageSource, ImageUnavailable, load_image_bgr

from tests.helpers import wait_until

from .helpers import StateLog

SAMPLE_CARD = Path(__file__).resolve().parents[3] / "resources" / "sample_media" / "sample_card.png"


def _solid_png(path: Path, rgb: tuple[int, int, int], size: tuple[int, int] = (32, 16)) -> Path:
    Image.new("RGB", size, rgb).save(path)
    return path


def test_rgba_is_composited_over_black(tmp_path):
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)  # opaque red
    rgba[0, 1] = (255, 255, 255, 128)  # half-transparent white
    rgba[0, 2] = (0, 255, 0, 0)  # fully transparent green
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(path)

    image = load_image_bgr(path)

    assert image.shape == (2, 3, 3) and image.dtype == np.uint8 and image.flags["C_CONTIGUOUS"]
    assert tuple(image[0, 0]) == (0, 0, 255)  # BGR order
    assert all(abs(int(v) - 128) <= 1 for v in image[0, 1])
    assert tuple(image[0, 2]) == (0, 0, 0)


def test_exif_orientation_is_applied(tmp_path):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    Image.new("RGB", (40, 20), (200, 10, 10)).save(path, exif=exif)

    assert load_image_bgr(path).shape == (40, 20, 3)


def test_cmyk_palette_and_16_bit_images(tmp_path):
    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(cmyk)  # red in CMYK
    b, g, r = (int(v) for v in load_image_bgr(cmyk)[4, 4])
    assert r > 200 and g < 60 and b < 60

    palette = Image.new("P", (4, 4), 1)
    palette.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    palette.info["transparency"] = 0
    pal_path = tmp_path / "palette.png"
    palette.save(pal_path, transparency=0)
    assert tuple(load_image_bgr(pal_path)[0, 0]) == (255, 0, 0)  # opaque blue entry

    deep = tmp_path / "deep.png"
    Image.fromarray(np.full((4, 4), 65535, np.uint16)).save(deep)
    assert tuple(load_image_bgr(deep)[0, 0]) == (255, 255, 255)


@pytest.mark.parametrize(
    ("content", "words"),
    [(None, "not found"), (b"this is not a picture", "not a picture"), (b"\x89PNG\r\n\x1a\n\x00\x00", "not a picture")],
)
def test_unreadable_files_are_explained(tmp_path, content, words):
    path = tmp_path / "broken.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageUnavailable) as info:
        load_image_bgr(path)
    assert words in str(info.value) and str(path) in str(info.value)


def test_truncated_file_is_explained(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), np.uint8)).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:400])
    with pytest.raises(ImageUnavailable, match="damaged or incomplete"):
        load_image_bgr(truncated)


def test_factory_builds_image_source():
    source = create_source("image", "img1", "Card", {"path": str(SAMPLE_CARD)})
    assert isinstance(source, ImageSource)


def test_sample_card_shows(started):
    source = started(ImageSource("card", "Card", {"path": str(SAMPLE_CARD)}))
    assert wait_until(lambda: source.latest_frame() is not None, 3.0)
    assert source.state is SourceState.ACTIVE
    assert source.natural_size() == (600, 200) == source.image_size


def test_missing_file_then_appears(tmp_path, started):
    path = tmp_path / "later.png"
    source = ImageSource("img", "Later", {"path": str(path)})
    states = StateLog(source)
    started(source)

    assert wait_until(lambda: source.state is SourceState.NO_SIGNAL, 3.0)
    assert "not found" in source.state_message and str(path) in source.state_message
    assert source.latest_frame() is None

    _solid_png(path, (0, 255, 0))
    assert wait_until(lambda: source.state is SourceState.ACTIVE, 3.0)
    frame = source.latest_frame()
    assert frame is not None and tuple(frame.image[0, 0]) == (0, 255, 0)
    assert states.seen("no_signal") and states.states[-1][0] == "active"


def test_corrupt_file_shows_no_signal_with_reason(tmp_path, started):
    path = tmp_path / "corrupt.png"
    path.write_bytes(b"garbage" * 10)
    source = started(ImageSource("img", "Corrupt", {"path": str(path)}))
    assert wait_until(lambda: source.state is SourceState.NO_SIGNAL, 3.0)
    assert "not a picture" in source.state_message and str(path) in source.state_message
    assert source.is_running  # keeps looking: the file may be replaced


def test_changed_file_reloads_and_deleted_file_goes_no_signal(tmp_path, started):
    path = _solid_png(tmp_path / "swap.png", (255, 0, 0))
    source = started(ImageSource("img", "Swap", {"path": str(path)}))
    assert wait_until(lambda: source.latest_frame() is not None, 3.0)
    assert tuple(source.latest_frame().image[0, 0]) == (0, 0, 255)

    replacement = _solid_png(tmp_path / "swap.tmp.png", (0, 0, 255), size=(20, 10))
    os.replace(replacement, path)
    assert wait_until(lambda: tuple(source.latest_frame().image[0, 0]) == (255, 0, 0), 3.0)
    assert source.natural_size() == (20, 10)
    # The same picture keeps being republished for late-joining consumers.
    count = source.frames_captured
    assert wait_until(lambda: source.frames_captured > count, 2.5)

    path.unlink()
    assert wait_until(lambda: source.state is SourceState.NO_SIGNAL, 3.0)
    assert "not found" in source.state_message


def test_empty_path_fails(started):
    source = started(ImageSource("img", "Nothing", {"path": ""}))
    assert wait_until(lambda: source.state is SourceState.FAILED, 2.0)
    assert source.state_message


def test_png_transparency_is_kept_as_alpha(tmp_path):
    from PIL import Image

    from studio.sources.image import load_image, load_image_bgr

    rgba = Image.new("RGBA", (4, 2), (255, 0, 0, 0))
    rgba.putpixel((3, 1), (0, 255, 0, 255))
    path = tmp_path / "card.png"
    rgba.save(path)
    bgr, alpha = load_image(path)
    assert alpha is not None and alpha[1, 3] == 255 and alpha[0, 0] == 0
    assert tuple(bgr[1, 3]) == (0, 255, 0)
    assert tuple(load_image_bgr(path)[0, 0]) == (0, 0, 0)  # flattened over black for callers that want BGR only
    opaque = tmp_path / "opaque.png"
    Image.new("RGBA", (4, 2), (1, 2, 3, 255)).save(opaque)
    assert load_image(opaque)[1] is None
