"""Layout checks beyond the brief's L1–L10: text hidden under other text (L11) and layers that
export empty (L12).

L11: a headline dragged over the price hides half of both, yet each layer on its own is legible.
Boxes are measured on the rendered ink: what a layer hides is its letters, or its plate when it has
one (a price always has its plate and old price); what can be hidden is the letters below.
L12: a photo layer with no picture exports as a grey box, and an empty text layer draws nothing;
both look finished in the editor only because the placeholder is there.
"""
from __future__ import annotations

from studio.core.i18n import _

from .presets import Preset, Rect
from .render import LayerInfo, RenderResult

# Overlap smaller than this share of the hidden words (or than this many pixels) is a touch, not a cover-up.
MIN_HIDDEN_SHARE = 0.01
MIN_HIDDEN_PX = 48


def _carries_words(info: LayerInfo) -> bool:
    return info.type in ("text", "price") or (info.type == "shape" and bool(info.text.strip()))


def _covering_box(info: LayerInfo) -> Rect | None:
    if info.type == "text" and not info.has_plate:
        return info.glyph_ink or info.ink
    return info.ink


def _words_box(info: LayerInfo) -> Rect | None:
    if info.type == "text":
        return info.glyph_ink or info.ink
    return info.ink


def overlap_findings(result: RenderResult, preset: Preset, finding) -> list:
    """L11 (error): a text layer over another layer's words, or another layer over a text layer's."""
    out = []
    drawn = [info for info in result.layers if _carries_words(info) and info.text.strip()]
    for lower_at, lower in enumerate(drawn):
        hidden = _words_box(lower)
        if hidden is None:
            continue
        for upper in drawn[lower_at + 1:]:
            if "text" not in (lower.type, upper.type):
                continue  # a badge over the price is the designer's choice; text is what must stay readable
            cover = _covering_box(upper)
            if cover is None:
                continue
            area = hidden.intersection_area(cover)
            if area < max(MIN_HIDDEN_PX, MIN_HIDDEN_SHARE * hidden.w * hidden.h):
                continue
            out.append(finding("L11", "error", upper.layer_id, f"layers[{upper.index}].frame",
                _("“{upper}” covers part of “{lower}” on {preset}: the words underneath are hidden.").format(
                    upper=upper.layer_id, lower=lower.layer_id, preset=preset.name),
                _("Move or resize one of the two layers so they no longer overlap (“{lower}” ends at y {bottom} px, "
                  "x {left}–{right} px).").format(lower=lower.layer_id, bottom=round(hidden.bottom),
                                                   left=round(hidden.x), right=round(hidden.right))))
    return out


def empty_findings(result: RenderResult, finding) -> list:
    """L12 (warning): photo or logo layers without a picture, text layers without words."""
    failed = {problem.layer_id for problem in result.problems}
    out = []
    for info in result.layers:
        if info.layer_id in failed:
            continue
        if info.type in ("image", "logo") and info.photo_size is None:
            out.append(finding("L12", "warning", info.layer_id, f"layers[{info.index}].src",
                _("“{layer}” has no picture: it exports as an empty grey box.").format(layer=info.layer_id),
                _("Choose a photo for the layer (or a product that has one), or hide or delete the layer.")))
        elif info.type == "text" and not info.text.strip():
            out.append(finding("L12", "warning", info.layer_id, f"layers[{info.index}].text",
                _("The text layer “{layer}” is empty: nothing of it shows on the cover.").format(layer=info.layer_id),
                _("Type the words, or hide or delete the layer.")))
    return out
