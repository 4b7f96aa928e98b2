"""p3k-study: does hiring P3K change the performance of regional work units?

The public API a notebook imports. Names load lazily, so `import p3k_study` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    # estimators (p3k_study.estimate)
    "twfe": "p3k_study.estimate",
    "before_after": "p3k_study.estimate",
    "event_study": "p3k_study.estimate",
    "att_gt": "p3k_study.estimate",
    "did_imputation": "p3k_study.estimate",
    "cont_did": "p3k_study.estimate",
    "did_multiplegt": "p3k_study.estimate",
    "compare_estimators": "p3k_study.estimate",
    "honest_did": "p3k_study.estimate",
    "bacon_decomposition": "p3k_study.estimate",
    "twfe_weights": "p3k_study.estimate",
    "regression_table": "p3k_study.estimate",
    # data preparation
    "prepare": "p3k_study.prepare",
    "build_panel": "p3k_study.panel",
    "compute_ikm": "p3k_study.ikm",
    # simulator and reports
    "simulate": "p3k_study.simulate",
    "render_reports": "p3k_study.reports",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'p3k_study' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
