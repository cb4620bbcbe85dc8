"""The client against terraform-provider-okta's real go-vcr recordings (converted to vcrpy on the fly).

They hold what the SDK's cassettes lack: `/api/v1/iam/assignees/users` (items under `value`), and
`Link` headers as Okta sends them, `self` and `next` on two separate header lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from remediator.okta import OktaClient, SswsAuth
from tests.conftest import REFERENCE
from tests.okta.conftest import replay
from tests.support import FakeClock

TERRAFORM = REFERENCE / "terraform-provider-okta" / "test/fixtures/vcr/idaas"


def converted(name: str, tmp_path: Path) -> Path:
    """A go-vcr v2 cassette as a vcrpy one (requests without headers: no credential is copied)."""
    source = TERRAFORM / name
    if not source.is_file():
        pytest.skip("../shared/okta-reference is not beside the repository")
    recorded = yaml.safe_load(source.read_text())
    interactions = []
    for item in recorded["interactions"]:
        request, response = item["request"], item["response"]
        interactions.append({
            "request": {"method": request["method"], "uri": request["url"], "body": None, "headers": {}},
            "response": {"status": {"code": response["code"], "message": response.get("status", "")},
                         "headers": response.get("headers") or {}, "body": {"string": response.get("body") or ""}},
        })
    target = tmp_path / "cassette.yaml"
    target.write_text(yaml.safe_dump({"version": 1, "interactions": interactions}))
    return target


def client(org: str) -> OktaClient:
    clock = FakeClock()
    return OktaClient(org, SswsAuth("placeholder-token"), tenant="real", **clock.client_options())


async def test_iam_assignees_users_items_under_value(tmp_path):
    with replay(converted("TestAccDataSourceOktaIamAssigneesUser_read/oie-00.yaml", tmp_path)):
        async with client("https://oie-00.dne-okta.com") as okta:
            ids = [a["id"] async for a in okta.paginate("/api/v1/iam/assignees/users")]
    assert ids == ["00utivnuu1aaKzqqO1d7", "00uto13wvy2Y5RCv91d7"]
    assert okta.stats.calls == {"iam": 1}


async def test_search_with_self_and_next_on_two_link_lines(tmp_path):
    search = 'profile.lastName eq "Smith" and profile.firstName eq "TestAcc"'
    with replay(converted("TestAccDataSourceOktaUser_read/classic-00.yaml", tmp_path)):
        async with client("https://classic-00.dne-okta.com") as okta:
            page = await okta.get("/api/v1/users", {"limit": 1, "search": search})
    assert len(page.headers.getall("Link")) == 2
    assert page.body[0]["profile"]["lastName"] == "Smith"
    assert page.next_url == ("https://classic-00.dne-okta.com/api/v1/users?after=00uvo7s8abwP37lV81d7&limit=1"
                             "&search=profile.lastName+eq+%22Smith%22+and+profile.firstName+eq+%22TestAcc%22")


async def test_group_role_read_and_delete(tmp_path):
    group = "/api/v1/groups/00gkwutx0aSNZzCzR1d7/roles"
    with replay(converted("TestAccResourceOktaGroupRole_admin_crud/classic-00.yaml", tmp_path)):
        async with client("https://classic-00.dne-okta.com") as okta:
            role = await okta.get_json(f"{group}/IFIFAX2BIRGUSTQ")
            deleted = await okta.request("DELETE", f"{group}/grakwu9j03nDeq0JQ1d7")
    assert (role["type"], role["assignmentType"]) == ("APP_ADMIN", "GROUP")
    assert (deleted.status, deleted.body) == (204, None)
