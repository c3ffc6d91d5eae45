"""Studio mode in the engine: a preview scene rendered apart from the program, edited there without
touching the program, its sources awake, and taken to the program with the transition."""
from __future__ import annotations

import numpy as np

from studio.engine import Studio, default_collection
from studio.scene import Canvas
from tests.helpers import colour_png, wait_until



def _shows(compositor, bgr, at=(90, 160)) -> bool:
    frame = compositor.latest_program()
    return frame is not None and np.abs(frame.image[at].astype(int) - bgr).max() <= 8


def test_preview_edit_and_take(tmp_path):
    studio = Studio(collection=default_collection(Canvas(width=320, height=180, fps=30)))
    main = studio.current_scene()
    studio.start()
    try:
        studio.studio_mode.enable()
        assert studio.studio_mode.is_on and studio.studio_mode.scene_id == main.id
        second = studio.add_scene("Product")
        spec, item = studio.add_source("image", "Red card", {"path": colour_png(tmp_path / "red.png", (0, 0, 220))}, second.id)
        studio.studio_mode.set_scene(second.id)
        preview = studio.studio_mode.compositor
        assert wait_until(lambda: _shows(preview, (0, 0, 220)), 10)  # the preview shows the product scene …
        assert studio.collection.current_scene == main.id and not _shows(studio.compositor, (0, 0, 220))  # … not the program
        assert studio.sources[spec.id].is_awake  # drawn by the preview: awake though not on air

        # Edited in the preview: the program does not move.
        program_plan = studio.compositor.plan
        studio.items.update(second.id, item.id, x=0, y=0, width=160, height=180)
        assert studio.compositor.plan == program_plan
        assert wait_until(lambda: _shows(preview, (0, 0, 220), at=(90, 40)) and not _shows(preview, (0, 0, 220), at=(90, 280)), 10)

        studio.studio_mode.take("cut", 0)
        assert studio.collection.current_scene == second.id
        assert wait_until(lambda: _shows(studio.compositor, (0, 0, 220), at=(90, 40)), 10)  # on air now

        # Removing the previewed scene falls back to the program's; off, no second compositor.
        studio.studio_mode.set_scene(main.id)
        studio.remove_scene(main.id)
        assert studio.studio_mode.scene_id == second.id
        studio.studio_mode.disable()
        assert studio.studio_mode.compositor is None and not preview.is_running
    finally:
        studio.stop()
