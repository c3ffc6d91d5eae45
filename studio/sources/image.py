"""Still image source: a picture file shown as a steady frame, reloaded when the file changes."""
from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from studio.core import limits
from studio.core.i18n import _
from studio.sources import register
from studio.sources.base import SourceState, VideoSource

# The same array is published again this often so a compositor that (re)started late, or
# cleared its slots, always finds a picture without the file being decoded again.
REPUBLISH_INTERVAL_S = 1.0
# How often a missing/unreadable file is looked at again (it may be copied in or fixed).
RECHECK_INTERVAL_S = 0.5

_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


class ImageUnavailable(Exception):
    """The file cannot be shown right now; ``str()`` is the user-facing reason."""


def _file_signature(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def _to_bgr_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Any Pillow image → (H×W×3 uint8 BGR straight colour, H×W uint8 alpha or None if opaque)."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # High bit-depth greyscale: stretch to 8 bits instead of letting convert() clip.
        values = np.asarray(image, dtype=np.float64)
        top = float(values.max()) if values.size else 0.0
        if top <= 255.0:
            top = 255.0
        grey = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2)), None
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in _ALPHA_MODES:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8)
        alpha = rgba[:, :, 3]
        bgr = np.ascontiguousarray(rgba[:, :, 2::-1])
        return bgr, (None if bool((alpha == 255).all()) else np.ascontiguousarray(alpha))
    # CMYK, YCbCr, LAB, palette, 1-bit, greyscale: Pillow's own conversions.
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb[:, :, ::-1]), None


def load_image_bgr(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a picture file as BGR uint8 (transparency over black); ``ImageUnavailable`` in words."""
    bgr, alpha = load_image(path)
    return _premultiply(bgr, alpha)


def _premultiply(bgr: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    if alpha is None:
        return bgr
    premultiplied = (bgr.astype(np.uint16) * alpha[:, :, None].astype(np.uint16) + 127) // 255
    return np.ascontiguousarray(premultiplied.astype(np.uint8))


def load_image(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a picture file as (BGR straight colour, alpha or None); ``ImageUnavailable`` in words."""
    path = Path(path)
    shown = str(path)
    try:
        with warnings.catch_warnings():
            # Pillow warns (rather than fails) on huge images; treat the bomb error below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                # The header's size, before decoding: a decompression bomb claims billions of pixels.
                if image.width * image.height > limits.MAX_IMAGE_PIXELS:
                    raise ImageUnavailable(_("The image {path} is {width}×{height} pixels; pictures up to {limit} "
                                             "million pixels can be shown.").format(
                        path=shown, width=image.width, height=image.height, limit=limits.MAX_IMAGE_PIXELS // 1_000_000))
                image.load()
                return _to_bgr_alpha(image)
    except FileNotFoundError:
        raise ImageUnavailable(_("Image file not found: {path}").format(path=shown)) from None
    except IsADirectoryError:
        raise ImageUnavailable(_("“{path}” is a folder, not an image file.").format(path=shown)) from None
    except PermissionError:
        raise ImageUnavailable(_("No permission to read the image file {path}.").format(path=shown)) from None
    except UnidentifiedImageError:
        raise ImageUnavailable(
            _("“{path}” is not a picture Bridgecast can read (unknown format or damaged file).").format(path=shown)
        ) from None
    except Image.DecompressionBombError:
        raise ImageUnavailable(_("The image {path} is too large to show.").format(path=shown)) from None
    except (OSError, ValueError, SyntaxError) as exc:
        # Pillow reports truncated/damaged data as OSError ("image file is truncated") or
        # SyntaxError (broken headers in some plug-ins).
        raise ImageUnavailable(
            _("The image file {path} is damaged or incomplete ({detail}).").format(path=shown, detail=exc)
        ) from None


@register
class ImageSource(VideoSource):
    """A picture file (PNG, JPEG, WebP, BMP, TIFF, GIF first frame …).

    Settings: ``path`` (str).  A missing or unreadable file shows NO_SIGNAL with the reason
    and is looked at again every ``RECHECK_INTERVAL_S``; the picture reloads when the file's
    modification time or size changes.
    """

    kind = "image"

    def __init__(self, source_id: str, name: str, settings: dict | None = None) -> None:
        super().__init__(source_id, name, settings)
        self.image_size: tuple[int, int] | None = None  # (width, height) of the loaded picture

    def restart_delay_s(self) -> float:
        return RECHECK_INTERVAL_S

    def natural_size(self) -> tuple[int, int] | None:
        return super().natural_size() or self.image_size

    def _capture(self, stop: threading.Event) -> None:
        raw_path = str(self.settings.get("path") or "").strip()
        if not raw_path:
            self._set_state(SourceState.FAILED, _("No image file chosen."))
            return
        path = Path(raw_path).expanduser()
        while not stop.is_set():
            try:
                signature = _file_signature(path)
                image, alpha = load_image(path)
            except (ImageUnavailable, OSError) as exc:
                # Returning hands over to the base's retry loop (every RECHECK_INTERVAL_S).
                self._set_state(SourceState.NO_SIGNAL, self._reason(exc, path))
                return
            self.image_size = (int(image.shape[1]), int(image.shape[0]))
            if not self._show_until_changed(image, alpha, path, signature, stop):
                return

    def _show_until_changed(
        self, image: np.ndarray, alpha: np.ndarray | None, path: Path, signature: tuple[int, int], stop: threading.Event
    ) -> bool:
        """Publish ``image`` until the file changes (→ True, reload) or vanishes/stop (→ False)."""
        while not stop.is_set():
            was_awake = self.is_awake
            if was_awake:
                self._publish(image, alpha=alpha)
            else:
                self._publish_poster(image, alpha=alpha)
            # Look at the file more often than we republish so edits show up quickly.
            # Asleep, only the cheap look at the file goes on; waking publishes at once.
            waited_s = 0.0
            while waited_s < REPUBLISH_INTERVAL_S:
                if not was_awake and self.is_awake:
                    break  # just woken: publish now
                if self.is_awake:
                    stop.wait(RECHECK_INTERVAL_S)
                else:
                    self._doze(stop, RECHECK_INTERVAL_S)
                if stop.is_set():
                    return False
                if not was_awake and self.is_awake:
                    break
                waited_s += RECHECK_INTERVAL_S
                try:
                    current = _file_signature(path)
                except OSError as exc:
                    self._set_state(SourceState.NO_SIGNAL, self._reason(exc, path))
                    return False
                if current != signature:
                    # A half-written file fails to decode, shows NO_SIGNAL briefly and is
                    # read again on the next check.
                    return True
        return False

    @staticmethod
    def _reason(exc: Exception, path: Path) -> str:
        if isinstance(exc, ImageUnavailable):
            return str(exc)
        if isinstance(exc, FileNotFoundError):
            return _("Image file not found: {path}").format(path=path)
        return _("Cannot read the image file {path} ({detail}).").format(path=path, detail=exc.strerror or exc)
