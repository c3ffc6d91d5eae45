"""``bridgecast cover …``: render, lint, batch, resize, templates, presets, schema.

Exit codes:
  0  done; every cover written (warnings may have been printed)
  1  done with problems: lint errors, a layer that could not be drawn, or some batch rows failed
     (every other cover was still written); or a file could not be written (said in words)
  2  bad input: unreadable/invalid document or CSV, unknown template/preset/region, bad arguments
     (``--out`` naming a folder included)
  3  export blocked: no cover written (L6 complex text without raqm, L7 over the byte limit)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from studio.core.i18n import _

from .errors import CoverError, ExportError

if TYPE_CHECKING:  # pragma: no cover
    from .products import CatalogReader

EXIT_OK, EXIT_PROBLEMS, EXIT_BAD_INPUT, EXIT_BLOCKED = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 on usage errors; keep that, print one line
        self.print_usage(sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser(reads_catalogs: bool = True) -> argparse.ArgumentParser:
    """The command line; ``reads_catalogs`` False leaves out ``--product-catalog``/``--sku`` (no reader)."""
    parser = _Parser(prog="bridgecast cover", description=_("Render, check and batch-export show covers."))
    sub = parser.add_subparsers(dest="command", required=True)

    render = sub.add_parser("render", help=_("Render one cover to a file."))
    render.add_argument("source", help=_("Cover JSON file or template id."))
    render.add_argument("--preset", required=True)
    render.add_argument("--region")
    render.add_argument("--language")
    render.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    if reads_catalogs:
        _product_arguments(render)
    render.add_argument("--out", required=True,
                        help=_("File to write; presets that take several covers (Lazada) write FILE-1, FILE-2 …"))
    render.add_argument("--format", choices=["png", "jpeg", "jpg", "webp"])
    render.add_argument("--json", action="store_true")

    lint = sub.add_parser("lint", help=_("Check a cover against the legibility rules L1–L10."))
    lint.add_argument("source")
    lint.add_argument("--preset", required=True)
    lint.add_argument("--region")
    lint.add_argument("--language")
    lint.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    if reads_catalogs:
        _product_arguments(lint)
    lint.add_argument("--json", action="store_true")

    batch = sub.add_parser("batch", help=_("One cover per CSV row and preset."))
    batch.add_argument("csv")
    batch.add_argument("--template", required=True)
    batch.add_argument("--presets", required=True)
    batch.add_argument("--region")
    batch.add_argument("--language")
    batch.add_argument("--out", required=True)
    batch.add_argument("--format", choices=["png", "jpeg", "jpg", "webp"], default="jpeg")
    batch.add_argument("--workers", type=int)
    batch.add_argument("--lint", action="store_true")
    batch.add_argument("--json", action="store_true")

    resize = sub.add_parser("resize", help=_("Re-lay out one design for several presets."))
    resize.add_argument("source")
    resize.add_argument("--presets", default="youtube,tiktok_live,shopee_square")
    resize.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    resize.add_argument("--region")
    resize.add_argument("--language")
    resize.add_argument("--out", required=True)
    resize.add_argument("--format", choices=["png", "jpeg", "jpg", "webp"], default="png")

    templates = sub.add_parser("templates", help=_("List templates."))
    templates.add_argument("--region")
    templates.add_argument("--category")
    templates.add_argument("--json", action="store_true")

    presets = sub.add_parser("presets", help=_("List platform presets."))
    presets.add_argument("--json", action="store_true")

    schema = sub.add_parser("schema", help=_("Print the cover document JSON schema."))
    schema.add_argument("--out")
    return parser


def _product_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--product-catalog", metavar="FILE",
                        help=_("Product catalog (CSV or JSON, as the live panel imports) to fill the variables from."))
    parser.add_argument("--sku", help=_("The product of the catalog to fill the variables from."))


def _with_product(doc, args):
    """The document filled from ``--product-catalog``/``--sku`` (``--set`` values still win)."""
    from .products import apply_product, load_catalog, photo_note

    catalog_path, sku = getattr(args, "product_catalog", None), getattr(args, "sku", None)
    if not catalog_path and not sku:
        return doc
    if not catalog_path or not sku:
        raise CoverError(_("--product-catalog and --sku go together: name the catalog file and the product's SKU."))
    catalog = load_catalog(catalog_path, args.read_catalog)
    for problem in catalog.problems():
        print(_("warning: {reason}").format(reason=problem), file=sys.stderr)
    product = catalog.find(sku)
    note = photo_note(product, catalog.folder)
    if note:
        print(_("warning: {reason}").format(reason=note), file=sys.stderr)
    return apply_product(doc, product, catalog.folder)


def _values(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise CoverError(_("--set needs KEY=VALUE, got “{value}”.").format(value=pair))
        key, value = pair.split("=", 1)
        values[key.strip()] = value
    return values


def load_source(source: str, region: str | None = None, language: str | None = None):
    """A cover from a JSON file or a template id, optionally switched to another region pack."""
    from .document import load_document
    from .regions import get_region
    from .templates import TEMPLATES_DIR, build, load_template

    path = Path(source)
    if path.suffix.lower() == ".json" or path.exists():
        doc = load_document(path)
        base_dir = str(path.resolve().parent)
    else:
        doc = load_template(source)
        base_dir = None
    if region or language:
        pack = get_region(region or doc.region or "na_eu")
        if doc.category and (TEMPLATES_DIR / f"{doc.id}.json").exists() and not path.exists():
            from .document import parse_document

            doc = parse_document(build(pack, doc.category, language))
        else:
            lang = pack.language(language)
            variables = dict(doc.variables)
            variables.update({"currency": lang.currency, "locale": lang.locale})
            doc = doc.model_copy(update={"region": pack.id, "language": lang.code, "variables": variables,
                                         "direction": "rtl" if pack.mirror else "ltr"})
    return doc, base_dir


class _OutError(CoverError):
    """``--out`` names a place no cover can be written to; ``exit_code`` says usage (2) or runtime (1)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _check_out_file(out: str) -> None:
    """Refuse an ``--out`` that is a folder (usage) or inside a place we may not write (runtime)."""
    target = Path(out)
    if target.is_dir():
        raise _OutError(_("--out names a folder ({path}); name the cover file, e.g. {example}.").format(
            path=out, example=target / "cover.png"), EXIT_BAD_INPUT)
    folder = target.parent
    while not folder.exists() and folder != folder.parent:  # missing folders are created on writing
        folder = folder.parent
    if not folder.is_dir():
        raise _OutError(_("cannot write the cover to {path}: {folder} is not a folder.").format(
            path=out, folder=folder), EXIT_PROBLEMS)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _OutError(_("cannot write the cover to {path}: no permission to write in {folder}.").format(
            path=out, folder=folder), EXIT_PROBLEMS)


def _print_findings(findings, stream) -> None:
    for finding in findings:
        where = f" [{finding.path}]" if finding.path else ""
        label = _("error") if finding.severity == "error" else _("warning")
        print(f"{finding.rule} {label}{where}: {finding.message} — {finding.fix}", file=stream)


def _cmd_render(args) -> int:
    """One cover, or a numbered set (``OUT-1.jpg`` …) for presets that take several (Lazada: 3)."""
    from .coverset import expand, numbered
    from .export import export, format_for
    from .lint import blocks_export, lint
    from .presets import get_preset
    from .render import render
    from .resize import for_preset

    _check_out_file(args.out)  # before any work: a render that cannot be saved is wasted
    doc, base_dir = load_source(args.source, args.region, args.language)
    doc = _with_product(doc, args)
    preset = get_preset(args.preset)
    values = _values(args.set)
    fmt = args.format or format_for(args.out)
    fmt = "jpeg" if fmt == "jpg" else fmt
    # Render and check every cover of the set before writing any: a set is all or nothing.
    covers = []
    printed: set[tuple] = set()
    for number, variant in expand(for_preset(doc, preset), preset, values, base_dir):
        result = render(variant, preset, values, base_dir, keep_below=True)
        findings = lint(variant, preset, values, base_dir, result=result, check_file_size=False)
        # The covers of a set share most findings: print each once, new ones under their cover's number.
        fresh = [f for f in findings if (f.rule, f.path, f.message) not in printed]
        printed.update((f.rule, f.path, f.message) for f in fresh)
        if fresh and number is not None and number > 1:
            print(_("Cover {number}:").format(number=number), file=sys.stderr)
        _print_findings(fresh, sys.stderr)
        covers.append((number, result, findings))
    if any(blocks_export(findings) for _number, _result, findings in covers):
        print(_("error: export blocked; nothing was written."), file=sys.stderr)
        return EXIT_BLOCKED
    written = []
    for number, result, findings in covers:
        out = numbered(args.out, number)
        try:
            encoded = export(result.image, out, preset, fmt)
        except ExportError as exc:
            print(_("error: {reason}").format(reason=exc.message), file=sys.stderr)
            return EXIT_BLOCKED
        except OSError as exc:  # written next to the target and renamed: nothing half-written is left
            raise _OutError(_("cannot write the cover to {path}: {reason}.").format(
                path=out, reason=exc.strerror or exc), EXIT_PROBLEMS) from None
        written.append({"out": str(out), "cover": number, "bytes": len(encoded.data), "format": encoded.format,
                        "quality": encoded.quality, "findings": [f.as_dict() for f in findings]})
    if args.json:
        report = dict(written[0], preset=preset.id) if len(written) == 1 else {"preset": preset.id, "covers": written}
        print(json.dumps(report, ensure_ascii=False))
    elif len(written) > 1:
        print(_("{count} covers for {preset}: {files}").format(
            count=len(written), preset=preset.name, files=", ".join(row["out"] for row in written)))
    errors = any(f.severity == "error" for _number, _result, findings in covers for f in findings)
    return EXIT_PROBLEMS if errors else EXIT_OK


def _cmd_lint(args) -> int:
    from .lint import lint
    from .presets import get_preset

    doc, base_dir = load_source(args.source, args.region, args.language)
    doc = _with_product(doc, args)
    preset = get_preset(args.preset)
    from .resize import for_preset

    findings = lint(for_preset(doc, preset), preset, _values(args.set), base_dir)
    errors = sum(1 for f in findings if f.severity == "error")
    if args.json:
        print(json.dumps({"preset": preset.id, "errors": errors, "warnings": len(findings) - errors,
                          "findings": [f.as_dict() for f in findings]}, ensure_ascii=False))
    else:
        _print_findings(findings, sys.stdout)
        if not findings:
            print(_("No problems found."))
    return EXIT_PROBLEMS if errors else EXIT_OK


def _cmd_batch(args) -> int:
    from .batch import check_columns, read_products, row_keys, run_batch

    doc, base_dir = load_source(args.template, args.region, args.language)
    rows = read_products(args.csv)
    header = list(rows[0].keys()) if rows else []
    missing = check_columns(doc, header)
    if missing:
        print(_("error: the CSV has no column {columns} (needed by template “{template}”).").format(
            columns=", ".join(missing), template=args.template), file=sys.stderr)
        return EXIT_BAD_INPUT
    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    fmt = "jpeg" if args.format == "jpg" else args.format
    for note in row_keys(rows)[1]:
        print(_("warning: {reason}").format(reason=note), file=sys.stderr)
    results, seconds = run_batch(doc, rows, presets, args.out, fmt, base_dir, args.workers, args.lint)
    failed = [r for r in results if not r.ok]
    for result in failed:
        for error in result.errors:
            print(f"{result.key} {result.preset}: {error}", file=sys.stderr)
    report = {"rows": len(rows), "covers": sum(1 for r in results if r.path), "failed": len(failed),
              "seconds": round(seconds, 3), "results": [r.as_dict() for r in results]}
    (Path(args.out) / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(_("{covers} covers written to {out} in {seconds} s; {failed} failed.").format(
            covers=report["covers"], out=args.out, seconds=report["seconds"], failed=len(failed)))
    return EXIT_PROBLEMS if failed else EXIT_OK


def _cmd_resize(args) -> int:
    from .resize import export_all

    doc, base_dir = load_source(args.source, args.region, args.language)
    fmt = "jpeg" if args.format == "jpg" else args.format
    written = export_all(doc, args.out, [p.strip() for p in args.presets.split(",") if p.strip()], _values(args.set),
                         fmt, base_dir)
    for preset_id, path in written.items():
        print(f"{preset_id}: {path}")
    return EXIT_OK


def _cmd_templates(args) -> int:
    from .templates import list_templates

    rows = list_templates(args.region, args.category)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['id']:<34} {row['language']:<6} {row['name']}")
    return EXIT_OK


def _cmd_presets(args) -> int:
    from .presets import PRESETS

    rows = [{"id": p.id, "name": p.name, "width": p.width, "height": p.height, "max_bytes": p.max_bytes,
             "unsafe": [{"name": n, "x": z.x, "y": z.y, "w": z.w, "h": z.h} for n, z in p.unsafe],
             "text_policy": p.text_policy, "title_max_chars": p.title_max_chars, "cover_count": p.cover_count}
            for p in PRESETS.values()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['id']:<20} {row['width']}x{row['height']:<6} {row['name']}")
    return EXIT_OK


def _cmd_schema(args) -> int:
    from .document import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return EXIT_OK


COMMANDS = {"render": _cmd_render, "lint": _cmd_lint, "batch": _cmd_batch, "resize": _cmd_resize,
            "templates": _cmd_templates, "presets": _cmd_presets, "schema": _cmd_schema}


def main(argv: list[str] | None = None, read_catalog: "CatalogReader | None" = None) -> int:
    """Entry point for ``bridgecast cover``; returns the exit code (see module docstring).

    ``read_catalog`` reads ``--product-catalog`` files: the caller above the engine (``bridgecast``)
    passes the live panel's reader in, because the cover designer may not import the engine; without
    one the command has no ``--product-catalog``/``--sku`` options."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser(read_catalog is not None).parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    args.read_catalog = read_catalog
    try:
        return COMMANDS[args.command](args)
    except _OutError as exc:
        print(_("error: {reason}").format(reason=exc.message), file=sys.stderr)
        return exc.exit_code
    except CoverError as exc:
        print(_("error: {reason}").format(reason=str(exc)), file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # a file that could not be written (a full disk, a read-only place): nothing half-written
        where = exc.filename or _("the output")
        print(_("error: cannot write {path}: {reason}").format(path=where, reason=exc.strerror or exc), file=sys.stderr)
        return EXIT_PROBLEMS


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
