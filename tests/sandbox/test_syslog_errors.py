"""System Log query errors answer as Okta documents them (issue 10 point 9).

Source: Okta's System Log API reference, "Errors" (https://developer.okta.com/docs/reference/api/system-log/#errors;
okta/okta-developer-docs packages/@okta/vuepress-site/docs/reference/api/system-log/index.md): an invalid SCIM
filter is `E0000053` "Invalid filter '<filter>': ...", a `since` over 180 days back is `E0000053` "Invalid
parameter: The since parameter is over 180 days prior to the current day.", and `co` on
`debugContext.debugData.url` is `E0000031` "The supplied combination of operator and field is not currently
supported. ...". error-codes.json lists E0000053 with HTTP 400. The sandbox answered E0000031 and E0000001.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from remediator.sandbox import Sandbox
from remediator.timeutil import format_time
from tests.sandbox.fixtures import call, small_tenant


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(small_tenant()) as sb:
        yield sb


def test_error_codes_json_gives_e0000053_http_400(reference: Path) -> None:
    errors = json.loads((reference / "okta-developer-docs/data/error-codes.json").read_text())["errors"]
    (entry,) = [e for e in errors if e["errorCode"] == "E0000053"]
    assert entry["statusCode"] == 400


@pytest.mark.parametrize("bad", ['eventType eqq "user.session.start"', "eventType eq", '(eventType eq "x"'])
def test_an_invalid_filter_is_e0000053(sandbox, bad: str) -> None:
    reply = call(sandbox, "GET", "/api/v1/logs?filter=" + quote(bad))
    assert reply.status == 400
    assert reply.body["errorCode"] == "E0000053"
    assert reply.body["errorSummary"].startswith(f"Invalid filter '{bad}': ")


def test_a_since_over_180_days_back_is_e0000053(sandbox) -> None:
    since = format_time(sandbox.now() - timedelta(days=181))
    reply = call(sandbox, "GET", "/api/v1/logs?since=" + quote(since))
    assert reply.status == 400
    assert reply.body["errorCode"] == "E0000053"
    assert reply.body["errorSummary"] == (
        "Invalid parameter: The since parameter is over 180 days prior to the current day.")


def test_contains_on_the_debug_url_is_e0000031(sandbox) -> None:
    reply = call(sandbox, "GET", "/api/v1/logs?filter=" + quote('debugContext.debugData.url co "/oauth/"'))
    assert (reply.status, reply.body["errorCode"]) == (400, "E0000031")
    assert reply.body["errorSummary"].endswith("Operator: co, Field: debugContext.debugData.url")


def test_a_valid_query_still_answers(sandbox) -> None:
    reply = call(sandbox, "GET", "/api/v1/logs?filter=" + quote('eventType eq "user.session.start"'))
    assert reply.status == 200 and isinstance(reply.body, list)
