"""Cover designer engine (no Qt): typed cover documents, Pillow renderer with complex text,
platform presets, region packs and templates, legibility lint L1–L10, export, batch and CLI.

Typical use::

    from cover_designer import load_template, render, lint, export, get_preset
    doc = load_template("sea-apparel")
    result = render(doc, "tiktok_live", {"price": "499"})
    findings = lint(doc, "tiktok_live", {"price": "499"})
    export(result.image, "cover.jpg", get_preset("tiktok_live"))
"""
from __future__ import annotations

from .document import CoverDocument, load_document, parse_document
from .errors import CoverError, DocumentError, ExportError, FontError, ImageLoadError, TemplateError
from .export import encode, export
from .lint import Finding, blocks_export, lint
from .presets import PRESETS, Preset, get_preset
from .regions import REGIONS, get_region
from .render import RenderResult, render
from .templates import list_templates, load_template, template_ids

__all__ = [
    "CoverDocument", "load_document", "parse_document", "CoverError", "DocumentError", "ExportError", "FontError",
    "ImageLoadError", "TemplateError", "encode", "export", "Finding", "blocks_export", "lint", "PRESETS", "Preset",
    "get_preset", "REGIONS", "get_region", "RenderResult", "render", "list_templates", "load_template", "template_ids",
]
