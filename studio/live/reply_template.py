"""Quick-reply templates: ``{name}``-style placeholders, filled by plain substitution.

A template comes from whoever holds a control token, so it never reaches Python's format
mini-language (``"{name:>1000000000}".format(...)`` allocates a gigabyte; ``{name.__class__}``
reads attributes).  Here a placeholder is exactly ``{`` + a known variable name + ``}``;
``{{`` and ``}}`` stand for single braces; anything else is text, left as written.  The filled
answer never grows past the caller's ``max_chars``: it is built piece by piece and stops there.
"""
from __future__ import annotations

import re
from typing import Mapping

from studio.core.i18n import _
from studio.live.errors import LiveError

# Variables a template may use; filled from the comment and the show at send time.
VARIABLES = ("name", "product", "price", "coupon", "sku")
# One token per match: an escaped brace, a braced run without inner braces, or a lone brace.
_TOKEN = re.compile(r"\{\{|\}\}|\{[^{}]*\}|[{}]")
# How much of an unknown placeholder an error message quotes.
_QUOTED_CHARS = 40


def check(template: str, max_chars: int) -> None:
    """:class:`LiveError` in words for a template that is too long, has an unmatched brace or
    names a variable that does not exist (so the assistant sees the slip before sending)."""
    if len(template) > max_chars:
        raise LiveError(_("A quick reply is at most {count} characters; this one has {length}.").format(
            count=max_chars, length=len(template)))
    for match in _TOKEN.finditer(template):
        token = match.group()
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            raise LiveError(_("A quick reply has an unmatched curly bracket."))
        if token[1:-1] not in VARIABLES:
            shown = token if len(token) <= _QUOTED_CHARS else token[:_QUOTED_CHARS - 2] + "…}"
            raise LiveError(_("Unknown variable “{field}” (use {variables}).").format(
                field=shown, variables=", ".join("{" + variable + "}" for variable in VARIABLES)))


def fill(template: str, values: Mapping[str, str], max_chars: int) -> str:
    """``template`` with each known ``{variable}`` replaced by its value, at most ``max_chars``
    long.  Never raises: unknown placeholders and lone braces stay as written."""
    parts: list[str] = []
    length = 0
    position = 0

    def add(text: str) -> bool:
        nonlocal length
        room = max_chars - length
        parts.append(text[:room])
        length += min(len(text), room)
        return length >= max_chars

    for match in _TOKEN.finditer(template):
        if add(template[position:match.start()]):
            return "".join(parts)
        token = match.group()
        if token in ("{{", "}}"):
            piece = token[0]
        else:
            name = token[1:-1]
            piece = str(values.get(name, "")) if name in VARIABLES else token
        if add(piece):
            return "".join(parts)
        position = match.end()
    add(template[position:])
    return "".join(parts)
