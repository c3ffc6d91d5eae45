"""``RunOfShow``: the show's planned segments, the one on air, its timer and its actions.

Entering a segment (and running over its planned time) fires its actions on the other units:
pin or unpin a product, show a coupon, start a flash sale, switch the scene.  A broken step
is journaled as ``segment.action_failed`` and the show goes on.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from studio.core.i18n import _
from studio.live.errors import LiveError
from studio.live.journal import ShowJournal, whole_number
from studio.live.products import ProductShelf
from studio.live.promotions import Coupons, FlashSale

log = logging.getLogger(__name__)

DEFAULT_PLANNED_S = 600


@dataclass
class Segment:
    """One planned segment.  Actions: ``{"pin": sku}``, ``{"unpin": true}``, ``{"show_coupon": code}``,
    ``{"flash_sale": {...FlashSale.start kwargs}}``, ``{"scene": scene_id}``."""

    name: str
    kind: str = "product"
    planned_s: int = DEFAULT_PLANNED_S
    talking_points: list[str] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    overtime_actions: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Segment":
        return cls(name=data["name"], kind=data.get("kind", "product"), planned_s=data.get("planned_s", DEFAULT_PLANNED_S),
                   talking_points=list(data.get("talking_points", [])), actions=list(data.get("actions", [])),
                   overtime_actions=list(data.get("overtime_actions", [])))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "planned_s": self.planned_s, "talking_points": list(self.talking_points),
                "actions": list(self.actions), "overtime_actions": list(self.overtime_actions)}


@dataclass
class Plan:
    """The segments and where the show is in them (``index`` -1: not started; ``entered_at``: wall seconds)."""

    segments: list[Segment] = field(default_factory=list)
    index: int = -1
    entered_at: float | None = None
    is_overtime_sent: bool = False

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> "Plan":
        return cls(segments=[Segment.from_json(s) for s in data.get("segments", [])], index=data.get("index", -1),
                   entered_at=data.get("entered_at"), is_overtime_sent=bool(data.get("overtime_sent")))

    def to_state(self) -> dict[str, Any]:
        return {"segments": [s.to_json() for s in self.segments], "index": self.index, "entered_at": self.entered_at,
                "overtime_sent": self.is_overtime_sent}


class RunOfShow:
    """The run-of-show: :meth:`set` a plan, :meth:`advance` through it, :meth:`tick` for overtime.

    State key in the store: ``plan``.
    """

    def __init__(self, journal: ShowJournal, shelf: ProductShelf, coupons: Coupons, flash_sale: FlashSale,
                 switch_scene: Callable[[str], Any] | None, saved: dict[str, Any]) -> None:
        self._journal = journal
        self._shelf = shelf
        self._coupons = coupons
        self._flash_sale = flash_sale
        self._switch_scene = switch_scene  # None headless: scene actions then fail (journaled)
        self.plan = Plan.from_state(saved["plan"]) if saved.get("plan") else Plan()

    def set(self, segments: list[dict[str, Any]]) -> dict[str, Any]:
        """Segments: ``{"name","kind","planned_s","talking_points":[...],"actions":[...],"overtime_actions":[...]}``
        (actions: see :class:`Segment`)."""
        clean = []
        for index, seg in enumerate(segments):
            if not isinstance(seg, dict) or not str(seg.get("name", "")).strip():
                raise LiveError(_("Segment {number} needs a name.").format(number=index + 1))
            clean.append(Segment(name=str(seg["name"]), kind=str(seg.get("kind", "product")),
                                 planned_s=whole_number(seg.get("planned_s", DEFAULT_PLANNED_S), _("The planned duration"), 1),
                                 talking_points=[str(p) for p in seg.get("talking_points", [])],
                                 actions=list(seg.get("actions", [])), overtime_actions=list(seg.get("overtime_actions", []))))
        with self._journal.lock:
            self.plan = Plan(segments=clean)
            return self._journal.commit("plan.set", {"segments": [s.to_json() for s in clean]}, self._state())

    def advance(self) -> dict[str, Any]:
        """Enter the next segment and fire its actions."""
        with self._journal.lock:
            index = self.plan.index + 1
            if index >= len(self.plan.segments):
                raise LiveError(_("This is the last segment."))
            self.plan.index, self.plan.entered_at, self.plan.is_overtime_sent = index, self._journal.clock(), False
            segment = self.plan.segments[index]
            event = self._journal.commit("segment.entered", {"index": index, "name": segment.name,
                                                             "planned_s": segment.planned_s}, self._state())
            self._run_actions(segment.actions)
            return event

    def tick(self) -> None:
        """Announce (once) that the segment on air ran over its planned time and fire its overtime actions."""
        segment = self.current_json()
        if segment and segment["is_overtime"] and not self.plan.is_overtime_sent:
            self.plan.is_overtime_sent = True
            self._journal.commit("segment.overtime", {"index": segment["index"], "name": segment["name"],
                                                      "planned_s": segment["planned_s"]}, self._state())
            self._run_actions(self.plan.segments[segment["index"]].overtime_actions)

    def current_json(self) -> dict[str, Any] | None:
        """The segment on air with its timer (the snapshot's ``segment``), or None before the first."""
        index = self.plan.index
        if index < 0:
            return None
        segment = self.plan.segments[index]
        elapsed = self._journal.clock() - self.plan.entered_at
        return {"index": index, "name": segment.name, "kind": segment.kind, "planned_s": segment.planned_s,
                "talking_points": list(segment.talking_points), "elapsed_s": round(elapsed, 3),
                "remaining_s": round(segment.planned_s - elapsed, 3), "is_overtime": elapsed > segment.planned_s,
                "count": len(self.plan.segments)}

    def outline_json(self) -> list[dict[str, Any]]:
        """The plan as the snapshot lists it (name, kind, planned length)."""
        return [{"name": s.name, "kind": s.kind, "planned_s": s.planned_s} for s in self.plan.segments]

    def _run_actions(self, actions: list[dict[str, Any]]) -> None:
        for action in actions:
            try:
                if "pin" in action:
                    self._shelf.pin(action["pin"])
                elif action.get("unpin"):
                    self._shelf.unpin()
                elif "show_coupon" in action:
                    self._coupons.show(action["show_coupon"])
                elif "flash_sale" in action:
                    self._flash_sale.start(**action["flash_sale"])
                elif "scene" in action and self._switch_scene is not None:
                    self._switch_scene(action["scene"])
                else:
                    raise LiveError(_("Unknown segment action."))
            except Exception as err:  # a broken plan step must not stop the show
                log.warning("segment action %r failed: %s", action, err)
                self._journal.commit("segment.action_failed", {"action": action, "error": str(err)})

    def _state(self) -> dict[str, Any]:
        return {"plan": self.plan.to_state()}
