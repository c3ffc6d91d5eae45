"""The picture tools a scene item can carry (``SceneItem.filters``), as typed, validated models:
chroma key, colour correction, a ``.cube`` look, sharpen, virtual background, beauty.  Applied by
:mod:`studio.compositor.filters`; saved with the scene (``studio.scene`` re-exports them)."""
from __future__ import annotations

import enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ChromaKey(_Model):
    """Green/blue screen: pixels near ``color`` in chroma become transparent (as OBS's chroma key:
    ``similarity`` and ``smoothness`` on the Cb/Cr distance, 0..1; ``spill`` desaturates the key
    colour's fringe)."""

    kind: Literal["chroma_key"] = "chroma_key"
    color: str = Field("#00FF00", pattern=r"^#[0-9A-Fa-f]{6}$")
    similarity: float = Field(0.4, ge=0.0, le=1.0)
    smoothness: float = Field(0.08, ge=0.001, le=1.0)
    spill: float = Field(0.1, ge=0.001, le=1.0)


class ColorCorrection(_Model):
    kind: Literal["color"] = "color"
    brightness: float = Field(0.0, ge=-1.0, le=1.0)
    contrast: float = Field(0.0, ge=-1.0, le=1.0)
    saturation: float = Field(1.0, ge=0.0, le=3.0)
    gamma: float = Field(1.0, ge=0.1, le=3.0)


class LutLook(_Model):
    """A colour look from a ``.cube`` 3D LUT file (Adobe/Resolve format), mixed in by ``amount``."""

    kind: Literal["lut"] = "lut"
    path: str = Field(..., min_length=1, max_length=4096)
    amount: float = Field(1.0, ge=0.0, le=1.0)


class Sharpen(_Model):
    kind: Literal["sharpen"] = "sharpen"
    amount: float = Field(0.5, ge=0.0, le=3.0)


class BackgroundMode(enum.StrEnum):
    """What the virtual background puts behind the person."""

    BLUR = "blur"  # the camera's own background, blurred
    IMAGE = "image"  # a picture file, filled to the item's size
    COLOR = "color"  # one colour


class VirtualBackground(_Model):
    """Background blur or replacement without a green screen (person segmentation,
    :mod:`studio.compositor.segmentation`); ``strength`` is the blur's amount (0..1)."""

    kind: Literal["virtual_background"] = "virtual_background"
    mode: BackgroundMode = BackgroundMode.BLUR
    strength: float = Field(0.6, ge=0.0, le=1.0)
    image_path: str = Field("", max_length=4096)
    color: str = Field("#1E6B52", pattern=r"^#[0-9A-Fa-f]{6}$")


class Beauty(_Model):
    """Skin smoothing and brightening on the detected face (:mod:`studio.compositor.beauty`)."""

    kind: Literal["beauty"] = "beauty"
    strength: float = Field(0.5, ge=0.0, le=1.0)
    brightening: float = Field(0.3, ge=0.0, le=1.0)


ItemFilter = Annotated[ChromaKey | ColorCorrection | LutLook | Sharpen | VirtualBackground | Beauty,
                       Field(discriminator="kind")]
MAX_FILTERS = 8
