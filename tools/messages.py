#!/usr/bin/env python3
"""Find every user-facing string and report which lack a translation.

Strings are ``_("...")``, ``N_("...")``, ``gettext``/``ngettext`` calls in the engine and
``tr("...")`` / ``QCoreApplication.translate(ctx, "...")`` calls in ``ui/``.
``python tools/messages.py [--lang CODE]`` counts the gaps of a language (default ``zh_CN``);
``--missing`` prints .po entries to fill in — an ``ngettext`` pair as one ``msgid_plural``
entry with as many ``msgstr[i]`` as the language's ``Plural-Forms`` (:data:`PLURAL_FORMS`)
asks.  ``--all`` reports every shipped UI language.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("studio", "encoders", "cover_designer", "ui")
ENGINE_CALLS = {"_", "N_", "gettext", "ngettext"}

# The gettext Plural-Forms header of each language (CLDR's cardinal rules for integers, as GNU
# gettext writes them).  Every .po file of a language carries it.
PLURAL_FORMS = {
    "zh_CN": "nplurals=1; plural=0;",
    "zh_TW": "nplurals=1; plural=0;",
    "ja": "nplurals=1; plural=0;",
    "ko": "nplurals=1; plural=0;",
    "th": "nplurals=1; plural=0;",
    "vi": "nplurals=1; plural=0;",
    "id": "nplurals=1; plural=0;",
    "es": "nplurals=2; plural=(n != 1);",
    "pt_BR": "nplurals=2; plural=(n > 1);",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
}


def plural_pairs(root: Path = ROOT) -> dict[str, str]:
    """singular -> plural of every ``ngettext`` call."""
    pairs: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Call) and len(node.args) >= 2:
                    func = node.func
                    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
                    singular, plural = node.args[0], node.args[1]
                    if (name == "ngettext" and isinstance(singular, ast.Constant) and isinstance(plural, ast.Constant)
                            and isinstance(singular.value, str) and isinstance(plural.value, str)):
                        pairs[singular.value] = plural.value
    return pairs


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
    """msgid -> translation; a ``msgid_plural`` entry answers for its singular and its plural
    (with its first and last forms) when every form is filled in."""
    from babel.messages.pofile import read_po

    result: dict[str, str] = {}
    for path in sorted((ROOT / "resources" / "translations" / language).glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if not message.id or message.fuzzy:
                    continue
                if isinstance(message.id, str):
                    if isinstance(message.string, str) and message.string:
                        result[message.id] = message.string
                    continue
                forms = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
                if forms and all(forms):
                    result[message.id[0]] = forms[0]
                    result[message.id[1]] = forms[-1]
    return result


def plural_entries(language: str) -> dict[str, tuple[str, list[str], str]]:
    """singular -> (plural, forms, the file's Plural-Forms) of every ``msgid_plural`` entry."""
    from babel.messages.pofile import read_po

    result: dict[str, tuple[str, list[str], str]] = {}
    for path in sorted((ROOT / "resources" / "translations" / language).glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        header = dict(catalog.mime_headers).get("Plural-Forms", "")
        for message in catalog:
            if message.id and not isinstance(message.id, str):
                forms = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
                result[message.id[0]] = (message.id[1], forms, header)
    return result


def missing(language: str = "zh_CN") -> dict[str, list[str]]:
    have = translated(language)
    return {msgid: where for msgid, where in extract().items() if msgid not in have}


def shipped_languages() -> list[str]:
    """The languages offered as the UI's (their ``ui.po`` ships), English excluded."""
    return sorted(p.parent.name for p in (ROOT / "resources" / "translations").glob("*/ui.po"))


def _po_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def template(language: str, gaps: dict[str, list[str]]) -> str:
    """.po entries for ``gaps``; an ngettext pair as one msgid_plural entry."""
    pairs = plural_pairs()
    plurals = {plural for plural in pairs.values()}
    nplurals = int(PLURAL_FORMS.get(language, "nplurals=2").split("nplurals=")[1].split(";")[0])
    out = []
    for msgid, where in gaps.items():
        if msgid in pairs:
            forms = "".join(f'msgstr[{i}] ""\n' for i in range(nplurals))
            out.append(f'#: {where[0]}\nmsgid "{_po_escape(msgid)}"\nmsgid_plural "{_po_escape(pairs[msgid])}"\n{forms}')
        elif msgid in plurals and any(pairs[s] == msgid and s in gaps for s in pairs):
            continue  # printed with its singular
        else:
            out.append(f'#: {where[0]}\nmsgid "{_po_escape(msgid)}"\nmsgstr ""\n')
    return "\n".join(out)


if __name__ == "__main__":
    language = sys.argv[sys.argv.index("--lang") + 1] if "--lang" in sys.argv else "zh_CN"
    languages = ["zh_CN", *[code for code in shipped_languages() if code != "zh_CN"]] if "--all" in sys.argv else [language]
    total = 0
    for language in languages:
        gaps = missing(language)
        total += len(gaps)
        if "--missing" in sys.argv:
            print(template(language, gaps))
        else:
            print(f"{len(extract())} strings, {len(gaps)} without a {language} translation")
    sys.exit(1 if total else 0)
