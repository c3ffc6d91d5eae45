"""Decompression bombs: a picture whose header claims more pixels than ``limits.MAX_IMAGE_PIXELS``
is refused in words from its header, before anything is decoded (image sources and cover photos)."""
from __future__ import annotations

import struct
import zlib

import pytest

from cover_designer.errors import ImageLoadError
from cover_designer.render import load_image as load_cover_image
from studio.core import limits
from studio.sources.image import ImageUnavailable, load_image


def _png_header_only(path, width: int, height: int) -> None:
    """A tiny PNG file claiming ``width``×``height``: decoding it would allocate the lot."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


# 50 MP is past our limit but under Pillow's own warning (89 MP); 120 MP is where Pillow only warns;
# 400 MP is where Pillow itself refuses.
@pytest.mark.parametrize("width, height", [(10_000, 5_000), (12_000, 10_000), (20_000, 20_000)])
def test_an_image_source_past_the_pixel_limit_is_refused_in_words(tmp_path, width, height):
    path = tmp_path / "bomb.png"
    _png_header_only(path, width, height)
    with pytest.raises(ImageUnavailable) as caught:
        load_image(path)
    message = str(caught.value)
    assert str(path) in message and ("too large" in message or "million pixels" in message)


def test_the_message_names_the_size_and_the_limit(tmp_path):
    path = tmp_path / "bomb.png"
    _png_header_only(path, 10_000, 5_000)
    with pytest.raises(ImageUnavailable, match=r"is 10000×5000 pixels; pictures up to 40 million pixels can be shown"):
        load_image(path)
    assert limits.MAX_IMAGE_PIXELS == 40_000_000


@pytest.mark.parametrize("width, height", [(10_000, 5_000), (12_000, 10_000), (20_000, 20_000)])
def test_a_cover_photo_past_the_pixel_limit_is_refused_in_words(tmp_path, width, height):
    path = tmp_path / "bomb.png"
    _png_header_only(path, width, height)
    with pytest.raises(ImageLoadError, match="too large to open safely"):
        load_cover_image(str(path))
