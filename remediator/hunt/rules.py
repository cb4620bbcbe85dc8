"""Rule sets a hunt can name: the built-in packs (one per shipped playbook, `rules/NAME.yml`), and Sigma
rule files or directories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from remediator.errors import InputError
from remediator.hunt.sigma import Rule, Skipped, load_path

BUILTIN_DIR = Path(__file__).parent / "rules"
#: pack name -> file: each pack is named after the playbook it serves (`lapsus-2022`, `support-har-2023`, …)
BUILTIN = {path.stem: path for path in sorted(BUILTIN_DIR.glob("*.yml"))}


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    skipped: tuple[Skipped, ...]


def load_rule_set(specs: Sequence[str], *, where: str = "rules") -> RuleSet:
    """Built-in pack names and/or paths to Sigma rule files or directories; a rule id loaded twice counts once."""
    rules: dict[str, Rule] = {}
    skipped: list[Skipped] = []
    for spec in specs:
        path = BUILTIN.get(spec) or Path(spec)
        if not path.exists():
            known = ", ".join(sorted(BUILTIN))
            raise InputError(f"{spec!r} is neither a built-in rule set ({known}) nor an existing path", where=where)
        loaded, skip = load_path(path)
        for rule in loaded:
            rules.setdefault(rule.id, rule)
        skipped += skip
    return RuleSet(tuple(rules.values()), tuple(skipped))
