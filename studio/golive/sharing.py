"""Which encoder each output takes: encode each canvas once, share the packets.

:func:`plan_layers` turns a :class:`~studio.golive.plan.GoLivePlan` into the layers of each
canvas's encoding and, for every output, the layer (rid) it takes:

- the WHIP destination takes its simulcast ladder on the horizontal canvas (h = the canvas);
- an RTMP destination on the horizontal canvas with no bitrate of its own, or with the top
  layer's bitrate, takes the top layer's very packets — no second encode;
- a destination asking for another bitrate gets an encoder of its own at the canvas size,
  shared by every destination that asks for the same bitrate;
- vertical destinations share one encoder per distinct bitrate on the vertical canvas;
- the recording takes the horizontal top layer.

Pure arithmetic, no threads: unit-tested on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from encoders.ladder import LayerSpec, default_ladder, ladder_bitrate_bps
from studio.golive.plan import GoLivePlan
from studio.scene import CanvasRole


@dataclass
class LayerPlan:
    """The outcome: layers per canvas (top first) and the rid each output takes."""

    layers: dict[CanvasRole, list[LayerSpec]] = field(default_factory=dict)
    whip_rids: list[str] = field(default_factory=list)
    rtmp_rids: dict[str, tuple[CanvasRole, str]] = field(default_factory=dict)  # target id -> (canvas, rid)
    record_rid: str | None = None

    def shared_by(self, canvas: CanvasRole, rid: str) -> int:
        """How many outputs take this layer (the recording counts)."""
        count = sum(1 for role, taken in self.rtmp_rids.values() if role is canvas and taken == rid)
        if canvas is CanvasRole.HORIZONTAL:
            count += (rid in self.whip_rids) + (rid == self.record_rid)
        return count


def whip_ladder(width: int, height: int, fps: float, rids: tuple[str, ...] | list[str] | None,
                simulcast: str = "rid") -> list[LayerSpec]:
    """The default ladder for a canvas, restricted to ``rids`` (all when empty); one layer when
    simulcast is off."""
    ladder = default_ladder(width, height, fps)
    wanted = set(rids or ("h", "m", "l"))
    chosen = [layer for layer in ladder if layer.rid in wanted] or ladder[:1]
    return chosen[:1] if simulcast == "off" else chosen


def plan_layers(plan: GoLivePlan, canvas: tuple[int, int], fps: float) -> LayerPlan:
    """Layers for the horizontal ``canvas`` (width, height) and ``plan.vertical_canvas``."""
    width, height = canvas
    result = LayerPlan()
    horizontal: list[LayerSpec] = []
    if plan.whip is not None:
        horizontal = whip_ladder(width, height, fps, plan.whip.layers, plan.whip.simulcast)
        result.whip_rids = [layer.rid for layer in horizontal]
    top = horizontal[0] if horizontal and (horizontal[0].width, horizontal[0].height) == (width, height) else None

    def canvas_top() -> LayerSpec:
        nonlocal top
        if top is None:
            top = default_ladder(width, height, fps)[0]
            horizontal.insert(0, top)
        return top

    def layer_for(layers: list[LayerSpec], prefix: str, size: tuple[int, int], bitrate_bps: int) -> LayerSpec:
        for layer in layers:
            if (layer.width, layer.height, layer.bitrate_bps) == (*size, bitrate_bps):
                return layer
        taken = {layer.rid for layer in layers}
        number = 1
        rid = prefix if prefix not in taken else f"{prefix}{number}"
        while rid in taken:
            number += 1
            rid = f"{prefix}{number}"
        layer = LayerSpec(rid=rid, width=size[0], height=size[1], bitrate_bps=bitrate_bps, fps=fps)
        layers.append(layer)
        return layer

    vertical: list[LayerSpec] = []
    vertical_size = plan.vertical_canvas
    for target in plan.rtmp:
        if target.canvas is CanvasRole.VERTICAL:
            bitrate = target.bitrate_bps or ladder_bitrate_bps(*vertical_size, fps)
            result.rtmp_rids[target.id] = (CanvasRole.VERTICAL, layer_for(vertical, "v", vertical_size, bitrate).rid)
            continue
        if target.bitrate_bps is None or (top is not None and target.bitrate_bps == top.bitrate_bps):
            chosen = canvas_top()
        else:
            chosen = layer_for(horizontal, "r", (width, height), target.bitrate_bps)
        result.rtmp_rids[target.id] = (CanvasRole.HORIZONTAL, chosen.rid)
    if plan.recording is not None:
        result.record_rid = canvas_top().rid
    if horizontal:
        result.layers[CanvasRole.HORIZONTAL] = horizontal
    if vertical:
        result.layers[CanvasRole.VERTICAL] = vertical
    return result
