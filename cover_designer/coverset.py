"""Multi-cover sets: presets such as Lazada LazLive take several covers of one show.

One design becomes ``preset.cover_count`` covers that differ in how their photos are cropped: the
document's own ``cover_set`` says how (zoom and focal point per cover), else the built-in set is
used — the full design, a close-up and a detail crop.  Closer crops centre on the photo's face:
the one marked on the layer (``face``) or, where OpenCV has its face cascade, the largest face found
in the designed crop; else on the focal point.  Text, badges and logos stay as designed.  Files are
numbered ``NAME-1.jpg``, ``NAME-2.jpg`` …
"""
from __future__ import annotations

from pathlib import Path

from . import faces
from .document import CoverDocument, CoverVariant
from .errors import CoverError
from .presets import Preset

DEFAULT_COVER_SET: tuple[CoverVariant, ...] = (
    CoverVariant(name="full"),
    CoverVariant(name="close-up", zoom=1.5),
    CoverVariant(name="detail", zoom=2.2),
)


def variants_for(doc: CoverDocument, preset: Preset) -> list[CoverVariant]:
    """The crops to make for ``preset``: none for single-cover presets; the document's own set,
    filled up from the built-in one when it names fewer than the preset needs."""
    count = preset.cover_count
    if count <= 1:
        return []
    chosen = list(doc.cover_set[:count])
    for fallback in DEFAULT_COVER_SET:
        if len(chosen) >= count:
            break
        if all(fallback.name != variant.name for variant in chosen):
            chosen.append(fallback)
    while len(chosen) < count:  # a preset wanting more covers than the built-in set: closer and closer crops
        chosen.append(CoverVariant(name=f"crop-{len(chosen) + 1}", zoom=min(8.0, 1.0 + 0.6 * len(chosen))))
    return chosen


def apply_variant(doc: CoverDocument, variant: CoverVariant) -> CoverDocument:
    """A copy of ``doc`` whose photo layers (not logos) are cropped as ``variant`` says."""
    new = doc.model_copy(deep=True)
    for index, layer in enumerate(new.layers):
        if layer.type != "image":
            continue
        update: dict = {"zoom": min(8.0, layer.zoom * variant.zoom)}
        if variant.focal_x is not None:
            update["focal_x"] = variant.focal_x
        if variant.focal_y is not None:
            update["focal_y"] = variant.focal_y
        new.layers[index] = layer.model_copy(update=update)
    return new


def mark_faces(doc: CoverDocument, preset: Preset, values: dict | None = None, base_dir: str | None = None,
               face_detector: "faces.Detector | None | str" = "auto") -> CoverDocument:
    """A copy of ``doc`` whose photo layers without a marked face get the largest face the detector
    finds in their designed crop (zoom 1, unturned); unchanged without a detector."""
    from .render import render_layer

    detector = faces.default_detector() if face_detector == "auto" else face_detector
    if detector is None:
        return doc
    merged = dict(doc.variables)
    merged.update({k: str(v) for k, v in (values or {}).items()})
    new = doc.model_copy(deep=True)
    for index, layer in enumerate(new.layers):
        if layer.type != "image" or layer.face is not None or layer.hidden:
            continue
        designed = layer.model_copy(update={"zoom": 1.0, "rotation_deg": 0.0, "opacity": 1.0})
        try:
            tile = render_layer(designed, preset, new, merged, base_dir)
        except CoverError:
            continue  # a broken photo is reported by the render itself
        if tile.image is None:
            continue
        found = faces.faces_in(tile.image, detector)
        if found:
            x, y, w, h = max(found, key=lambda box: box[2] * box[3])
            width, height = tile.image.size
            new.layers[index] = layer.model_copy(update={"face": (x / width, y / height, w / width, h / height)})
    return new


def expand(doc: CoverDocument, preset: Preset, values: dict | None = None, base_dir: str | None = None,
           face_detector: "faces.Detector | None | str" = "auto") -> list[tuple[int | None, CoverDocument]]:
    """``[(None, doc)]`` for a single-cover preset, else ``[(1, crop 1), (2, crop 2), …]``."""
    variants = variants_for(doc, preset)
    if not variants:
        return [(None, doc)]
    if any(v.zoom > 1 and v.focal_x is None and v.focal_y is None for v in variants):
        doc = mark_faces(doc, preset, values, base_dir, face_detector)
    return [(number, apply_variant(doc, variant)) for number, variant in enumerate(variants, start=1)]


def numbered(path: str | Path, number: int | None) -> Path:
    """``cover.jpg`` → ``cover-2.jpg`` for the second cover of a set (unchanged for ``None``)."""
    path = Path(path)
    return path if number is None else path.with_name(f"{path.stem}-{number}{path.suffix}")
