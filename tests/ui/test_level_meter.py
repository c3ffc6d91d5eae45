"""The level meter repaints only when what it shows moves, and then only its bar."""
from PySide6.QtWidgets import QApplication

from ui.level_meter import SCALE_TOP, LevelMeter


class CountingMeter(LevelMeter):
    def __init__(self) -> None:
        super().__init__()
        self.painted: list[tuple[int, int]] = []  # (top, bottom) of each painted region

    def paintEvent(self, event) -> None:  # noqa: N802
        self.painted.append((event.rect().top(), event.rect().bottom()))
        super().paintEvent(event)


def test_a_steady_level_costs_no_painting_and_a_change_repaints_the_bar_only(qtbot):
    meter = CountingMeter()
    qtbot.addWidget(meter)
    meter.resize(300, 26)
    meter.show()
    qtbot.waitExposed(meter)
    meter.set_levels(-30.0, -33.0)
    qtbot.waitUntil(lambda: bool(meter.painted) and meter._drawn is not None)
    QApplication.processEvents()
    before = len(meter.painted)
    for _ in range(20):  # a steady tone: the same reading again and again
        meter.set_levels(-30.0, -33.0)
        QApplication.processEvents()
    assert len(meter.painted) == before
    meter.set_levels(-12.0, -15.0)
    qtbot.waitUntil(lambda: len(meter.painted) > before)
    top, bottom = meter.painted[-1]
    assert top == 0 and bottom < SCALE_TOP  # the bar, not the scale under it
    assert meter._drawn[1] == int((60 - 12) / 60 * meter.width())


def test_muting_repaints_even_when_the_level_does_not_move(qtbot):
    meter = CountingMeter()
    qtbot.addWidget(meter)
    meter.resize(300, 26)
    meter.show()
    qtbot.waitExposed(meter)
    meter.set_levels(-30.0, -33.0)
    qtbot.waitUntil(lambda: meter._drawn is not None)
    before = len(meter.painted)
    meter.is_muted = True
    meter.refresh()
    qtbot.waitUntil(lambda: len(meter.painted) > before)
    assert meter._drawn[-1] == 1
