"""Question cues for chat lines without a question mark (resources/live/question_cues.json).

Live-commerce chat in Thai, Vietnamese, Indonesian, Malay, Chinese, Japanese and Korean rarely
carries a question mark ("ราคาเท่าไหร่", "ready gak kak", "这个多少钱"), and Spanish, Portuguese,
Arabic and English viewers drop it too.  The cues are data, one entry per language with the grammar
references they come from; a show's audience mixes languages, so every comment is checked against
all of them at once.  Conservative on purpose: a false question costs the assistant more than a
missed one, so exclamations and idioms built on question words are blanked out first.

A comment and every cue go through the same ``normalize``: NFKC, lower case, Arabic short vowels
and tatweel dropped, apostrophes dropped, punctuation and emoji turned into clause breaks (a line
break), a letter typed twice or more kept once ("gakk", "ไหมมม").  A Latin-accent-free copy is
matched by the cues written without accents, so "bao nhieu" finds "bao nhiêu"; the copy keeping
its accents is matched by the cues that carry them ("chưa" is not "chua", sour).
"""
from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.paths import RESOURCES_DIR

log = logging.getLogger(__name__)

CUES_FILE = RESOURCES_DIR / "live" / "question_cues.json"
MODES = ("spaced", "unspaced", "hangul")
CUE_KEYS = ("anywhere", "opening", "ending", "not")
_FILLER = "\x01"  # blanks a "not" phrase without moving anything (never left in a normalised text)

# Arabic short vowels, shadda, sukun, dagger alef and tatweel go; hamza-carrying alefs read as
# bare alef, alef maqsura as ya, ta marbuta as ha (chat writes them all ways); apostrophes go
# ("what's" is "whats").
_CHARACTER_MAP = {**{code: None for code in range(0x064B, 0x0660)}, 0x0670: None, 0x0640: None,
                  ord("'"): None, ord("\u2019"): None, ord("\u02bc"): None, ord("`"): None,
                  ord("أ"): "ا", ord("إ"): "ا", ord("آ"): "ا", ord("ى"): "ي", ord("ة"): "ه"}
# Anything that is neither a letter, a digit, a space nor Thai (whose vowel and tone marks are not
# word characters) breaks a clause: punctuation, emoji and their joiners, RTL marks, controls.
_CLAUSE_BREAK = re.compile("[^\\w\\s\u0e00-\u0e7f]+|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")
_ODD_SPACE = re.compile(r"[^\S\n ]")
_MANY_SPACES = re.compile(" {2,}")
_BREAKS = re.compile(r" ?\n[\n ]*")
# The same for a text that is all ASCII (most comments), as one table.
_ASCII_MAP = str.maketrans({chr(code): ("" if chr(code) in "'`" else " " if chr(code) == "\t" else "\n")
                            for code in range(128) if not (chr(code).isalnum() or chr(code) in " _")})
# Latin (with Vietnamese), Thai and Arabic letters typed twice or more count once ("gakkk", "ไหมมม").
_REPEATED = re.compile("([a-z\u00df-\u024f\u1e00-\u1eff\u0e01-\u0e5b\u0621-\u064a])\\1+")


def _latin_fold_table() -> dict[int, str]:
    """Accented Latin letter → its base letter, one character for one (so positions line up)."""
    table: dict[int, str] = {ord("đ"): "d", ord("ð"): "d", ord("ø"): "o", ord("ł"): "l", ord("ı"): "i"}
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        base = "".join(c for c in unicodedata.normalize("NFD", chr(code)) if not unicodedata.combining(c))
        if len(base) == 1 and base != chr(code) and base.isascii():
            table.setdefault(code, base.lower())
    return table


_LATIN_FOLD = _latin_fold_table()


def normalize(text: str) -> str:
    """The form comments and cues are compared in (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        text = text.translate(_ASCII_MAP)
    else:
        text = _CLAUSE_BREAK.sub("\n", text.translate(_CHARACTER_MAP))
        text = _ODD_SPACE.sub(" ", text)
    if "  " in text:
        text = _MANY_SPACES.sub(" ", text)
    if "\n" in text:
        text = _BREAKS.sub("\n", text)
    return _REPEATED.sub(r"\1", text.strip(" \n"))


def fold_accents(normalized: str) -> str:
    """``normalized`` without Latin accents, character for character."""
    return normalized.translate(_LATIN_FOLD)


class CueDataError(ValueError):
    """The cue file cannot be used (says what is wrong with it)."""


# A Hangul consonant jamo before a syllable in an ending ("ㅂ니까", "ㄹ까요") stands for any syllable
# ending in that consonant.  NFKC turns the compatibility jamo into these leading-consonant ones.
_FINAL_CONSONANT_INDEX = {"\u1102": 4, "\u1105": 8, "\u1107": 17}  # ㄴ, ㄹ, ㅂ
_SYLLABLE = "\uac00-\ud7a3"


def _syllables_ending_in(jamo: str) -> str:
    final = _FINAL_CONSONANT_INDEX[jamo]
    return "[" + "".join(chr(0xAC00 + lead_vowel * 28 + final) for lead_vowel in range(19 * 21)) + "]"


def _cue_units(cue: str) -> tuple[str, ...]:
    """A cue as regex pieces, one per character (a jamo before a syllable: a class of syllables)."""
    units = []
    for index, char in enumerate(cue):
        if char in _FINAL_CONSONANT_INDEX and index + 1 < len(cue) and "\uac00" <= cue[index + 1] <= "\ud7a3":
            units.append(_syllables_ending_in(char))
        else:
            units.append(re.escape(char))
    return tuple(units)


def _alternation(cues: set[str]) -> str:
    """The cues as one group, factored into a trie: the regex engine tries one branch per first
    character instead of every cue at every position (it runs on every comment)."""
    trie: dict[str, Any] = {}
    for cue in cues:
        node = trie
        for unit in _cue_units(cue):
            node = node.setdefault(unit, {})
        node[""] = {}  # a cue ends here
    return "(?:" + _render(trie) + ")"


def _render(node: dict[str, Any]) -> str:
    branches = [unit + _render(child) for unit, child in sorted(node.items()) if unit]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:  # a shorter cue ends here: the longer one is tried first (greedy), then this one
        return body + "?" if len(branches) > 1 else f"(?:{body})?"
    return body


# Which scripts a comment is written in decides which of the per-mode regexes run at all.
_SCRIPT_PROBES = {
    "spaced": re.compile("[a-z\u00c0-\u024f\u1e00-\u1eff\u0600-\u06ff]"),
    "unspaced": re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "hangul": re.compile(f"[{_SYLLABLE}]"),
}


def _cue_pattern(mode: str, key: str, cues: set[str], followers: set[str], address: set[str]) -> str:
    """One regex source for one mode's cues of one key (all languages of that mode together).

    Cue patterns only answer yes or no, so they may consume the character before a cue instead of
    looking behind (cheaper on every comment); "not" patterns give the exact span to blank out.
    """
    alternatives = _alternation(cues)
    tail = ""
    if followers:
        separator = " " if mode == "spaced" else " ?"
        tail = f"(?:{separator}{_alternation(followers)}+)*"
    if mode == "spaced":  # cues begin and end with a letter, so \b is a word boundary
        if key == "opening":
            lead = f"(?:{_alternation(address)} )*" if address else ""
            return f"^{lead}{alternatives}\\b"
        if key == "ending":
            return f" (?<=\\w ){alternatives}{tail}$"
        return f"\\b{alternatives}\\b"
    if mode == "hangul":
        if key == "ending":  # an ending needs a stem before it, unless its jamo already stands for one
            stemmed = {cue for cue in cues if cue[0] in _FINAL_CONSONANT_INDEX}
            bare = f"[{_SYLLABLE}]{_alternation(cues - stemmed)}" if cues - stemmed else ""
            with_stem = _alternation(stemmed) if stemmed else ""
            return f"(?:{'|'.join(p for p in (bare, with_stem) if p)}){tail}$"
        return f"\\b{alternatives}"  # at the start of a word: particles follow ("언제쯤", "어디서")
    if key == "ending":  # right after the word it asks about, or after a space ("มีไซส์ L ไหม")
        return f"\\S ?{alternatives}{tail}(?= |$)"
    return alternatives


@dataclass(frozen=True)
class _ScriptCues:
    """One mode's compiled cues: per spelling (accents kept / folded) a cue and a "not" regex."""

    probe: re.Pattern[str]
    cues_exact: re.Pattern[str] | None
    cues_folded: re.Pattern[str] | None
    not_exact: re.Pattern[str] | None
    not_folded: re.Pattern[str] | None

    def matches(self, plain: str, folded: str) -> bool:
        if not self.probe.search(folded):
            return False
        spans = [*_overlapping_spans(self.not_exact, plain), *_overlapping_spans(self.not_folded, folded)]
        if spans:
            plain, folded = _blank(plain, spans), _blank(folded, spans)
        return bool((self.cues_folded is not None and self.cues_folded.search(folded))
                    or (self.cues_exact is not None and self.cues_exact.search(plain)))


def _compile(sources: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(sources), re.MULTILINE) if sources else None


@dataclass(frozen=True)
class CueMatcher:
    """All languages' cues, compiled once per script mode."""

    scripts: tuple[_ScriptCues, ...]
    languages: tuple[str, ...]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "CueMatcher":
        languages = data.get("languages") if isinstance(data, dict) else None
        if not isinstance(languages, dict) or not languages:
            raise CueDataError("the cue file has no 'languages'")
        # spelling → (mode, key) → normalised cues
        found: dict[str, dict[tuple[str, str], set[str]]] = {"exact": {}, "folded": {}}
        for code, entry in languages.items():
            mode = entry.get("mode") if isinstance(entry, dict) else None
            if mode not in MODES:
                raise CueDataError(f"language {code!r}: mode must be one of {', '.join(MODES)}")
            if not str(entry.get("sources", "")).strip():
                raise CueDataError(f"language {code!r}: says nowhere where its cues come from ('sources')")
            if entry.get("opening") and mode != "spaced":
                raise CueDataError(f"language {code!r}: 'opening' cues need a script with spaces")
            for key in (*CUE_KEYS, "followers", "address"):
                words = entry.get(key, [])
                if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                    raise CueDataError(f"language {code!r}: {key!r} must be a list of strings")
                for word in words:
                    cue = normalize(word)
                    if not cue or "\n" in cue:
                        raise CueDataError(f"language {code!r}: {word!r} is not a usable cue")
                    folded = fold_accents(cue)
                    if key not in CUE_KEYS:  # followers and greetings: either spelling, in both passes
                        found["folded"].setdefault((mode, key), set()).add(folded)
                        found["exact"].setdefault((mode, key), set()).update((cue, folded))
                    else:  # a cue with accents needs them; one without matches with or without
                        found["exact" if folded != cue else "folded"].setdefault((mode, key), set()).add(cue)
        scripts = []
        for mode in MODES:
            compiled: dict[str, re.Pattern[str] | None] = {}
            for spelling, by_key in found.items():
                sources = {key: _cue_pattern(mode, key, by_key[(mode, key)], by_key.get((mode, "followers"), set()),
                                             by_key.get((mode, "address"), set()))
                           for key in CUE_KEYS if by_key.get((mode, key))}
                compiled["not_" + spelling] = _compile([sources.pop("not")] if "not" in sources else [])
                compiled["cues_" + spelling] = _compile(list(sources.values()))
            if compiled["cues_exact"] or compiled["cues_folded"]:
                scripts.append(_ScriptCues(_SCRIPT_PROBES[mode], **compiled))
        return cls(tuple(scripts), tuple(languages))

    def matches(self, text: str) -> bool:
        """Whether ``text`` (a raw comment) carries a question cue of any language."""
        plain = normalize(text)
        if not plain:
            return False
        folded = fold_accents(plain)
        return any(script.matches(plain, folded) for script in self.scripts)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = _FILLER * (end - start)
    return "".join(chars)


def _overlapping_spans(pattern: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    """Every match, overlapping ones too ("gak apa" and "apa apa" in "gak apa apa")."""
    spans: list[tuple[int, int]] = []
    found = pattern.search(text) if pattern is not None else None
    while found is not None and found.end() > found.start():  # cues are never empty; be sure anyway
        spans.append(found.span())
        found = pattern.search(text, found.start() + 1)  # type: ignore[union-attr]
    return spans


def load(path: Path = CUES_FILE) -> CueMatcher:
    """Read and compile a cue file; ``CueDataError`` says what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CueDataError(f"{path.name} cannot be read ({err})") from err
    try:
        return CueMatcher.from_data(data)
    except re.error as err:  # e.g. more cues than one regex can hold
        raise CueDataError(f"{path.name}: the cues do not compile ({err})") from err


@functools.cache
def _shipped_matcher() -> CueMatcher | None:
    try:
        return load()
    except CueDataError as err:
        # Question marks still work; the show goes on without the cues.
        log.error("question cues unavailable, only question marks count: %s", err)
        return None


def has_question_cue(text: str) -> bool:
    """Whether a chat line reads as a question without its question mark (shipped cues, loaded once)."""
    matcher = _shipped_matcher()
    return matcher is not None and matcher.matches(text)
