"""Text: font discovery, per-run font fallback, shaping with raqm, line layout and auto-fit.

Pillow has no font fallback, so a string is split into runs by font coverage (read from each
font's cmap with fontTools) and each run is shaped on its own with raqm (Arabic joined and
right-to-left, Thai and Vietnamese marks placed, CJK by language face).  Neutral characters
(spaces, digits, punctuation) and combining marks stay in the run they follow so Arabic words
are not broken apart.

A layer's ``font.family`` names an OFL family found on this machine (:func:`available_families`);
it is tried first for every character and the language's Noto chain fills what it lacks.  A family
that is not installed renders with the chain alone (lint L5 warns).
"""
from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from PIL import ImageFont, features

from studio.core.i18n import _

from .wordbreak import needs_word_breaking, words

RESOURCE_FONTS = Path(__file__).resolve().parent.parent / "resources" / "fonts"
CJK_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts/google-noto-cjk")
CJK_FACE = {"ja": 0, "ko": 1, "zh-hans": 2, "zh": 2, "zh-cn": 2, "zh-sg": 2, "zh-hant": 3, "zh-tw": 3, "zh-hk": 3}
WEIGHT_VALUE = {"regular": 400, "medium": 500, "bold": 700, "black": 900}
RTL_LANGUAGES = {"ar", "fa", "ur", "he"}


@dataclass(frozen=True)
class FontFace:
    """One font file (+ face index in a collection) and what it is for."""

    key: str
    path: str
    index: int = 0
    bold_path: str | None = None  # static bold file for non-variable families (CJK)
    # Static families with several weights: (weight, path, face index) for each upright file.
    weight_files: tuple[tuple[int, str, int], ...] = ()


def _package_font(module: str, name: str) -> str | None:
    try:
        mod = __import__(module)
    except ImportError:
        return None
    path = Path(mod.ROOT) / "files" / name
    return str(path) if path.exists() else None


def _resource_or_package(stem: str, module: str, name: str) -> str | None:
    for path in sorted(RESOURCE_FONTS.glob(f"{stem}*.tt[fc]")):
        return str(path)
    return _package_font(module, name)


@functools.lru_cache(maxsize=1)
def available_faces() -> dict[str, FontFace]:
    """Every font the cover designer can use, by key: latin, thai, arabic, cjk-ja/ko/sc/tc, dejavu."""
    faces: dict[str, FontFace] = {}
    latin = _resource_or_package("NotoSans-", "fontpkg_noto_sans", "NotoSans[wdth,wght].ttf")
    if latin:
        faces["latin"] = FontFace("latin", latin)
    thai = _resource_or_package("NotoSansThai", "fontpkg_noto_sans_thai", "NotoSansThai[wdth,wght].ttf")
    if thai:
        faces["thai"] = FontFace("thai", thai)
    arabic = _resource_or_package("NotoSansArabic", "fontpkg_noto_sans_arabic", "NotoSansArabic[wdth,wght].ttf")
    if arabic:
        faces["arabic"] = FontFace("arabic", arabic)
    for directory in CJK_DIRS:
        regular = Path(directory) / "NotoSansCJK-Regular.ttc"
        if regular.exists():
            bold = Path(directory) / "NotoSansCJK-Bold.ttc"
            for key, index in (("cjk-ja", 0), ("cjk-ko", 1), ("cjk-sc", 2), ("cjk-tc", 3)):
                faces[key] = FontFace(key, str(regular), index, str(bold) if bold.exists() else None)
            break
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if dejavu.exists():
        faces["dejavu"] = FontFace("dejavu", str(dejavu), 0,
                                   str(dejavu.with_name("DejaVuSans-Bold.ttf")) if dejavu.with_name("DejaVuSans-Bold.ttf").exists() else None)
    return faces


@functools.lru_cache(maxsize=16)
def coverage(path: str, index: int) -> frozenset[int]:
    """Code points a font maps (its best cmap)."""
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=True) if path.endswith((".ttc", ".otc")) else TTFont(path, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def _cjk_key(language: str | None) -> str:
    lang = (language or "").lower()
    index = CJK_FACE.get(lang, CJK_FACE.get(lang.split("-")[0], 2))
    return ("cjk-ja", "cjk-ko", "cjk-sc", "cjk-tc")[index]


# ---------------------------------------------------------------- font families
# ``font.family`` values that mean "no particular family": the Noto chain for the text's language.
AUTOMATIC_FAMILIES = frozenset({"", "sans", "auto", "automatic"})
# Shipped fonts first, then the system's (Linux, macOS, Windows); only OFL-licensed families are kept.
FONT_DIRS = (str(RESOURCE_FONTS), "/usr/share/fonts", "/usr/local/share/fonts",
             os.path.expanduser("~/.local/share/fonts"), os.path.expanduser("~/.fonts"),
             "/Library/Fonts", os.path.expanduser("~/Library/Fonts"),
             os.path.join(os.environ.get("WINDIR", "C:\\Windows"), "Fonts"))
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
# C0 and C1 control characters but tab and line feed.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")


@dataclass(frozen=True)
class FontFamily:
    """A font family a text layer can name in ``font.family`` (OFL-licensed, on this machine)."""

    name: str
    face: FontFace
    source: str  # "package" (a fontpkg wheel) or the folder it was found in
    is_variable: bool = False


def family_key(name: str) -> str:
    """How family names are matched: case, spaces, hyphens and underscores do not count
    ("Noto Sans CJK JP" = "noto-sans-cjk-jp")."""
    return re.sub(r"[^0-9a-z]+", "", name.lower())


_AUTOMATIC_KEYS = frozenset(family_key(name) for name in AUTOMATIC_FAMILIES)


def is_automatic_family(name: str | None) -> bool:
    """True for the values that leave the choice to the language's Noto chain ("sans", empty)."""
    return family_key(name or "") in _AUTOMATIC_KEYS


def _is_ofl(text: str) -> bool:
    lowered = text.lower()
    return "ofl" in lowered or "open font license" in lowered


def _package_families() -> list[FontFamily]:
    """Families installed as fontpkg wheels (``fontpkg-noto-sans`` …), OFL only, upright files."""
    try:
        import fontpkg
    except ImportError:
        return []
    out: list[FontFamily] = []
    try:
        families = fontpkg.families()
    except Exception:  # a broken third-party wheel must not stop the cover designer  # noqa: BLE001
        return []
    for family in families.values():
        if not _is_ofl(family.license or ""):
            continue
        upright = [f for f in family.files if f.style == "normal" and Path(f.path).exists()]
        if not upright:
            continue
        variable = next((f for f in upright if f.variable), None)
        if variable is not None:
            face = FontFace(f"family:{family.name}", str(variable.path))
        else:
            weights = tuple(sorted((f.weight or 400, str(f.path), 0) for f in upright))
            face = FontFace(f"family:{family.name}", _nearest_file(weights, 400)[1], 0, None, weights)
        out.append(FontFamily(family.name, face, "package", variable is not None))
    return out


def _font_files(directory: str) -> list[str]:
    found: list[str] = []
    for root, _dirs, files in os.walk(directory):
        found.extend(os.path.join(root, name) for name in files if name.lower().endswith(_FONT_SUFFIXES))
    return sorted(found)


def _folder_families() -> list[FontFamily]:
    """OFL families in the shipped ``resources/fonts`` and the system font folders (Debian's
    fonts-noto-cjk …), grouped by the family name in each font; italics and condensed widths are
    left out (a family is chosen upright; weight comes from ``font.weight``)."""
    from fontTools.ttLib import TTCollection, TTFont
    from fontTools.ttLib.ttFont import TTLibError

    groups: dict[str, dict] = {}
    for directory in FONT_DIRS:
        if not os.path.isdir(directory):
            continue
        for path in _font_files(directory):
            try:
                if path.lower().endswith((".ttc", ".otc")):
                    fonts = list(TTCollection(path, lazy=True).fonts)
                else:
                    fonts = [TTFont(path, lazy=True)]
            except (OSError, TTLibError, AssertionError, ValueError, KeyError):
                continue
            for index, font in enumerate(fonts):
                try:
                    names = font["name"]
                    os2 = font["OS/2"] if "OS/2" in font else None
                    family = names.getDebugName(16) or names.getDebugName(1)
                    style = (names.getDebugName(17) or names.getDebugName(2) or "").lower()
                    licence = (names.getDebugName(13) or "") + " " + (names.getDebugName(14) or "")
                    weight = int(os2.usWeightClass) if os2 is not None else 400
                    width = int(os2.usWidthClass) if os2 is not None else 5
                    italic = bool(os2 is not None and os2.fsSelection & 1) or "italic" in style or "oblique" in style
                    variable = "fvar" in font and any(axis.axisTag == "wght" for axis in font["fvar"].axes)
                except (KeyError, AttributeError, TTLibError, AssertionError, ValueError):
                    continue
                if not family or italic or width != 5 or not _is_ofl(licence):
                    continue
                group = groups.setdefault(family_key(family), {"name": family, "files": [], "variable": None,
                                                                "source": directory})
                if variable and group["variable"] is None:
                    group["variable"] = (path, index)
                group["files"].append((weight, path, index))
            for font in fonts:
                font.close()
    out: list[FontFamily] = []
    for group in groups.values():
        if group["variable"] is not None:
            path, index = group["variable"]
            face = FontFace(f"family:{group['name']}", path, index)
        else:
            weights = tuple(sorted(set(group["files"])))
            _weight, path, index = _nearest_file(weights, 400)
            face = FontFace(f"family:{group['name']}", path, index, None, weights)
        out.append(FontFamily(group["name"], face, group["source"], group["variable"] is not None))
    return out


@functools.lru_cache(maxsize=1)
def available_families() -> dict[str, FontFamily]:
    """Every OFL font family the renderer can use by name, keyed by :func:`family_key`.

    Fonts the project ships (``resources/fonts``) and installs (fontpkg wheels) come first; then
    the system's font folders.  Nothing is downloaded."""
    families: dict[str, FontFamily] = {}
    for family in _package_families() + _folder_families():
        families.setdefault(family_key(family.name), family)
    return families


def family_names() -> list[str]:
    """Names of the families :func:`available_families` found, sorted for a picker."""
    return sorted((family.name for family in available_families().values()), key=str.casefold)


def resolve_family(name: str | None) -> FontFamily | None:
    """The installed family ``name`` names (None for the automatic choice or a family not here)."""
    if is_automatic_family(name):
        return None
    return available_families().get(family_key(name or ""))


def is_missing_family(name: str | None) -> bool:
    """True when ``name`` asks for a particular family that is not installed here."""
    return not is_automatic_family(name) and resolve_family(name) is None


def family_signature(name: str | None) -> list | None:
    """What the family resolves to on this machine (files and faces), for render cache keys: the
    same layer with the family installed later, or another file, renders anew."""
    family = resolve_family(name)
    if family is None:
        return None
    face = family.face
    return [face.path, face.index, [list(item) for item in face.weight_files]]


def _nearest_file(weight_files: tuple[tuple[int, str, int], ...], wanted: int) -> tuple[int, str, int]:
    # CSS-like: the closest weight; on a tie, the heavier one for bold and up, the lighter one below.
    return min(weight_files, key=lambda item: (abs(item[0] - wanted), -item[0] if wanted >= 500 else item[0]))


def fallback_chain(language: str | None, family: str | None = None) -> list[FontFace]:
    """Fonts to try, in order, for text in ``language``: the chosen ``family`` first when it is
    installed, then the Noto chain for the language."""
    chosen = resolve_family(family)
    chain = _language_chain(language)
    if chosen is None:
        return list(chain)
    return [chosen.face] + [face for face in chain if (face.path, face.index) != (chosen.face.path, chosen.face.index)]


def _language_chain(language: str | None) -> list[FontFace]:
    faces = available_faces()
    base = (language or "en").lower().split("-")[0]
    order: list[str]
    if base in RTL_LANGUAGES:
        order = ["arabic", "latin"]
    elif base == "th":
        order = ["thai", "latin"]
    elif base in ("ja", "ko", "zh"):
        order = [_cjk_key(language), "latin"]
    else:
        order = ["latin"]
    order += ["arabic", "thai", _cjk_key(language), "cjk-sc", "cjk-ja", "cjk-ko", "dejavu"]
    seen: list[FontFace] = []
    for key in order:
        if key in faces and faces[key] not in seen:
            seen.append(faces[key])
    return seen


@functools.lru_cache(maxsize=256)
def load_font(face: FontFace, size_px: int, weight: str = "regular") -> ImageFont.FreeTypeFont:
    """A Pillow font at a pixel size and weight (variable fonts get their weight axis set)."""
    wanted = WEIGHT_VALUE.get(weight, 400)
    path, index = face.bold_path if (face.bold_path and wanted >= 700) else face.path, face.index
    if face.weight_files:
        _weight, path, index = _nearest_file(face.weight_files, wanted)
    font = ImageFont.truetype(path, max(1, int(size_px)), index=index, layout_engine=ImageFont.Layout.RAQM
                              if features.check("raqm") else ImageFont.Layout.BASIC)
    try:
        axes = font.get_variation_axes()
    except (OSError, AttributeError):
        axes = []
    if axes:
        values = []
        for axis in axes:
            name = axis["name"].decode() if isinstance(axis["name"], bytes) else str(axis["name"])
            if name.lower().startswith("weight"):
                values.append(max(axis["minimum"], min(axis["maximum"], wanted)))
            else:
                values.append(axis["default"])
        font.set_variation_by_axes(values)
    return font


def is_neutral(char: str) -> bool:
    """Spaces, digits, punctuation and symbols: they join whichever run they follow."""
    category = unicodedata.category(char)
    return category[0] in "ZPNS" or category == "Cc" or category == "Cf"


def is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def is_rtl_char(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


COMPLEX_RANGES = ((0x0590, 0x08FF), (0x0900, 0x0DFF), (0x0E00, 0x0EFF), (0x0F00, 0x109F), (0x1780, 0x17FF),
                  (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF))


def needs_complex_shaping(text: str) -> bool:
    """Arabic, Hebrew, Indic, Thai, Lao, Khmer … cannot be drawn right without raqm."""
    return any(lo <= ord(c) <= hi for c in text for lo, hi in COMPLEX_RANGES)


def is_cjk_char(char: str) -> bool:
    code = ord(char)
    return (0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF
            or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x2FFFF)


@dataclass
class Run:
    text: str
    face: FontFace | None  # None: no font has these characters (L5)


def split_runs(text: str, language: str | None, family: str | None = None) -> list[Run]:
    """Split ``text`` into runs that one font can draw each (per-run fallback): the chosen
    ``family`` where it has the glyphs, else the language's Noto chain."""
    chain = fallback_chain(language, family)
    runs: list[Run] = []
    for char in text:
        code = ord(char)
        current = runs[-1] if runs else None
        if current is not None and current.face is not None and (is_mark(char) or is_neutral(char)) \
                and code in coverage(current.face.path, current.face.index):
            current.text += char
            continue
        face = next((f for f in chain if code in coverage(f.path, f.index)), None)
        if face is None and (is_mark(char) or char in "\u200b\u200c\u200d\u200e\u200f") and current is not None:
            current.text += char
            continue
        if current is not None and current.face == face:
            current.text += char
        else:
            runs.append(Run(char, face))
    return runs


def missing_characters(text: str, language: str | None, family: str | None = None) -> list[str]:
    out: list[str] = []
    for run in split_runs(text, language, family):
        if run.face is None:
            out.extend(c for c in run.text if not c.isspace() and c not in out)
    return out


def paragraph_direction(text: str, direction: str, language: str | None) -> str:
    if direction in ("ltr", "rtl"):
        return direction
    for char in text:
        bidi = unicodedata.bidirectional(char)
        if bidi in ("R", "AL"):
            return "rtl"
        if bidi == "L":
            return "ltr"
    return "rtl" if (language or "").split("-")[0].lower() in RTL_LANGUAGES else "ltr"


@dataclass
class PlacedRun:
    text: str
    font: ImageFont.FreeTypeFont | None
    x: float  # left edge of the run within the line
    width: float
    direction: str


@dataclass
class Line:
    runs: list[PlacedRun]
    width: float
    ascent: float
    descent: float


@dataclass
class TextLayout:
    """Lines at one font size; ``fits`` tells whether the box holds them."""

    size_px: int
    lines: list[Line]
    width: float
    height: float
    line_gap: float
    direction: str
    fits: bool = True
    missing: list[str] = field(default_factory=list)


_RAQM = None


def has_raqm() -> bool:
    global _RAQM
    if _RAQM is None:
        _RAQM = bool(features.check("raqm"))
    return _RAQM


# What raqm takes as a language: a BCP 47 tag.  Anything else (a NUL from a hand-edited file, a
# stray word) is left out — the text is still shaped, by script — instead of raising from Pillow.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def _shape_kwargs(direction: str, language: str | None) -> dict:
    if not has_raqm():
        return {}
    kwargs = {"direction": direction}
    if language and _LANGUAGE_TAG.fullmatch(language.replace("_", "-")):
        kwargs["language"] = language
    return kwargs


def _layout_line(text: str, size_px: int, weight: str, language: str | None, direction: str,
                 family: str | None = None) -> Line:
    runs: list[Run] = []
    for run in split_runs(text, language, family):
        # Spaces after an opposite-direction run belong to the paragraph's direction, or they end up
        # on the wrong side ("تخفيضات Giảm" would touch).
        stripped = run.text.rstrip(" ")
        opposite = any(is_rtl_char(c) for c in run.text) != (direction == "rtl")
        if run.face is not None and opposite and stripped and stripped != run.text:
            runs.append(Run(stripped, run.face))
            runs.append(Run(run.text[len(stripped):], run.face))
        else:
            runs.append(run)
    placed: list[PlacedRun] = []
    ascent = descent = 0.0
    # Visual order: right-to-left paragraphs place runs from the right.
    ordered = list(reversed(runs)) if direction == "rtl" else runs
    x = 0.0
    for run in ordered:
        if run.face is None:
            font = None
            width = size_px * 0.6 * len(run.text)
        else:
            font = load_font(run.face, size_px, weight)
            run_dir = "rtl" if (direction == "rtl" or any(is_rtl_char(c) for c in run.text)) else "ltr"
            kwargs = _shape_kwargs(run_dir, language)
            width = font.getlength(run.text, **kwargs)
            # Real glyph bounds, not the font's line metrics: Noto Sans Arabic's metrics are ~2 em tall,
            # while Vietnamese/Thai stacked marks can rise above the nominal ascent.
            if run.text.strip():
                _left, top, _right, bottom = font.getbbox(run.text, anchor="ls", **kwargs)
                ascent, descent = max(ascent, -top), max(descent, bottom)
        placed.append(PlacedRun(run.text, font, x, width, "rtl" if direction == "rtl" else "ltr"))
        x += width
    # Keep a steady rhythm between lines whatever the letters (no jumping baselines for "ace" vs "Ấy").
    ascent, descent = max(ascent, size_px * 0.8), max(descent, size_px * 0.22)
    return Line(placed, x, ascent, descent)


def _wrap_units(text: str) -> list[str]:
    """Break opportunities: after spaces, between Thai words (dictionary word breaking, see
    :mod:`cover_designer.wordbreak`), and between CJK characters only when the text has no spaces."""
    units: list[str] = []
    for unit in _space_units(text):
        core = unit.rstrip(" ")
        if not needs_word_breaking(core):
            units.append(unit)
            continue
        pieces = list(words(core)) or [core]
        pieces[-1] += unit[len(core):]  # the space stays at the end of the last word
        units.extend(pieces)
    return units


def _space_units(text: str) -> list[str]:
    """Break opportunities: after spaces; between CJK characters only when the text has no spaces
    (a spaced Japanese phrase such as "本日限定セール 送料無料" breaks at its space)."""
    if " " in text.strip():
        parts = text.split(" ")
        return [part + " " for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    units: list[str] = []
    buffer = ""
    for char in text:
        if char == " ":
            buffer += char
            units.append(buffer)
            buffer = ""
        elif is_cjk_char(char) and buffer and not buffer.endswith(" ") and unicodedata.category(char)[0] != "P":
            units.append(buffer)
            buffer = char
        else:
            buffer += char
    if buffer:
        units.append(buffer)
    return units


def _cjk_units(text: str) -> list[str]:
    units: list[str] = []
    for char in text:
        if units and (not is_cjk_char(char) or unicodedata.category(char)[0] == "P") and not units[-1].endswith(" "):
            units[-1] += char  # keep Latin words and closing punctuation with what precedes them
        else:
            units.append(char)
    return units


def layout_text(text: str, box_w: float, box_h: float, size_px: int, min_size_px: int, weight: str,
                language: str | None, direction: str, max_lines: int, auto_fit: bool,
                family: str | None = None) -> TextLayout:
    """Lay ``text`` out in a box, shrinking from ``size_px`` to ``min_size_px`` until it fits.
    ``family`` (a ``font.family``) is tried first for every character; see :func:`fallback_chain`.
    Control characters other than line breaks and tabs (a NUL from a spreadsheet cell) are dropped:
    they draw nothing, and Pillow refuses a NUL outright."""
    text = _CONTROLS.sub("", text)
    par_dir = paragraph_direction(text, direction, language)
    missing = missing_characters(text, language, family)
    size = max(1, int(size_px))
    floor = max(1, int(min(min_size_px, size_px)))
    while True:
        layout = _layout_at(text, box_w, size, weight, language, par_dir, max_lines, family)
        layout.missing = missing
        layout.fits = layout.width <= box_w + 0.5 and layout.height <= box_h + 0.5 and len(layout.lines) <= max_lines
        if layout.fits or not auto_fit or size <= floor:
            return layout
        size = max(floor, int(size * 0.92))


def _layout_at(text: str, box_w: float, size: int, weight: str, language: str | None, direction: str,
               max_lines: int, family: str | None = None) -> TextLayout:
    # Every Unicode line break ends a line (the shaper fails on U+2028/U+2029 inside one).
    paragraphs = _LINE_BREAKS.split(text)
    lines: list[Line] = []
    for paragraph in paragraphs:
        units = []
        for unit in _wrap_units(paragraph):
            # A single spaced chunk wider than the box may still break between CJK characters.
            if any(is_cjk_char(c) for c in unit) and _layout_line(unit.rstrip(), size, weight, language, direction,
                                                                  family).width > box_w:
                units.extend(_cjk_units(unit))
            else:
                units.append(unit)
        current = ""
        for unit in units:
            trial = current + unit
            if current and _layout_line(trial.rstrip(), size, weight, language, direction, family).width > box_w:
                lines.append(_layout_line(current.rstrip(), size, weight, language, direction, family))
                current = unit
            else:
                current = trial
        lines.append(_layout_line(current.rstrip(), size, weight, language, direction, family))
    gap = size * 0.12
    height = sum(line.ascent + line.descent for line in lines) + gap * (len(lines) - 1)
    width = max((line.width for line in lines), default=0.0)
    return TextLayout(size, lines, width, height, gap, direction)


def draw_layout(draw, layout: TextLayout, origin_x: float, origin_y: float, box_w: float, align: str,
                fill, language: str | None, stroke_width: int = 0, stroke_fill=None) -> None:
    """Draw laid-out lines with their top-left box corner at ``origin``."""
    y = origin_y
    for line in layout.lines:
        if align == "center":
            x0 = origin_x + (box_w - line.width) / 2
        elif align == "right":
            x0 = origin_x + box_w - line.width
        else:
            x0 = origin_x
        baseline = y + line.ascent
        for run in line.runs:
            if run.font is None:
                # No font has these characters: draw boxes (tofu) so the gap is visible; lint L5 errors.
                step = layout.size_px * 0.6
                # The box's margins shrink with the text, so a tiny size (a card drawn small) still has a box.
                inset = min(2.0, step / 6)
                for i, _char in enumerate(run.text):
                    left = x0 + run.x + i * step
                    draw.rectangle([left + inset, baseline - layout.size_px * 0.7, left + step - 2 * inset, baseline],
                                   outline=fill, width=max(1, layout.size_px // 20))
                continue
            kwargs = _shape_kwargs(run.direction, language)
            run_dir = "rtl" if any(is_rtl_char(c) for c in run.text) or run.direction == "rtl" else "ltr"
            if kwargs:
                kwargs["direction"] = run_dir
            draw.text((x0 + run.x, baseline), run.text, font=run.font, fill=fill, anchor="ls",
                      stroke_width=stroke_width, stroke_fill=stroke_fill, **kwargs)
        y += line.ascent + line.descent + layout.line_gap


def resolve_align(align: str, direction: str) -> str:
    if align == "start":
        return "right" if direction == "rtl" else "left"
    if align == "end":
        return "left" if direction == "rtl" else "right"
    return align


def no_fonts_message() -> str:
    return _("No usable fonts found; install the Noto font packages (see the set-up notes).")
