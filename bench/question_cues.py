"""Question detection benchmark: what reading question cues costs per comment (issue #16).

``python -m bench.question_cues [--json]`` times ``studio.live.comments.is_question`` over a mixed
live-commerce chat (eleven languages, questions and statements, with and without marks, short and
long), each comment ``--repeat`` times, against its peer in the same run: the question-mark check
alone (what ``is_question`` was before the cues).  It runs on every inbound comment, so the target
is a median well under 50 µs per comment; p99 is over the per-comment means.
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

from bench.common import emit, machine, percentile
from studio.live import comments, questions

TARGET_US = 50.0
CHAT = (
    "How much is this?", "how much is shipping to canada", "love it 😍😍", "what a beautiful dress",
    "kak ready size L gak", "cantik banget kak, beli 2", "ada saiz M tak", "terima kasih akak",
    "cái này bao nhiêu vậy shop ơi", "đẹp quá chốt đơn", "ราคาเท่าไหร่คะ", "สวยมากค่ะ เอา 2 ตัว",
    "这个多少钱", "太好看了已下单", "いくらですか", "かわいい！買いました", "배송 얼마나 걸려요",
    "너무 예뻐요", "cuanto cuesta el envio", "qué bonito", "quanto custa o frete", "que lindo",
    "كم السعر", "ما شاء الله جميل جدا", "+1", "wow",
    "I have been watching every live this month and this is the best one, the colours are lovely",
    "gak apa apa kak, aku tunggu restock aja ya, semoga cepat ada lagi warna hitamnya",
)


def _per_comment_us(check: Callable[[str], bool], repeat: int) -> list[float]:
    means = []
    for text in CHAT:
        start = time.perf_counter()
        for _ in range(repeat):
            check(text)
        means.append((time.perf_counter() - start) / repeat * 1e6)
    return means


def run(repeat: int) -> dict[str, object]:
    started = time.perf_counter()
    questions.has_question_cue("warm-up")  # loads and compiles the cue file once
    load_ms = (time.perf_counter() - started) * 1e3
    cues = _per_comment_us(comments.is_question, repeat)
    marks = _per_comment_us(comments.has_question_mark, repeat)
    median = statistics.median(cues)
    return {"bench": "question_cues", "machine": machine(), "comments": len(CHAT), "repeat": repeat,
            "load_ms": round(load_ms, 2), "median_us": round(median, 2),
            "p99_us": round(percentile(cues, 99) or 0.0, 2), "max_us": round(max(cues), 2),
            "peer_marks_only_median_us": round(statistics.median(marks), 2),
            "target_median_us": TARGET_US, "meets_target": median < TARGET_US,
            "questions_found": sum(comments.is_question(text) for text in CHAT)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    emit(run(max(1, args.repeat)), args.json)


if __name__ == "__main__":
    main()
