"""Invite posters: one per inviter, from the ``referral-invite`` template in a region pack's style.

The template's variables: ``{invite_headline}``, ``{inviter_line}`` (words in the viewers'
language through :func:`studio.core.i18n.translator_for`), ``{invite_code}``, ``{invite_qr}`` (the
invite link in a QR code; the code itself when the team set no link address) and
``{start_time_local}`` (the show's start in the invitees' market, from
:func:`cover_designer.variables.show_time_variables`).  Rendering is plain Pillow work: callers
run :func:`write_posters` off the GUI thread.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from studio.core.i18n import _, translator_for

from .errors import CoverError
from .export import export
from .presets import get_preset
from .regions import REGIONS, region_for_locale
from .render import render
from .templates import load_template
from .variables import show_time_variables

POSTER_TEMPLATE = "referral-invite"
DEFAULT_PRESET = "generic_9x16"  # a phone screen: posters are shared in chats and stories
TEXT_LAYERS = ("headline", "inviter", "time", "code")


@dataclass(frozen=True)
class Invite:
    """One inviter as the poster shows them (no fingerprints, no viewer id)."""

    code: str
    name: str
    link: str = ""


@dataclass(frozen=True)
class PosterResult:
    code: str
    path: Path | None
    error: str | None = None


def poster_document(locale: str, region: str | None = None):
    """The template in ``region``'s pack (None: the locale's): its palette, and the show
    language for shaping (Arabic runs right to left inside its block)."""
    pack = REGIONS.get((region or "").strip().lower().replace("-", "_")) or REGIONS[region_for_locale(locale)]
    doc = load_template(POSTER_TEMPLATE)
    language = (locale or "en").replace("_", "-").split("-")[0]
    palette = pack.palette
    colours = {"headline": {"color": palette["primary"]}, "inviter": {"color": palette["text"]},
               "time": {"color": palette["text"]}, "code": {"fill": palette["accent"], "text_color": palette["on_accent"]}}
    layers = [layer.model_copy(update={**colours.get(layer.id, {}), **({"language": language} if layer.id in TEXT_LAYERS else {})})
              for layer in doc.layers]
    background = doc.background.model_copy(update={"color": palette["background"], "gradient_to": palette["soft"]})
    # The layout is not mirrored for right-to-left languages: every block is centred and each
    # shapes its own text right to left, while the QR code and the code keep clear of the
    # platforms' corner badges (a mirrored layout would put the code under YouTube's).
    return doc.model_copy(update={"layers": layers, "background": background, "region": pack.id, "language": language,
                                  "direction": "ltr"})


def poster_values(invite: Invite, locale: str, start: datetime | None = None, time_zone: str = "UTC") -> dict[str, str]:
    """The template's variables for one inviter, in the viewers' language."""
    words = translator_for(locale)
    values = {"invite_headline": words.gettext("Join my live!"),
              "inviter_line": words.gettext("{name} invites you").format(name=invite.name),
              "invite_code": invite.code, "invite_qr": invite.link or invite.code, "start_time_local": ""}
    if start is not None:
        values["start_time_local"] = show_time_variables(start, time_zone, locale)["start_time_local"]
    return values


def write_posters(invites: list[Invite], out_dir: str | Path, locale: str = "en_US", region: str | None = None,
                  start: datetime | None = None, time_zone: str = "UTC", preset: str = DEFAULT_PRESET,
                  fmt: str = "png") -> list[PosterResult]:
    """Write ``invite-<code>.<fmt>`` for every inviter into ``out_dir``; one that cannot be made is
    reported in words in its result and the others are still written."""
    target = Path(out_dir)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CoverError(_("Cannot create the folder {path}: {reason}").format(path=target, reason=exc.strerror or exc)) from None
    doc = poster_document(locale, region)
    size = get_preset(preset)
    results = []
    for invite in invites:
        path = target / f"invite-{_safe(invite.code)}.{fmt}"
        try:
            result = render(doc, size, poster_values(invite, locale, start, time_zone))
            if result.problems:
                raise CoverError(result.problems[0].message)
            export(result.image, path, size, fmt)
        except CoverError as exc:
            results.append(PosterResult(invite.code, None, exc.message))
        except OSError as exc:
            results.append(PosterResult(invite.code, None, _("Cannot write {path}: {reason}").format(
                path=path, reason=exc.strerror or exc)))
        else:
            results.append(PosterResult(invite.code, path))
    return results


def _safe(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", code)[:32] or "invite"
