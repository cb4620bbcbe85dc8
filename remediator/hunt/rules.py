"""Rule sets a hunt can name: the built-in packs (one per shipped playbook, `rules/NAME.yml`), and Sigma
rule files or directories. A set holds single-event rules (`sigma`) and correlation rules (`correlation`)
whose references to base rules are resolved across the whole set."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from remediator.errors import InputError
from remediator.hunt.correlation import Correlation, CorrelationSpec, compile_correlation, resolve_correlation
from remediator.hunt.sigma import Rule, Skipped, Unsupported, compile_rule

BUILTIN_DIR = Path(__file__).parent / "rules"
#: pack name -> file: each pack is named after the playbook it serves (`lapsus-2022`, `support-har-2023`, …)
BUILTIN = {path.stem: path for path in sorted(BUILTIN_DIR.glob("*.yml"))}


@dataclass(frozen=True)
class RuleSet:
    """`rules`: every single-event rule, the quiet base rules of correlations (`generate` False) included;
    `correlations`: the correlation rules, their base rules bound to ids of `rules`."""

    rules: tuple[Rule, ...]
    skipped: tuple[Skipped, ...]
    correlations: tuple[Correlation, ...] = ()

    @property
    def reported(self) -> frozenset[str]:
        """Ids of the rules and correlations whose matches are findings."""
        return frozenset([*(r.id for r in self.rules if r.generate), *(c.id for c in self.correlations)])


@dataclass
class Loaded:
    rules: list[Rule] = dataclasses.field(default_factory=list)
    correlations: list[CorrelationSpec] = dataclasses.field(default_factory=list)
    skipped: list[Skipped] = dataclasses.field(default_factory=list)

    def add(self, other: Loaded) -> None:
        self.rules += other.rules
        self.correlations += other.correlations
        self.skipped += other.skipped


def load_file(path: str | Path) -> Loaded:
    """Every rule document of a YAML file (one rule, or several separated by `---`)."""
    path = Path(path)
    out = Loaded()
    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        out.skipped.append(Skipped(str(path), path.stem, f"not valid YAML: {exc}"))
        return out
    for doc in docs:
        if doc is None:
            continue
        title = str(doc.get("title") or path.stem) if isinstance(doc, dict) else path.stem
        try:
            if isinstance(doc, dict) and "correlation" in doc:
                out.correlations.append(compile_correlation(doc, str(path)))
            else:
                out.rules.append(compile_rule(doc, str(path)))
        except Unsupported as exc:
            out.skipped.append(Skipped(str(path), title, str(exc)))
        except re.error as exc:
            out.skipped.append(Skipped(str(path), title, f"invalid regular expression: {exc}"))
    return out


def load_path(path: str | Path) -> Loaded:
    """A rule file, or every `*.yml`/`*.yaml` below a directory (sorted, recursive)."""
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml")) if path.is_dir() else [path]
    out = Loaded()
    for f in files:
        out.add(load_file(f))
    return out


def assemble(loaded: Loaded) -> RuleSet:
    """Resolve each correlation's base rules (by `name`, else `id`) across everything loaded; a correlation
    whose base rules are missing is skipped with the reason. Base rules of a correlation without `generate:
    true` stop reporting their own matches (Sigma's rule: they only feed the correlation)."""
    rules: dict[str, Rule] = {}
    for rule in loaded.rules:
        rules.setdefault(rule.id, rule)  # a rule id loaded twice counts once
    ids = {r.id: r.id for r in rules.values()} | {r.name: r.id for r in rules.values() if r.name}
    specs = {s.id: s for s in reversed(loaded.correlations)}
    correlations: list[Correlation] = []
    skipped = list(loaded.skipped)
    quiet: set[str] = set()
    for cid in dict.fromkeys(s.id for s in loaded.correlations):
        spec = specs[cid]
        try:
            correlation = resolve_correlation(spec, ids, specs)
        except Unsupported as exc:
            skipped.append(Skipped(spec.source, spec.title, str(exc)))
            continue
        correlations.append(correlation)
        if not spec.generate:
            quiet.update(correlation.rules)
    out = tuple(dataclasses.replace(r, generate=False) if r.id in quiet else r for r in rules.values())
    return RuleSet(out, tuple(skipped), tuple(correlations))


def load_rule_set(specs: Sequence[str], *, where: str = "rules") -> RuleSet:
    """Built-in pack names and/or paths to Sigma rule files or directories; a rule id loaded twice counts once."""
    loaded = Loaded()
    for spec in specs:
        path = BUILTIN.get(spec) or Path(spec)
        if not path.exists():
            known = ", ".join(sorted(BUILTIN))
            raise InputError(f"{spec!r} is neither a built-in rule set ({known}) nor an existing path", where=where)
        loaded.add(load_path(path))
    return assemble(loaded)
