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
        "Pair this tablet with the studio": _("Pair this tablet with the studio"),
        "On the studio computer, open the Live panel and press “Pair a tablet…”.":
            _("On the studio computer, open the Live panel and press “Pair a tablet…”."),
        "If it says LAN access is off, read the warning and press “Turn on LAN access”.":
            _("If it says LAN access is off, read the warning and press “Turn on LAN access”."),
        "Scan the QR code with this tablet's camera, or type the address shown under it into this browser.":
            _("Scan the QR code with this tablet's camera, or type the address shown under it into this browser."),
        "The tablet must be on the same network as the studio computer.":
            _("The tablet must be on the same network as the studio computer."),
        "Enter the control token instead": _("Enter the control token instead"),
        "This pairing code does not work any more (the token was changed, or mistyped). Pair again: scan the code in “Pair a tablet…” on the studio computer.":
            _("This pairing code does not work any more (the token was changed, or mistyped). Pair again: scan the code in “Pair a tablet…” on the studio computer."),
        "The studio did not answer. Check that the tablet is on the same network and that the Bridgecast app is running, then reload this page.":
            _("The studio did not answer. Check that the tablet is on the same network and that the Bridgecast app is running, then reload this page."),
        "Control token": _("Control token"),
        "Connect": _("Connect"),
        "not connected": _("not connected"),
        "connected": _("connected"),
        "disconnected": _("disconnected"),
        "Next segment": _("Next segment"),
        "Program": _("Program"),
        "Products": _("Products"),
        "Unpin": _("Unpin"),
        "Pin": _("Pin"),
        "Sold out": _("Sold out"),
        "Coupons": _("Coupons"),
        "Code": _("Code"),
        "Type": _("Type"),
        "Value": _("Value"),
        "Quantity": _("Quantity"),
        "percent off": _("percent off"),
        "Create": _("Create"),
        "amount": _("amount"),
        "free shipping": _("free shipping"),
        "referral": _("referral"),
        "Show": _("Show"),
        "Hide": _("Hide"),
        "Flash sale": _("Flash sale"),
        "Product": _("Product"),
        "Stock": _("Stock"),
        "Sale price": _("Sale price"),
        "Countdown before (s)": _("Countdown before (s)"),
        "On sale for (s)": _("On sale for (s)"),
        "Start": _("Start"),
        "Stop": _("Stop"),
        "left": _("left"),
        "Giveaway": _("Giveaway"),
        "Keyword": _("Keyword"),
        "Winners": _("Winners"),
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
