"""Sources ▸ Filters…: a chroma key added, tuned and reordered on a green-screen layer from the
dialog, live on the program; a colour look whose file is gone is said in words."""
from __future__ import annotations

import numpy as np
from PIL import Image

from bench.testbed.green_screen import green_screen_frame


def test_chroma_key_from_the_filters_dialog(window, qtbot, tmp_path):
    window.resize(1366, 768)
    studio, dock = window.studio, window.sources_dock
    canvas = studio.collection.canvas
    frame, _truth = green_screen_frame(1, canvas.width, canvas.height)
    Image.fromarray(frame[:, :, ::-1]).save(tmp_path / "host.png")
    _spec, item = studio.add_source("image", "Host", {"path": str(tmp_path / "host.png")})
    scene = studio.current_scene()
    qtbot.waitUntil(lambda: dock.list.count() == 2, timeout=5000)
    dock.list.setCurrentRow(0)  # the top row is the new layer
    assert dock.filters_action.isEnabled()
    dock.filters_action.trigger()
    dialog = dock.pending_dialog
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "Filters: Host" and dialog.list.count() == 0

    def corner_is_green() -> bool:
        program = studio.compositor.latest_program()
        if program is None:
            return False
        b, g, r = program.image[5:25, 5:25].reshape(-1, 3).mean(axis=0)
        return g > 120 and g > b + 60 and g > r + 60

    qtbot.waitUntil(corner_is_green, timeout=10000)  # the green screen is on the program
    dialog.add_filter("chroma_key")
    assert [f.kind for f in studio.current_scene().items[-1].filters] == ["chroma_key"]
    qtbot.waitUntil(lambda: not corner_is_green(), timeout=10000)  # keyed out: the pattern shows through

    # Tuning: the similarity slider writes the engine's value.
    dialog.sliders["similarity"].setValue(250)
    assert studio.current_scene().items[-1].filters[0].similarity == 0.25
    dialog.key_box.setCurrentIndex(dialog.key_box.findData("#0047BB"))  # a blue screen now: green comes back
    qtbot.waitUntil(corner_is_green, timeout=10000)

    # Order and removal; a look file that is gone is said, and the picture stays on air.
    dialog.add_filter("sharpen")
    dialog.add_filter("lut", path=str(tmp_path / "gone.cube"))
    assert [f.kind for f in studio.current_scene().items[-1].filters] == ["chroma_key", "sharpen", "lut"]
    qtbot.waitUntil(lambda: "gone.cube" in dialog.problem.text(), timeout=10000)
    dialog.list.setCurrentRow(2)
    dialog.move_selected(-2)
    assert [f.kind for f in studio.current_scene().items[-1].filters] == ["lut", "chroma_key", "sharpen"]
    dialog.remove_selected()
    assert [f.kind for f in studio.current_scene().items[-1].filters] == ["chroma_key", "sharpen"]
    assert studio.current_scene().id == scene.id and item is not None
    np.testing.assert_array_equal(studio.compositor.latest_program().image.shape[:2], (canvas.height, canvas.width))
