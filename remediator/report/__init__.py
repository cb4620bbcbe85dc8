"""Rendering plans and recaps for people: the terminal (rich), Markdown and HTML for the incident record."""

from pathlib import Path
from typing import Any

from remediator.plan import Plan
from remediator.report.common import evidence_dirs
from remediator.report.html import html_report
from remediator.report.markdown import markdown_report
from remediator.report.terminal import render_plan, render_recap

__all__ = ["evidence_dirs", "html_report", "markdown_report", "render_plan", "render_recap", "render_report"]


def render_report(path: Path, plan: Plan, **kwargs: Any) -> str:
    """The report `--report PATH` writes: one self-contained HTML file for `.html`/`.htm`, Markdown otherwise."""
    if path.suffix.lower() in (".html", ".htm"):
        return html_report(plan, **kwargs)
    return markdown_report(plan, **kwargs)
