"""Names the cover editor's views show for presets, layer kinds, regions and categories.

Functions of a widget so that ``tr()`` answers in the language in use (the catalog ignores the
context, so any widget's ``tr`` gives the same words)."""
from __future__ import annotations

from PySide6.QtCore import QObject

from cover_designer.document import CoverDocument
from cover_designer.presets import Preset


def preset_label(preset: Preset) -> str:
    """The preset's name with its size, unless the name already says it."""
    size = f"{preset.width}×{preset.height}"
    return preset.name if f"{preset.width}x{preset.height}" in preset.name else f"{preset.name} ({size})"


def layer_type_label(widget: QObject, kind: str) -> str:
    """A layer kind (``text``, ``image`` …) in words."""
    return {"text": widget.tr("Text"), "image": widget.tr("Image"), "logo": widget.tr("Logo"),
            "shape": widget.tr("Shape"), "price": widget.tr("Price"), "qr": widget.tr("QR code")}.get(kind, kind)


def aspect_labels(widget: QObject) -> dict[str, str]:
    return {"landscape": widget.tr("landscape"), "portrait": widget.tr("portrait"), "square": widget.tr("square")}


def region_labels(widget: QObject) -> dict[str, str]:
    return {"na_eu": widget.tr("North America / Europe"), "sea": widget.tr("Southeast Asia"),
            "middle_east": widget.tr("Middle East"), "latam": widget.tr("Latin America"),
            "jp_kr": widget.tr("Japan / Korea")}


def category_labels(widget: QObject) -> dict[str, str]:
    return {"apparel": widget.tr("Apparel"), "beauty": widget.tr("Beauty"), "electronics": widget.tr("Electronics"),
            "home": widget.tr("Home"), "food": widget.tr("Food")}


def document_title(widget: QObject, document: CoverDocument) -> str:
    """The document's name for titles and questions.  A stock template's name is the English
    "region · category" it was made from: shown in the UI's language instead (a name the user
    gave stays as written)."""
    name = document.name or document.id or ""
    region, category = document.region, document.category
    if region and category:
        stock = f"{region_english(region)} · {category}"
        if name == stock:
            return " · ".join((region_labels(widget).get(region, region),
                               category_labels(widget).get(category, category)))
    return name


def region_english(region: str) -> str:
    from cover_designer.regions import REGIONS

    pack = REGIONS.get(region)
    return getattr(pack, "name", region) if pack is not None else region
