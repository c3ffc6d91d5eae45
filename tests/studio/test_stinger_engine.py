"""The stinger in the engine: chosen with the show's transition, saved with the scene collection and
the settings, decoded ahead, and played over the program on a scene switch."""
from __future__ import annotations


from studio import scene as scene_io
from studio.engine import Studio, default_collection
from studio.scene import Canvas, StingerSettings
from studio.settings import Settings, load_settings, save_settings
from tests.helpers import colour_png, near, wait_until
from tests.stinger_video import make_stinger

RED, BLUE, WHITE = (0, 0, 220), (220, 0, 0), (255, 255, 255)




def _program(studio):
    frame = studio.compositor.latest_program()
    return frame.image if frame is not None else None


def test_scene_switch_plays_the_stinger_over_the_program(tmp_path):
    studio = Studio(collection=default_collection(Canvas(width=320, height=180, fps=30)))
    main = studio.current_scene()
    studio.add_source("image", "Red", {"path": colour_png(tmp_path / "r.png", RED)}, main.id)
    product = studio.add_scene("Product")
    studio.add_source("image", "Blue", {"path": colour_png(tmp_path / "b.png", BLUE)}, product.id)
    sting = make_stinger(tmp_path / "sting.webm", frames=30, fps=15, suffix=".webm")  # 2 s
    studio.set_transition("stinger", 300, StingerSettings(path=sting, cut_point_ms=1000))
    studio.start()
    try:
        stinger = studio.compositor.stinger
        assert stinger is not None and wait_until(lambda: stinger.is_ready, 10)
        assert wait_until(lambda: near(_program(studio), RED, (90, 20)), 10)
        studio.switch_scene(product.id)
        assert studio.compositor.is_transitioning and studio.compositor.transition_problem is None
        seen: list[str] = []

        def phase() -> bool:
            image = _program(studio)
            name = None
            if near(image, WHITE, (90, 160)):
                name = "old under" if near(image, RED, (90, 20)) else "new under" if near(image, BLUE, (90, 20)) else None
            elif near(image, BLUE, (90, 160)) and not studio.compositor.is_transitioning:
                name = "new alone"
            if name and (not seen or seen[-1] != name):
                seen.append(name)
            return name == "new alone"

        assert wait_until(phase, 10, interval_s=0.01)
        assert seen == ["old under", "new under", "new alone"]
        assert wait_until(lambda: stinger.buffered_frames > 0, 10)  # rewound and decoding for the next take
    finally:
        studio.stop()
    assert stinger.problem is None and studio.compositor.stinger is None  # closed with the compositor


def test_the_stinger_is_saved_with_the_show_and_the_settings(tmp_path):
    sting = make_stinger(tmp_path / "sting.mov")
    collection = default_collection(Canvas(width=320, height=180, fps=30))
    studio = Studio(collection=collection)
    try:
        studio.set_transition("stinger", 0, StingerSettings(path=sting, cut_point_ms=400))
        scene_io.save_collection(studio.collection, tmp_path / "show.json")
        loaded = scene_io.load_collection(tmp_path / "show.json")
        assert loaded.transition.kind == "stinger"
        assert loaded.transition.stinger == StingerSettings(path=sting, cut_point_ms=400)
        studio.set_transition("fade", 300)  # another kind keeps the stinger for next time, unplayed
        assert studio.collection.transition.stinger.path == sting and studio.compositor.stinger is None
    finally:
        studio.stop()

    settings = Settings()
    settings.video.transition, settings.video.stinger_path, settings.video.stinger_cut_point_ms = "stinger", sting, 250
    save_settings(settings, tmp_path / "settings.json")
    again, _problem = load_settings(tmp_path / "settings.json")
    studio = Studio(settings=again)  # a new show starts with the stinger last chosen
    try:
        assert studio.collection.transition.stinger == StingerSettings(path=sting, cut_point_ms=250)
        assert studio.compositor.stinger is not None and studio.compositor.stinger.cut_point_ms == 250
    finally:
        studio.stop()
