"""Legibility checks L1–L12 (L1–L9 from the product brief), each naming the layer and the fix.

L10 (ours, beyond the brief's L1–L9): the headline is also the show's title on platforms that cap
title length (TikTok LIVE 32 characters, Shopee 20); a longer headline gets cut there.
L11 and L12 (text hidden under other text, layers that export empty) live in ``lint_layout``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

import numpy as np

from studio.core.i18n import _

from . import faces
from . import text as textlib
from .document import CoverDocument
from .export import encode
from .presets import Preset, Rect, get_preset
from .render import RenderResult, render

CONTRAST_MIN = 4.5
HEADLINE_WARN_WORDS = 4
HEADLINE_ERROR_WORDS = 6
CJK_MAX_CHARS = 10
CJK_ERROR_CHARS = 16
MAX_TEXT_BLOCKS = 2
MAX_TEXT_AREA = 0.20


@dataclass
class Finding:
    rule: str
    severity: str  # "error" | "warning"
    layer: str | None
    path: str | None
    message: str
    fix: str

    def as_dict(self) -> dict:
        return asdict(self)


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB colours (..., 3) in 0..255."""
    c = rgb.astype(np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * c[..., 0] + 0.7152 * c[..., 1] + 0.0722 * c[..., 2]


def contrast_ratio(l1: float, l2: float) -> float:
    hi, lo = max(l1, l2), min(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def _is_texty(info) -> bool:
    return bool(info.text.strip()) and info.type in ("text", "shape", "price")


def _words(text: str) -> int:
    """Words as a reader counts them: Thai, written without spaces, is cut by its dictionary."""
    from .wordbreak import needs_word_breaking, words

    count = 0
    for chunk in re.split(r"\s+", text.strip()):
        if not chunk:
            continue
        if needs_word_breaking(chunk):
            count += sum(1 for word in words(chunk) if any(char.isalnum() for char in word))
        else:
            count += 1
    return count


def title_length(text: str) -> int:
    """Characters a viewer sees: runs of spaces count once; combining marks (Thai vowels and tones,
    Vietnamese accents), joiners and variation selectors add nothing to the letter they sit on."""
    collapsed = " ".join(text.split())
    return sum(1 for c in collapsed if not unicodedata.combining(c) and unicodedata.category(c) not in ("Mn", "Me", "Cf")
               and not 0xFE00 <= ord(c) <= 0xFE0F)


def _cjk_chars(text: str) -> int:
    return sum(1 for c in text if textlib.is_cjk_char(c))


def lint(doc: CoverDocument, preset: Preset | str | None = None, values: dict | None = None,
         base_dir: str | None = None, region_density: str | None = None,
         result: RenderResult | None = None, check_file_size: bool = True,
         face_detector: "faces.Detector | None | str" = "auto") -> list[Finding]:
    """Run L1–L10 on ``doc`` rendered at ``preset``; returns findings (errors first).

    ``face_detector``: "auto" finds faces in photo layers with OpenCV's Haar cascade where this
    OpenCV has one (see ``faces.py``), ``None`` checks only faces marked on layers, or a callable
    (PIL image → face boxes in its pixels)."""
    preset = get_preset(preset or doc.preset) if not isinstance(preset, Preset) else preset
    if result is None or not result.below:
        result = render(doc, preset, values, base_dir, keep_below=True)
    if region_density is None:
        from .regions import REGIONS

        region_density = REGIONS[doc.region].text_density if doc.region in REGIONS else "low"
    findings: list[Finding] = []
    for problem in result.problems:
        findings.append(Finding("render", "error", problem.layer_id, problem.path, problem.message,
                                _("Fix the value or remove the layer; the rest of the cover was drawn.")))
    canvas = Rect(0, 0, preset.width, preset.height)
    safe = preset.safe_rect()
    texty = [info for info in result.layers if _is_texty(info)]

    # L1: text, logos and faces must stay out of the platform's UI.
    for info in result.layers:
        boxes: list[Rect] = []
        if (_is_texty(info) or info.type in ("logo", "qr")) and info.ink:
            boxes.append(info.ink)
        if info.face_box:
            boxes.append(info.face_box)
        for box in boxes:
            for zone_name, zone in preset.unsafe:
                if box.intersection_area(zone) > 0.5:
                    findings.append(Finding("L1", "error", info.layer_id, f"layers[{info.index}].frame",
                        _("Layer “{layer}” is under the {zone} of {preset}.").format(
                            layer=info.layer_id, zone=_(zone_name), preset=preset.name),
                        _("Move it inside the safe area (x {x0}–{x1}, y {y0}–{y1}) or anchor it to the safe area.").format(
                            x0=round(safe.x), x1=round(safe.right), y0=round(safe.y), y1=round(safe.bottom))))
                    break

    # L1 for faces found in the photos as drawn (cropped, zoomed, turned).
    detector = faces.default_detector() if face_detector == "auto" else face_detector
    for info in result.layers if detector else ():
        if info.type != "image" or info.tile_image is None:
            continue
        ox, oy = info.tile_origin
        reported: set[str] = set()
        for fx, fy, fw, fh in faces.faces_in(info.tile_image, detector):
            face = Rect(ox + fx, oy + fy, fw, fh)
            if info.face_box and face.intersection_area(info.face_box) > 0.5 * face.w * face.h:
                continue  # the marked face, already checked above

            for zone_name, zone in preset.unsafe:
                # Most of a face under the UI, not a sliver of forehead.
                if zone_name not in reported and face.intersection_area(zone) > 0.25 * face.w * face.h:
                    reported.add(zone_name)
                    findings.append(Finding("L1", "error", info.layer_id, f"layers[{info.index}].frame",
                        _("A face in “{layer}” is under the {zone} of {preset}.").format(
                            layer=info.layer_id, zone=_(zone_name), preset=preset.name),
                        _("Move or crop the photo (focal point, zoom) so the face sits inside the safe area "
                          "(x {x0}–{x1}, y {y0}–{y1}).").format(
                            x0=round(safe.x), x1=round(safe.right), y0=round(safe.y), y1=round(safe.bottom))))

    # L2: text must still be ~11 px tall at the smallest size the platform shows the cover.
    minimum = preset.min_text_height_px()
    for info in texty:
        if info.font_px and info.font_px < minimum:
            findings.append(Finding("L2", "error", info.layer_id, f"layers[{info.index}].font.size",
                _("Text in “{layer}” is {size} px tall; {preset} needs at least {minimum} px to read at thumbnail size.").format(
                    layer=info.layer_id, size=info.font_px, preset=preset.name, minimum=round(minimum)),
                _("Make the text larger or shorten it so auto-fit does not shrink it.")))

    # L3: few words, few blocks, little area.
    dense = region_density == "dense"
    headlines = [i for i in texty if i.type == "text" and i.role == "headline"]
    for info in headlines[:1]:
        cjk = _cjk_chars(info.text)
        if cjk:
            if cjk > CJK_MAX_CHARS:
                severity = "error" if cjk > CJK_ERROR_CHARS and not dense else "warning"
                findings.append(Finding("L3", severity, info.layer_id, f"layers[{info.index}].text",
                    _("The headline has {count} CJK characters; keep it to {limit} or fewer.").format(
                        count=cjk, limit=CJK_MAX_CHARS), _("Cut the headline to the product and the offer.")))
        else:
            words = _words(info.text)
            if words >= HEADLINE_WARN_WORDS:
                severity = "error" if words > HEADLINE_ERROR_WORDS and not dense else "warning"
                findings.append(Finding("L3", severity, info.layer_id, f"layers[{info.index}].text",
                    _("The headline has {count} words; covers read best with 3 or fewer.").format(count=words),
                    _("Cut the headline to the product and the offer.")))
    blocks = [i for i in texty if i.type == "text"]
    if len(blocks) > MAX_TEXT_BLOCKS:
        findings.append(Finding("L3", "warning", blocks[-1].layer_id, f"layers[{blocks[-1].index}]",
            _("The cover has {count} text blocks; use at most {limit}.").format(count=len(blocks), limit=MAX_TEXT_BLOCKS),
            _("Merge or remove text blocks; let the picture carry the message.")))
    area = sum(i.ink_pixels for i in texty) / float(preset.width * preset.height)
    if area > MAX_TEXT_AREA:
        findings.append(Finding("L3", "warning" if dense else "error", None, "layers",
            _("Text covers {percent}% of the cover; keep it under {limit}%.").format(
                percent=round(area * 100), limit=round(MAX_TEXT_AREA * 100)),
            _("Use fewer or smaller words.")))

    # L4: WCAG contrast against the pixels behind the text, unless a stroke or plate separates it.
    for info in result.layers:
        if info.type != "text" or not info.text.strip() or info.ink is None or info.color is None:
            continue
        if info.has_plate:
            continue
        below = result.below.get(info.layer_id)
        if below is None:
            continue
        box = (max(0, int(info.ink.x)), max(0, int(info.ink.y)), min(preset.width, int(info.ink.right)),
               min(preset.height, int(info.ink.bottom)))
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        behind = np.asarray(below.crop(box).convert("RGB"))
        lum = relative_luminance(behind.reshape(-1, 3))
        text_lum = float(relative_luminance(np.array([info.color[:3]]))[0])
        worst = min(contrast_ratio(text_lum, float(np.percentile(lum, 5))),
                    contrast_ratio(text_lum, float(np.percentile(lum, 95))))
        if worst >= CONTRAST_MIN:
            continue
        if info.has_stroke and info.stroke_color is not None:
            stroke_lum = float(relative_luminance(np.array([info.stroke_color[:3]]))[0])
            if contrast_ratio(text_lum, stroke_lum) >= CONTRAST_MIN:
                continue
        findings.append(Finding("L4", "error", info.layer_id, f"layers[{info.index}].color",
            _("Text in “{layer}” has contrast {ratio}:1 against what is behind it; at least 4.5:1 is needed.").format(
                layer=info.layer_id, ratio=f"{worst:.1f}"),
            _("Change the text colour, or add a stroke or a backing plate.")))

    # L5: every character needs a font.
    for info in texty:
        if info.missing_glyphs:
            chars = " ".join(f"U+{ord(c):04X}" for c in info.missing_glyphs[:8])
            findings.append(Finding("L5", "error", info.layer_id, f"layers[{info.index}].text",
                _("No installed font can draw these characters in “{layer}”: {chars}.").format(layer=info.layer_id, chars=chars),
                _("Install the Noto font for that script, or change the text.")))
    # L5 also: a font family the document names that this machine does not have.  The text is drawn
    # with the fallback fonts, so the cover still renders, but not in the family that was designed.
    for info in result.layers:
        if info.font_family_missing:
            findings.append(Finding("L5", "warning", info.layer_id, f"layers[{info.index}].font.family",
                _("The font “{family}” chosen for “{layer}” is not installed here; the text is drawn with the "
                  "fallback Noto fonts instead.").format(family=info.font_family_missing, layer=info.layer_id),
                _("Pick an installed font for the layer, or install the “{family}” font family (OFL) and "
                  "restart the program (fonts are looked up once per run).").format(family=info.font_family_missing)))

    # L6: Arabic/Thai/Indic need complex shaping (raqm); without it export is blocked.
    if not textlib.has_raqm():
        for info in texty:
            if textlib.needs_complex_shaping(info.text):
                findings.append(Finding("L6", "error", info.layer_id, f"layers[{info.index}].text",
                    _("“{layer}” needs complex text shaping (Arabic, Thai …) but Pillow has no raqm here; export is blocked.").format(
                        layer=info.layer_id),
                    _("Install FriBiDi (Debian: libfribidi0) so Pillow can use raqm, then restart.")))

    # L7: the file must fit the preset's limit.
    if check_file_size and preset.max_bytes:
        encoded = encode(result.image, preset.formats[0], preset.max_bytes)
        if not encoded.fits:
            findings.append(Finding("L7", "error", None, None,
                _("Even at the lowest quality the cover is {size} KB; {preset} allows {limit} KB.").format(
                    size=len(encoded.data) // 1024, preset=preset.name, limit=preset.max_bytes // 1024),
                _("Use a simpler background or fewer photos.")))

    # L8: real glyph bounds (Vietnamese/Thai marks) must stay in the box and on the canvas.
    for info in texty:
        ink = info.glyph_ink or info.ink
        if info.type != "text" or ink is None:
            continue
        # Turned layers: both the ink and the box are compared as their turned bounds.
        frame = info.bounds or info.frame
        tolerance = max(2.0, 0.02 * max(frame.w, frame.h))
        off_canvas = ink.x < 0 or ink.y < 0 or ink.right > canvas.w or ink.bottom > canvas.h
        outside = (ink.x < frame.x - tolerance or ink.y < frame.y - tolerance
                   or ink.right > frame.right + tolerance or ink.bottom > frame.bottom + tolerance)
        if off_canvas or outside or not info.text_fits:
            findings.append(Finding("L8", "error" if off_canvas else "warning", info.layer_id, f"layers[{info.index}].frame",
                _("Text in “{layer}” does not fit its box (marks above or below the letters are cut or overflow).").format(
                    layer=info.layer_id),
                _("Enlarge the box, lower the font size, or allow more lines.")))

    # L9: platforms that want no text on covers.
    if preset.text_policy in ("none", "avoid"):
        for info in texty:
            findings.append(Finding("L9", "warning", info.layer_id, f"layers[{info.index}]",
                _("{preset} covers should carry no text or very little; “{layer}” has text.").format(
                    preset=preset.name, layer=info.layer_id),
                _("Hide the text layer for this preset, or let the picture speak.")))
    if not preset.allows_logo:
        for info in result.layers:
            if info.type == "logo":
                findings.append(Finding("L9", "warning", info.layer_id, f"layers[{info.index}]",
                    _("{preset} does not allow logos or watermarks on covers; “{layer}” is a logo.").format(
                        preset=preset.name, layer=info.layer_id),
                    _("Hide the logo layer for this preset.")))
    # L10: the headline doubles as the title where the platform limits title length.
    if preset.title_max_chars:
        for info in headlines[:1]:
            count = title_length(info.text)
            if count > preset.title_max_chars:
                findings.append(Finding("L10", "warning", info.layer_id, f"layers[{info.index}].text",
                    _("The headline “{layer}” has {count} characters; {preset} titles allow {limit}.").format(
                        layer=info.layer_id, count=count, preset=preset.name, limit=preset.title_max_chars),
                    _("Shorten the headline to {limit} characters or fewer; the platform cuts longer titles.").format(
                        limit=preset.title_max_chars)))
    # L11 (text hidden under other text) and L12 (layers that export empty).
    from .lint_layout import empty_findings, overlap_findings

    findings.extend(overlap_findings(result, preset, Finding))
    findings.extend(empty_findings(result, Finding))
    findings.sort(key=lambda f: (f.severity != "error", _rule_number(f.rule)))
    return findings


def _rule_number(rule: str) -> tuple[int, str]:
    # "L10" sorts after "L9"; "render" problems first.
    return (int(rule[1:]), rule) if rule[:1] == "L" and rule[1:].isdigit() else (-1, rule)


def blocks_export(findings: list[Finding]) -> bool:
    """L6 (no complex shaping) and L7 (too big) stop an export; others are advice."""
    return any(f.severity == "error" and f.rule in ("L6", "L7") for f in findings)
