"""`remediator validate`: load and render playbooks (and an inventory) without touching any tenant."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from remediator.inventory import load_inventory
from remediator.kinds import scopes_of
from remediator.playbook.loader import load_playbook
from remediator.playbook.render import RenderedPlaybook, render_states


def validate_paths(
    playbooks: list[Path], inventory: Path | None, *, extra_vars: Mapping[str, Any] | None = None
) -> list[str]:
    """Check every playbook, rendered with each inventory tenant's variables (or none); lines to print.

    Raises the first PlaybookError/InventoryError met: each is one line naming its place.
    """
    extra = dict(extra_vars or {})
    lines: list[str] = []
    tenants = load_inventory(inventory) if inventory is not None else None
    if inventory is not None and tenants is not None:
        names = ", ".join(t.name for t in tenants)
        lines.append(f"ok {inventory}: {len(tenants)} tenant{'s' if len(tenants) != 1 else ''} ({names})")
    for path in playbooks:
        pb = load_playbook(path)
        if tenants is None:
            lines.append(f"ok {path}: {_summary(render_states(pb, {}, extra))}")
            continue
        for tenant in tenants:
            lines.append(f"ok {path} for {tenant.name}: {_summary(render_states(pb, tenant.vars, extra))}")
    return lines


def playbook_scopes(playbooks: list[Path], inventory: Path | None,
                    *, extra_vars: Mapping[str, Any] | None = None) -> list[str]:
    """The OAuth scopes a service app needs to run every state of the playbooks, sorted.

    Every state counts, whatever its `when` says for one tenant: the same app serves every tenant.
    """
    extra = dict(extra_vars or {})
    tenant_vars = [t.vars for t in load_inventory(inventory)] if inventory is not None else [{}]
    kinds = {state.kind for path in playbooks for pb in [load_playbook(path)] for variables in tenant_vars
             for state in render_states(pb, variables, extra).states}
    return sorted(scopes_of(kinds))


def _summary(rendered: RenderedPlaybook) -> str:
    total = len(rendered.states)
    active = sum(1 for s in rendered.states if s.when)
    text = f"{total} state{'s' if total != 1 else ''}"
    return text if active == total else f"{text}, {total - active} skipped by `when`"
