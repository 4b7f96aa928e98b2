"""The unit x period panel: staff in post by status, P3K hires and cohort, IKM.

Rules (the columns are described in `schemas.PANEL`):
- Staff counts are those in post on the period's last day: `tmt <= last day` and no end date or
  an end date after it. A P3K hire (full- or part-time PPPK) belongs to the period containing
  its TMT.
- cohort = period_index of the first period meeting the `CohortRule` (default: at least one P3K
  hire), searched over the whole roster history, also before or after the panel's window;
  0 = never. treated = 1 from the cohort period on.
- Periods: the window runs from the first to the last period present in the outcome data (IKM)
  and staff-count tables; with neither, from the first to the last TMT in the roster. Callers may
  pass `periods=(first, last)`.
- Rows: a unit gets a row for a period of the window when it has staff in post or an IKM then.
  The panel is balanced or not as the data is; a period without IKM has NaN `ikm`; a unit seen
  only in survey data has missing staff counts (`flag_no_staff_data`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from p3k_study.config import CohortRule
from p3k_study.ikm import REGULATION_2004, REGULATION_2017, category
from p3k_study.periods import Frequency, month_period_index, period_labels
from p3k_study.schemas import PANEL, REGION_COLUMNS, sorted_rows, typed

STATUS_COLUMNS = {"PNS": "n_pns", "PPPK": "n_p3k", "PPPK_PT": "n_p3k_part_time",
                  "OTHER": "n_other"}
COUNT_COLUMNS = list(STATUS_COLUMNS.values())
STOCK_COLUMNS = ["unit_id", "period_index", *COUNT_COLUMNS, "n_staff", "p3k_hires",
                 "flag_staff_from_counts", "flag_hires_inferred"]
"""Staff in post per unit and period (`roster_stocks`, `counts_stocks`)."""


def date_period_index(dates: pd.Series, freq: Frequency = "semester") -> np.ndarray:
    """Vectorised `periods.period_index` for a datetime Series, as floats (NaT -> NaN)."""
    d = pd.to_datetime(dates)
    return month_period_index(d.dt.year, d.dt.month, freq).to_numpy("float64", na_value=np.nan)


def roster_stocks(roster: pd.DataFrame, units: pd.Index, first: int, last: int, rule: CohortRule,
                  freq: Frequency = "semester") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staff in post per unit and period on the period's last day, and P3K hires per period.

    Returns (stocks, hits): stocks has `STOCK_COLUMNS` (unit_id a Categorical of `units`) for
    every unit of the roster and every period first..last; hits the (unit_id, period_index) of
    every period of the roster's history, also outside first..last, that meets `rule`."""
    codes, present = pd.factorize(roster["unit_id"], sort=True)
    status = pd.Categorical(roster["status"].astype(str), categories=list(STATUS_COLUMNS)).codes
    status = np.where(status < 0, 3, status)  # unknown status counts as other
    start = date_period_index(roster["tmt"], freq)
    stop = (date_period_index(roster["tanggal_berakhir"], freq) if "tanggal_berakhir" in roster
            else np.full(len(roster), np.nan))
    # the history: every TMT (lo..hi), also before or after the window
    lo, hi = int(np.nanmin(start, initial=first)), int(np.nanmax(start, initial=last))
    n_t = hi - lo + 1
    e = np.clip(np.where(np.isnan(stop), hi + 1, stop), lo, hi + 1)
    dated = ~np.isnan(start)
    ok = dated & (start < e)

    def per_cell(at: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """How many `rows` fall in each (unit, period from lo to hi + 1, status) cell."""
        cell = (codes[rows] * (n_t + 1) + (at[rows] - lo).astype(np.int64)) * 4 + status[rows]
        return np.bincount(cell, minlength=len(present) * (n_t + 1) * 4).reshape(
            len(present), n_t + 1, 4)

    stock = np.cumsum(per_cell(start, ok) - per_cell(e, ok), axis=1)[:, :n_t, :]
    staff = stock.sum(axis=2)
    hires = per_cell(start, dated)[:, :n_t, 1:3].sum(axis=2)  # PPPK and PPPK_PT
    unit, period = np.nonzero(_meets(rule, hires, staff, stock[:, :, 1:3].sum(axis=2)))
    present = units.get_indexer(present)
    hits = pd.DataFrame({"unit_id": pd.Categorical.from_codes(present[unit], units),
                         "period_index": lo + period})
    window = slice(first - lo, last - lo + 1)
    n_w = last - first + 1
    stocks = pd.DataFrame(stock[:, window, :].reshape(-1, 4), columns=COUNT_COLUMNS).assign(
        n_staff=staff[:, window].reshape(-1), p3k_hires=hires[:, window].reshape(-1))
    stocks.insert(0, "unit_id", pd.Categorical.from_codes(np.repeat(present, n_w), units))
    stocks.insert(1, "period_index", np.tile(np.arange(first, last + 1), len(present)))
    return stocks.assign(flag_staff_from_counts=False, flag_hires_inferred=False), hits


def counts_stocks(counts: pd.DataFrame) -> pd.DataFrame:
    """Staff per unit and period from a clean staff-count table.

    A missing optional count (part-time, other) counts as 0. Without a `p3k_hires` value, hires
    are inferred as the increase of PPPK in post since the unit's previous observed period (the
    first observed period counts all PPPK in post as hires) and `flag_hires_inferred` is set.
    """
    out = sorted_rows(counts, ["unit_id", "period_index"])
    out = out.assign(**{col: pd.to_numeric(out[col], errors="coerce").fillna(0).astype("int64")
                        for col in COUNT_COLUMNS})
    p3k = out["n_p3k"] + out["n_p3k_part_time"]
    inferred = p3k.groupby(out["unit_id"], sort=False).diff().fillna(p3k).clip(lower=0)
    given = pd.to_numeric(out["p3k_hires"], errors="coerce")
    out = out.assign(n_staff=out[COUNT_COLUMNS].sum(axis=1).astype("int64"),
                     p3k_hires=given.fillna(inferred).astype("int64"),
                     flag_staff_from_counts=True, flag_hires_inferred=given.isna().to_numpy())
    return out[STOCK_COLUMNS]


def _share(n_staff: np.ndarray, p3k: np.ndarray) -> np.ndarray:
    """The P3K share of staff in post; NaN where there is no staff."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_staff > 0, p3k / n_staff, np.nan)


def _meets(rule: CohortRule, hires: np.ndarray, n_staff: np.ndarray, p3k: np.ndarray
           ) -> np.ndarray:
    """Where a unit's period meets the cohort rule (its hires, staff and P3K in post)."""
    meets = hires >= rule.min_hires
    if rule.min_share is not None:
        meets &= np.nan_to_num(_share(n_staff, p3k), nan=-1.0) >= rule.min_share
    return meets


def panel_window(
    ikm_unit: pd.DataFrame, counts: pd.DataFrame | None, roster: pd.DataFrame | None,
    freq: Frequency,
) -> tuple[int, int] | None:
    """(first, last) period_index: the span of IKM and count periods, else of roster TMTs."""
    spans = [t["period_index"] for t in (ikm_unit, counts) if t is not None and not t.empty]
    if spans:
        values = pd.concat(spans)
        return int(values.min()), int(values.max())
    if roster is not None and not roster.empty:
        idx = date_period_index(roster["tmt"], freq)
        if not np.isnan(idx).all():
            return int(np.nanmin(idx)), int(np.nanmax(idx))
    return None


def build_panel(
    roster: pd.DataFrame | None,
    ikm_unit: pd.DataFrame,
    units: pd.DataFrame,
    freq: Frequency = "semester",
    cohort_rule: CohortRule | None = None,
    *,
    counts: pd.DataFrame | None = None,
    periods: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """The unit x period panel with exactly the columns of `schemas.PANEL`.

    Staff from a clean `roster` (one row per spell) and a staff-count table `counts` (a unit
    in the roster uses the roster); `units` gives region and name per unit_id (see
    `prepare.build_units`).
    """
    rule = cohort_rule or CohortRule()
    window = periods or panel_window(ikm_unit, counts, roster, freq)
    if window is None:
        return typed(PANEL)
    first, last = window
    given = [t for t in (roster, counts) if t is not None and not t.empty]
    ids = pd.Index(pd.concat([t["unit_id"] for t in (*given, ikm_unit)]).unique()).sort_values()
    # unit_id as codes of `ids` while tables are joined: merged and grouped as integers

    frames, hits = [], []
    if roster is not None and not roster.empty:
        stocks, hit = roster_stocks(roster, ids, first, last, rule, freq)
        frames.append(stocks)
        hits.append(hit)
    if counts is not None and not counts.empty:
        c = counts_stocks(counts).astype({"unit_id": pd.CategoricalDtype(ids)})
        c = c[~c["unit_id"].isin(frames[0]["unit_id"].unique())] if frames else c
        p3k = (c["n_p3k"] + c["n_p3k_part_time"]).to_numpy()
        hits.append(c.loc[_meets(rule, c["p3k_hires"].to_numpy(), c["n_staff"].to_numpy(), p3k),
                          ["unit_id", "period_index"]])
        frames.append(c[c["period_index"].between(first, last)])
    stocks = (pd.concat(frames, ignore_index=True) if frames
              else pd.DataFrame(columns=STOCK_COLUMNS))
    cohort = pd.concat(hits).groupby("unit_id", observed=True)["period_index"].min() if (
        hits) else pd.Series(dtype="int64")
    ikm = ikm_unit[ikm_unit["period_index"].between(first, last)]
    ikm = ikm.assign(unit_id=pd.Categorical(ikm["unit_id"], categories=ids))
    keys = pd.concat([stocks.loc[stocks["n_staff"] > 0, ["unit_id", "period_index"]],
                      ikm[["unit_id", "period_index"]]]).drop_duplicates()
    keys = keys.astype({"unit_id": pd.CategoricalDtype(ids), "period_index": "int64"})
    panel = keys.merge(stocks, on=["unit_id", "period_index"], how="left")
    part = ikm.reindex(columns=["unit_id", "period_index", "ikm", "respondents", "sample_adequate",
                                "ikm_source", "regulation", "flag_published_disagrees",
                                "flag_mutu_disagrees"]).astype({"period_index": "int64"})
    part = part.rename(columns={"flag_published_disagrees": "flag_ikm_published_disagrees"})
    panel = panel.merge(part, on=["unit_id", "period_index"], how="left")  # NaN flags: False
    codes = panel["unit_id"].cat.codes.to_numpy()
    described = units.drop_duplicates("unit_id").set_index("unit_id").reindex(ids)
    for col in [*REGION_COLUMNS, "unit_function", "unit_name", "unit_matched"]:
        panel[col] = described[col].array.take(codes) if col in described else np.nan
    panel["cohort"] = cohort.reindex(ids, fill_value=0).to_numpy()[codes].astype("int64")
    return _finish(panel, freq)


def _finish(panel: pd.DataFrame, freq: Frequency) -> pd.DataFrame:
    """Derived columns, the schema's dtypes and column order, and a stable row order."""
    out = panel.astype({"period_index": "int64", "unit_id": "string"})
    out["period"] = period_labels(out["period_index"], freq)
    out["flag_no_staff_data"] = out["n_staff"].isna()
    out["p3k_share"] = _share(out["n_staff"].to_numpy("float64", na_value=np.nan),
                              (out["n_p3k"] + out["n_p3k_part_time"]).to_numpy(
                                  "float64", na_value=np.nan))
    out["treated"] = ((out["cohort"] > 0) & (out["period_index"] >= out["cohort"])).astype("int64")
    out["ikm_category"] = category(out["ikm"], REGULATION_2017).to_numpy()
    out["flag_unit_unmatched"] = ~out["unit_matched"].fillna(False).astype(bool)
    out["flag_regulation_2004"] = out["regulation"].isin([REGULATION_2004])
    out["unit_function"] = out["unit_function"].fillna("unmatched")
    flags = [column for column in PANEL.columns if column.startswith("flag_")]
    out[flags] = out[flags].astype("boolean").fillna(False)  # a flag not raised is False
    return sorted_rows(typed(PANEL, out), ["unit_id", "period_index"])
