"""Rendering plans and recaps for people: the terminal (rich) and Markdown for the incident record."""

from remediator.report.markdown import markdown_report
from remediator.report.terminal import render_plan, render_recap

__all__ = ["markdown_report", "render_plan", "render_recap"]
