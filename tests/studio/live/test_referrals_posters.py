"""Invite posters: one per inviter, its QR code reads back as the inviter's link, the words are in
the viewers' language, the start time in their market's zone; the CLI reads a show database."""
from __future__ import annotations

from datetime import datetime, timezone

import cv2
import numpy as np
import pytest
from PIL import Image

from cover_designer.invite_poster import Invite, poster_document, poster_values, write_posters
from cover_designer.lint import lint
from cover_designer.presets import PRESETS
from studio.live import LiveShow
from studio.live.errors import LiveError
from studio.live.referral_posters import main, write_invite_posters

START = datetime(2026, 12, 24, 12, 0, tzinfo=timezone.utc)


def qr_text(path) -> str:
    image = cv2.cvtColor(np.asarray(Image.open(path).convert("RGB")), cv2.COLOR_RGB2BGR)
    text, _points, _code = cv2.QRCodeDetector().detectAndDecode(image)
    return text


@pytest.fixture
def show(tmp_path, clock):
    live = LiveShow(None, tmp_path / "show.db", clock=clock)
    live.referrals.set_rules({"base_url": "https://shop.example/live", "campaign": "xmas"})
    yield live
    live.stop()


def test_a_poster_per_inviter_with_its_link_in_the_qr(show, tmp_path):
    codes = [show.referrals.add_inviter(f"tt:{name}", name)["data"]["code"] for name in ("Ann", "Bao", "Chen")]
    results = write_invite_posters(show.referrals, tmp_path / "posters", "en_US", start=START, time_zone="Asia/Jakarta")
    assert [r.code for r in results] == codes and all(r.path and not r.error for r in results)
    for result in results:
        link = show.referrals.ledger.inviters[result.code].link
        assert qr_text(result.path) == link and f"utm_content={result.code}" in link
        with Image.open(result.path) as image:
            assert image.size == PRESETS["generic_9x16"].size


def test_the_words_and_the_time_are_the_viewers(tmp_path):
    values = poster_values(Invite("ABC234", "Noura"), "ar_SA", START, "Asia/Riyadh")
    assert values["invite_headline"] != "Join my live!" and "Noura" in values["inviter_line"]
    assert "٣:٠٠" in values["start_time_local"] or "3:00" in values["start_time_local"]  # 12:00 UTC is 15:00 in Riyadh
    jakarta = poster_values(Invite("ABC234", "Dewi"), "id_ID", START, "Asia/Jakarta")
    assert "19.00" in jakarta["start_time_local"] and jakarta["invite_headline"] != "Join my live!"
    doc = poster_document("ar_SA")
    assert doc.region == "middle_east" and {layer.language for layer in doc.layers if layer.type != "qr"} == {"ar"}
    assert qr_text(write_posters([Invite("ABC234", "Noura")], tmp_path, "ar_SA", start=START)[0].path) == "ABC234"


@pytest.mark.parametrize("locale,region", [("en_US", None), ("th_TH", None), ("ar_SA", None), ("id_ID", "sea"),
                                           ("pt_BR", "latam"), ("ja_JP", "jp_kr")])
def test_every_region_style_lints_clean(locale, region):
    doc = poster_document(locale, region)
    filled = doc.model_copy(update={"variables": {**doc.variables, **poster_values(Invite("ABC234", "Ann"), locale, START)}})
    for preset in ("generic_9x16", "shopee_square", "youtube"):
        errors = [f"{f.rule} {f.layer}: {f.message}" for f in lint(filled, preset, check_file_size=False)
                  if f.severity == "error"]
        assert not errors, (locale, preset, errors)


def test_no_inviter_is_said_in_words(show, tmp_path):
    with pytest.raises(LiveError, match="No inviter"):
        write_invite_posters(show.referrals, tmp_path)


def test_the_command_line_reads_a_show_database(show, tmp_path, capsys):
    code = show.referrals.add_inviter("tt:ann", "Ann")["data"]["code"]
    assert main([str(show.store.path), str(tmp_path / "out"), "--start", "2026-12-24T20:00+08:00", "--tz",
                 "Asia/Bangkok", "--locale", "th_TH"]) == 0
    assert (tmp_path / "out" / f"invite-{code}.png").is_file()
    assert main([str(show.store.path), str(tmp_path / "out"), "--tz", "Mars/Olympus"]) == 2
    assert "Mars/Olympus" in capsys.readouterr().err
    assert main([str(tmp_path / "none.db"), str(tmp_path / "out")]) == 1
    assert "Traceback" not in capsys.readouterr().err
