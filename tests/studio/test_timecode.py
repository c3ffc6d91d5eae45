import numpy as np
import pytest

from studio.timecode import CELLS, cell_size, draw_strip, latency_ms, read_strip, strip_bounds


@pytest.mark.parametrize("width,height", [(1920, 1080), (1280, 720), (1080, 1920), (640, 360)])
def test_strip_round_trips(width, height):
    image = np.full((height, width, 3), 90, np.uint8)
    for stamp in (1_732_000_123_456, 0x5555_5555, 0xAAAA_AAAA, 0xFFFF_FFFE, 1):
        draw_strip(image, stamp)
        assert read_strip(image) == stamp % (1 << 32)


@pytest.mark.parametrize("canvas,layer", [(1920, 960), (1920, 480), (1280, 640), (1280, 320), (1080, 540)])
def test_strip_survives_simulcast_downscale(canvas, layer):
    import cv2

    image = np.full((canvas * 9 // 16, canvas, 3), 100, np.uint8)
    for stamp in (0x5555_5555, 0xAAAA_AAAA, 0x0F0F_F0F0):
        draw_strip(image, stamp)
        small = cv2.resize(image, (layer, layer * 9 // 16), interpolation=cv2.INTER_AREA)
        assert read_strip(small) == stamp


def test_layout_matches_contract():
    image = np.zeros((1080, 1920, 3), np.uint8)
    draw_strip(image, 0b1 << 31)  # MSB set: cell 1 white, cells 2..32 black
    c = cell_size(1920)
    assert c == 40
    assert strip_bounds(1920) == (40, 40, CELLS * 40, 40)
    centre = lambda i: image[c + c // 2, c + i * c + c // 2]  # noqa: E731
    assert (centre(0) == 255).all()  # start guard
    assert (centre(1) == 255).all()  # MSB
    assert (centre(2) == 0).all()
    assert (centre(33) == 0).all()  # stop guard
    assert (image[c // 2, c // 2] == 0).all()  # nothing drawn outside the strip


def test_reads_after_downscale():
    import cv2

    image = np.full((1080, 1920, 3), 128, np.uint8)
    draw_strip(image, 123456789)
    small = cv2.resize(image, (480, 270), interpolation=cv2.INTER_AREA)
    assert read_strip(small) == 123456789


def test_no_strip_reads_none():
    assert read_strip(np.full((360, 640, 3), 200, np.uint8)) is None


def test_latency_wraps():
    assert latency_ms(5, (1 << 32) - 10) == 15
