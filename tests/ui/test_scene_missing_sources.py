"""Opening a show whose video file or camera is not here: the show opens with everything else,
the missing sources are kept (nothing lost) and named in words, in a 1366×768 window (the slates say “No signal”)."""
from __future__ import annotations

import json

from studio.scene import SceneItem, SourceSpec


def test_opening_a_show_with_a_missing_file_and_camera_names_them_and_keeps_them(window, qtbot, tmp_path):
    window.resize(1366, 768)
    studio = window.studio
    collection = studio.snapshot_collection()
    clip = SourceSpec(id="clip", kind="media_file", name="Intro clip", settings={"path": str(tmp_path / "gone.mp4")})
    camera = SourceSpec(id="cam", kind="camera", name="Host camera", settings={"device": "/dev/video-bridgecast-gone"})
    scene = collection.scenes[0]
    items = [*scene.items, SceneItem(source_id="clip", x=0, y=0, width=320, height=180),
             SceneItem(source_id="cam", x=320, y=0, width=320, height=180)]
    collection = collection.model_copy(update={
        "sources": [*collection.sources, clip, camera],
        "scenes": [scene.model_copy(update={"items": items}), *collection.scenes[1:]]})
    path = tmp_path / "show.json"
    path.write_text(collection.model_dump_json(), encoding="utf-8")

    window.open_collection(path)
    qtbot.waitUntil(lambda: window.error_box is not None, timeout=5000)
    assert window.error_box.windowTitle() == "Some sources of this show are not available"
    text = window.error_box.text()
    assert f"• Intro clip: file not found: {tmp_path / 'gone.mp4'}" in text
    assert "• Host camera: camera /dev/video-bridgecast-gone is not connected" in text
    assert "show “No signal” until their file or camera is back" in text and "Traceback" not in text
    # Opened, with the missing sources kept so fixing the path brings them back.
    assert window.settings.scene_collection == str(path)
    assert {spec.id for spec in studio.collection.sources} >= {"clip", "cam"}
    assert json.loads(path.read_text(encoding="utf-8"))["sources"][-1]["id"] == "cam"
