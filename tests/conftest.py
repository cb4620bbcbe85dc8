"""Shared test fixtures: where the reference material lives, and the one fake clock (tests/support)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import FakeClock

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
REFERENCE = SHARED / "okta-reference"


@pytest.fixture
def reference() -> Path:
    """../shared/okta-reference: real Okta material (read-only)."""
    if not REFERENCE.is_dir():
        pytest.skip("../shared/okta-reference is not beside the repository")
    return REFERENCE


@pytest.fixture
def clock() -> FakeClock:
    """A fresh FakeClock: sleeps are instant and recorded (`clock.sleeps`); see tests/support/clock.py."""
    return FakeClock()
