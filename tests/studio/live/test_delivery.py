from __future__ import annotations

import hashlib
import hmac
import time

from studio.live import LiveShow
from studio.live.delivery import WebhookDelivery
from tests.studio.live.platform import FlakyPlatform


def test_webhook_retries_and_signs(tmp_path, catalog_csv, clock):
    show = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    with FlakyPlatform(failures=2) as platform:
        delivery = WebhookDelivery(f"http://127.0.0.1:{platform.port}/hook", secret="s3cret", first_backoff_s=0.01).attach(show)
        try:
            show.shelf.pin("SKU-1")
            show.shelf.unpin()
            deadline = time.monotonic() + 10
            while len(platform.received) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            delivery.stop()
            show.stop()
    assert [event["type"] for event, _h, _b in platform.received] == ["product.pinned", "product.unpinned"]
    event, headers, body = platform.received[0]
    assert headers["X-Bridgecast-Signature"] == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert delivery.delivered == 2 and delivery.failed == 0


def test_unreachable_webhook_never_blocks_the_show(tmp_path, catalog_csv, clock):
    show = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    delivery = WebhookDelivery("http://127.0.0.1:9/hook", max_attempts=2, first_backoff_s=0.01, timeout_s=0.5).attach(show)
    try:
        started = time.perf_counter()
        for i in range(200):
            show.comments.add({"id": str(i), "user": "u", "text": "hi"})
        assert time.perf_counter() - started < 2.0
        assert show.store.count_events("comment.received") == 200
    finally:
        delivery.stop(drain_timeout_s=0.1)
        show.stop()
    assert delivery.delivered == 0 and delivery.failed + delivery.dropped == 200
