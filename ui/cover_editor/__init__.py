"""The cover designer window and its panels (Qt views over ``cover_designer``).

One module per job: ``window`` assembles the docks around the canvas; ``toolbar``,
``layers_panel``, ``properties_panel``, ``lint_panel``, ``phone_preview``, ``export_panel`` and
``gallery`` are the views; ``edits`` (undo steps), ``layer_commands``, ``files`` (open, save,
autosave, recovery) and ``rendering`` (off-thread renders, newest wins) are the controllers.
The document edits, geometry and export plan need no Qt and live in ``cover_designer``.

The names below were importable from the single ``ui.cover_editor`` module this package replaces
and stay importable from here.
"""
from __future__ import annotations

from cover_designer.editing import (
    ALIGN_SIDES, NEW_LAYER_KINDS, aligned_frame, duplicated_layer, edit_layer, new_layer,
)
from cover_designer.export_plan import export_covers
from cover_designer.geometry import (
    HANDLE_SIDES, MIN_BOX_PX, ROTATION_SNAP_DEG, active_frame, frame_for_rect, frame_key, handle_points, moved_frame,
    reanchored_frame, reference_area, resized_rect, rotation_from_drag, snap_offset, snap_resize, snap_turned_resize,
    with_frame,
)
from ui.cover_canvas import GUIDE_GRAB_PX, HANDLE_PX, ROTATE_HANDLE_PX, SNAP_DISTANCE_PX, CoverCanvas
from ui.cover_editor.files import AUTOSAVE_DELAY_MS
from ui.cover_editor.gallery import THUMBNAIL_PX, TemplateGallery, template_thumbnail
from ui.cover_editor.phone_preview import PhoneFeedPreview
from ui.cover_editor.rendering import RenderOutput, render_snapshot
from ui.cover_editor.window import CoverEditorWindow
from ui.cover_model import CoverEditorModel, DocumentCommand

__all__ = [
    "ALIGN_SIDES", "NEW_LAYER_KINDS", "aligned_frame", "duplicated_layer", "edit_layer", "new_layer", "export_covers",
    "HANDLE_SIDES", "MIN_BOX_PX", "ROTATION_SNAP_DEG", "active_frame", "frame_for_rect", "frame_key", "handle_points",
    "moved_frame", "reanchored_frame", "reference_area", "resized_rect", "rotation_from_drag", "snap_offset",
    "snap_resize", "snap_turned_resize", "with_frame", "GUIDE_GRAB_PX", "HANDLE_PX", "ROTATE_HANDLE_PX",
    "SNAP_DISTANCE_PX", "CoverCanvas", "AUTOSAVE_DELAY_MS", "THUMBNAIL_PX", "TemplateGallery", "template_thumbnail",
    "PhoneFeedPreview", "RenderOutput", "render_snapshot", "CoverEditorWindow", "CoverEditorModel", "DocumentCommand",
]
