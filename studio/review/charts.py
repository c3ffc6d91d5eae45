"""The review's charts, drawn with matplotlib (its object API: no pyplot, no GUI backend).

The same :class:`~matplotlib.figure.Figure` goes into the HTML report (as inline SVG, text as
paths, so no font or network is needed to view it), into the PDF, and into the app's Review
window (which puts it on a Qt canvas).  Segments are shaded bands named at the top; pins are
marked with a triangle and the SKU.
"""
from __future__ import annotations

import io
from typing import Any, Iterator

from matplotlib import rc_context
from matplotlib.figure import Figure

from studio.core.i18n import _
from studio.review.records import Review

_WANTED_FONTS = ("DejaVu Sans", "Noto Sans CJK SC", "Noto Sans Thai", "Noto Sans Arabic")
_fonts: list[str] | None = None


def fonts() -> list[str]:
    """The wanted families this machine has (Latin first, then CJK and others as fallbacks):
    asking matplotlib for a missing one logs a warning per glyph."""
    global _fonts
    if _fonts is None:
        from matplotlib import font_manager

        present = {entry.name for entry in font_manager.fontManager.ttflist}
        _fonts = [name for name in _WANTED_FONTS if name in present] or ["sans-serif"]
    return _fonts
SEGMENT_COLOURS = ("#e8eef7", "#f6efe3")
PLATFORM_COLOURS = ("#1f6fb2", "#d9534f", "#3c9a5f", "#8e5cb5", "#e0902f", "#555555")
PIN_COLOUR = "#b8860b"


def style() -> rc_context:
    """The charts' look; a context so the app's other matplotlib users are not touched."""
    return rc_context({"font.family": fonts(), "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                       "svg.fonttype": "path", "pdf.fonttype": 42, "axes.titlesize": 11, "axes.titleweight": "bold"})


def _figure(width_in: float, height_in: float, into: Any) -> Any:
    """A new figure, or ``into`` (a subfigure of a PDF page) to draw in."""
    return into if into is not None else Figure(figsize=(width_in, height_in), layout="constrained")


def _minutes(review: Review) -> list[float]:
    return [m.t / 60.0 for m in review.timeline]


def _shade_segments(ax, review: Review) -> None:
    for number, segment in enumerate(s for s in review.segments if s.actual_start_s is not None):
        start = segment.actual_start_s / 60.0
        end = start + (segment.actual_s or 0) / 60.0
        ax.axvspan(start, end, color=SEGMENT_COLOURS[number % 2], zorder=0, gid=f"segment-{segment.index + 1}")
        ax.text((start + end) / 2, 1.0, f"{segment.index + 1}. {segment.name}", transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=7.5, clip_on=False, color="#333333")


def _mark_pins(ax, review: Review) -> None:
    for number, pin in enumerate(review.pins):
        x = pin["from_s"] / 60.0
        ax.axvline(x, color=PIN_COLOUR, linewidth=1.0, linestyle=":", zorder=1)
        ax.plot([x], [0.93], marker="v", color=PIN_COLOUR, transform=ax.get_xaxis_transform(), clip_on=False, zorder=3,
                gid=f"pin-{number + 1}")
        ax.text(x, 0.86, pin["sku"], transform=ax.get_xaxis_transform(), fontsize=7, color="#5c4300", ha="left",
                va="top", rotation=90, bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})


def viewers_figure(review: Review, width_in: float = 10.0, height_in: float = 3.6,
                   into: Any = None) -> Figure:
    """Viewers per platform, minute by minute, stacked; segments shaded, pins marked."""
    with style():
        figure = _figure(width_in, height_in, into)
        ax = figure.add_subplot()
        _shade_segments(ax, review)
        x = _minutes(review)
        if review.platforms:
            x = [*x, x[-1] + 1]  # the last minute drawn to its end
            bottoms = [0.0] * len(x)
            for number, platform in enumerate(review.platforms):
                values = [m.viewers.get(platform) for m in review.timeline]
                values.append(values[-1])
                tops = [b + (v or 0) for b, v in zip(bottoms, values)]
                ax.fill_between(x, bottoms, tops, step="post", color=PLATFORM_COLOURS[number % len(PLATFORM_COLOURS)],
                                alpha=0.75, label=platform, linewidth=0, zorder=2)
                bottoms = tops
            ax.legend(loc="upper left", fontsize=8, frameon=False, bbox_to_anchor=(1.0, 1.0))
        else:
            ax.text(0.5, 0.5, _("No viewer counts: no platform was connected."), transform=ax.transAxes,
                    ha="center", va="center", color="#666666", fontsize=10)
        _mark_pins(ax, review)
        ax.set_xlim(0, len(review.timeline))
        ax.set_xlabel(_("minutes since the start"))
        ax.set_ylabel(_("viewers"))
        ax.set_title(_("Viewers"), loc="left", pad=16)
        return figure


def activity_figure(review: Review, width_in: float = 10.0, height_in: float = 2.8,
                    into: Any = None) -> Figure:
    """Orders (bars) and comments (line) per minute."""
    with style():
        figure = _figure(width_in, height_in, into)
        ax = figure.add_subplot()
        _shade_segments(ax, review)
        x = _minutes(review)
        ax.bar(x, [m.orders for m in review.timeline], width=0.8, align="edge", color="#3c9a5f", label=_("orders"), zorder=2)
        ax.set_ylabel(_("orders per minute"))
        comments = ax.twinx()
        comments.plot([v + 0.5 for v in x], [m.comments for m in review.timeline], color="#1f6fb2", label=_("comments"), zorder=3)
        comments.set_ylabel(_("comments per minute"))
        comments.spines["right"].set_visible(True)
        ax.set_xlim(0, max(x[-1] + 1 if x else 1, 1))
        ax.set_xlabel(_("minutes since the start"))
        ax.set_title(_("Orders and comments"), loc="left", pad=16)
        handles = ax.get_legend_handles_labels()[0] + comments.get_legend_handles_labels()[0]
        ax.legend(handles, [h.get_label() for h in handles], loc="upper left", fontsize=8, frameon=False, bbox_to_anchor=(1.06, 1.0))
        return figure


def plan_figure(review: Review, width_in: float = 10.0, height_in: float = 2.8,
                into: Any = None) -> Figure:
    """Planned against actual minutes per segment, with each segment's GMV written beside it."""
    with style():
        figure = _figure(width_in, height_in, into)
        ax = figure.add_subplot()
        segments = review.segments
        names = [f"{s.index + 1}. {s.name}" for s in segments]
        rows = list(range(len(segments)))
        ax.barh([r + 0.2 for r in rows], [(s.planned_s or 0) / 60 for s in segments], height=0.4, color="#b9c7d8", label=_("planned"))
        ax.barh([r - 0.2 for r in rows], [(s.actual_s or 0) / 60 for s in segments], height=0.4, color="#1f6fb2", label=_("actual"))
        for row, segment in zip(rows, segments):
            if segment.orders:
                ax.text((segment.actual_s or 0) / 60 + 0.1, row - 0.2, f"{segment.gmv:,.2f} {review.currency or ''}",
                        va="center", fontsize=7.5, color="#2d6a3e")
        ax.set_yticks(rows, names)
        ax.invert_yaxis()
        ax.set_xlabel(_("minutes"))
        ax.set_title(_("Run-of-show: planned and actual"), loc="left")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        if not segments:
            ax.text(0.5, 0.5, _("No run-of-show was used in this show."), transform=ax.transAxes, ha="center", va="center",
                    color="#666666")
        return figure


def quality_figure(review: Review, width_in: float = 10.0, height_in: float = 2.4,
                   into: Any = None) -> Figure:
    """The lowest layer sent in each minute, and the seconds frozen."""
    with style():
        figure = _figure(width_in, height_in, into)
        ax = figure.add_subplot()
        _shade_segments(ax, review)
        x = _minutes(review)
        heights = [m.top_height if m.top_height is not None else float("nan") for m in review.timeline]
        ax.step(x, heights, where="post", color="#8e5cb5", label=_("layer sent (lowest in the minute)"), zorder=3)
        ax.set_ylabel(_("picture height (p)"))
        frozen = ax.twinx()
        frozen.bar(x, [m.frozen_s or 0 for m in review.timeline], width=0.8, align="edge", color="#d9534f", alpha=0.6,
                   label=_("seconds frozen"), zorder=2)
        frozen.set_ylabel(_("seconds frozen"))
        frozen.set_ylim(0, 60)
        frozen.spines["right"].set_visible(True)
        ax.set_xlim(0, max(x[-1] + 1 if x else 1, 1))
        ax.set_xlabel(_("minutes since the start"))
        ax.set_title(_("Stream quality"), loc="left", pad=16)
        if not any(m.stats_s for m in review.timeline):
            ax.text(0.5, 0.5, _("No stream statistics for this show."), transform=ax.transAxes, ha="center", va="center",
                    color="#666666")
        return figure


def all_figures(review: Review) -> Iterator[tuple[str, Figure]]:
    """Every chart of the report, with its id."""
    yield "viewers", viewers_figure(review)
    yield "activity", activity_figure(review)
    yield "plan", plan_figure(review)
    yield "quality", quality_figure(review)


def to_svg(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, no external reference)."""
    buffer = io.StringIO()
    with style():
        figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg"):]
