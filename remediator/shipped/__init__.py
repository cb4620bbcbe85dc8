"""Files shipped with remediator: the playbooks and the JSON Schemas.

`playbooks/` and `schemas/` here link to the repository's top-level directories (where people edit
them and CI regenerates them); building the wheel copies them in, so an installed remediator finds
them at the same place as a source checkout does.
"""

from __future__ import annotations

from pathlib import Path

from remediator.errors import InputError

HERE = Path(__file__).resolve().parent


def playbook(name: str) -> Path:
    """A shipped playbook by file name (`okta-lapsus-2022.yml`)."""
    return _file("playbooks", name)


def schema(name: str) -> Path:
    """A shipped JSON Schema by file name (`playbook.schema.json`)."""
    return _file("schemas", name)


def _file(kind: str, name: str) -> Path:
    path = HERE / kind / name
    if not path.is_file():
        raise InputError(f"{name} is not among the shipped {kind} ({HERE / kind})")
    return path
