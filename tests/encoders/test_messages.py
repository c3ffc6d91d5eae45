"""Every user-facing encoder message has a Simplified Chinese translation with the same placeholders."""
import importlib.util
import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "resources" / "translations" / "zh_CN" / "encoders.po"
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def _encoder_msgids() -> set[str]:
    spec = importlib.util.spec_from_file_location("messages", ROOT / "tools" / "messages.py")
    messages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(messages)
    return {msgid for msgid, where in messages.extract().items() if any(place.startswith("encoders/") for place in where)}


def test_encoders_po_translates_every_encoder_message():
    with PO_FILE.open("rb") as handle:
        catalog = {message.id: message.string for message in read_po(handle) if message.id}
    msgids = _encoder_msgids()
    assert msgids, "no messages found in encoders/"
    missing = sorted(msgid for msgid in msgids if not catalog.get(msgid))
    assert not missing, f"missing zh_CN translations: {missing}"
    for msgid in msgids:
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(catalog[msgid])), msgid
        assert catalog[msgid] != msgid


def test_notice_in_chinese():
    from encoders.errors import EncoderFailed
    from studio.core import i18n

    try:
        i18n.set_language("zh_CN")
        error = EncoderFailed.because("h264_nvenc", "x")
        assert "编码器" in str(error)
    finally:
        i18n.set_language("en")
