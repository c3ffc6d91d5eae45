"""Batch covers from a CSV of products: one cover per row and preset, errors per row.

Rows are rendered in a process pool (Pillow drawing holds the GIL); the pool is always shut down
and joined before returning.  A bad row (missing price, corrupt photo) is reported and skipped;
every other row is still written.
"""
from __future__ import annotations

import csv
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from studio.core.i18n import _

from .coverset import expand, numbered
from .document import CoverDocument, variables_used
from .errors import CoverError, DocumentError
from .export import export
from .lint import blocks_export, lint
from .presets import get_preset
from .render import format_price, render
from .resize import for_preset
from .variables import product_variables

# Columns a product CSV must have when the template uses them (others fall back to template defaults).
REQUIRED_IF_USED = ("product_name", "price")


@dataclass
class RowResult:
    row: int
    key: str
    preset: str
    ok: bool
    path: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    bytes: int = 0
    cover: int | None = None  # 1, 2, 3 … within a preset's cover set (Lazada); None for single covers

    def as_dict(self) -> dict:
        return asdict(self)


def read_products(path: str | Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise DocumentError(_("The CSV file “{path}” has no header row.").format(path=path))
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except UnicodeDecodeError:
        raise DocumentError(_("The CSV file “{path}” is not UTF-8 text (it looks like a spreadsheet or other binary "
                              "file). Save it as “CSV UTF-8” and try again.").format(path=path)) from None
    except OSError as exc:
        raise DocumentError(_("Cannot read the CSV file “{path}”: {reason}").format(
            path=path, reason=exc.strerror or exc)) from None
    except csv.Error as exc:
        raise DocumentError(_("Cannot read the CSV file “{path}”: {reason}").format(path=path, reason=exc)) from None
    return rows


def row_keys(rows: list[dict[str, str]]) -> tuple[list[str], list[str]]:
    """The file-name key of every row and a note for each row whose key another row took first.

    Two rows with the same SKU (or SKUs that make the same file name, ``a/1`` and ``a-1``) would write
    the same cover file, the later silently replacing the earlier: the later row's files get its row
    number (``A1-row3-youtube.jpg``) and the note says so."""
    keys: list[str] = []
    first_row: dict[str, int] = {}
    notes: list[str] = []
    for number, row in enumerate(rows, start=1):
        key = _safe_name(row.get("sku") or row.get("id") or f"row{number}")
        folded = key.casefold()  # case-insensitive file systems (macOS, Windows) would collide too
        if folded in first_row:
            distinct = f"{key}-row{number}"
            while distinct.casefold() in first_row:  # another row's SKU may already be "A1-row3"
                distinct += "-2"
            notes.append(_("Row {row} makes the same file name as row {first} (“{key}”); its covers are named "
                           "“{distinct}-…” so neither replaces the other.").format(
                row=number, first=first_row[folded], key=key, distinct=distinct))
            key = distinct
            folded = key.casefold()
        first_row.setdefault(folded, number)
        keys.append(key)
    return keys, notes


def check_columns(doc: CoverDocument, header: list[str]) -> list[str]:
    used = variables_used(doc)
    return [name for name in REQUIRED_IF_USED if name in used and name not in header]


def _safe_name(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_" else "-" for c in text)
    return keep.strip("-")[:60] or "row"


def render_row(doc_json: str, row_number: int, row: dict[str, str], presets: list[str], out_dir: str, fmt: str,
               base_dir: str | None, run_lint: bool, key: str | None = None) -> list[RowResult]:
    """Render one product row at each preset (runs in a worker process); ``key`` names its files."""
    doc = CoverDocument.model_validate_json(doc_json)
    key = key or _safe_name(row.get("sku") or row.get("id") or f"row{row_number}")
    values = product_variables(row)
    results: list[RowResult] = []
    row_errors: list[str] = []
    if "price" in variables_used(doc):
        price = values.get("price", doc.variables.get("price", ""))
        try:
            format_price(price, values.get("currency", doc.variables.get("currency", "USD")),
                         values.get("locale", doc.variables.get("locale", "en_US")))
        except CoverError as exc:
            row_errors.append(_("Row {row}, column “{column}”: {reason}").format(row=row_number, column="price",
                                                                                 reason=exc.message))
    for preset_id in presets:
        try:
            preset = get_preset(preset_id)
            covers = expand(for_preset(doc, preset), preset, values, base_dir)
        except CoverError as exc:
            results.append(RowResult(row_number, key, preset_id, False,
                                     errors=[_("Row {row}: {reason}").format(row=row_number, reason=exc.message)]))
            continue
        for number, target in covers:
            result = RowResult(row_number, key, preset_id, False, cover=number)
            results.append(result)
            if row_errors:
                result.errors.extend(row_errors)
                continue
            try:
                rendered = render(target, preset, values, base_dir, keep_below=run_lint)
                result.errors.extend(_("Row {row}: {path}: {reason}").format(row=row_number, path=p.path, reason=p.message)
                                     for p in rendered.problems)
                if run_lint:
                    findings = lint(target, preset, values, base_dir, result=rendered)
                    if blocks_export(findings):
                        result.errors.extend(f"{f.rule}: {f.message}" for f in findings if f.severity == "error")
                        continue
                    result.warnings.extend(f"{f.rule}: {f.message}" for f in findings if f.rule != "render")
                extension = "jpg" if fmt == "jpeg" else fmt
                path = numbered(Path(out_dir) / f"{key}-{preset.id}.{extension}", number)
                encoded = export(rendered.image, path, preset, fmt)
                result.path, result.bytes = str(path), len(encoded.data)
                result.ok = not rendered.problems
            except CoverError as exc:
                result.errors.append(_("Row {row}: {reason}").format(row=row_number, reason=exc.message))
            except Exception as exc:  # one broken row must never stop the batch
                result.errors.append(_("Row {row}: unexpected error: {reason}").format(row=row_number, reason=exc))
    return results


def _pool_context():
    # fork is fast and safe here: workers only render and write files.
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def run_batch(doc: CoverDocument, rows: list[dict[str, str]], presets: list[str], out_dir: str | Path,
              fmt: str = "jpeg", base_dir: str | None = None, workers: int | None = None,
              run_lint: bool = False) -> tuple[list[RowResult], float]:
    """Render every row × preset; returns results (in row order) and wall-clock seconds."""
    for preset_id in presets:
        get_preset(preset_id)  # fail fast on a typo, before any work
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    doc_json = doc.model_dump_json()
    started = time.perf_counter()
    workers = workers or min(len(rows), os.cpu_count() or 1) or 1
    results: list[RowResult] = []
    keys, _notes = row_keys(rows)
    jobs = [(doc_json, i + 1, row, presets, str(out_dir), fmt, base_dir, run_lint, keys[i]) for i, row in enumerate(rows)]
    if workers <= 1 or len(rows) <= 1:
        for job in jobs:
            results.extend(render_row(*job))
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
            futures = [pool.submit(render_row, *job) for job in jobs]
            for number, future in enumerate(futures, start=1):
                try:
                    results.extend(future.result())
                except Exception as exc:  # a crashed worker fails its own row only
                    results.extend(RowResult(number, keys[number - 1], p, False,
                                             errors=[_("Row {row}: unexpected error: {reason}").format(row=number, reason=exc)])
                                   for p in presets)
    return results, time.perf_counter() - started
