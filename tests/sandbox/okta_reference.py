"""Real Okta material in ../shared/okta-reference, loaded once per test session (it takes seconds).

Read-only; nothing from it is copied into the repository.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from tests.conftest import REFERENCE

SPEC_FILE = REFERENCE / "okta-management-openapi-spec" / "dist" / "current" / "management-minimal.yaml"
SDK_CASSETTES = REFERENCE / "okta-sdk-python" / "tests" / "integration" / "cassettes"
TF_CASSETTES = REFERENCE / "terraform-provider-okta"
# Raw /api/v1/logs events in Okta's wire format (the only real System Log page in the reference material).
ELASTIC_EVENTS = (REFERENCE / "elastic-integrations" / "packages" / "okta" / "_dev" / "deploy" / "docker"
                  / "sample_logs" / "okta-system.json.log")
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Recorded:
    """One recorded interaction with a real Okta org."""

    source: str  # file, relative to okta-reference
    method: str
    path: str
    query: str
    status: int
    body: Any  # parsed JSON, or None


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} (../shared/okta-reference) is not beside the repository")
    return path


@functools.cache
def spec() -> dict[str, Any]:
    with require(SPEC_FILE).open("rb") as handle:
        return yaml.load(handle, Loader=LOADER)


@functools.cache
def recordings() -> tuple[Recorded, ...]:
    """Every recorded interaction: okta-sdk-python (vcrpy) and terraform-provider-okta (go-vcr v2)."""
    require(SDK_CASSETTES)
    out: list[Recorded] = []
    for file in sorted(SDK_CASSETTES.rglob("*.yaml")):
        for item in _interactions(file):
            request, response = item["request"], item["response"]
            out.append(_recorded(file, request["method"], request["uri"], response["status"]["code"],
                                 (response.get("body") or {}).get("string")))
    for file in sorted(TF_CASSETTES.rglob("*.yaml")):
        for item in _interactions(file):
            request, response = item["request"], item["response"]
            out.append(_recorded(file, request["method"], request["url"], response["code"], response.get("body")))
    if ELASTIC_EVENTS.is_file():
        out.append(_recorded(ELASTIC_EVENTS, "GET", "https://example.okta.com/api/v1/logs", 200,
                             ELASTIC_EVENTS.read_text()))
    return tuple(out)


def _interactions(file: Path) -> list[dict[str, Any]]:
    return (yaml.load(file.read_bytes(), Loader=LOADER) or {}).get("interactions") or []


def _recorded(file: Path, method: str, url: str, status: int, text: Any) -> Recorded:
    try:
        body = json.loads(text) if text else None
    except (TypeError, ValueError):
        body = None
    parsed = urlparse(url)
    return Recorded(file.relative_to(REFERENCE).as_posix(), method.upper(), parsed.path, parsed.query, int(status),
                    body)
