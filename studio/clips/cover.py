"""Each clip's cover: a cover-designer template filled with the product's data over a still of
the host from the clip.

TikTok, Reels and Shorts take a clip's cover from its frames (TikTok and Shorts offer the first
frame unless the seller picks another; none reads an MP4's embedded cover art), so the cover is
burned in as the clip's first frames (:data:`COVER_S`) and also saved beside it as a JPEG for
the apps that let the seller upload one.  The default design is the region pack's "home"
template (full-bleed photo, product name on a plate, price) without its "free shipping" badge,
which would promise something the show did not; any template id or cover document can replace it.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from cover_designer import CoverError, get_preset, load_document, load_template, render
from cover_designer.products import apply_product
from studio.clips.errors import ClipsError
from studio.core.i18n import _
from studio.live.catalog import Product

COVER_S = 0.2  # the cover opens the clip for this long: long enough to be the "first frame" everywhere
COVER_PRESET = "vertical_universal"  # 1080×1920, safe for TikTok + Reels + Shorts together
PROMISES = ("badge",)  # template layers that claim what the show may not have offered (free shipping)


def load_design(template: str | None, region: str) -> object:
    """The cover document: ``template`` (an id or a cover file), else the region's "home" template."""
    try:
        if template and (template.endswith(".json") or Path(template).is_file()):
            return load_document(template)
        doc = load_template(template or f"{region}-home")
    except CoverError as exc:
        raise ClipsError(_("The clips' cover design cannot be used: {reason}").format(reason=exc.message)) from None
    if not template:
        for layer in doc.layers:
            if layer.id in PROMISES:
                layer.hidden = True
    return doc


def cover_frame(design: object, product: Product | None, title: str, locale: str, photo_bgr: np.ndarray,
                size: tuple[int, int]) -> np.ndarray:
    """The cover as a BGR picture of ``size``: ``design`` filled from ``product`` over ``photo_bgr``."""
    doc = apply_product(design, product) if product is not None else design.model_copy(deep=True)
    with tempfile.TemporaryDirectory(prefix="bridgecast-cover-") as folder:
        photo = Path(folder) / "still.png"
        cv2.imwrite(str(photo), photo_bgr)
        # The crossed-out price stays on the clip's card: over a photo it is the cover's least legible line.
        values = {"product_image": str(photo), "image": str(photo), "locale": locale, "original_price": ""}
        if product is None:
            values.update(product_name=title, price="", original_price="", discount="")
        for layer in doc.layers:
            if layer.type == "image" and layer.src.strip() in ("", "{image}", "{product_image}"):
                layer.src = "{product_image}"
        result = render(doc, get_preset(COVER_PRESET), values)
    picture = result.image.convert("RGB")
    if picture.size != size:
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    return cv2.cvtColor(np.asarray(picture), cv2.COLOR_RGB2BGR)
