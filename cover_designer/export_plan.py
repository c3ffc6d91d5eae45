"""One design exported for several presets into one folder (the editor's "Export ticked presets").

Files are named ``ID-PRESET.EXT`` (``cover`` when the design has no id); presets that take a cover
set (Lazada: 3) write numbered files ``ID-PRESET-1.jpg`` ….  A cover that lint blocks (L6 complex
text without raqm, L7 over the byte limit) or that cannot be written is reported in its row; the
other presets are still written.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from .coverset import expand, numbered
from .document import CoverDocument
from .errors import CoverError
from .presets import PRESETS

# The lint rules whose errors stop a cover from being written.
BLOCKING_RULES = ("L6", "L7")
# Warnings told with a written file: the cover has a part that came out empty (L12).
EXPORT_WARNING_RULES = ("L12",)


class ExportRow(NamedTuple):
    """One file of an export: the preset, the path written ("" if not), why not ("" if written) and
    what the written file lacks (an empty photo layer …)."""

    preset_id: str
    path: str
    error: str
    warnings: tuple[str, ...] = ()


def export_path(folder: Path, doc_id: str, preset_id: str, fmt: str, number: int | None = None) -> Path:
    """Where the cover for ``preset_id`` goes (``number``: its place in a cover set, None for one cover)."""
    suffix = "jpg" if fmt == "jpeg" else fmt
    return numbered(folder / f"{doc_id or 'cover'}-{preset_id}.{suffix}", number)


def export_covers(doc: CoverDocument, preset_ids: list[str], folder: Path, fmt: str,
                  base_dir: str | None = None) -> list[ExportRow]:
    """Render, check and write one file per preset (a numbered set for set presets); slow, so the
    editor runs it on a pool thread.  One row per file, in preset order."""
    from .export import export
    from .lint import lint
    from .render import render
    from .resize import for_preset

    rows = []
    for preset_id in preset_ids:
        preset = PRESETS[preset_id]
        for number, target in expand(for_preset(doc, preset), preset, base_dir=base_dir):
            path = export_path(folder, doc.id, preset_id, fmt, number)
            try:
                result = render(target, preset, base_dir=base_dir, keep_below=True)
                findings = lint(target, preset, base_dir=base_dir, result=result, check_file_size=False)
                blocking = [f for f in findings if f.rule in BLOCKING_RULES and f.severity == "error"]
                warnings = tuple(dict.fromkeys(f.message for f in findings if f.rule in EXPORT_WARNING_RULES))
                if blocking:
                    rows.append(ExportRow(preset_id, "", blocking[0].message))
                    continue
                export(result.image, path, preset, fmt)
            except CoverError as exc:
                rows.append(ExportRow(preset_id, "", exc.message))
            except OSError as exc:
                rows.append(ExportRow(preset_id, "", str(exc)))
            else:
                rows.append(ExportRow(preset_id, str(path), "", warnings))
    return rows
