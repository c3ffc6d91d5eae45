"""The vertical canvas plays the stinger too (issue #18 leftovers): a manual vertical scene taken to
another manual one shows the program's stinger pictures fitted to 9:16 over the old scene, then
the new one from the cut point — not a fade — and the file is decoded once, for both canvases."""
from __future__ import annotations

import threading


from studio.compositor.stinger import SharedStinger
from studio.engine import Studio, default_collection
from studio.scene import Canvas, StingerSettings, VerticalLayout
from tests.helpers import colour_png, near, wait_until
from tests.stinger_video import make_stinger

RED, BLUE, WHITE = (0, 0, 220), (220, 0, 0), (255, 255, 255)
V_WIDTH, V_HEIGHT = 180, 320
# The stinger's box (the middle quarter of the width, the middle third of the height) covers the
# vertical canvas's centre once the 16:9 picture is fitted by covering 9:16 from the centre.
CENTRE, TOP = (V_HEIGHT // 2, V_WIDTH // 2), (20, V_WIDTH // 2)




def test_the_vertical_canvas_plays_the_stinger_over_its_manual_layout(tmp_path):
    studio = Studio(collection=default_collection(Canvas(width=320, height=180, fps=30)))
    scenes = [studio.current_scene(), studio.add_scene("Product")]
    for scene, (name, colour) in zip(scenes, (("Red", RED), ("Blue", BLUE))):
        _spec, item = studio.add_source("image", name, {"path": colour_png(tmp_path / f"{name}.png", colour)}, scene.id)
        studio.vertical.set_layout(scene.id, VerticalLayout.MANUAL)
        studio.vertical.update_item(scene.id, item.id, x=0, y=0, width=V_WIDTH, height=V_HEIGHT)
    vertical = studio.vertical.enable(V_WIDTH, V_HEIGHT)
    sting = make_stinger(tmp_path / "sting.webm", frames=30, fps=15, suffix=".webm")  # 2 s
    studio.set_transition("stinger", 300, StingerSettings(path=sting, cut_point_ms=1000))
    studio.start()
    try:
        stinger = studio.compositor.stinger
        assert stinger is not None and wait_until(lambda: stinger.is_ready, 10)
        assert vertical.layout is VerticalLayout.MANUAL

        def vertical_image():
            frame = vertical.latest_program()
            return frame.image if frame is not None else None

        assert wait_until(lambda: near(vertical_image(), RED, CENTRE), 10)
        studio.switch_scene(scenes[1].id)
        assert vertical.transition_problem is None  # the stinger, not the fade a missing one gives way to
        assert isinstance(vertical.stinger, SharedStinger) and vertical.stinger.source is stinger
        seen: list[str] = []

        def phase() -> bool:
            image = vertical_image()
            name = None
            if near(image, WHITE, CENTRE):
                name = "old under" if near(image, RED, TOP) else "new under" if near(image, BLUE, TOP) else None
            elif near(image, BLUE, CENTRE) and not vertical.is_transitioning:
                name = "new alone"
            if name and (not seen or seen[-1] != name):
                seen.append(name)
            return name == "new alone"

        assert wait_until(phase, 10, interval_s=0.01)
        assert seen == ["old under", "new under", "new alone"]
        decoders = [t for t in threading.enumerate() if t.name == "stinger-decoder"]
        assert len(decoders) == 1  # one decoder for both canvases
    finally:
        studio.stop()
