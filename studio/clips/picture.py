"""A clip's picture: the recording cut to 9:16 following the host, the product card burned in.

The motion is the vertical canvas's auto layout (:class:`~studio.compositor.reframe.Reframer`:
dead zone, smoothing, speed cap, hold, return to the centre) driven by the recording's own
timestamps, with faces found at the same rate as on air (2.5 Hz, on a small grey copy) — here
on the calling thread, so a clip is the same every time it is made.  The card is the live
show's product card, drawn at its vertical size in its vertical slot (:mod:`studio.live.vertical`:
inside the box that clears TikTok, Reels and Shorts, no text below the phone floor), in the
show's locale and region pack, entering with the same motion as on air.
"""
from __future__ import annotations

import cv2
import numpy as np

from studio.compositor import scale_interpolation
from studio.core.clock import NS_PER_S
from studio.compositor.reframe import DETECT_INTERVAL_NS, FaceDetector, Reframer, find_faces, window_size
from studio.live import render
from studio.live.catalog import Product
from studio.live.layout import ANIMATION_MS, SLIDE_PX_1080P
from studio.live.vertical import plan as vertical_plan
from studio.overlays import Animation, Overlay

CLIP_SIZE = (1080, 1920)
WARM_UP_STEP_NS = NS_PER_S // 30
WARM_UP_STEPS = 150  # 5 s of glide: enough to cross any 16:9 picture at the speed cap


def product_overlay(product: Product, locale: str, region: str | None, size: tuple[int, int] = CLIP_SIZE,
                    shown_s: float = 0.0) -> Overlay:
    """The product card in its vertical slot, entering ``shown_s`` into the clip (after its cover)."""
    is_mirrored = render.overlay_style(locale, region).is_mirrored
    layout = vertical_plan(size[0], size[1], is_mirrored, slide_px_at_scale_1=SLIDE_PX_1080P)
    slot = layout.slots["product"]
    rgba = render.product_card(product, locale, layout.scale, region=region, width_px=slot.w, min_text_px=layout.min_text_px)
    dx, dy = layout.slide("product")
    return Overlay("clip.product", rgba, x=slot.x, y=slot.y, shown_ns=int(shown_s * NS_PER_S),
                   animation=Animation(ANIMATION_MS, slide_dx=dx, slide_dy=dy))


class ClipPicture:
    """Turns the recording's frames (BGR, in time order) into the clip's 9:16 frames."""

    def __init__(self, detector: FaceDetector | None, card: Overlay | None, size: tuple[int, int] = CLIP_SIZE) -> None:
        self.size = size
        self.detector = detector
        self.card = card
        self.reframer = Reframer(*size)
        self._next_detect_ns: int | None = None
        self.detections = 0
        self.windows: list[int] = []  # the crop's x per frame (what "following" did), for tests and logs

    def frame(self, image: np.ndarray, t_ns: int, clip_t_ns: int) -> np.ndarray:
        """The clip frame for a recording frame at ``t_ns`` (recording time), ``clip_t_ns`` into the clip."""
        height, width = image.shape[:2]
        is_first = self._next_detect_ns is None
        if self.detector is not None and (is_first or t_ns >= self._next_detect_ns):
            self._next_detect_ns = t_ns + DETECT_INTERVAL_NS
            self.reframer.observe(find_faces(image, self.detector), (width, height), t_ns)
            self.detections += 1
        if is_first:
            # On air the window was already on the host when the pin came: arrive there before
            # the clip's first frame instead of gliding across the picture in its first second.
            for step in range(WARM_UP_STEPS, 0, -1):
                self.reframer.step((width, height), t_ns - step * WARM_UP_STEP_NS)
        window = self.reframer.step((width, height), t_ns)
        self.windows.append(window.x)
        crop = image[window.y:window.y + window.height, window.x:window.x + window.width]
        out_w, out_h = self.size
        canvas = cv2.resize(crop, (out_w, out_h), interpolation=scale_interpolation(window.width, window.height, out_w, out_h))
        if self.card is not None:
            self.card.blend_into(canvas, clip_t_ns)
        return canvas


def still(image: np.ndarray, detector: FaceDetector | None, size: tuple[int, int] = CLIP_SIZE) -> np.ndarray:
    """One 9:16 picture centred on the largest face (the frame's centre without one): the cover's photo."""
    height, width = image.shape[:2]
    window_w, window_h = window_size(width, height, *size)
    faces = find_faces(image, detector) if detector is not None else []
    centre_x, centre_y = width / 2, height / 2
    if faces:
        x, y, w, h = max(faces, key=lambda face: face[2] * face[3])
        centre_x, centre_y = x + w / 2, y + h / 2 + window_h * 0.12
    left = int(min(width - window_w, max(0, round(centre_x - window_w / 2))))
    top = int(min(height - window_h, max(0, round(centre_y - window_h / 2))))
    crop = image[top:top + window_h, left:left + window_w]
    return cv2.resize(crop, size, interpolation=scale_interpolation(window_w, window_h, *size))
