"""Templates: one cover design per region pack × category (+ seasonal extras).

Templates are JSON cover documents in ``resources/templates``.  They are generated from the
recipes below (``python -m cover_designer.templates --write``) so every region shares tested
layouts while keeping its own palette, language, phrases and price locale; layers are anchored to
the preset's safe area and have landscape/portrait/square frames, so each template renders at
every preset.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from studio.core.i18n import _

from .document import SCHEMA_VERSION, CoverDocument, load_document
from .errors import TemplateError
from .regions import REGIONS, RegionPack

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "resources" / "templates"
CATEGORIES = ("apparel", "beauty", "electronics", "home", "food")


def _frames(landscape: dict, portrait: dict, square: dict) -> dict:
    def full(frame: dict) -> dict:
        out = {"relative_to": "safe"}
        out.update(frame)
        return out

    return {"frame": full(landscape), "frame_by_aspect": {"landscape": full(landscape), "portrait": full(portrait),
                                                          "square": full(square)}}


def _headline(text: str, color: str, language: str, **extra) -> dict:
    layer = {"type": "text", "id": "headline", "role": "headline", "text": text, "color": color, "language": language,
             "font": {"family": "sans", "weight": "black", "size": 170, "min_size": 60}, "max_lines": 2}
    layer.update(extra)
    return layer


def _badge(text: str, fill: str, color: str, language: str, shape: str = "pill") -> dict:
    return {"type": "shape", "id": "badge", "shape": shape, "fill": fill, "text": text, "text_color": color,
            "language": language, "font": {"weight": "black", "size": 130, "min_size": 40},
            **_frames({"anchor": "top_left", "dx": 0.0, "dy": 0.33, "w": 0.46, "h": 0.2},
                      {"anchor": "top_right", "dx": 0.0, "dy": 0.0, "w": 0.7, "h": 0.11},
                      {"anchor": "left", "dx": 0.0, "dy": 0.05, "w": 0.46, "h": 0.13})}


def _price(pack: RegionPack, language, fill: str) -> dict:
    return {"type": "price", "id": "price", "amount": "{price}", "original": "{original_price}", "currency": "{currency}",
            "locale": "{locale}", "color": "#FFFFFF", "original_color": pack.palette["text"] + "CC",
            "font": {"weight": "black", "size": 130, "min_size": 40},
            "plate": {"color": fill, "padding": 0.25, "radius": 0.3}, "align": "start",
            # Right-to-left layouts mirror the price to the bottom-right, where YouTube puts its duration badge.
            **_frames({"anchor": "bottom_left", "dx": 0.0, "dy": -0.12 if pack.mirror else 0.0, "w": 0.46,
                       "h": 0.34 if pack.mirror else 0.42},
                      {"anchor": "bottom", "dx": 0.0, "dy": 0.0, "w": 0.9, "h": 0.2},
                      {"anchor": "bottom_left", "dx": 0.0, "dy": -0.02, "w": 0.5, "h": 0.26})}


def _product_image(src: str = "{product_image}", fit: str = "fill", layer_id: str = "photo") -> dict:
    return {"type": "image", "id": layer_id, "src": src, "fit": fit, "corner_radius": 0.04,
            "frame": {"anchor": "right", "dx": -0.02, "w": 0.48, "h": 0.9},
            "frame_by_aspect": {
                "landscape": {"anchor": "right", "dx": -0.02, "w": 0.48, "h": 0.9},
                "portrait": {"anchor": "top", "dy": 0.12, "w": 1.0, "h": 0.42, "relative_to": "safe"},
                "square": {"anchor": "right", "dx": -0.03, "w": 0.46, "h": 0.62}}}


def _variables(pack: RegionPack, language, category: str) -> dict:
    names = {"apparel": "Linen Shirt", "beauty": "Glow Serum", "electronics": "Buds Pro 3", "home": "Oak Lamp",
             "food": "Mango Box"}
    return {"product_name": names[category], "price": language.sample_price, "original_price": language.sample_original,
            "currency": language.currency, "locale": language.locale, "discount": "30", "product_image": "",
            "before_image": "", "after_image": "", "feature": "40h", "share_url": "https://example.com/live"}


def build(pack: RegionPack, category: str, language_code: str | None = None, variant: str = "") -> dict:
    """One template document (as JSON data) for a region pack and category."""
    language = pack.language(language_code)
    lang = language.code
    palette = pack.palette
    doc: dict = {
        "schema_version": SCHEMA_VERSION, "id": f"{pack.id}-{category}{('-' + variant) if variant else ''}",
        "name": f"{pack.name} · {category}{(' · ' + variant) if variant else ''}",
        "region": pack.id, "category": category, "preset": "youtube", "language": lang,
        "direction": "rtl" if pack.mirror else "ltr",
        "background": {"color": palette["background"]}, "variables": _variables(pack, language, category), "layers": [],
    }
    layers = doc["layers"]
    headline_frames = _frames({"anchor": "top_left", "dx": 0.0, "dy": 0.0, "w": 0.46 if category != "beauty" else 0.42,
                               "h": 0.31 if category != "beauty" else 0.5},
                              {"anchor": "center", "dx": 0.0, "dy": 0.17, "w": 0.98, "h": 0.19},
                              {"anchor": "top_left", "dx": 0.0, "dy": 0.0, "w": 0.48, "h": 0.3})
    if category == "apparel":
        # Model wearing it, plain background, discount tag.
        layers.append(_product_image())
        layers.append(_headline(pack.phrase("new_arrival", lang), palette["primary"], lang, align="start", **headline_frames))
        layers.append(_badge(pack.phrase("discount", lang), palette["accent"], palette["on_accent"], lang))
        layers.append(_price(pack, language, palette["primary"]))
    elif category == "beauty":
        # Product close-up with before/after.
        doc["background"] = {"color": palette["soft"], "gradient_to": palette["background"], "gradient_angle": 90}
        for side, key, anchor_l, anchor_p in (("before", "before_image", "left", "top_left"),
                                              ("after", "after_image", "right", "top_right")):
            layers.append({"type": "image", "id": side, "src": "{" + key + "}", "corner_radius": 0.05,
                           "placeholder_color": "#E8D5CF" if side == "before" else "#F3E3DD",
                           **_frames({"anchor": "top_right", "dx": 0.0 if side == "after" else -0.28,
                                      "dy": 0.0, "w": 0.27, "h": 0.6},
                                     {"anchor": anchor_p, "dx": 0.0, "dy": 0.12, "w": 0.48, "h": 0.36},
                                     {"anchor": anchor_p, "dx": 0.0, "dy": 0.3, "w": 0.48, "h": 0.4})})
            layers.append({"type": "shape", "id": f"{side}_label", "shape": "rect", "fill": palette["primary"] if side == "before" else palette["accent"],
                           "text": pack.phrase(side, lang), "text_color": "#FFFFFF", "language": lang,
                           "font": {"weight": "bold", "size": 130, "min_size": 40},
                           **_frames({"anchor": "top_right", "dx": 0.0 if side == "after" else -0.28,
                                      "dy": 0.63, "w": 0.27, "h": 0.21},
                                     {"anchor": anchor_p, "dx": 0.0, "dy": 0.49, "w": 0.48, "h": 0.07},
                                     {"anchor": anchor_p, "dx": 0.0, "dy": 0.71, "w": 0.48, "h": 0.11})})
        layers.append(_headline("{product_name}", palette["primary"], lang, align="start", **headline_frames))
        layers.append(_price(pack, language, palette["accent"]))
    elif category == "electronics":
        # Product + key feature as text.
        doc["background"] = {"color": "#0E1116", "gradient_to": "#1F2A3A", "gradient_angle": 90}
        layers.append(_product_image(fit="fit"))
        layers.append(_headline("{product_name}", "#FFFFFF", lang, align="start", **headline_frames))
        layers.append({"type": "shape", "id": "feature", "shape": "pill", "fill": palette["accent"], "text": "{feature}",
                       "text_color": "#FFFFFF", "language": lang, "font": {"weight": "black", "size": 130, "min_size": 40},
                       **_frames({"anchor": "top_left", "dx": 0.0, "dy": 0.33, "w": 0.3, "h": 0.2},
                                 {"anchor": "top_right", "dx": 0.0, "dy": 0.02, "w": 0.4, "h": 0.1},
                                 {"anchor": "left", "dx": 0.0, "dy": 0.05, "w": 0.4, "h": 0.13})})
        layers.append(_price(pack, language, palette["accent"]))
    elif category == "home":
        # Product in a scene of use: full-bleed photo, headline on a plate.
        layers.append({"type": "image", "id": "scene", "src": "{product_image}", "fit": "fill",
                       "placeholder_color": "#C9BBA6", "frame": {"anchor": "center", "w": 1, "h": 1}})
        layers.append(_headline("{product_name}", "#FFFFFF", lang, align="start",
                                plate={"color": palette["primary"] + "E6", "padding": 0.25, "radius": 0.2}, **headline_frames))
        layers.append(_badge(pack.phrase("free_shipping", lang), palette["accent"], palette["on_accent"], lang))
        layers.append(_price(pack, language, palette["accent"]))
    elif category == "food":
        # Close-up, light and angle: full-bleed photo, "live now" ribbon, headline with stroke + shadow.
        layers.append({"type": "image", "id": "closeup", "src": "{product_image}", "fit": "fill",
                       "placeholder_color": "#E9B872", "frame": {"anchor": "center", "w": 1, "h": 1}})
        layers.append({"type": "shape", "id": "live", "shape": "ribbon", "fill": palette["accent"],
                       "text": pack.phrase("live_now", lang), "text_color": "#FFFFFF", "language": lang,
                       "font": {"weight": "black", "size": 130, "min_size": 40},
                       **_frames({"anchor": "top_right", "dx": 0.0, "dy": 0.0, "w": 0.5, "h": 0.2},
                                 {"anchor": "top_right", "dx": 0.0, "dy": 0.0, "w": 0.8, "h": 0.1},
                                 {"anchor": "left", "dx": 0.0, "dy": 0.05, "w": 0.5, "h": 0.13})})
        layers.append(_headline("{product_name}", "#FFFFFF", lang, align="start", stroke={"width": 8, "color": "#000000"},
                                shadow={"dx": 4, "dy": 6, "blur": 8, "color": "#00000099"}, **headline_frames))
        layers.append(_price(pack, language, palette["accent"]))
    if variant == "instalments":
        layers.append({"type": "shape", "id": "instalments", "shape": "rect", "fill": palette["primary"],
                       "text": pack.phrase("instalments", lang), "text_color": "#FFFFFF", "language": lang,
                       "font": {"weight": "bold", "size": 130, "min_size": 40},
                       **_frames({"anchor": "bottom_right", "dx": -0.54, "dy": -0.02, "w": 0.001 + 0.0, "h": 0.001},
                                 {"anchor": "top", "dx": 0.0, "dy": 0.44, "w": 0.8, "h": 0.08},
                                 {"anchor": "left", "dx": 0.0, "dy": 0.18, "w": 0.5, "h": 0.1})})
        layers[-1]["frame_by_aspect"]["landscape"] = {"relative_to": "safe", "anchor": "top_right", "dx": 0.0, "dy": 0.0,
                                                      "w": 0.52, "h": 0.18}
        layers[-1]["frame"] = layers[-1]["frame_by_aspect"]["landscape"]
    return doc


EXTRAS = (("latam", "apparel", "pt-BR", "instalments"), ("sea", "food", "vi", "vi"), ("sea", "apparel", "id", "id"),
          ("na_eu", "apparel", "de", "de"), ("jp_kr", "beauty", "ko", "ko"), ("middle_east", "home", "en", "en"))


def build_all() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for pack in REGIONS.values():
        for category in CATEGORIES:
            doc = build(pack, category)
            out[doc["id"]] = doc
    for region, category, language, variant in EXTRAS:
        doc = build(REGIONS[region], category, language, variant)
        out[doc["id"]] = doc
    return out


def write_all(directory: Path = TEMPLATES_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for template_id, data in build_all().items():
        CoverDocument.model_validate(data)
        path = directory / f"{template_id}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def template_ids() -> list[str]:
    return sorted(p.stem for p in TEMPLATES_DIR.glob("*.json"))


def load_template(template_id: str) -> CoverDocument:
    path = TEMPLATES_DIR / f"{template_id}.json"
    if not path.exists():
        raise TemplateError(_("Unknown template “{name}” ({count} templates available; `bridgecast cover templates` lists them).").format(
            name=template_id, count=len(template_ids())))
    return load_document(path)


def list_templates(region: str | None = None, category: str | None = None) -> list[dict]:
    rows = []
    for template_id in template_ids():
        doc = load_template(template_id)
        if (region and doc.region != region) or (category and doc.category != category):
            continue
        rows.append({"id": doc.id, "name": doc.name, "region": doc.region, "category": doc.category,
                     "language": doc.language})
    return rows


if __name__ == "__main__":  # pragma: no cover
    if "--write" in sys.argv:
        for written in write_all():
            print(written)
