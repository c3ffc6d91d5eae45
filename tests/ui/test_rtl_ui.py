"""A right-to-left UI language (Arabic) mirrors the window live, and back: the layout turns,
pictures (previews, cover canvas) and technical fields (numbers, addresses, secrets) do not,
and arrows that mean "next" point the reading way.  Window at 1366×768."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QLineEdit, QSlider, QSpinBox, QTimeEdit

from studio.core import i18n
from cover_designer.templates import load_template
from tests.ui.cover_helpers import DEFAULT_TEMPLATE, close_without_asking, wait_rendered
from ui import i18n as ui_i18n
from ui.cover_editor import CoverEditorWindow
from ui.icons import icon

LTR = Qt.LayoutDirection.LeftToRight
RTL = Qt.LayoutDirection.RightToLeft


@pytest.fixture
def arabic_offered(monkeypatch):
    """Arabic as an offered UI language, whether or not its ui.po has shipped yet."""
    monkeypatch.setitem(i18n.LANGUAGES, "ar", "العربية")
    yield
    ui_i18n.switch_language("en")


@pytest.fixture
def window_1366(window):
    window.resize(1366, 768)
    return window


def _file_menu_x(window) -> int:
    bar = window.menuBar()
    return bar.actionGeometry(window.file_menu.menuAction()).center().x()


def test_arabic_mirrors_the_main_window_live_and_english_restores_it(qtbot, window_1366, arabic_offered):
    window = window_1366
    bar_width = window.menuBar().width()
    assert _file_menu_x(window) < bar_width / 2  # File is the first menu, at the left
    assert ui_i18n.switch_language("ar") == "ar"
    assert QApplication.layoutDirection() == RTL
    qtbot.waitUntil(lambda: window.isRightToLeft())
    assert i18n.gettext("&File") != "&File"
    qtbot.waitUntil(lambda: window.file_menu.title() == i18n.gettext("&File"))  # retranslated
    qtbot.waitUntil(lambda: _file_menu_x(window) > bar_width / 2)  # ... and now at the right
    # Pictures are pictures: the program and the vertical preview keep left to right.
    for preview in (window.preview, window.canvas_previews.vertical):
        assert preview.layoutDirection() == LTR
        assert not preview.isRightToLeft()
    # Docks and their rows follow the mirrored layout; the dock areas themselves are mirrored
    # too (Qt keeps them put): the full-height column on the left, scenes first from the right.
    assert window.sources_dock.isRightToLeft()
    assert window.dockWidgetArea(window.health_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    qtbot.waitUntil(lambda: window.scenes_dock.x() > window.sources_dock.x() > window.mixer_dock.x())
    assert window.health_dock.x() < window.canvas_previews.x()

    assert ui_i18n.switch_language("en") == "en"
    assert QApplication.layoutDirection() == LTR
    qtbot.waitUntil(lambda: not window.isRightToLeft())
    qtbot.waitUntil(lambda: window.file_menu.title() == "&File")
    qtbot.waitUntil(lambda: _file_menu_x(window) < bar_width / 2)
    assert window.preview.layoutDirection() == LTR
    assert window.dockWidgetArea(window.health_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    qtbot.waitUntil(lambda: window.scenes_dock.x() < window.sources_dock.x() < window.mixer_dock.x())
    assert window.health_dock.x() > window.canvas_previews.x()


def test_fields_for_numbers_addresses_and_secrets_stay_left_to_right(qtbot, arabic_offered):
    before = QLineEdit()
    before.setEchoMode(QLineEdit.EchoMode.Password)  # a stream key field polished before the switch
    qtbot.addWidget(before)
    before.show()
    ui_i18n.switch_language("ar")
    words = QLineEdit()
    address = QLineEdit()
    address.setPlaceholderText("rtmps://live.example.com/app")
    secret = QLineEdit()
    secret.setEchoMode(QLineEdit.EchoMode.Password)
    number = QDoubleSpinBox()
    number.setValue(30.5)
    counted = QSpinBox()  # "Winners: 1": words around the number read right to left
    counted.setPrefix(i18n.gettext("Winners: "))
    time_code = QTimeEdit()
    fader = QSlider(Qt.Orientation.Horizontal)
    technical = (before, address, secret, number, time_code, fader)
    for widget in (words, address, secret, number, counted, time_code, fader):
        qtbot.addWidget(widget)
        widget.show()
    qtbot.waitUntil(lambda: all(widget.layoutDirection() == LTR for widget in technical))
    assert words.isRightToLeft()  # a field for words follows the language
    assert counted.isRightToLeft()
    # Numbers in widgets use the Western digits the engine's numbers come with (Gulf usage).
    assert QLocale().toString(1300) == "1,300"
    assert "30.5" in number.text()

    ui_i18n.switch_language("en")
    for widget in technical:  # they follow the (left-to-right) UI again; no filter left behind
        assert not widget.testAttribute(Qt.WidgetAttribute.WA_SetLayoutDirection), widget
        assert widget.layoutDirection() == LTR
    later = QLineEdit()
    later.setEchoMode(QLineEdit.EchoMode.Password)
    qtbot.addWidget(later)
    later.show()
    assert not later.testAttribute(Qt.WidgetAttribute.WA_SetLayoutDirection)


def test_next_arrow_points_the_reading_way_and_up_does_not_mirror(arabic_offered):
    ui_i18n.switch_language("en")
    next_ltr = icon("next").pixmap(16, 16).toImage()
    up_ltr = icon("up").pixmap(16, 16).toImage()
    assert not next_ltr.isNull() and not up_ltr.isNull()
    ui_i18n.switch_language("ar")
    next_rtl = icon("next").pixmap(16, 16).toImage()
    assert next_rtl != next_ltr
    assert next_rtl == next_ltr.flipped(Qt.Orientation.Horizontal)
    assert icon("up").pixmap(16, 16).toImage() == up_ltr
    ui_i18n.switch_language("en")
    assert icon("next").pixmap(16, 16).toImage() == next_ltr


def test_cover_canvas_is_not_mirrored_in_arabic(qtbot, arabic_offered):
    ui_i18n.switch_language("ar")
    editor = CoverEditorWindow()
    qtbot.addWidget(editor)
    editor.resize(1366, 768)
    editor.show()
    qtbot.waitExposed(editor)
    editor.open_document(load_template(DEFAULT_TEMPLATE), "youtube")
    try:
        wait_rendered(qtbot, editor)
        assert editor.isRightToLeft()
        assert editor.canvas.layoutDirection() == LTR and not editor.canvas.isRightToLeft()
    finally:
        close_without_asking(editor)


def test_wrapped_arabic_labels_are_measured_with_the_font_that_draws_them(qtbot, arabic_offered):
    """A word-wrapped label is sized with Noto Sans Arabic's line height, not the Latin font's (the
    fallback that draws Arabic is taller: a two-line label lost half its last line)."""
    from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics
    from PySide6.QtWidgets import QLabel

    from ui.app_fonts import register_renderer_fonts
    from ui.rtl import RTL_FONT_FAMILY

    register_renderer_fonts()
    if RTL_FONT_FAMILY not in QFontDatabase.families():
        pytest.skip("Noto Sans Arabic is not installed (tools/setup.sh)")
    ui_i18n.switch_language("ar")
    wrapped = QLabel(i18n.gettext("Every show event is POSTed here as JSON and retried when the platform is down; "
                                  "a failed delivery never holds up the show. Leave empty to send nothing."))
    wrapped.setWordWrap(True)
    single = QLabel(i18n.gettext("Port:"))
    for label in (wrapped, single):
        qtbot.addWidget(label)
        label.show()
    drawn_with = QFont(RTL_FONT_FAMILY)
    drawn_with.setPointSizeF(QApplication.font().pointSizeF())
    assert wrapped.font().families()[0] == RTL_FONT_FAMILY
    assert QFontMetrics(wrapped.font()).lineSpacing() >= QFontMetrics(drawn_with).lineSpacing()
    assert single.font().families()[0] != RTL_FONT_FAMILY  # one-line rows keep their compact height
    ui_i18n.switch_language("en")
    assert wrapped.font().families()[0] != RTL_FONT_FAMILY


def test_group_box_titles_keep_their_first_letter_in_arabic(arabic_offered):
    from ui.rtl import RTL_STYLE_SHEET

    before = QApplication.instance().styleSheet()
    ui_i18n.switch_language("ar")
    ui_i18n.switch_language("ar")  # once, however often the language is chosen
    assert QApplication.instance().styleSheet() == before + RTL_STYLE_SHEET
    ui_i18n.switch_language("en")
    assert QApplication.instance().styleSheet() == before
