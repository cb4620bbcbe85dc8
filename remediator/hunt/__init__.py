"""Hunting the System Log: Sigma-subset rules (`sigma`), rule sets (`rules`), fast matching (`engine`)."""

from remediator.hunt.engine import Engine
from remediator.hunt.rules import BUILTIN, RuleSet, load_rule_set
from remediator.hunt.sigma import Rule, Skipped

__all__ = ["BUILTIN", "Engine", "Rule", "RuleSet", "Skipped", "load_rule_set"]
