"""Where a line may break inside text written without spaces between words (Thai).

Thai puts no space between words, so a headline is one unbreakable chunk to a space-based wrapper:
it overflows the box and shrinking cannot help.  Words are found with PyThaiNLP's ``newmm``
segmenter (maximal matching over the dictionary that ships inside the wheel; nothing is downloaded
— its offline and read-only switches are set before it is imported).  Without PyThaiNLP, Thai
text keeps its old behaviour (breaks at spaces only).
"""
from __future__ import annotations

import functools
import logging
import os
import unicodedata

log = logging.getLogger(__name__)

THAI_RANGE = (0x0E00, 0x0E7F)
# Characters that never start a line: Thai repetition and abbreviation marks, closing punctuation.
_NO_BREAK_BEFORE = set("ๆฯ") | {")", "]", "}", "»", "”", "’", "!", "?", ".", ",", ":", ";", "%"}


def is_thai(char: str) -> bool:
    return THAI_RANGE[0] <= ord(char) <= THAI_RANGE[1]


def needs_word_breaking(text: str) -> bool:
    """True when ``text`` has Thai, whose words are not separated by spaces."""
    return any(is_thai(char) for char in text)


@functools.lru_cache(maxsize=1)
def _segmenter():
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")  # never fetch a corpus at run time
    os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")  # and never create a data folder in $HOME
    try:
        from pythainlp.tokenize import word_tokenize
    except ImportError:
        log.warning("PyThaiNLP is not installed: Thai text wraps at spaces only")
        return None
    return lambda text: word_tokenize(text, engine="newmm", keep_whitespace=True)


@functools.lru_cache(maxsize=512)
def words(chunk: str) -> tuple[str, ...]:
    """``chunk`` (no spaces) cut where a line may break: between Thai words, and between Thai and
    other text; never inside a run of Latin letters or digits, nor before a closing mark."""
    segment = _segmenter() if needs_word_breaking(chunk) else None
    if segment is None:
        return (chunk,) if chunk else ()
    out: list[str] = []
    for token in segment(chunk):
        if not token:
            continue
        if out and not _may_break_between(out[-1], token):
            out[-1] += token
        else:
            out.append(token)
    return tuple(out)


def _may_break_between(before: str, after: str) -> bool:
    first = after[0]
    if first in _NO_BREAK_BEFORE or unicodedata.category(first) in ("Mn", "Mc", "Pe", "Pf"):
        return False
    if unicodedata.category(before[-1]) in ("Ps", "Pi"):
        return False  # an opening bracket or quote stays with what follows
    # Only Thai gets new break opportunities: "50%" or "Sale" stay whole.
    return is_thai(before[-1]) or is_thai(first)
