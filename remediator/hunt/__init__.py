"""Hunting the System Log: Sigma rules (`sigma`), correlation rules (`correlation`), rule sets (`rules`),
fast matching (`engine`)."""

from remediator.hunt.correlation import Correlation, Correlator
from remediator.hunt.engine import Engine
from remediator.hunt.rules import BUILTIN, RuleSet, load_rule_set
from remediator.hunt.sigma import Rule, Skipped

__all__ = ["BUILTIN", "Correlation", "Correlator", "Engine", "Rule", "RuleSet", "Skipped", "load_rule_set"]
