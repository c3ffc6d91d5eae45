"""A comment is a question when it ends with any script's question mark, not only the ASCII one."""
from __future__ import annotations

import pytest

from studio.live import LiveShow
from studio.live.comments import is_question


@pytest.mark.parametrize("text", [
    "كم السعر؟",  # Arabic question mark U+061F
    "هل يوجد مقاس كبير؟ ",  # trailing space
    "多少钱？",  # full-width
    "How much?",
    "Πόσο κοστίζει\u037e",  # Greek question mark
    "How much? 😍😍",  # emoji after the mark
    "سعر؟ 👍🏽",  # emoji with a skin-tone modifier
    "Is it red?\"",  # closing quote
    "(how much?)",
    "How much?!",
    "ราคาเท่าไหร่คะ?",
    "Giá bao nhiêu ạ?",
    "¿Cuánto cuesta",  # Spanish opening mark, closing one dropped
    "price❓",
])
def test_questions_in_every_script(text):
    assert is_question(text)


@pytest.mark.parametrize("text", ["Love it!!", "wow", "ok;", "شكراً", "好看！", "", "   "])
def test_statements_are_not_questions(text):
    assert not is_question(text)


def test_the_show_flags_arabic_and_full_width_questions(tmp_path, clock, catalog_csv):
    show = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, clock=clock, keywords=())
    try:
        show.comments.add({"id": "a", "user": "noura", "text": "متى يصل الطلب؟"})
        show.comments.add({"id": "z", "user": "li", "text": "有蓝色的吗？"})
        show.comments.add({"id": "s", "user": "sam", "text": "great show"})
        flags = {c["id"]: c["is_question"] for c in show.comments.recent(include_hidden=True)}
        assert flags == {"a": True, "z": True, "s": False}
        assert show.comments.question_count == 2
    finally:
        show.stop()
