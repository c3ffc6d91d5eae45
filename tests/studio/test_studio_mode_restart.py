"""Studio mode and "restart when shown" (issue #18 leftovers): a media file already playing in the
preview (awake, so no wake-up restarts it) plays from the start when Take puts it on the program;
without the setting it plays on from where it stood."""
from __future__ import annotations

import pytest

from studio.engine import Studio, default_collection
from studio.scene import Canvas
from tests.helpers import wait_until
from tests.studio.sources.av_media import make_av_clip

PLAYED_S = 1.2  # how far the file plays in the preview before the take


def _preview_then_take(tmp_path, restart_on_show: bool) -> tuple[float, list[float]]:
    clip = make_av_clip(tmp_path / "product.mp4", seconds=6.0, fps=30, sound=None)
    studio = Studio(collection=default_collection(Canvas(width=320, height=180, fps=30)))
    studio.start()
    try:
        product = studio.add_scene("Product")
        spec, _item = studio.add_source("media_file", "Product video",
                                        {"path": str(clip), "loop": True, "restart_on_show": restart_on_show}, product.id)
        studio.studio_mode.enable()
        studio.studio_mode.set_scene(product.id)
        source = studio.sources[spec.id]
        assert wait_until(lambda: source.is_awake and source.position_s >= PLAYED_S, 15)  # playing in the preview
        assert spec.id not in studio._sources_on_program()
        before_take = source.position_s
        studio.studio_mode.take("cut", 0)
        assert spec.id in studio._sources_on_program()
        positions: list[float] = []

        def played_on() -> bool:
            positions.append(source.position_s)
            return len(positions) > 1 and positions[-1] > positions[0] and (positions[-1] < before_take or positions[-1] > before_take + 0.5)

        assert wait_until(played_on, 15, interval_s=0.01)
        return before_take, positions
    finally:
        studio.stop()


@pytest.mark.parametrize("restart_on_show", [True, False])
def test_take_restarts_a_media_file_already_playing_in_the_preview(tmp_path, restart_on_show):
    before_take, positions = _preview_then_take(tmp_path, restart_on_show)
    if restart_on_show:
        assert min(positions) < 0.5 < PLAYED_S <= before_take  # from the top once on the program
    else:
        assert min(positions) >= before_take - 0.1  # on from where it stood (the file loops at 6 s)
