"""The team's schedule files in the config dir: planned shows (for conflicts) and prime-time edits.

Both are small versioned JSON files written atomically.  A file that cannot be read is never
overwritten: reading says why in words, and saving refuses until the file is fixed or moved away,
so nothing the team had is lost.
"""
from __future__ import annotations

import json
import os
import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from studio.core.i18n import _
from studio.core.paths import config_dir
from studio.schedule.errors import ScheduleDataError, ScheduleError
from studio.schedule.markets import TimeWindow, market

SCHEMA_VERSION = 1


def schedule_dir() -> Path:
    return config_dir() / "schedule"


class PlannedShow(BaseModel):
    """A show on the team's plan: when (aware), how long, for which markets."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    title: str = Field(..., min_length=1, max_length=200)
    start: datetime
    duration_min: int = Field(..., ge=1, le=24 * 60)
    markets: list[str] = Field(default_factory=list)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("start needs a UTC offset")
        return value

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration_min)


class TeamPlan(BaseModel):
    schema_version: int = SCHEMA_VERSION
    shows: list[PlannedShow] = Field(default_factory=list)


class PrimeTimeEdits(BaseModel):
    """Per market, the team's own prime-time windows ("HH:MM-HH:MM") replacing the defaults."""

    schema_version: int = SCHEMA_VERSION
    windows: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("windows")
    @classmethod
    def _valid(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for code, windows in value.items():
            market(code)
            for text in windows:
                TimeWindow.parse(text)
        return value

    def windows_for(self, code: str) -> tuple[TimeWindow, ...] | None:
        texts = self.windows.get(code)
        return tuple(TimeWindow.parse(t) for t in texts) if texts else None


def _read(path: Path, model: type[BaseModel], what: str) -> BaseModel:
    if not path.exists():
        return model()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and int(data.get("schema_version", 0) or 0) > SCHEMA_VERSION:
            raise ValueError(_("it was written by a newer Bridgecast"))
        return model.model_validate(data)
    except (OSError, ValueError, ValidationError, TypeError, ScheduleError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        raise ScheduleDataError(_("{what} {path} cannot be read ({reason}); it was left as it is").format(what=what, path=path, reason=reason)) from exc


def _write(path: Path, model: BaseModel) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(model.model_dump_json(indent=2))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def team_plan_path() -> Path:
    return schedule_dir() / "shows.json"


def prime_time_path() -> Path:
    return schedule_dir() / "prime_time.json"


def load_team_plan(path: Path | None = None) -> TeamPlan:
    return _read(path or team_plan_path(), TeamPlan, _("the team's show plan"))  # type: ignore[return-value]


def add_planned_show(show: PlannedShow, path: Path | None = None) -> TeamPlan:
    """Add (or replace, same id) a show on the team's plan; refuses if the file is unreadable."""
    target = path or team_plan_path()
    plan = load_team_plan(target)
    plan.shows = [s for s in plan.shows if s.id != show.id] + [show]
    plan.shows.sort(key=lambda s: s.start)
    _write(target, plan)
    return plan


def remove_planned_show(show_id: str, path: Path | None = None) -> TeamPlan:
    target = path or team_plan_path()
    plan = load_team_plan(target)
    plan.shows = [s for s in plan.shows if s.id != show_id]
    _write(target, plan)
    return plan


def load_prime_time_edits(path: Path | None = None) -> PrimeTimeEdits:
    return _read(path or prime_time_path(), PrimeTimeEdits, _("the prime-time settings"))  # type: ignore[return-value]


def save_prime_time_edits(edits: PrimeTimeEdits, path: Path | None = None) -> Path | None:
    """Save the team's windows (the edits replace all earlier ones).  An unreadable earlier file is
    kept aside under a new name first; that name is returned so the user can be told."""
    target = path or prime_time_path()
    kept: Path | None = None
    try:
        load_prime_time_edits(target)
    except ScheduleDataError:
        kept = target.with_name(f"{target.name}.unreadable-{datetime.now():%Y%m%d-%H%M%S}")
        os.replace(target, kept)
    _write(target, edits)
    return kept
