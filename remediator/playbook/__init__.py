"""Playbooks: safe YAML with lines, sandboxed native Jinja2, and JSON Schema checks with file:line errors.

    load_playbook(path) -> Playbook                     YAML + structure + kinds; no variables needed
    parse_extra_vars(["KEY=VALUE", ...]) -> dict          `-e`, VALUE read as YAML
    render_states(pb, tenant_vars, extra_vars, tags=None) -> RenderedPlaybook
    validate_paths(playbooks, inventory) -> [line]        `remediator validate`
    playbook_scopes(playbooks, inventory) -> [scope]      `remediator validate --scopes`

Every failure is a PlaybookError (or InputError for `-e`) whose str() is one line naming the place.
"""

from __future__ import annotations

from remediator.playbook.check import playbook_scopes, validate_paths
from remediator.playbook.loader import Playbook, load_playbook
from remediator.playbook.render import RenderedPlaybook, StateSpec, parse_extra_vars, render_states

__all__ = [
    "Playbook",
    "RenderedPlaybook",
    "StateSpec",
    "load_playbook",
    "parse_extra_vars",
    "playbook_scopes",
    "render_states",
    "validate_paths",
]
