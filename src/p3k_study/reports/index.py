"""The batch's front page (index.html) and its table of key estimates (estimates.csv/.parquet).

Numbers come from each report's region_summary.json, i.e. from the executed notebook itself.
The page is templates/index.html.j2, rendered by Jinja2 with autoescape, so every string from
data is escaped; the forest plot is an embedded PNG.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2
import pandas as pd

from p3k_study import plots
from p3k_study.csvout import neutralised
from p3k_study.reports.files import atomic_write_bytes, atomic_write_text
from p3k_study.reports.html import PAGE_CSS
from p3k_study.reports.text import MISSING, fmt_int, fmt_number, t

if TYPE_CHECKING:
    from p3k_study.reports.batch import RegionOutcome

ESTIMATE_COLUMNS = ["region", "name", "level", "n_units", "n_treated", "estimate", "std_error",
                    "ci_low", "ci_high", "status", "n_comparison", "p_value", "too_few",
                    "national_estimate", "error", "report", "estimator"]


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
            "error": o.error, "report": o.report, "estimator": est.get("estimator"),
        })
    table = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
    for column in ("n_units", "n_treated", "n_comparison"):
        table[column] = table[column].astype("Int64")
    table["too_few"] = table["too_few"].astype("boolean")
    for column in ("region", "name", "level", "status", "error", "report", "estimator"):
        table[column] = table[column].astype("string")
    return table


def write_estimates(out: Path, outcomes: Sequence[RegionOutcome], level: str) -> Path:
    """out/estimates.csv and out/estimates.parquet (atomic); returns the csv path.

    Text cells that a spreadsheet would run as formulas (a region name from the raw files, an
    error message) are neutralised in the CSV as prepare's CSVs are (`csvout.neutralised`);
    the Parquet copy keeps them as they are."""
    table = estimates_table(outcomes, level)
    csv_path = out / "estimates.csv"
    text = table.select_dtypes("string").columns
    safe = table.assign(**{c: table[c].map(neutralised, na_action="ignore") for c in text})
    atomic_write_text(csv_path, safe.to_csv(index=False, float_format="%.10g"))
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    atomic_write_bytes(out / "estimates.parquet", buffer.getvalue())
    return csv_path


TEMPLATE = "index.html.j2"
NUMERIC_COLUMNS = ("col_estimate", "col_units", "col_treated")
HEAD = ("col_code", "col_region", "col_status", "col_estimate", "col_ci", "col_units",
        "col_treated", "col_note", "col_report")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates: autoescape on, undefined names fail."""
    return jinja2.Environment(loader=jinja2.PackageLoader("p3k_study.reports", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


def _text(value: Any) -> str:
    return "" if value is None or value is pd.NA else str(value)


def _flag(value: Any) -> bool:
    """True for True and numpy.True_ (a 'boolean' column's cells), False for False and NA."""
    return value is not None and value is not pd.NA and bool(value)


def forest_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The regions of the forest plot, highest estimate first, with their plot labels."""
    rows = table.dropna(subset=["estimate"])
    rows = rows.sort_values(["estimate", "region"], ascending=[False, True], kind="stable")
    labels = rows["region"].fillna("") + " " + rows["name"].fillna("").str.slice(0, 30)
    return rows.assign(label=labels).reset_index(drop=True)


def _forest_png(table: pd.DataFrame, lang: str) -> str | None:
    rows = forest_rows(table)
    if rows.empty:
        return None
    national = table["national_estimate"].dropna()
    fig = plots.forest(rows[["label", "estimate", "ci_low", "ci_high"]],
                       labels={"x": t("axis_effect", lang), "reference": t("national_line", lang)},
                       reference=float(national.iloc[0]) if len(national) else None,
                       max_rows=len(rows))
    return plots.figure_data_uri(fig)


def not_estimated(outcomes: Sequence[RegionOutcome], lang: str) -> list[dict[str, str]]:
    """Regions without an estimate, in request order, each with the reason its summary gives."""
    items = []
    for o in outcomes:
        summary = o.summary or {}
        est = summary.get("estimate") or {}
        if not math.isnan(_number(est.get("estimate"))):
            continue
        if est.get("note"):
            reason = str(est["note"])
        elif o.status == "failed":
            reason = t("status_failed", lang) + (f": {o.error}" if o.error else "")
        else:
            reason = t("index_no_reason", lang)
        items.append({"region": o.region, "name": _text(summary.get("name") or o.name),
                      "reason": reason})
    return items


def estimators(outcomes: Sequence[RegionOutcome]) -> list[str]:
    """The distinct estimators the regions' numbers come from, in order of first appearance."""
    found = (((o.summary or {}).get("estimate") or {}).get("estimator") for o in outcomes)
    return list(dict.fromkeys(str(e) for e in found if e))


def _row(row: Any, pdf: str | None, lang: str) -> dict[str, str]:
    status = str(row.status)
    status_text = t(f"status_{status}", lang)
    if status == "failed" and _text(row.error):
        status_text += f": {row.error}"
    ci = (f"[{fmt_number(row.ci_low, lang, 2)}; {fmt_number(row.ci_high, lang, 2)}]"
          if not math.isnan(row.ci_low) else MISSING)
    return {"region": _text(row.region), "name": _text(row.name), "status": status,
            "status_text": status_text, "estimate": fmt_number(row.estimate, lang, 2), "ci": ci,
            "n_units": fmt_int(row.n_units, lang), "n_treated": fmt_int(row.n_treated, lang),
            "note": t("index_too_few", lang) if _flag(row.too_few) else "",
            "report": quote(_text(row.report)), "pdf": quote(pdf) if pdf else ""}


def index_html(outcomes: Sequence[RegionOutcome], level: str, lang: str) -> str:
    """The index page: counts, the estimator, a forest plot sorted by estimate, the regions
    without an estimate and why, and a table with a link per region."""
    table = estimates_table(outcomes, level)
    counts = table["status"].value_counts()
    forest = _forest_png(table, lang)
    ranked = forest_rows(table)
    title = t("index_title", lang)
    alt = t("forest_title", lang)
    if len(ranked):
        alt = t("index_forest_alt", lang, title=alt, n=len(ranked),
                     top=ranked["label"].iloc[0], bottom=ranked["label"].iloc[-1])
    return environment().get_template(TEMPLATE).render(
        lang=lang, title=title, css=PAGE_CSS,
        synthetic=any((o.summary or {}).get("synthetic") for o in outcomes),
        banner=t("synthetic_banner", lang),
        intro=t("index_intro", lang, n_ok=int(counts.get("rendered", 0)),
                n_failed=int(counts.get("failed", 0)), n_skipped=int(counts.get("skipped", 0))),
        estimator_label=t("index_estimator", lang), estimators=estimators(outcomes),
        forest=forest, forest_title=t("forest_title", lang), forest_alt=alt,
        forest_order=t("index_forest_order", lang),
        not_estimated_title=t("index_not_estimated_title", lang),
        not_estimated=not_estimated(outcomes, lang),
        columns=[{"label": t(k, lang), "numeric": k in NUMERIC_COLUMNS} for k in HEAD],
        rows=[_row(row, o.pdf, lang)
              for row, o in zip(table.itertuples(index=False), outcomes, strict=True)],
        report_label=t("col_report", lang), missing=MISSING,
    )


def write_index(out: Path, outcomes: Sequence[RegionOutcome], level: str, lang: str) -> Path:
    """Write out/index.html atomically."""
    return atomic_write_text(out / "index.html", index_html(outcomes, level, lang))
