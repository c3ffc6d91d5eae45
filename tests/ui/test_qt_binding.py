"""Guards against a broken Qt binding build: PySide6 6.12.0 on Python 3.11 dropped a reference
to ``None`` on every Qt call returning nothing, and the app aborted within a minute."""
import sys

from PySide6.QtCore import QObject


def test_void_qt_calls_keep_none_alive():
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(10_000):
        obj.setObjectName("x")
    assert sys.getrefcount(None) - before > -100, "this PySide6 build leaks references to None (see pyproject pin)"
