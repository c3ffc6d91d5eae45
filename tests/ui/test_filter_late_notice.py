"""The status bar says in words which layer's filters make the program late, and says nothing
while the program keeps time (the costs are the compositor's own measurements, here primed)."""
from __future__ import annotations

from tests.ui.conftest import solid_png


def test_late_program_notice_in_the_status_bar(window, qtbot, tmp_path):
    window.resize(1366, 768)
    studio = window.studio
    _spec, item = studio.add_source("image", "Host camera", {"path": str(solid_png(tmp_path / "host.png", (90, 120, 160)))})
    studio.items.update(studio.current_scene().id, item.id, filters=[{"kind": "sharpen"}])
    compositor = studio.compositor
    qtbot.waitUntil(lambda: item.id in compositor.filter_costs.costs(), timeout=10000)
    window.status.update_stats()
    assert window.status.currentMessage() == ""  # on time: nothing said

    # The program falls behind while the layer's filters cost 40 ms a frame (a still picture is
    # filtered once, so the compositor does not measure it again over this value).
    compositor.filter_costs.record(item.id, "Host camera", 40.0)
    compositor.filter_costs.record(item.id, "Host camera", 40.0)

    def late_and_said() -> bool:
        compositor.late_ticks += 5
        window.status.update_stats()
        return "program is late" in window.status.currentMessage()

    qtbot.waitUntil(late_and_said, timeout=5000)
    message = window.status.currentMessage()
    assert message.startswith("Filters on “Host camera” take 40 ms a frame; the program is late")  # the median of 3
