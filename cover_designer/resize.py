""""Resize to all presets": one design re-laid out per canvas by its anchors, never stretched."""
from __future__ import annotations

from pathlib import Path

from .document import CoverDocument
from .export import export, format_for
from .presets import PRESETS, Preset, get_preset
from .render import RenderResult, render

# One representative per shape: 16:9, 9:16 and 1:1.
DEFAULT_SET = ("youtube", "tiktok_live", "shopee_square")


def for_preset(doc: CoverDocument, preset: Preset | str) -> CoverDocument:
    """A copy of ``doc`` targeting ``preset`` (the layers are the same; frames resolve per canvas)."""
    preset = get_preset(preset) if isinstance(preset, str) else preset
    return doc.model_copy(update={"preset": preset.id}, deep=True)


def render_all(doc: CoverDocument, presets: list[str] | tuple[str, ...] | None = None, values: dict | None = None,
               base_dir: str | None = None) -> dict[str, RenderResult]:
    ids = list(presets) if presets else list(PRESETS)
    return {pid: render(for_preset(doc, pid), pid, values, base_dir) for pid in ids}


def export_all(doc: CoverDocument, out_dir: str | Path, presets: list[str] | None = None, values: dict | None = None,
               fmt: str = "png", base_dir: str | None = None) -> dict[str, Path]:
    """One file per preset (``ID-PRESET.png``); presets taking a cover set write ``ID-PRESET-1.png`` …
    (keys ``PRESET-1`` …)."""
    from .coverset import expand, numbered

    out_dir = Path(out_dir)
    written: dict[str, Path] = {}
    for pid in (list(presets) if presets else list(PRESETS)):
        preset = get_preset(pid)
        for number, target in expand(for_preset(doc, preset), preset, values, base_dir):
            result = render(target, preset, values, base_dir)
            path = numbered(out_dir / f"{doc.id or 'cover'}-{preset.id}.{'jpg' if fmt == 'jpeg' else fmt}", number)
            export(result.image, path, result.preset, format_for(path))
            written[preset.id if number is None else f"{preset.id}-{number}"] = path
    return written
