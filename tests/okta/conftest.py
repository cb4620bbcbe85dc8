"""Fixtures for the Okta client tests: real cassettes, our own cassettes, and the fake server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import vcr

from tests.conftest import REFERENCE
from tests.support.okta_server import FakeOkta

REPO = Path(__file__).resolve().parents[2]
SDK_CASSETTES = REFERENCE / "okta-sdk-python" / "tests" / "integration" / "cassettes"
OWN_CASSETTES = Path(__file__).resolve().parent / "cassettes"
MATCH_ON = ("method", "scheme", "host", "port", "path", "query")


@contextmanager
def replay(path: Path, **options: object) -> Iterator[vcr.cassette.Cassette]:
    """Replay a cassette strictly: any request it cannot answer fails the test."""
    recorder = vcr.VCR(record_mode="none", match_on=MATCH_ON, **options)
    with recorder.use_cassette(str(path)) as cassette:
        yield cassette


@pytest.fixture
def sdk_cassette() -> Callable[[str], Path]:
    """Path of one of okta-sdk-python's real cassettes (recorded against real orgs)."""
    if not SDK_CASSETTES.is_dir():
        pytest.skip("../shared/okta-reference is not beside the repository")

    def find(name: str) -> Path:
        path = SDK_CASSETTES / name
        assert path.is_file(), f"missing reference cassette {name}"
        return path

    return find


@pytest.fixture
def own_cassette() -> Callable[[str], Path]:
    return lambda name: OWN_CASSETTES / name


@pytest.fixture
async def fake_okta():
    server = await FakeOkta().start()
    try:
        yield server
    finally:
        await server.stop()
