"""HTML pages for evaluate, drift and report: result objects in, Jinja2 templates out."""

from training.reports.charts import LineChart, StackedShares, Table
from training.reports.html import Section, page, write_page
from training.reports.readings_sections import readings_section
from training.reports.sections import drift_sections, evaluation_sections, report_sections
from training.reports.segment_sections import segments_section

__all__ = [
    "LineChart",
    "Section",
    "StackedShares",
    "Table",
    "drift_sections",
    "evaluation_sections",
    "page",
    "readings_section",
    "report_sections",
    "segments_section",
    "write_page",
]
