"""Region reports: the papermill batch runner, report content, index page and translations.

`render_reports(processed, out, regions='all', ...)` renders one HTML report per region from
notebooks/region-report.ipynb; `content.RegionReport` is what the template calls.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BatchResult", "RegionOutcome", "render_reports"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from p3k_study.reports import batch

        return getattr(batch, name)
    raise AttributeError(f"module 'p3k_study.reports' has no attribute {name!r}")
