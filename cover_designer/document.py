"""The cover document: a typed, versioned list of layers (JSON on disk).

Positions are anchored, not absolute: each layer's frame names an anchor on the canvas (or on the
preset's safe area) and offsets/sizes as fractions of it, so one design re-lays out for 16:9, 9:16
and 1:1 by its anchors instead of being stretched.  ``frame_by_aspect`` may override the frame for
"landscape", "portrait" or "square" canvases.

Schema history (``migrate`` brings older files up to date; they still load):

- 1: the first version.
- 2: ``rotation_deg`` on every layer (clockwise, about the box centre), ``zoom`` on image layers,
  and ``cover_set`` (the crops of a multi-cover set such as Lazada's three covers).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from studio.core import limits
from studio.core.i18n import _

from .errors import DocumentError

SCHEMA_VERSION = 2

Color = Annotated[str, Field(pattern=r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")]
Anchor = Literal["top_left", "top", "top_right", "left", "center", "right", "bottom_left", "bottom", "bottom_right"]
ANCHOR_POINTS: dict[str, tuple[float, float]] = {
    "top_left": (0, 0), "top": (0.5, 0), "top_right": (1, 0),
    "left": (0, 0.5), "center": (0.5, 0.5), "right": (1, 0.5),
    "bottom_left": (0, 1), "bottom": (0.5, 1), "bottom_right": (1, 1),
}
MIRRORED_ANCHOR = {a: a.replace("left", "§").replace("right", "left").replace("§", "right") for a in ANCHOR_POINTS}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Frame(_Model):
    """Where a layer sits: ``anchor`` point of the layer box placed at the same anchor of the
    reference area, moved by ``dx``/``dy`` (fractions of the area); size ``w``×``h`` as fractions.
    ``aspect`` (w/h) keeps e.g. QR codes and logos square inside that box."""

    anchor: Anchor = "center"
    dx: float = Field(0.0, ge=-1, le=1)
    dy: float = Field(0.0, ge=-1, le=1)
    w: float = Field(1.0, gt=0, le=2)
    h: float = Field(1.0, gt=0, le=2)
    relative_to: Literal["canvas", "safe"] = "canvas"
    aspect: float | None = Field(None, gt=0)


class Shadow(_Model):
    dx: float = 4
    dy: float = 4
    blur: float = Field(6, ge=0, le=64)
    color: Color = "#00000099"


class Stroke(_Model):
    width: float = Field(4, ge=0, le=64)
    color: Color = "#000000"


class Plate(_Model):
    color: Color = "#000000B3"
    padding: float = Field(0.2, ge=0, le=2)  # fraction of the font size
    radius: float = Field(0.3, ge=0, le=2)  # fraction of the font size


class Font(_Model):
    # "sans" (or empty): the Noto fonts for the text's language.  Any other value names a family
    # ("Noto Serif CJK JP"); it is drawn first where installed, the Noto chain fills what it lacks,
    # and a family missing here falls back with an L5 warning.
    family: str = Field("sans", max_length=200, description=(
        "Font family name, e.g. \"Noto Sans\" or \"Noto Serif CJK JP\"; \"sans\" picks the Noto fonts for the "
        "text's language. Characters the family lacks fall back to Noto; a family that is not installed is "
        "drawn with the fallback and reported by lint (L5)."))
    weight: Literal["regular", "medium", "bold", "black"] = "bold"
    size: float = Field(96, gt=0, le=1000)  # px on a 1080×1080 canvas; scaled by sqrt(width × height) / 1080
    min_size: float = Field(24, gt=0, le=1000)


def bounded_text(text: str) -> str:
    """``text`` if a cover can lay it out in bounded time; ``DocumentError`` in words otherwise."""
    if len(text) > limits.MAX_COVER_TEXT_CHARS:
        raise DocumentError(_("A text on a cover is at most {limit} characters; this one has {count}.").format(
            limit=limits.MAX_COVER_TEXT_CHARS, count=len(text)))
    return text


def bounded_qr_payload(data: str) -> str:
    """``data`` if a QR code can hold it; ``DocumentError`` in words otherwise."""
    size = len(data.encode("utf-8", "surrogatepass"))
    if size > limits.MAX_QR_PAYLOAD_BYTES:
        raise DocumentError(_("A QR code holds at most {limit} bytes; this link has {count}. Use a shorter link.").format(
            limit=limits.MAX_QR_PAYLOAD_BYTES, count=size))
    return data


class LayerBase(_Model):
    id: str = ""
    name: str = ""
    hidden: bool = False
    locked: bool = False
    z: int = 0
    opacity: float = Field(1.0, ge=0, le=1)
    frame: Frame = Frame()
    frame_by_aspect: dict[Literal["landscape", "portrait", "square"], Frame] = {}
    # Mirroring for right-to-left layouts moves positions; these layers stay where they are.
    mirror_exempt: bool = False
    # Clockwise degrees on screen, about the centre of the layer's box (mirrored layouts turn the other way).
    rotation_deg: float = Field(0.0, ge=-360, le=360)


class TextLayer(LayerBase):
    type: Literal["text"] = "text"
    text: str
    role: Literal["headline", "subhead", "body", "caption"] = "headline"
    font: Font = Font()
    color: Color = "#FFFFFF"
    stroke: Stroke | None = None
    shadow: Shadow | None = None
    plate: Plate | None = None
    align: Literal["start", "left", "center", "right", "end"] = "center"
    valign: Literal["top", "middle", "bottom"] = "middle"
    auto_fit: bool = True
    max_lines: int = Field(3, ge=1, le=20)
    direction: Literal["auto", "ltr", "rtl"] = "auto"
    language: str | None = None  # BCP 47, e.g. "ar", "th", "vi", "ja"
    uppercase: bool = False

    _bounded = field_validator("text")(classmethod(lambda cls, text: bounded_text(text)))


class ImageLayer(LayerBase):
    type: Literal["image"] = "image"
    src: str = ""  # path or "{product_image}"; empty → placeholder
    fit: Literal["fill", "fit", "crop"] = "fill"
    focal_x: float = Field(0.5, ge=0, le=1)
    focal_y: float = Field(0.5, ge=0, le=1)
    remove_background: bool = False
    # > 1 crops closer around the focal point (cover-set variants use it for close-ups).
    zoom: float = Field(1.0, ge=1, le=8)
    corner_radius: float = Field(0, ge=0, le=0.5)  # fraction of the shorter side
    # Where the face/subject is, as fractions of this layer's box (L1 keeps it out of unsafe zones).
    face: tuple[float, float, float, float] | None = None
    placeholder_color: Color = "#DADDE2"


class LogoLayer(ImageLayer):
    type: Literal["logo"] = "logo"  # type: ignore[assignment]
    fit: Literal["fill", "fit", "crop"] = "fit"
    mirror_exempt: bool = True


class ShapeLayer(LayerBase):
    type: Literal["shape"] = "shape"
    shape: Literal["rect", "pill", "circle", "burst", "ribbon"] = "pill"
    fill: Color = "#E53935"
    outline: Color | None = None
    outline_width: float = Field(0, ge=0, le=64)
    text: str = ""
    text_color: Color = "#FFFFFF"
    font: Font = Font(size=56, min_size=16)
    language: str | None = None

    _bounded = field_validator("text")(classmethod(lambda cls, text: bounded_text(text)))


class PriceLayer(LayerBase):
    type: Literal["price"] = "price"
    amount: str = "{price}"
    original: str | None = "{original_price}"
    currency: str = "{currency}"
    locale: str = "{locale}"
    color: Color = "#FFFFFF"
    original_color: Color = "#FFFFFFB3"
    font: Font = Font(size=110, min_size=24)
    plate: Plate | None = Plate(color="#E53935")
    align: Literal["start", "left", "center", "right", "end"] = "center"


class QRLayer(LayerBase):
    type: Literal["qr"] = "qr"
    data: str = "{share_url}"
    foreground: Color = "#000000"
    background: Color = "#FFFFFF"
    mirror_exempt: bool = True

    _bounded = field_validator("data")(classmethod(lambda cls, data: bounded_qr_payload(data)))


class Background(_Model):
    color: Color = "#FFFFFF"
    gradient_to: Color | None = None
    gradient_angle: float = 90  # degrees; 90 = top→bottom


Layer = Annotated[Union[TextLayer, ImageLayer, LogoLayer, ShapeLayer, PriceLayer, QRLayer], Field(discriminator="type")]


class CoverVariant(_Model):
    """One cover of a multi-cover set (Lazada wants three): the same design, another crop of its photos.

    ``zoom`` multiplies each image layer's own zoom; ``focal_x``/``focal_y``, when set, replace the
    image layers' focal points (fractions of the photo)."""

    name: str = ""
    zoom: float = Field(1.0, ge=1, le=8)
    focal_x: float | None = Field(None, ge=0, le=1)
    focal_y: float | None = Field(None, ge=0, le=1)


class CoverDocument(_Model):
    """A cover design: background, ordered layers (later = above unless ``z`` says otherwise)."""

    schema_version: Literal[2] = SCHEMA_VERSION
    id: str = ""
    name: str = ""
    region: str | None = None
    category: str | None = None
    preset: str = "youtube"
    language: str = "en"
    direction: Literal["ltr", "rtl"] = "ltr"
    background: Background = Background()
    variables: dict[str, str] = {}
    layers: list[Layer] = []
    # Crops for presets that take several covers (empty: the built-in full / close-up / detail set).
    cover_set: list[CoverVariant] = Field(default_factory=list, max_length=10)

    @field_validator("layers")
    @classmethod
    def _ids(cls, layers: list) -> list:
        for index, layer in enumerate(layers):
            if not layer.id:
                layer.id = f"{layer.type}{index + 1}"
        return layers

    def ordered_layers(self) -> list:
        """Layers bottom to top (stable by ``z`` then list order)."""
        return [layer for _i, layer in sorted(enumerate(self.layers), key=lambda pair: (pair[1].z, pair[0]))]

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_defaults=False)


_LAYER_TAGS = {"text", "image", "logo", "shape", "price", "qr"}


def json_path(loc: tuple) -> str:
    """``('layers', 3, 'text', 'font', 'size')`` → ``layers[3].font.size``."""
    out = ""
    previous: Any = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(previous, int) and part in _LAYER_TAGS:
            pass  # the discriminator's own name, not a key in the file
        elif str(part).startswith("function-"):
            pass
        else:
            out += ("." if out else "") + str(part)
        previous = part
    return out or "$"


def _from_v1(data: dict) -> dict:
    # Version 2 only added fields whose defaults (no rotation, no zoom, built-in cover set) keep the look.
    return data


# version → function bringing a decoded document from that version to the next.
MIGRATIONS = {1: _from_v1}


def migrate(data: dict) -> dict:
    """A copy of a decoded document brought up to ``SCHEMA_VERSION`` (older versions only)."""
    version = data.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        raise DocumentError(_("Unsupported schema version {version} (this program reads version {supported}).").format(
            version=version, supported=SCHEMA_VERSION), "schema_version")
    data = dict(data)
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["schema_version"] = version
    return data


def parse_document(data: Any) -> CoverDocument:
    """Validate a decoded JSON object (any older schema version is migrated first); errors name the
    JSON path of the first problem."""
    if not isinstance(data, dict):
        raise DocumentError(_("A cover document must be a JSON object."), "$")
    _check_depth(data)
    data = migrate(data)
    try:
        return CoverDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = json_path(tuple(first["loc"]))
        ours = (first.get("ctx") or {}).get("error")
        if isinstance(ours, DocumentError):  # our own words, not pydantic's "Value error, …"
            raise DocumentError(ours.message, path) from None
        raise DocumentError(_("Invalid value: {reason}.").format(reason=first["msg"]), path) from None


def _check_depth(data: Any) -> None:
    """Refuse nesting deeper than any cover has (walked without recursion, so any depth is safe)."""
    if limits.nested_deeper_than(data):
        raise DocumentError(_("The cover document is nested more than {limit} levels deep; it is not a cover.").format(
            limit=limits.MAX_JSON_DEPTH), "$")


def load_document(path: str | Path) -> CoverDocument:
    """Read a cover JSON file."""
    try:
        with Path(path).open("rb") as file:
            raw = file.read(limits.MAX_COVER_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise DocumentError(_("Cannot read the cover file “{path}”: {reason}").format(
            path=path, reason=exc.strerror or exc)) from None
    if len(raw) > limits.MAX_COVER_DOCUMENT_BYTES:
        raise DocumentError(_("The cover file “{path}” is larger than {limit} MB; it is not a cover document.").format(
            path=path, limit=limits.MAX_COVER_DOCUMENT_BYTES // 1_000_000))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DocumentError(_("The cover file “{path}” is not text (UTF-8); it is not a cover document.").format(
            path=path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(_("The cover file is not valid JSON (line {line}, column {column}).").format(
            line=exc.lineno, column=exc.colno), "$") from None
    except RecursionError:
        raise DocumentError(_("The cover document is nested more than {limit} levels deep; it is not a cover.").format(
            limit=limits.MAX_JSON_DEPTH), "$") from None
    return parse_document(data)


_VARIABLE = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


def fill(text: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` with values; unknown names stay visible so lint can point at them."""
    return _VARIABLE.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


def variables_used(doc: CoverDocument) -> set[str]:
    found: set[str] = set()
    for layer in doc.layers:
        for value in layer.model_dump().values():
            if isinstance(value, str):
                found.update(_VARIABLE.findall(value))
    return found


def json_schema() -> dict:
    return CoverDocument.model_json_schema()
