"""The package's import graph: no cycle anywhere in remediator/, and the sandbox (the emulated tenant)
is imported by the commands that start it only.

An edge is an import executed when a module loads: module level, outside `if TYPE_CHECKING:`. An
import of `a.b.c` from outside the package `a.b` also runs `a/b/__init__.py`, so it is an edge to
each of those packages too. Function-level imports of remediator's own modules fail as well: they
used to hide a cycle (inventory → playbook → schema → inventory); only the commands that start the
sandbox load it late.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import remediator

PACKAGE = Path(remediator.__file__).parent
#: product modules allowed to import remediator.sandbox: the commands that start a sandbox tenant
STARTS_THE_SANDBOX = {"remediator.cli.tools", "remediator.demo"}


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(module: str) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import of the module and whether it runs at load time (module level, not TYPE_CHECKING)."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def walk(nodes: list[ast.stmt], at_load: bool) -> None:
        for node in nodes:
            if _is_type_checking(node):
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append((node, at_load))
            inner = at_load and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    walk([c for c in children if isinstance(c, ast.stmt | ast.excepthandler)], inner)  # type: ignore[misc]

    walk(ast.parse(MODULES[module].read_text()).body, True)
    return found


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The remediator modules an import loads: the one named, and the packages above it met on the way."""
    if isinstance(node, ast.Import):
        named = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            here = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
            base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
        named = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
    out: set[str] = set()
    for name in named:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            target = ".".join(parts[:i])
            inside = module == target or module.startswith(target + ".")  # its own packages are loading already
            if target in MODULES and target != module and (i == len(parts) or not inside):
                out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    return {m: {t for node, at_load in _imports(m) if at_load for t in _targets(m, node)} for m in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_the_detector_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_in_remediator() -> None:
    assert _cycles(_graph()) == []


def _starts_the_sandbox(module: str, target: str) -> bool:
    """The commands that start a sandbox load it (and the demo) when run, not when the CLI loads."""
    return module in STARTS_THE_SANDBOX and (target.startswith("remediator.sandbox") or target == "remediator.demo")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_function_level_import_of_remediator(module: str) -> None:
    late = [ast.unparse(node) for node, at_load in _imports(module) if not at_load
            and any(not _starts_the_sandbox(module, t) for t in _targets(module, node))]
    assert late == [], f"{module}: import at module level (a cycle is a design problem, not an import's)"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.startswith("remediator.sandbox")))
def test_only_the_commands_that_start_it_import_the_sandbox(module: str) -> None:
    uses = [ast.unparse(node) for node, _ in _imports(module) if any(
        t == "remediator.sandbox" or t.startswith("remediator.sandbox.") for t in _targets(module, node))]
    assert not uses or module in STARTS_THE_SANDBOX, f"{module} imports the sandbox: {uses}"
