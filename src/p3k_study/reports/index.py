"""The batch's front page (index.html) and its table of key estimates (estimates.csv/.parquet).

Numbers come from each report's region_summary.json, i.e. from the executed notebook itself.
Every string from data is escaped; the forest plot is an embedded PNG.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pandas as pd

from p3k_study import plots
from p3k_study.reports.files import atomic_write_bytes, atomic_write_text
from p3k_study.reports.html import page
from p3k_study.reports.text import MISSING, fmt_int, fmt_number, t

if TYPE_CHECKING:
    from p3k_study.reports.batch import RegionOutcome

ESTIMATE_COLUMNS = ["region", "name", "level", "n_units", "n_treated", "estimate", "std_error",
                    "ci_low", "ci_high", "status", "n_comparison", "p_value", "too_few",
                    "national_estimate", "error", "report"]


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def estimates_table(outcomes: Sequence[RegionOutcome], level: str) -> pd.DataFrame:
    """One row per region: key estimate from its summary, status and report link."""
    rows = []
    for o in outcomes:
        summary = o.summary or {}
        est = summary.get("estimate") or {}
        rows.append({
            "region": o.region, "name": summary.get("name") or o.name, "level": level,
            "n_units": summary.get("n_units"), "n_treated": summary.get("n_treated"),
            "estimate": _number(est.get("estimate")), "std_error": _number(est.get("std_error")),
            "ci_low": _number(est.get("ci_low")), "ci_high": _number(est.get("ci_high")),
            "status": o.status, "n_comparison": summary.get("n_comparison"),
            "p_value": _number(est.get("p_value")), "too_few": summary.get("too_few"),
            "national_estimate": _number((summary.get("national") or {}).get("estimate")),
            "error": o.error, "report": o.report,
        })
    table = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
    for column in ("n_units", "n_treated", "n_comparison"):
        table[column] = table[column].astype("Int64")
    table["too_few"] = table["too_few"].astype("boolean")
    for column in ("region", "name", "level", "status", "error", "report"):
        table[column] = table[column].astype("string")
    return table


def write_estimates(out: Path, outcomes: Sequence[RegionOutcome], level: str) -> Path:
    """out/estimates.csv and out/estimates.parquet (atomic); returns the csv path."""
    table = estimates_table(outcomes, level)
    csv_path = out / "estimates.csv"
    atomic_write_text(csv_path, table.to_csv(index=False, float_format="%.10g"))
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    atomic_write_bytes(out / "estimates.parquet", buffer.getvalue())
    return csv_path


def _esc(value: object) -> str:
    import html

    return html.escape(str(value), quote=True)


def _forest_png(table: pd.DataFrame, lang: str) -> str | None:
    rows = table.dropna(subset=["estimate"])
    if rows.empty:
        return None
    national = table["national_estimate"].dropna()
    forest = rows.assign(label=rows["region"] + " " + rows["name"].str.slice(0, 30))
    fig = plots.forest(forest[["label", "estimate", "ci_low", "ci_high"]],
                       labels={"x": t("axis_effect", lang), "reference": t("national_line", lang)},
                       reference=float(national.iloc[0]) if len(national) else None)
    return plots.figure_data_uri(fig)


def index_html(outcomes: Sequence[RegionOutcome], level: str, lang: str) -> str:
    """The index page: counts, a forest plot, and a table with a link per region."""
    table = estimates_table(outcomes, level)
    counts = table["status"].value_counts()
    synthetic = any((o.summary or {}).get("synthetic") for o in outcomes)
    body = [f'<div class="banner" role="alert">{_esc(t("synthetic_banner", lang))}</div>'
            if synthetic else "",
            f"<h1>{_esc(t('index_title', lang))}</h1>",
            "<p>" + _esc(t("index_intro", lang, n_ok=int(counts.get("rendered", 0)),
                             n_failed=int(counts.get("failed", 0)),
                             n_skipped=int(counts.get("skipped", 0)))) + "</p>"]
    forest = _forest_png(table, lang)
    if forest:
        body += [f"<h2>{_esc(t('forest_title', lang))}</h2>",
                 f'<img src="{forest}" alt="{_esc(t("forest_title", lang))}">']
    head = ["col_code", "col_region", "col_status", "col_estimate", "col_ci", "col_units",
            "col_treated", "col_note", "col_report"]
    lines = ["<table>", "<thead><tr>" + "".join(
        f'<th{" class=num" if k in ("col_estimate", "col_units", "col_treated") else ""}>'
        f"{_esc(t(k, lang))}</th>" for k in head) + "</tr></thead>", "<tbody>"]
    for row in table.itertuples(index=False):
        status = str(row.status)
        status_text = t(f"status_{status}", lang)
        if status == "failed" and row.error is not pd.NA and row.error:
            status_text += f": {row.error}"
        ci = (f"[{fmt_number(row.ci_low, lang, 2)}; {fmt_number(row.ci_high, lang, 2)}]"
              if not math.isnan(row.ci_low) else MISSING)
        link = (f'<a href="{_esc(quote(str(row.report)))}">{_esc(t("col_report", lang))}</a>'
                if row.report is not pd.NA and row.report else MISSING)
        cells = [_esc(row.region), _esc(row.name),
                 f'<span class="status-{_esc(status)}">{_esc(status_text)}</span>',
                 _esc(fmt_number(row.estimate, lang, 2)), _esc(ci),
                 _esc(fmt_int(row.n_units, lang)), _esc(fmt_int(row.n_treated, lang)),
                 _esc(t("index_too_few", lang)) if row.too_few is True else "", link]
        numeric = {3, 5, 6}
        lines.append("<tr>" + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(cells)) + "</tr>")
    lines += ["</tbody>", "</table>"]
    return page(t("index_title", lang), "\n".join(body + lines), lang)


def write_index(out: Path, outcomes: Sequence[RegionOutcome], level: str, lang: str) -> Path:
    """Write out/index.html atomically."""
    return atomic_write_text(out / "index.html", index_html(outcomes, level, lang))
