"""Finding fonts for engine-drawn text (slates, labels) without Qt, and checking that the
scripts the region packs write in have fonts.

Prefers fonts shipped in ``resources/fonts``, then system Noto CJK (Simplified Chinese
face) which also covers Latin, then DejaVu, then Pillow's built-in bitmap font.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from studio.core.i18n import N_

RESOURCE_FONTS = Path(__file__).resolve().parent.parent / "resources" / "fonts"
# (path, face index) candidates; index 2 of Noto Sans CJK .ttc is Simplified Chinese.
_CANDIDATES: list[tuple[str, int]] = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
]


@functools.lru_cache(maxsize=1)
def ui_font_path() -> tuple[str, int] | None:
    for path in sorted(RESOURCE_FONTS.glob("*.tt[cf]")) + sorted(RESOURCE_FONTS.glob("*.otf")):
        return str(path), 0
    for path, index in _CANDIDATES:
        if Path(path).exists():
            return path, index
    return None


@functools.lru_cache(maxsize=32)
def ui_font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = ui_font_path()
    if found is None:
        return ImageFont.load_default(size=size_px)
    return ImageFont.truetype(found[0], size_px, index=found[1])


# ---------------------------------------------------------------- scripts the region packs write in
# A few words of each script the region packs use (what the covers and cards actually say, marks
# included: Vietnamese stacks two diacritics, Thai has tone marks above vowels).
SCRIPT_SAMPLES: dict[str, str] = {
    "latin": "Sale New Arrival Ää Öö Üü ß Ññ Çç Ãã",
    "vietnamese": "Giảm giá Ấy Ữ đặc biệt",
    "thai": "ลดราคาพิเศษวันนี้เท่านั้น",
    "arabic": "تخفيضات كبيرة اليوم",
    "japanese": "本日限定セール",
    "korean": "오늘만 특가 세일",
    "chinese": "今日特价新品",
}
SCRIPT_NAMES: dict[str, str] = {
    "latin": N_("Latin"), "vietnamese": N_("Vietnamese"), "thai": N_("Thai"), "arabic": N_("Arabic"),
    "japanese": N_("Japanese"), "korean": N_("Korean"), "chinese": N_("Chinese"),
}
_LANGUAGE_SCRIPT = {"vi": "vietnamese", "th": "thai", "ar": "arabic", "fa": "arabic", "ur": "arabic",
                    "ja": "japanese", "ko": "korean", "zh": "chinese"}


def language_script(language: str) -> str:
    """The script (a key of ``SCRIPT_SAMPLES``) a BCP 47 language is written in."""
    return _LANGUAGE_SCRIPT.get(language.lower().split("-")[0], "latin")


@dataclass(frozen=True)
class ScriptCoverage:
    """Whether the renderer's fonts draw a script's sample: ``missing`` lists the characters no font has."""

    script: str
    language: str
    regions: tuple[str, ...]
    font_paths: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def is_covered(self) -> bool:
        return not self.missing


def region_script_coverage() -> list[ScriptCoverage]:
    """Every script a region pack supports, checked against the fonts the cover renderer falls back
    through (glyphs read from each font's cmap with fontTools; no Qt)."""
    from cover_designer.regions import REGIONS
    from cover_designer.text import missing_characters, split_runs

    languages: dict[str, tuple[str, list[str]]] = {}  # script → (a language written in it, regions)
    for pack in REGIONS.values():
        for language in pack.languages:
            script = language_script(language.code)
            _language, regions = languages.setdefault(script, (language.code, []))
            if pack.id not in regions:
                regions.append(pack.id)
    out: list[ScriptCoverage] = []
    for script, (language, regions) in languages.items():
        sample = SCRIPT_SAMPLES[script]
        paths = tuple(dict.fromkeys(run.face.path for run in split_runs(sample, language) if run.face is not None))
        out.append(ScriptCoverage(script, language, tuple(regions), paths,
                                  tuple(missing_characters(sample, language))))
    return out


def renderer_font_files() -> list[str]:
    """The font files the cover renderer and the on-screen cards draw with (shipped, installed as
    packages or the system's), for the desktop app to register with its toolkit so text fields and
    lists show the same scripts the canvas does."""
    from cover_designer.text import available_faces

    paths: list[str] = []
    for face in available_faces().values():
        for path in (face.path, face.bold_path):
            if path and path not in paths and Path(path).exists():
                paths.append(path)
    found = ui_font_path()
    if found is not None and found[0] not in paths:
        paths.append(found[0])
    return paths
