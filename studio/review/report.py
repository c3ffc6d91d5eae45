"""The review as files: one self-contained HTML page, a PDF of it, CSV tables.

The HTML carries its charts as inline SVG and its style inline: it opens anywhere, offline,
and can be mailed as one file.  The PDF has the same sections (matplotlib's PDF backend:
the charts stay vector).  Every file is written to a temporary name and moved into place, so
a failed write never leaves half a report over a good one.
"""
from __future__ import annotations

import csv
import html
import io
import os
import tempfile
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from studio.core.i18n import N_, _
from studio.review import charts
from studio.review.records import Review, clock_text

CSS = """
body{font-family:"Noto Sans","DejaVu Sans","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:1080px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:28px 0 10px;border-bottom:2px solid #dde2ea;padding-bottom:4px}
.meta{color:#556070;font-size:14px}.card{background:#fff;border-radius:8px;padding:14px 18px;margin:10px 0;
box-shadow:0 1px 2px rgba(0,0,0,.08)}.findings li{margin:6px 0;font-size:15px;line-height:1.45}
.missing li{color:#8a4b00}.chart svg{width:100%;height:auto;display:block}
.kpis{display:flex;flex-wrap:wrap;gap:10px}.kpi{background:#fff;border-radius:8px;padding:10px 16px;min-width:130px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}.kpi b{display:block;font-size:22px}.kpi span{color:#556070;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px;background:#fff}th,td{padding:5px 8px;border-bottom:1px solid #e4e7ec;
text-align:right}td{white-space:nowrap}th:first-child,td:first-child{text-align:left}th{background:#eef1f5}tr.this td{font-weight:bold}
details summary{cursor:pointer;color:#1f6fb2;margin:8px 0}
"""


def _atomic_write(path: Path, write: Callable[[Any], None], binary: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as out:
            write(out)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}" if isinstance(value, float) or digits else f"{value:,}"


def _when(review: Review) -> str:
    return datetime.fromtimestamp(review.start_unix).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def kpis(review: Review) -> list[tuple[str, str]]:
    """The headline figures as (label, value) — "—" where the show did not record them."""
    totals = [m.viewers_total for m in review.timeline if m.viewers_total is not None]
    orders = sum(m.orders for m in review.timeline)
    gmv = sum(m.gmv for m in review.timeline)
    has_orders = any(m.orders for m in review.timeline)
    return [
        (_("on air"), clock_text(review.duration_s)),
        (_("peak viewers"), _number(max(totals)) if totals else "—"),
        (_("average viewers"), _number(round(sum(totals) / len(totals))) if totals else "—"),
        (_("comments"), _number(sum(m.comments for m in review.timeline))),
        (_("orders"), _number(orders) if has_orders else "—"),
        (_("GMV"), f"{gmv:,.2f} {review.currency or ''}".strip() if has_orders else "—"),
        (_("average order"), f"{gmv / orders:,.2f} {review.currency or ''}".strip() if orders else "—"),
    ]


def segment_rows(review: Review) -> tuple[list[str], list[list[str]]]:
    header = [_("segment"), _("planned start"), _("actual start"), _("planned"), _("actual"), _("viewers in"),
              _("viewers out"), _("change"), _("interactions/min"), _("orders"), _("GMV"), _("conversion")]
    rows = []
    for s in review.segments:
        rows.append([f"{s.index + 1}. {s.name}",
                     clock_text(s.planned_start_s) if s.planned_start_s is not None else "—",
                     clock_text(s.actual_start_s) if s.actual_start_s is not None else _("not on air"),
                     clock_text(s.planned_s) if s.planned_s else "—", clock_text(s.actual_s) if s.actual_s is not None else "—",
                     _number(s.viewers_start), _number(s.viewers_end),
                     "—" if s.drop_pct is None else f"{-s.drop_pct:+.1f} %", _number(s.interactions_per_min, 1),
                     _number(s.orders), _number(s.gmv, 2), "—" if s.conversion_pct is None else f"{s.conversion_pct:.2f} %"])
    return header, rows


def product_rows(review: Review) -> tuple[list[str], list[list[str]]]:
    header = [_("product"), _("pins"), _("on screen"), _("orders"), _("units"), _("GMV"),
              _("orders ≤ {n} min after a pin").format(n=review.pin_window_min), _("coupon redemptions"), _("flash-sale units")]
    rows = [[f"{p.sku} {p.title}".strip(), _number(p.pins), clock_text(p.on_screen_s), _number(p.orders), _number(p.units),
             _number(p.gmv, 2), _number(p.orders_after_pin), _number(p.coupon_redemptions), _number(p.flash_sale_units)]
            for p in review.products]
    return header, rows


def comparison_rows(review: Review) -> tuple[list[str], list[list[str]]]:
    header = [_("show"), _("started"), _("on air"), _("peak viewers"), _("average viewers"), _("orders"), _("GMV"),
              _("same weekday and hour")]
    rows = []
    for row in review.comparison:
        started = datetime.fromtimestamp(row["start_unix"]).strftime("%Y-%m-%d %a %H:%M")
        rows.append([row["show"], started, clock_text(row["duration_s"]), _number(row["peak_viewers"]),
                     _number(row["average_viewers"]), _number(row["orders"]), _number(row["gmv"], 2) if row["gmv"] is not None else "—",
                     _("yes") if row["same_slot"] else _("no")])
    return header, rows


def referral_rows(review: Review) -> tuple[list[str], list[list[str]]]:
    """The referral programme's top inviters (name, invites that count, points, held)."""
    header = [_("Inviter"), _("Code"), _("Invites"), _("Points"), _("Held")]
    top = (review.referrals or {}).get("top") or []
    return header, [[str(row.get("name") or ""), str(row.get("code") or ""), _number(row.get("invites")),
                     _number(row.get("points")), _number(row.get("held"))] for row in top]


# One sentence per reward state (the states are the ledger's codes, never shown as they are).
REWARD_STATE_LINES = {
    "vesting": N_("Rewards waiting to count: {count}"),
    "vested": N_("Rewards that count, coupon not issued yet: {count}"),
    "granted": N_("Rewards issued as coupons: {count}"),
    "held": N_("Rewards held: {count}"),
}


def referral_lines(review: Review) -> list[str]:
    """The programme in words: joins, refusals by reason, rewards by state, points and coupons."""
    from studio.live.referral_ledger import reason_text

    figures = review.referrals or {}
    lines = [_("Inviters: {inviters} · joins: {joins} · points: {points} · coupons granted: {coupons}").format(
        inviters=_number(figures.get("inviters")), joins=_number(figures.get("joins")),
        points=_number(figures.get("points")), coupons=_number(figures.get("coupons_granted")))]
    for reason, count in sorted((figures.get("refused") or {}).items()):
        lines.append(_("Refused, {reason}: {count}").format(reason=reason_text(reason), count=_number(count)))
    for state, count in sorted((figures.get("rewards") or {}).items()):
        line = REWARD_STATE_LINES.get(state, N_("Rewards {state}: {count}"))
        lines.append(_(line).format(state=state, count=_number(count)))
    return lines


def _table(header: list[str], rows: list[list[str]], marked: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(f"<tr{' class=this' if n in marked else ''}>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for n, row in enumerate(rows))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(review: Review, title: str | None = None) -> str:
    """The whole report as one HTML document (no script, no external reference)."""
    title = title or _("Show review")
    parts = [f"<!DOCTYPE html><html lang=\"{html.escape(_('en'))}\"><head><meta charset=\"utf-8\">",
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{html.escape(title)}</title>",
             f"<style>{CSS}</style></head><body><main>",
             f"<h1>{html.escape(title)}</h1><p class=meta>{html.escape(_when(review))} · "
             f"{html.escape(', '.join(review.platforms) or _('no platform connected'))}</p>",
             "<div class=kpis>" + "".join(f"<div class=kpi><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>"
                                          for k, v in kpis(review)) + "</div>",
             f"<h2>{html.escape(_('What happened'))}</h2><div class='card findings'><ul>"
             + "".join(f"<li>{html.escape(f['text'])}</li>" for f in review.findings)
             + (f"<li>{html.escape(_('Nothing stands out in the figures this show recorded.'))}</li>" if not review.findings else "")
             + "</ul></div>"]
    if review.missing:
        parts.append(f"<h2>{html.escape(_('What this show did not record'))}</h2><div class='card missing'><ul>"
                     + "".join(f"<li>{html.escape(text)}</li>" for text in review.missing) + "</ul></div>")
    parts.append(f"<h2>{html.escape(_('Charts'))}</h2>")
    for chart_id, figure in charts.all_figures(review):
        parts.append(f"<div class='card chart' id='chart-{chart_id}'>{charts.to_svg(figure)}</div>")
    parts.append(f"<h2>{html.escape(_('Run-of-show segments'))}</h2>" + _table(*segment_rows(review)))
    parts.append(f"<h2>{html.escape(_('Products'))}</h2>" + _table(*product_rows(review)))
    if review.referrals:
        parts.append(f"<h2>{html.escape(_('Referral programme'))}</h2><div class=card><ul>"
                     + "".join(f"<li>{html.escape(line)}</li>" for line in referral_lines(review)) + "</ul></div>"
                     + _table(*referral_rows(review)))
    if len(review.comparison) > 1:
        parts.append(f"<h2>{html.escape(_('Against earlier shows'))}</h2>" + _table(*comparison_rows(review), marked={0}))
    header, rows = timeline_table(review)
    parts.append(f"<h2>{html.escape(_('Minute by minute'))}</h2><details><summary>{html.escape(_('Show the table'))}</summary>"
                 + _table(header, [[("—" if c == "" else str(c)) for c in row] for row in rows]) + "</details>")
    parts.append("</main></body></html>")
    return "".join(parts)


def timeline_table(review: Review) -> tuple[list[str], list[list[Any]]]:
    """The timeline as CSV columns (a viewers column per platform; empty where unknown)."""
    header = ["t_s", "clock", "viewers_total", *(f"viewers_{p}" for p in review.platforms), "comments", "likes", "shares",
              "orders", "units", "gmv", "coupon_claims", "stats_s", "layer_height", "limited_s", "frozen_s", "reconnects"]
    rows = []
    for m in review.timeline:
        row = [m.t, clock_text(m.t), m.viewers_total, *(m.viewers.get(p) for p in review.platforms), m.comments, m.likes,
               m.shares, m.orders, m.units, round(m.gmv, 2), m.coupon_claims, m.stats_s, m.top_height, m.limited_s,
               m.frozen_s, m.reconnects]
        rows.append(["" if v is None else v for v in row])
    return header, rows


def write_html(review: Review, path: Path) -> Path:
    text = to_html(review)
    return _atomic_write(path, lambda out: out.write(text))


def write_csv(review: Review, directory: Path) -> list[Path]:
    """``timeline.csv``, ``segments.csv``, ``products.csv`` (and ``referrals.csv`` when the show ran
    a referral programme) in ``directory`` (machine-readable
    figures: seconds and plain numbers, empty where unknown)."""
    from dataclasses import asdict

    tables = {"timeline.csv": timeline_table(review)}
    for name, items in (("segments.csv", review.segments), ("products.csv", review.products)):
        rows = [asdict(item) for item in items]
        columns = list(rows[0]) if rows else (["index", "name"] if name == "segments.csv" else ["sku", "title"])
        tables[name] = (columns, [["" if row[c] is None else row[c] for c in columns] for row in rows])
    if review.referrals:
        columns = ["code", "name", "viewer", "invites", "points", "held"]
        tables["referrals.csv"] = (columns, [["" if row.get(c) is None else row.get(c) for c in columns]
                                             for row in review.referrals.get("top") or []])
    written = []
    for name, (header, rows) in tables.items():
        def write(out, header=header, rows=rows) -> None:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(_atomic_write(Path(directory) / name, write))
    return written


def _text_page(title: str, sections: list[tuple[str, list[str]]]) -> Figure:
    with charts.style():
        page = Figure(figsize=(8.27, 11.69))  # A4
        y = 0.95
        page.text(0.07, y, title, fontsize=18, fontweight="bold", va="top")
        y -= 0.05
        for heading, lines in sections:
            if not lines:
                continue
            page.text(0.07, y, heading, fontsize=12, fontweight="bold", va="top")
            y -= 0.03
            for line in lines:
                wrapped = textwrap.wrap(line, 95) or [""]
                for number, piece in enumerate(wrapped):
                    page.text(0.09 if number else 0.07, y, ("• " if not number else "  ") + piece, fontsize=9, va="top")
                    y -= 0.019
                if y < 0.06:
                    return page
            y -= 0.02
        return page


def _table_page(title: str, header: list[str], rows: list[list[str]]) -> Figure:
    with charts.style():
        page = Figure(figsize=(11.69, 8.27))  # A4 landscape
        ax = page.add_subplot()
        ax.axis("off")
        ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
        if rows:
            table = ax.table(cellText=rows[:40], colLabels=header, loc="upper center", cellLoc="right")
            table.auto_set_font_size(False)
            table.set_fontsize(9)
            table.scale(1, 1.6)
        return page


def _chart_page(upper: Callable[..., Any], lower: Callable[..., Any], review: Review) -> Figure:
    """Two charts on one A4 landscape page."""
    with charts.style():
        page = Figure(figsize=(11.69, 8.27), layout="constrained")
        top, bottom = page.subfigures(2, 1, hspace=0.04)
        upper(review, into=top)
        lower(review, into=bottom)
        return page


def write_pdf(review: Review, path: Path) -> Path:
    """The report as a PDF: findings, charts, tables (A4)."""
    title = _("Show review") + " — " + _when(review)
    pages = [_text_page(title, [("", [f"{k}: {v}" for k, v in kpis(review)]),
                                (_("What happened"), [f["text"] for f in review.findings]),
                                (_("What this show did not record"), review.missing)])]
    pages += [_chart_page(charts.viewers_figure, charts.activity_figure, review),
              _chart_page(charts.plan_figure, charts.quality_figure, review)]
    pages.append(_table_page(_("Run-of-show segments"), *segment_rows(review)))
    pages.append(_table_page(_("Products"), *product_rows(review)))
    if len(review.comparison) > 1:
        pages.append(_table_page(_("Against earlier shows"), *comparison_rows(review)))

    def write(out) -> None:
        buffer = io.BytesIO()
        with charts.style(), PdfPages(buffer, metadata={"Title": title, "Creator": "Bridgecast Studio"}) as pdf:
            for page in pages:
                pdf.savefig(page)
        out.write(buffer.getvalue())

    return _atomic_write(path, write, binary=True)
