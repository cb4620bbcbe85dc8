"""Shared test fixtures: where the reference material lives, and a clean working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
REFERENCE = SHARED / "okta-reference"


@pytest.fixture
def reference() -> Path:
    """../shared/okta-reference: real Okta material (read-only)."""
    if not REFERENCE.is_dir():
        pytest.skip("../shared/okta-reference is not beside the repository")
    return REFERENCE
