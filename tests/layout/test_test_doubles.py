"""One fake of each layer for the tests, in tests/support (issue 8, "Habits"): the fake tenant client,
the fake clock and the fake Okta server. Copies used to grow beside the tests that needed them (two fake
clients, two clocks and a virtual time); this fails as soon as another one is defined under tests/.

A double is recognised by its name (`Fake*`, `*Clock`, `VirtualTime`) or by what it does: a class that
answers `server_now`, `get_json` or `paginate` is a tenant client, one with `sleep` and `__call__` is a
clock. Subclassing the support doubles (a specialised tenant) is fine; defining a new one is not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
SUPPORT = TESTS / "support"
DOUBLE_NAME = re.compile(r"^_*(Fake\w*|\w*Clock|VirtualTime)$")
#: methods only a tenant client has (a subclass overriding `request` or `pages` to count or stream is fine)
CLIENT_METHODS = {"server_now", "get_json", "paginate"}


def doubles(source: str) -> list[str]:
    """Names of the test doubles a module defines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        methods = {f.name for f in node.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)}
        if DOUBLE_NAME.match(node.name) or methods & CLIENT_METHODS or {"sleep", "__call__"} <= methods:
            found.append(node.name)
    return found


def test_the_detector_sees_a_copy() -> None:
    assert doubles("class FakeClient:\n    pass\n") == ["FakeClient"]
    assert doubles("def f():\n    class TenantStub:\n        def server_now(self): ...\n") == ["TenantStub"]
    assert doubles("class Tenant:\n    async def get_json(self, path): ...\n") == ["Tenant"]
    assert doubles("class Ticks:\n    def __call__(self): ...\n    async def sleep(self, s): ...\n") == ["Ticks"]
    assert doubles("class StreamingTenant(FakeClient):\n    async def pages(self): ...\n") == []


def test_no_test_double_outside_tests_support() -> None:
    elsewhere = {str(p.relative_to(TESTS)): names for p in sorted(TESTS.rglob("*.py"))
                 if SUPPORT not in p.parents and (names := doubles(p.read_text()))}
    assert elsewhere == {}, "use (or extend) tests/support instead of a new fake client or clock"


def test_one_of_each_in_tests_support() -> None:
    defined = {p.name: doubles(p.read_text()) for p in sorted(SUPPORT.glob("*.py"))}
    assert sorted(n for names in defined.values() for n in names) == ["FakeClient", "FakeClock", "FakeOkta"]
