"""Picture tools on a scene item: chroma key (edge quality against the known mask of a generated
green-screen clip), colour correction, ``.cube`` looks, sharpen — and through the compositor."""
from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from studio.compositor.filters import apply_filters, chroma_key, color_correction, lut_look, parse_cube, sharpen
from studio.core.errors import SourceError
from studio.engine import Studio, default_collection
from studio.scene import Canvas, ChromaKey, ColorCorrection, LutLook, SceneItem, Sharpen
from bench.testbed.green_screen import green_screen_frame, iou
from tests.helpers import wait_until


def test_chroma_key_keeps_the_subject_and_removes_the_screen():
    scores = []
    for seed in range(5):
        image, truth = green_screen_frame(seed)
        keyed, alpha = chroma_key(image, None, ChromaKey())
        scores.append(iou(alpha > 127, truth))
        # Spill reduction: what stays is no greener than it is red or blue, on average at the edge.
        edge = (alpha > 127) & ~cv2.erode((alpha > 127).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        b, g, r = (keyed[edge].astype(int)[:, i].mean() for i in range(3))
        assert g <= max(b, r) + 12, (b, g, r)
    print(f"\nchroma key IoU on 5 generated clips: {[round(s, 3) for s in scores]}")
    assert min(scores) >= 0.9


def test_a_blue_key_leaves_a_green_subject():
    image = np.zeros((40, 40, 3), np.uint8)
    image[:] = (200, 60, 20)  # blue screen (BGR)
    image[10:30, 10:30] = (40, 200, 40)  # a green product
    _keyed, alpha = chroma_key(image, None, ChromaKey(color="#0047BB"))
    assert alpha[20, 20] == 255 and alpha[2, 2] == 0


def test_colour_correction_and_sharpen():
    rng = np.random.default_rng(1)
    image = rng.integers(40, 200, (60, 80, 3), dtype=np.uint8)
    brighter, _ = color_correction(image, None, ColorCorrection(brightness=0.2))
    assert brighter.mean() > image.mean() + 40
    grey, _ = color_correction(image, None, ColorCorrection(saturation=0.0))
    assert np.abs(grey[:, :, 0].astype(int) - grey[:, :, 2]).max() <= 1
    flat, _ = color_correction(image, None, ColorCorrection(contrast=-1.0))
    assert flat.std() < 2
    edges = np.zeros((60, 80, 3), np.uint8)
    edges[:, 40:] = 200
    sharper, _ = sharpen(edges, None, Sharpen(amount=1.5))
    assert sharper[:, 41].mean() > 200 and sharper[:, 38].mean() < 5 or sharper[:, 41].max() == 255


def _cube(path, size: int, fn) -> None:
    lines = ["TITLE \"test\"", f"LUT_3D_SIZE {size}"]
    for b in range(size):
        for g in range(size):
            for r in range(size):
                lines.append(" ".join(f"{v:.6f}" for v in fn(r / (size - 1), g / (size - 1), b / (size - 1))))
    path.write_text("\n".join(lines) + "\n")


def test_cube_looks_identity_swap_and_amount(tmp_path):
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
    identity, swap = tmp_path / "identity.cube", tmp_path / "swap.cube"
    _cube(identity, 17, lambda r, g, b: (r, g, b))
    _cube(swap, 17, lambda r, g, b: (b, g, r))
    same, _ = lut_look(image, None, LutLook(path=str(identity)))
    assert np.abs(same.astype(int) - image).max() <= 4  # looked up at 6 bits a channel
    swapped, _ = lut_look(image, None, LutLook(path=str(swap)))
    assert np.abs(swapped[:, :, 0].astype(int) - image[:, :, 2]).max() <= 4
    half, _ = lut_look(image, None, LutLook(path=str(swap), amount=0.5))
    assert np.abs(half[:, :, 0].astype(int) - (image[:, :, 0].astype(int) + image[:, :, 2]) / 2).max() <= 4


def test_bad_looks_are_said_in_words_and_the_picture_goes_on(tmp_path):
    with pytest.raises(ValueError, match="LUT_3D_SIZE"):
        parse_cube("0 0 0\n1 1 1\n")
    with pytest.raises(ValueError, match="needs 8"):
        parse_cube("LUT_3D_SIZE 2\n0 0 0\n")
    with pytest.raises(ValueError, match="line 2"):
        parse_cube("LUT_3D_SIZE 2\nzero one two\n")
    image = np.full((10, 10, 3), 77, np.uint8)
    out, alpha, problem = apply_filters(image, None, (LutLook(path=str(tmp_path / "gone.cube")), Sharpen(amount=0.0)))
    assert out is image and alpha is None and "gone.cube" in problem and "cannot be used" in problem
    with pytest.raises(SourceError):
        lut_look(image, None, LutLook(path=str(tmp_path / "gone.cube")))
    with pytest.raises(ValidationError):
        SceneItem(source_id="s", width=10, height=10, filters=[{"kind": "chroma_key", "similarity": 3}])
    with pytest.raises(ValidationError):
        SceneItem(source_id="s", width=10, height=10, filters=[{"kind": "sharpen"}] * 9)


def test_a_keyed_host_over_a_background_on_the_program(tmp_path):
    from PIL import Image

    frame, truth = green_screen_frame(3, 320, 180)
    Image.fromarray(frame[:, :, ::-1]).save(tmp_path / "host.png")
    studio = Studio(collection=default_collection(Canvas(width=320, height=180, fps=30)))
    scene = studio.current_scene()
    studio.start()
    try:
        _spec, item = studio.add_source("image", "Host", {"path": str(tmp_path / "host.png")}, scene.id)
        studio.items.update(scene.id, item.id, x=0, y=0, width=320, height=180, filters=[{"kind": "chroma_key"}])
        assert scene.items[-1].filters[0].kind == "chroma_key"
        # Below the host: the test pattern; it shows through where the screen was keyed out.
        assert wait_until(lambda: studio.compositor.latest_program() is not None, 10)
        deadline = time.monotonic() + 10
        program = studio.compositor.latest_program().image
        while time.monotonic() < deadline:
            program = studio.compositor.latest_program().image
            if np.abs(program[60, 160].astype(int) - frame[60, 160]).max() <= 12:
                break
            time.sleep(0.05)
        assert np.abs(program[60, 160].astype(int) - frame[60, 160]).max() <= 12  # the host's face
        corner = program[5:20, 5:20].reshape(-1, 3).mean(axis=0)
        assert not (corner[1] > 120 and corner[1] > corner[0] + 60 and corner[1] > corner[2] + 60)  # no green screen
    finally:
        studio.stop()
