"""Schemathesis fuzzes the real control server against its OpenAPI document, with the token.

For every documented operation it sends valid and invalid requests (boundaries, wrong types,
missing and unknown fields, hostile text) and checks: never a 5xx, answers as documented
(status codes, content types, bodies), invalid data refused with a 4xx, the token enforced,
and a refused request changes neither the journal nor the state.

Bounded for CI (``BRIDGECAST_FUZZ_EXAMPLES`` per operation, 15 by default); a longer run:
``BRIDGECAST_FUZZ_EXAMPLES=500 pytest tests/studio/control/test_fuzz_api.py``.
"""
from __future__ import annotations

import json
import os
import re
import time
import urllib.parse

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.checks import (content_type_conformance, ignored_auth, not_a_server_error, response_headers_conformance,
                                 response_schema_conformance, status_code_conformance)

from studio.control import ControlServer
from studio.control.errors import RequestShapeError
from studio.control.validation import DISPLAY_TEXT, DOCUMENT_PATH, ApiDescription
from studio.engine import Studio, default_collection
from studio.live import LiveShow
from studio.scene import Canvas
from tests.studio.control.conftest import TOKEN
from tests.studio.control.test_api_document import stable_state

AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = int(os.environ.get("BRIDGECAST_FUZZ_EXAMPLES", "15"))
# Schemathesis's negative_data_rejection counts any value it drew against a format it cannot
# check (display-text) as invalid; accepted_only_if_documented below checks with the real rules.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, ignored_auth]
API = ApiDescription.load()
CATALOG = ("sku,title,price,currency,stock\n"
           "SKU-1,Silk scarf,19.99,USD,5\nSKU-2,Leather bag,120,USD,\nsku 3/ä,Ünïcode ✓,0.5,EUR,1000000\n")


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory):
    """One real studio, show and server for the whole run; the show's clock stands still so the
    ticker journals nothing on its own and any journal change comes from a request."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "catalog.csv").write_text(CATALOG, encoding="utf-8")
    studio = Studio(collection=default_collection(Canvas(width=320, height=180, fps=15)))
    studio.start()
    now = time.time()
    live = LiveShow(studio, folder / "show.db", catalog=folder / "catalog.csv", clock=lambda: now)
    live.start()
    # Fuzzing sends requests as fast as it can: more than a tablet's budget.
    server = ControlServer(live, studio, token=TOKEN, rate_per_s=1e6, burst=1_000_000)
    server.start()
    # The worker threads start on first use: start them now, before the tests count threads.
    for job in [server._executor.submit(time.sleep, 0.1) for _ in range(2)]:
        job.result()
    # Platform events start the show's audience (its threads live as long as the show): now too.
    from studio.live.audience import audience_for

    audience_for(live)
    yield server, live
    server.stop()
    live.stop()
    studio.stop()


# Schemathesis's own pytest plugin does not run under pytest 9 (it reads a removed attribute),
# so each operation is a plain parametrized test driving Schemathesis's case strategies.
# Valid on-screen text for positive cases: every assigned character of every plane (emoji, CJK
# extension B, scripts no card font has: they draw as boxes) and line breaks; the characters
# display-text refuses come from the negative cases.
schemathesis.openapi.format(DISPLAY_TEXT, st.text(st.characters(exclude_categories=("Cc", "Cn", "Co", "Cs", "Zp"))
                                                  | st.just("\n")))
# 413 is how a body over the size limit is refused (Schemathesis's default list lacks it).
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {
    "expected-statuses": ["400", "401", "403", "404", "405", "413", "426", "429"]}}})
SCHEMA = schemathesis.openapi.from_dict(json.loads(DOCUMENT_PATH.read_text(encoding="utf-8")), config=CONFIG)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[f"{op.method.upper()} {op.path}" for op in OPERATIONS])
def test_fuzz_control_api(operation, fuzz_target):
    server, live = fuzz_target
    strategy = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                         operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("CI") == "true",
              suppress_health_check=list(HealthCheck), database=None)
    def fuzz(case):
        before = live.store.count_events(), stable_state(live.snapshot())
        try:
            response = case.call_and_validate(base_url=server.url, headers=AUTH, checks=CHECKS, timeout=30)
        except BaseException:  # Schemathesis hides fields it thinks secret ("keyword"): say what was sent
            print("failing request:", case.method, case.formatted_path, ascii(case.body)[:2000], ascii(case.query)[:500])
            raise
        if response.status_code < 400:
            accepted_only_if_documented(case, response)
        if response.status_code >= 400:
            after = live.store.count_events(), stable_state(live.snapshot())
            assert after == before, f"{case.method} {case.formatted_path} was refused ({response.status_code}) but changed the show"
            if response.headers.get("Content-Type", "").startswith("application/json"):
                error = response.json()["error"]
                assert error and "Traceback" not in error and len(error) < 400

    fuzz()


def accepted_only_if_documented(case, response) -> None:
    """A request the server accepted matches the document, read from what was really sent."""
    sent = response.request
    url = urllib.parse.urlsplit(sent.url)
    pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(case.operation.path))
    match = re.fullmatch(pattern, url.path)
    assert match, (url.path, case.operation.path)
    params = {name: urllib.parse.unquote(value) for name, value in match.groupdict().items()}
    query = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
    body = sent.body.encode() if isinstance(sent.body, str) else sent.body
    try:
        API.check(API.operation(case.method, case.operation.path), params, query, body)
    except RequestShapeError as err:
        raise AssertionError(f"{case.method} {url.path} was accepted ({response.status_code}) "
                             f"though the document refuses it: {err.message}") from None


def _operations():
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if operation.get("security") != [] and path.startswith("/api/"):
                yield method.upper(), path


@pytest.mark.parametrize("credentials", [{}, {"Authorization": "Bearer wrong-token-0123456789"},
                                         {"Authorization": "Bearer " + TOKEN[:-1]}, {"Authorization": TOKEN},
                                         {"Authorization": "Basic " + TOKEN}])
def test_every_operation_refuses_a_missing_or_wrong_token_and_changes_nothing(fuzz_target, credentials):
    server, live = fuzz_target
    before = requests.get(server.url + "/api/v1/state", headers=AUTH, timeout=10).json()
    journal = live.store.count_events()
    operations = list(_operations())
    assert len(operations) >= 30
    bodies = {"/api/v1/coupons": {"code": "NOAUTH", "kind": "percent", "value": 5},
              "/api/v1/giveaway": {"keyword": "free"}, "/api/v1/comments": {"id": "x", "user": "u", "text": "hi?"}}
    for method, path in operations:
        url = server.url + path.replace("{sku}", "SKU-1").replace("{code}", "NOAUTH").replace("{id}", "x").replace("{user}", "u")
        response = requests.request(method, url, headers=credentials, json=bodies.get(path, {}) if method == "POST" else None,
                                    timeout=10)
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.json()["error"] and response.headers["WWW-Authenticate"] == "Bearer"
    assert live.store.count_events() == journal
    after = requests.get(server.url + "/api/v1/state", headers=AUTH, timeout=10).json()
    assert stable_state(after) == stable_state(before)


def test_a_batch_of_negative_cases_is_refused_and_leaves_the_state_as_it_was(fuzz_target):
    """Invalid requests generated from the document for every command, sent in one batch: each
    gets a 4xx and GET /api/v1/state is the same before and after."""
    server, live = fuzz_target
    before = requests.get(server.url + "/api/v1/state", headers=AUTH, timeout=10).json()
    journal = live.store.count_events()
    statuses: list[int] = []
    commands = [op for op in OPERATIONS if op.method == "post"]
    strategy = st.one_of([op.as_strategy(generation_mode=GenerationMode.NEGATIVE) for op in commands])

    @given(case=strategy)
    @settings(max_examples=max(60, EXAMPLES * 4), deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def send(case):
        # A case whose only invalid part is the token header is the token test's job (below the
        # token is always the right one).
        assume("Authorization" not in (case.headers or {}))
        response = case.call(base_url=server.url, headers=AUTH, timeout=30)
        statuses.append(response.status_code)
        assert 400 <= response.status_code < 500, (case.method, case.formatted_path, case.body, case.query, case.headers,
                                                   case.media_type, response.text)

    send()
    assert len(statuses) >= 30 and live.store.count_events() == journal
    after = requests.get(server.url + "/api/v1/state", headers=AUTH, timeout=10).json()
    assert stable_state(after) == stable_state(before)
