"""Self-contained HTML pages: an executed notebook without its code, and plain pages.

Pages load nothing from the network (no MathJax, no require.js): nbconvert's 'basic' template
gives the cell outputs only, and `page` wraps them in a small document with its own CSS.
"""

from __future__ import annotations

import copy
import functools
import html
import re
import threading
from importlib import resources
from typing import Any

# Printing (report.pdf, `--pdf`): A4 with 15 mm margins; the page's width is the paper's, figures
# and tables shrink to it, long words wrap, headings stay with what follows them (a report's
# heading and its figure are separate notebook cells: the heading cell avoids a break after it).
PRINT_CSS = """
@page{size:A4;margin:15mm}
@media print{
 body{background:#fff;font-size:10pt}
 main{max-width:none;margin:0;padding:0}
 h1{font-size:16pt}h2{font-size:13pt;break-after:avoid}h3{break-after:avoid}
 .cell:has(h2):not(:has(table)):not(:has(img)){break-after:avoid}
 img{max-width:100%;max-height:105mm;width:auto;height:auto;break-inside:avoid}
 table{font-size:8pt;max-width:100%}
 th,td{padding:.15em .35em;overflow-wrap:break-word}
 thead{display:table-header-group}
 tr{break-inside:avoid}
 .banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 a{color:inherit;text-decoration:none}
}
"""
PAGE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
 background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:1.5em 2em;background:#fff}
h1{font-size:1.7em}h2{font-size:1.3em;margin-top:1.6em;border-bottom:1px solid #ddd}
img{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:.9em;margin:.4em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
td.num,th.num{text-align:right}
td.num,td.nowrap{white-space:nowrap}
.status-failed{color:#b00020;font-weight:bold}.status-rendered{color:#1b5e20}
.status-skipped{color:#555}
pre{white-space:pre-wrap}
.banner{background:#b00020;color:#fff;font-weight:bold;padding:.8em 1em;font-size:1.2em;
 border-radius:4px;margin:.5em 0}
ul.not-estimated{font-size:.9em}
""" + PRINT_CSS


def page(title: str, body: str, lang: str = "id") -> str:
    """A complete HTML document around an already-escaped body; the title is escaped here."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(lang, quote=True)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{PAGE_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


FIGURE_WORD = {"id": "gambar", "en": "figure"}
_HEADING = re.compile(r"<h[1-3][^>]*>(.*?)</h[1-3]>", flags=re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def describe_figures(notebook: Any, fallback: str, lang: str = "en") -> Any:
    """A copy of the notebook whose images carry alt text: the heading of their section.

    Screen readers need it, and nbconvert otherwise warns once per report."""
    described = copy.deepcopy(notebook)
    heading = fallback
    for cell in described.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            found = _HEADING.findall(str(data.get("text/html", "")))
            if found:
                heading = html.unescape(_TAG.sub("", found[-1])).strip() or heading
            if any(key.startswith("image/") for key in data):
                metadata = output.setdefault("metadata", {})
                metadata.setdefault("alt", f"{heading}: {FIGURE_WORD.get(lang, 'figure')}")
    return described


OUTPUTS_TEMPLATE = "report-outputs.html.j2"  # in templates/: 'basic' plus alt text on SVGs


@functools.cache
def _exporter() -> Any:
    """One nbconvert exporter per process. A new exporter loads and compiles its Jinja templates
    on its first export: 0.22 s for a national report against 0.09 s with one reused (a batch
    worker exports hundreds). An export depends only on the notebook: byte-identical HTML."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic", template_file=OUTPUTS_TEMPLATE,
                        extra_template_paths=[str(resources.files("p3k_study.reports")
                                                  / "templates")],
                        exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, exclude_markdown=True)


_EXPORTING = threading.Lock()  # the exporter keeps per-export filters: one export at a time


def notebook_body(notebook: Any, title: str = "figure", lang: str = "en") -> str:
    """The outputs of an executed notebook as HTML: no code, no prompts, no markdown notes."""
    described = describe_figures(notebook, title, lang)
    with _EXPORTING:
        body, _resources = _exporter().from_notebook_node(described)
    return body


def notebook_page(notebook: Any, title: str, lang: str = "id") -> str:
    """A self-contained HTML report from an executed notebook."""
    return page(title, notebook_body(notebook, title, lang), lang)
