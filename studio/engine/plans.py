"""A scene's render plan: what the compositors draw, as immutable layer lists.

Pure functions of the show's data (no engine state), so a plan can be built under the
engine's lock and swapped into a compositor atomically.
"""
from __future__ import annotations

from studio.compositor import LayerPlan
from studio.scene import Canvas, ItemTransform, Scene, SceneItem, VerticalCanvas, VerticalLayout, vertical_transform


def _layer(item: SceneItem, placed: SceneItem | ItemTransform) -> LayerPlan:
    crop = placed.crop
    return LayerPlan(item_id=item.id, source_id=item.source_id, x=placed.x, y=placed.y, width=placed.width,
                     height=placed.height, crop=(crop.left, crop.top, crop.right, crop.bottom), opacity=item.opacity,
                     filters=tuple(item.filters))


def horizontal_plan(scene: Scene | None) -> tuple[LayerPlan, ...]:
    """The horizontal program's layers: the scene's visible items, bottom first."""
    if scene is None:
        return ()
    return tuple(_layer(item, item) for item in scene.items if item.is_visible and item.opacity > 0)


def vertical_plan(scene: Scene | None, canvas: Canvas, vertical: VerticalCanvas | None) -> tuple[LayerPlan, ...]:
    """The vertical layers of a "manual" scene (an "auto" scene is cut from the horizontal program)."""
    if scene is None or vertical is None or scene.vertical_layout is not VerticalLayout.MANUAL:
        return ()
    plan = []
    for item in scene.items:
        if not item.is_visible or item.opacity <= 0:
            continue
        placed = vertical_transform(item, canvas, vertical)
        if placed.is_visible:
            plan.append(_layer(item, placed))
    return tuple(plan)
