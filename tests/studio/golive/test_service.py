"""The go-live service over the real engine and the built-in rehearsal receiver: per-output
states and stats, recording with its MP4 copy, and a recording failure that leaves the stream on."""
from __future__ import annotations

import json

import av

from studio.engine import Studio
from studio.golive.plan import GoLivePlan, RecordingPlan, WhipTarget
from studio.golive.service import GoLiveService, ladder_for
from studio.scene import Canvas, Scene, SceneCollection, SceneItem, SourceSpec, Transition
from studio.settings import Settings
from tests.helpers import wait_until


def _studio() -> Studio:
    canvas = Canvas(width=320, height=180, fps=30)
    spec = SourceSpec(kind="testpattern", name="Test pattern", settings={"width": 320, "height": 180, "fps": 30})
    scene = Scene(name="Main", items=[SceneItem(source_id=spec.id, width=320, height=180)])
    collection = SceneCollection(canvas=canvas, transition=Transition(kind="cut", duration_ms=0), sources=[spec],
                                 scenes=[scene], current_scene=scene.id)
    settings = Settings()
    settings.audio.microphone = ""
    studio = Studio(settings=settings, collection=collection)
    studio.audio_inputs.add("tone", "Test tone", level_dbfs=-30.0)
    return studio


def test_ladder_for_restricts_and_honours_simulcast_off():
    assert [layer.rid for layer in ladder_for(1280, 720, 30, ("h", "l"))] == ["h", "l"]
    assert [layer.rid for layer in ladder_for(1280, 720, 30, ("h", "m", "l"), simulcast="off")] == ["h"]
    assert [layer.rid for layer in ladder_for(1280, 720, 30, None)] == ["h", "m", "l"]


def test_rehearsal_with_recording_reports_every_output_and_remuxes(tmp_path):
    studio = _studio()
    studio.start()
    stats_path = tmp_path / "stats.jsonl"
    plan = GoLivePlan(whip=WhipTarget(layers=("h", "l")), recording=RecordingPlan(folder=tmp_path / "rec", remux_to_mp4=True),
                      stats_path=stats_path)
    service = GoLiveService(studio, plan)
    try:
        service.start()
        assert service.wait_live(30)
        assert service.is_rehearsal and service.receiver is not None

        def recorded_enough() -> bool:
            outputs = {entry["kind"]: entry for entry in service.stats()["outputs"]}
            return (outputs["record"].get("duration_s") or 0) >= 2.0 and (outputs["whip"].get("bitrate_bps") or 0) > 0

        assert wait_until(recorded_enough, timeout_s=20)
        outputs = service.stats()["outputs"]
        assert [(entry["id"], entry["kind"], entry["canvas"]) for entry in outputs] == [
            ("whip", "whip", "horizontal"), ("record", "record", "horizontal")]
        whip, record = outputs
        assert whip["state"] == "live" and whip["error"] is None and whip["fps"] and whip["reconnects"] == 0
        assert record["state"] == "recording" and record["error"] is None
    finally:
        service.stop()
        service.stop()  # twice is harmless
        studio.stop()
    assert service.receiver is not None and not service.receiver.is_running
    assert service.mp4_path is not None and service.mp4_path.is_file()
    with av.open(str(service.mp4_path)) as container:
        assert container.streams.video[0].codec_context.width == 320
        assert sum(1 for _ in container.decode(video=0)) >= 30
    lines = [json.loads(line) for line in stats_path.read_text().splitlines()]
    assert len(lines) >= 2 and all("outputs" in line for line in lines)
    assert lines[-1]["state"] == "stopped"


def test_a_failed_recording_is_said_in_words_and_the_stream_goes_on(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the recording folder should be")
    studio = _studio()
    studio.start()
    service = GoLiveService(studio, GoLivePlan(whip=WhipTarget(layers=("l",)), recording=RecordingPlan(path=blocker / "show.mkv")))
    notices: list[str] = []
    service.notices.connect(lambda code=None, message=None, **_: notices.append(message))
    try:
        service.start()
        assert service.wait_live(30)
        assert wait_until(lambda: service.stats()["outputs"][1]["state"] == "failed", timeout_s=15)
        record = service.stats()["outputs"][1]
        assert record["error"] and "Traceback" not in record["error"]
        assert wait_until(lambda: any(m and "Recording stopped" in m for m in notices), timeout_s=5)
        assert service.state == "live" and service.stats()["outputs"][0]["state"] == "live"
    finally:
        service.stop()
        studio.stop()
