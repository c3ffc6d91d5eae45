"""Generate the sample media shipped in resources/sample_media/.

    python tools/make_sample_media.py [--out DIR]

* ``sample_640x360.mp4`` — 4 s, 30 fps, H.264 (libx264) yuv420p: colour bars, a box moving on
  a loop-seamless path and a frame counter, so playback, pacing and looping can be seen.
* ``sample_card.png`` — a 600×200 RGBA product card with rounded corners, a soft shadow and
  transparency around it (for image sources and overlay tests).

Deterministic apart from encoder/library versions; re-run after changing anything here.
"""
from __future__ import annotations

import argparse
import math
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "resources" / "sample_media"

VIDEO_NAME = "sample_640x360.mp4"
VIDEO_WIDTH, VIDEO_HEIGHT = 640, 360
VIDEO_FPS = 30
VIDEO_SECONDS = 4
CARD_NAME = "sample_card.png"
CARD_WIDTH, CARD_HEIGHT = 600, 200

# BGR bars (muted so the x264 budget goes to the motion).
_BARS = [(180, 180, 180), (0, 180, 180), (180, 180, 0), (0, 180, 0), (180, 0, 180), (0, 0, 180), (180, 0, 0)]


def video_frame(index: int, frame_count: int) -> np.ndarray:
    """One BGR frame; the motion is periodic over the clip so looping shows no jump."""
    image = np.zeros((VIDEO_HEIGHT, VIDEO_WIDTH, 3), np.uint8)
    bars_h = int(VIDEO_HEIGHT * 0.6)
    bar_w = VIDEO_WIDTH / len(_BARS)
    for i, colour in enumerate(_BARS):
        image[:bars_h, int(i * bar_w) : int((i + 1) * bar_w)] = colour
    image[bars_h:] = (40, 32, 24)
    phase = 2 * math.pi * index / frame_count
    box = 64
    x = int((VIDEO_WIDTH - box) * (0.5 + 0.5 * math.sin(phase)))
    y = int((bars_h - box) * (0.5 + 0.5 * math.sin(2 * phase)))
    cv2.rectangle(image, (x, y), (x + box, y + box), (255, 255, 255), -1)
    cv2.circle(image, (x + box // 2, y + box // 2), box // 3, (40, 80, 230), -1)
    # A progress bar and the frame counter make dropped or repeated frames visible.
    progress = int(VIDEO_WIDTH * (index + 1) / frame_count)
    image[VIDEO_HEIGHT - 8 :, :progress] = (0, 200, 255)
    text = f"frame {index + 1:03d}/{frame_count}  t={index / VIDEO_FPS:4.2f}s"
    cv2.putText(image, text, (20, bars_h + 70), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2, cv2.LINE_AA)
    cv2.putText(image, "Bridgecast sample", (20, bars_h + 32), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (200, 200, 200), 1, cv2.LINE_AA)
    return image


def make_video(path: Path) -> None:
    frame_count = VIDEO_FPS * VIDEO_SECONDS
    with av.open(str(path), mode="w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=Fraction(VIDEO_FPS))
        stream.width, stream.height = VIDEO_WIDTH, VIDEO_HEIGHT
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "slow", "crf": "30", "g": str(VIDEO_FPS * 2), "threads": "1"}
        for index in range(frame_count):
            frame = av.VideoFrame.from_ndarray(video_frame(index, frame_count), format="bgr24")
            frame.pts = index
            frame.time_base = Fraction(1, VIDEO_FPS)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def make_card(path: Path) -> None:
    margin = 12  # transparent border holding the shadow
    card = Image.new("RGBA", (CARD_WIDTH, CARD_HEIGHT), (0, 0, 0, 0))
    shadow = Image.new("RGBA", card.size, (0, 0, 0, 0))
    ImageDraw.Draw(shadow).rounded_rectangle(
        (margin + 4, margin + 6, CARD_WIDTH - margin + 2, CARD_HEIGHT - margin + 4), radius=24, fill=(0, 0, 0, 140)
    )
    card.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(6)))
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle(
        (margin, margin, CARD_WIDTH - margin, CARD_HEIGHT - margin), radius=24, fill=(255, 255, 255, 235)
    )
    # Product "photo": a gradient disc on a tinted square.
    photo = (margin + 16, margin + 16, margin + 16 + 144, margin + 16 + 144)
    draw.rounded_rectangle(photo, radius=16, fill=(255, 236, 214, 255))
    for step in range(40):
        shade = 255 - step * 3
        inset = 18 + step
        draw.ellipse(
            (photo[0] + inset, photo[1] + inset, photo[2] - inset, photo[3] - inset), fill=(shade, 120 + step, 40, 255)
        )
    title_font = ImageFont.load_default(size=30)
    body_font = ImageFont.load_default(size=20)
    price_font = ImageFont.load_default(size=38)
    left = photo[2] + 24
    draw.text((left, margin + 20), "Sample Product", font=title_font, fill=(30, 30, 30, 255))
    draw.text((left, margin + 60), "Limited live-show offer", font=body_font, fill=(90, 90, 90, 255))
    draw.text((left, margin + 100), "$19.90", font=price_font, fill=(220, 40, 60, 255))
    old_price_at = (left + 150, margin + 114)
    draw.text(old_price_at, "$29.90", font=body_font, fill=(140, 140, 140, 255))
    x0, y0, x1, y1 = draw.textbbox(old_price_at, "$29.90", font=body_font)
    strike_y = (y0 + y1) // 2
    draw.line((x0 - 2, strike_y, x1 + 2, strike_y), fill=(140, 140, 140, 255), width=2)
    # A half-transparent "LIVE" badge.
    badge = (CARD_WIDTH - margin - 96, margin + 18, CARD_WIDTH - margin - 20, margin + 50)
    draw.rounded_rectangle(badge, radius=12, fill=(230, 30, 50, 200))
    draw.text((badge[0] + 16, badge[1] + 5), "LIVE", font=body_font, fill=(255, 255, 255, 255))
    card.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    video_path = args.out / VIDEO_NAME
    card_path = args.out / CARD_NAME
    make_video(video_path)
    make_card(card_path)
    for path in (video_path, card_path):
        print(f"{path}  {path.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
