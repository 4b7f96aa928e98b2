"""Side-by-side tables of any results that have `.tidy()` (TWFE, 2x2, event study, CS, ...)."""

from __future__ import annotations

import html as _html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._common import EstimationError


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def _nobs(res: Any) -> str:
    for attr in ("nobs", "n_units"):
        v = getattr(res, attr, None)
        if isinstance(v, int | np.integer):
            return f"{int(v):,}" + (" units" if attr == "n_units" else "")
    return ""


@dataclass
class RegressionTable:
    """Models side by side: estimate with stars, (SE) below; `.frame` holds the cells.

    Attributes
    ----------
    frame : DataFrame
        Rows: terms and N; columns: the model names; cells: text.
    results : dict
        Model name -> the result it shows.
    """

    frame: pd.DataFrame
    notes: str = "Standard errors in parentheses. * p<0.1, ** p<0.05, *** p<0.01."
    results: dict[str, Any] = field(default_factory=dict, repr=False)

    def tidy(self) -> pd.DataFrame:
        """The models' `tidy()` tables stacked, with a `model` column (the column name).

        Returns
        -------
        DataFrame
            model, then each result's tidy columns (term, estimate, std_error, ...).
        """
        frames = [res.tidy().assign(model=name) for name, res in self.results.items()]
        out = pd.concat(frames, ignore_index=True)
        return out[["model", *[c for c in out.columns if c != "model"]]]

    def vcov(self) -> dict[str, Any]:
        """Each model's `vcov()` (model name -> matrix); a model without one is left out."""
        out = {}
        for name, res in self.results.items():
            try:
                out[name] = res.vcov()
            except (EstimationError, AttributeError, TypeError):
                continue
        return out

    def summary(self) -> str:
        """The table as text, with the note on stars."""
        return f"{self.frame.to_string()}\n{self.notes}"

    def plot(self):  # type: ignore[no-untyped-def]
        """Every model's estimates with intervals, side by side (`plots.coefficients`).

        Returns
        -------
        matplotlib Figure
        """
        from p3k_study import plots

        t = self.tidy().dropna(subset=["std_error"])
        return plots.coefficients(t, labels={"x": "estimate"})

    def html(self) -> str:
        """HTML table."""
        cols = "".join(f"<th>{_html.escape(str(c))}</th>" for c in self.frame.columns)
        body = []
        for term, row in self.frame.iterrows():
            cells = "".join(f"<td>{_html.escape(str(v)).replace(chr(10), '<br>')}</td>"
                            for v in row)
            body.append(f"<tr><th>{_html.escape(str(term))}</th>{cells}</tr>")
        return (f'<table class="regression-table"><thead><tr><th></th>{cols}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody>"
                f'<tfoot><tr><td colspan="{len(self.frame.columns) + 1}">'
                f"{_html.escape(self.notes)}</td></tr></tfoot></table>")

    def latex(self) -> str:
        """LaTeX tabular (booktabs)."""
        def esc(s: str) -> str:
            return (str(s).replace("\\", r"\textbackslash{}").replace("_", r"\_")
                    .replace("%", r"\%").replace("&", r"\&").replace("#", r"\#"))

        k = len(self.frame.columns)
        lines = [r"\begin{tabular}{l" + "c" * k + "}", r"\toprule",
                 " & " + " & ".join(esc(c) for c in self.frame.columns) + r" \\", r"\midrule"]
        for term, row in self.frame.iterrows():
            parts = [str(v).split("\n") for v in row]
            lines.append(esc(term) + " & " + " & ".join(esc(p[0]) for p in parts) + r" \\")
            if any(len(p) > 1 for p in parts):
                lines.append(" & " + " & ".join(esc(p[1]) if len(p) > 1 else "" for p in parts)
                             + r" \\")
        lines += [r"\bottomrule",
                  rf"\multicolumn{{{k + 1}}}{{l}}{{\footnotesize {esc(self.notes)}}} \\",
                  r"\end{tabular}"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.frame.to_string()


def regression_table(results: Sequence[Any], names: Sequence[str] | None = None,
                     digits: int = 4) -> RegressionTable:
    """Put results side by side.

    Parameters
    ----------
    results : sequence
        Results with a `tidy()` (TWFE, 2x2, event study, CS aggregations...).
    names : sequence of str, optional
        Column names (default "(1)", "(2)", ...).
    digits : int
        Decimals shown.

    Returns
    -------
    RegressionTable
        Rows: the terms of each `tidy()`, plus N.
    """
    results = list(results)
    if not results:
        raise EstimationError("regression_table: no results given")
    if names is None:
        names = [f"({i + 1})" for i in range(len(results))]
    if len(names) != len(results):
        raise EstimationError("regression_table: names must have one entry per result")
    cols: dict[str, dict[str, str]] = {}
    order: list[str] = []
    for name, res in zip(names, results, strict=True):
        if not hasattr(res, "tidy"):
            raise EstimationError(f"regression_table: {type(res).__name__} has no tidy()")
        t = res.tidy()
        col: dict[str, str] = {}
        for _, r in t.iterrows():
            term = str(r["term"])
            if term not in order:
                order.append(term)
            est = f"{r['estimate']:.{digits}f}{_stars(r['p_value'])}"
            se = f"({r['std_error']:.{digits}f})" if np.isfinite(r["std_error"]) else ""
            col[term] = est + ("\n" + se if se else "")
        col["N"] = _nobs(res)
        cols[name] = col
    frame = pd.DataFrame(cols).reindex([*order, "N"]).fillna("")
    return RegressionTable(frame=frame, results=dict(zip(names, results, strict=True)))
