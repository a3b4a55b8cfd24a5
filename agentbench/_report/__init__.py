"""Run reports: plain text for the terminal and a self-contained HTML file."""

from agentbench._report.html import write_html_report
from agentbench._report.text import format_summary

__all__ = ["format_summary", "write_html_report"]
