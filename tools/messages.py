#!/usr/bin/env python3
"""Find every user-facing string and report which lack a Simplified Chinese translation.

Strings are ``_("...")``, ``N_("...")``, ``gettext``/``ngettext`` calls in the engine and
``tr("...")`` / ``QCoreApplication.translate(ctx, "...")`` calls in ``ui/``.
``python tools/messages.py --missing`` prints .po entries to fill in.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("studio", "encoders", "cover_designer", "ui")
ENGINE_CALLS = {"_", "N_", "gettext", "ngettext"}


def extract(root: Path = ROOT) -> dict[str, list[str]]:
    """msgid -> list of "file:line" where it is used."""
    found: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
                args: list[ast.expr] = []
                if name in ENGINE_CALLS:
                    args = node.args[:2] if name == "ngettext" else node.args[:1]
                elif name == "tr":
                    args = node.args[:1]
                elif name == "translate" and len(node.args) >= 2:
                    args = node.args[1:2]
                for arg in args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.strip():
                        found.setdefault(arg.value, []).append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def translated(language: str = "zh_CN") -> dict[str, str]:
    from babel.messages.pofile import read_po

    result: dict[str, str] = {}
    for path in sorted((ROOT / "resources" / "translations" / language).glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string and not message.fuzzy:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    text = message.string if isinstance(message.string, str) else message.string[0]
                    if text:
                        result[key] = text
    return result


def missing(language: str = "zh_CN") -> dict[str, list[str]]:
    have = translated(language)
    return {msgid: where for msgid, where in extract().items() if msgid not in have}


def _po_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


if __name__ == "__main__":
    gaps = missing()
    if "--missing" in sys.argv:
        for msgid, where in gaps.items():
            print(f"#: {where[0]}\nmsgid \"{_po_escape(msgid)}\"\nmsgstr \"\"\n")
    else:
        print(f"{len(extract())} strings, {len(gaps)} without a zh_CN translation")
    sys.exit(1 if gaps else 0)
