"""Translated text for the assistant web page (served as ``/assets/strings.js``).

The page is plain HTML/JS; its English words are keys, and this table maps them to the
current language so one .po file translates the desktop app and the tablet page alike.
"""
from __future__ import annotations

import json

from studio.core.i18n import _


def page_strings() -> dict[str, str]:
    return {
        "Bridgecast — Assistant": _("Bridgecast — Assistant"),
        "Control token": _("Control token"),
        "Connect": _("Connect"),
        "not connected": _("not connected"),
        "connected": _("connected"),
        "disconnected": _("disconnected"),
        "wrong token": _("wrong token"),
        "Next segment": _("Next segment"),
        "Program": _("Program"),
        "Products": _("Products"),
        "Unpin": _("Unpin"),
        "Pin": _("Pin"),
        "Coupons": _("Coupons"),
        "Create": _("Create"),
        "amount": _("amount"),
        "free shipping": _("free shipping"),
        "referral": _("referral"),
        "Show": _("Show"),
        "Hide": _("Hide"),
        "Flash sale": _("Flash sale"),
        "Start": _("Start"),
        "Stop": _("Stop"),
        "stock": _("stock"),
        "price": _("price"),
        "Giveaway": _("Giveaway"),
        "keyword": _("keyword"),
        "Open": _("Open"),
        "Draw": _("Draw"),
        "Comments": _("Comments"),
        "questions only": _("questions only"),
        "Answer": _("Answer"),
        "Block": _("Block"),
        "Question": _("Question"),
        "preroll": _("starting soon"),
        "live": _("on sale"),
        "ended": _("ended"),
    }


def strings_js() -> bytes:
    return ("window.BRIDGECAST_TEXT = " + json.dumps(page_strings(), ensure_ascii=False) + ";\n").encode()
