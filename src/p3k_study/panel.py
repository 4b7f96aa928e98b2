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
from p3k_study.schemas import PANEL, typed

STATUS_COLUMNS = {"PNS": "n_pns", "PPPK": "n_p3k", "PPPK_PT": "n_p3k_part_time",
                  "OTHER": "n_other"}
COUNT_COLUMNS = list(STATUS_COLUMNS.values())
STOCK_COLUMNS = ["unit_id", "period_index", *COUNT_COLUMNS, "n_staff", "p3k_hires"]


def date_period_index(dates: pd.Series, freq: Frequency = "semester") -> pd.Series:
    """Vectorised `periods.period_index` for a datetime Series (NaT -> NA)."""
    d = pd.to_datetime(dates)
    return month_period_index(d.dt.year, d.dt.month, freq).astype("Int64")


def roster_stocks(
    roster: pd.DataFrame, first: int, last: int, freq: Frequency = "semester"
) -> pd.DataFrame:
    """Staff in post per unit and period on the period's last day, and P3K hires per period.

    Returns unit_id, period_index for every unit of the roster and every period first..last,
    with n_pns, n_p3k, n_p3k_part_time, n_other, n_staff, p3k_hires (int64).
    """
    codes, units = pd.factorize(roster["unit_id"], sort=True)
    n_t = last - first + 1
    status = pd.Categorical(roster["status"].astype(str), categories=list(STATUS_COLUMNS))
    scode = np.asarray(status.codes)
    scode = np.where(scode < 0, 3, scode)  # unknown status counts as other
    start = date_period_index(roster["tmt"], freq).to_numpy(dtype="float64", na_value=np.nan)
    stop = date_period_index(roster["tanggal_berakhir"], freq).to_numpy(
        dtype="float64", na_value=np.nan) if "tanggal_berakhir" in roster else np.full(
        len(roster), np.nan)
    stop = np.where(np.isnan(stop), last + 1, stop)
    s = np.clip(start, first, last + 1)
    e = np.clip(stop, first, last + 1)
    ok = ~np.isnan(start) & (s < e)
    delta = np.zeros((len(units), n_t + 1, 4), dtype=np.int64)
    np.add.at(delta, (codes[ok], (s[ok] - first).astype(np.int64), scode[ok]), 1)
    np.add.at(delta, (codes[ok], (e[ok] - first).astype(np.int64), scode[ok]), -1)
    stock = np.cumsum(delta, axis=1)[:, :n_t, :]
    hires = np.zeros((len(units), n_t), dtype=np.int64)
    is_p3k = np.isin(scode, [1, 2]) & ~np.isnan(start) & (start >= first) & (start <= last)
    np.add.at(hires, (codes[is_p3k], (start[is_p3k] - first).astype(np.int64)), 1)
    out = pd.DataFrame({
        "unit_id": pd.array(np.repeat(np.asarray(units, dtype=object), n_t), dtype="string"),
        "period_index": np.tile(np.arange(first, last + 1, dtype=np.int64), len(units)),
    })
    for k, col in enumerate(COUNT_COLUMNS):
        out[col] = stock[:, :, k].reshape(-1)
    out["n_staff"] = stock.sum(axis=2).reshape(-1)
    out["p3k_hires"] = hires.reshape(-1)
    return out


def counts_stocks(counts: pd.DataFrame) -> pd.DataFrame:
    """Staff per unit and period from a clean staff-count table.

    A missing optional count (part-time, other) counts as 0. Without a `p3k_hires` value, hires
    are inferred as the increase of PPPK in post since the unit's previous observed period (the
    first observed period counts all PPPK in post as hires) and `flag_hires_inferred` is set.
    """
    out = counts.sort_values(["unit_id", "period_index"], kind="stable").copy()
    for col in COUNT_COLUMNS:
        out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0).astype("int64")
    out["n_staff"] = out[COUNT_COLUMNS].sum(axis=1).astype("int64")
    p3k = out["n_p3k"] + out["n_p3k_part_time"]
    inferred = p3k.groupby(out["unit_id"], sort=False).diff().fillna(p3k).clip(lower=0)
    given = pd.to_numeric(out["p3k_hires"], errors="coerce")
    out["flag_hires_inferred"] = given.isna().to_numpy()
    out["p3k_hires"] = given.fillna(inferred).astype("int64")
    return out[[*STOCK_COLUMNS, "flag_hires_inferred"]].reset_index(drop=True)


def cohorts(stocks: pd.DataFrame, rule: CohortRule) -> pd.Series:
    """First period_index meeting the rule per unit_id (0 = never), from a stocks table."""
    meets = stocks["p3k_hires"].to_numpy() >= rule.min_hires
    if rule.min_share is not None:
        share = _share(stocks)
        meets &= np.nan_to_num(share, nan=-1.0) >= rule.min_share
    hit = stocks.loc[meets, ["unit_id", "period_index"]]
    first = hit.groupby("unit_id", sort=True)["period_index"].min()
    units = pd.Index(stocks["unit_id"].unique())
    return first.reindex(units, fill_value=0).astype("int64")


def _share(stocks: pd.DataFrame) -> np.ndarray:
    n = stocks["n_staff"].to_numpy(dtype="float64", na_value=np.nan)
    p3k = (stocks["n_p3k"] + stocks["n_p3k_part_time"]).to_numpy(dtype="float64",
                                                                  na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, p3k / n, np.nan)


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
        idx = date_period_index(roster["tmt"], freq).dropna()
        if not idx.empty:
            return int(idx.min()), int(idx.max())
    return None


def build_panel(
    staff: pd.DataFrame | None,
    ikm_unit: pd.DataFrame,
    units: pd.DataFrame,
    freq: Frequency = "semester",
    cohort_rule: CohortRule | None = None,
    *,
    counts: pd.DataFrame | None = None,
    periods: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """The unit x period panel with exactly the columns of `schemas.PANEL`.

    `staff` is a clean roster (one row per spell) or a staff-count table; pass both by giving
    the roster as `staff` and the counts as `counts` (a unit in the roster uses the roster).
    `units` gives region and name per unit_id (see `prepare.build_units`).
    """
    rule = cohort_rule or CohortRule()
    roster = None
    if staff is not None and "tmt" in staff.columns and "status" in staff.columns:
        roster = staff
    elif staff is not None:
        counts = staff if counts is None else pd.concat([staff, counts], ignore_index=True)
    window = periods or panel_window(ikm_unit, counts, roster, freq)
    if window is None:
        return typed(PANEL)
    first, last = window

    frames = []
    if roster is not None and not roster.empty:
        hire_idx = date_period_index(roster["tmt"], freq).dropna()
        lo = min(first, int(hire_idx.min())) if not hire_idx.empty else first
        hi = max(last, int(hire_idx.max())) if not hire_idx.empty else last
        stocks = roster_stocks(roster, lo, hi, freq)
        stocks["flag_staff_from_counts"] = False
        stocks["flag_hires_inferred"] = False
        frames.append(stocks)
    if counts is not None and not counts.empty:
        c = counts_stocks(counts)
        if frames:
            # unique first: isin against the long Arrow column is ~10x slower
            c = c[~c["unit_id"].isin(frames[0]["unit_id"].drop_duplicates())]
        c["flag_staff_from_counts"] = True
        frames.append(c)
    stocks = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=[*STOCK_COLUMNS, "flag_staff_from_counts", "flag_hires_inferred"])
    cohort = cohorts(stocks, rule) if not stocks.empty else pd.Series(dtype="int64")

    in_window = stocks["period_index"].between(first, last)
    staffed = stocks[in_window & (stocks["n_staff"] > 0)]
    ikm = ikm_unit[ikm_unit["period_index"].between(first, last)]
    keys = pd.concat([staffed[["unit_id", "period_index"]], ikm[["unit_id", "period_index"]]])
    keys = keys.drop_duplicates().astype({"unit_id": "string", "period_index": "int64"})
    panel = keys.merge(stocks[in_window].astype({"unit_id": "string"}),
                       on=["unit_id", "period_index"], how="left")
    panel = panel.merge(_ikm_part(ikm), on=["unit_id", "period_index"], how="left")
    panel = panel.merge(_unit_part(units), on="unit_id", how="left")
    panel["cohort"] = panel["unit_id"].map(cohort).fillna(0).astype("int64")
    return _finish(panel, freq)


def _ikm_part(ikm: pd.DataFrame) -> pd.DataFrame:
    cols = {"ikm": np.nan, "respondents": pd.NA, "sample_adequate": pd.NA, "ikm_source": pd.NA,
            "regulation": REGULATION_2017, "flag_published_disagrees": False,
            "flag_mutu_disagrees": False}
    part = ikm[["unit_id", "period_index"]].astype({"unit_id": "string", "period_index": "int64"})
    for col, default in cols.items():
        part[col] = ikm[col].to_numpy() if col in ikm else default
    return part.rename(columns={"flag_published_disagrees": "flag_ikm_published_disagrees"})


def _unit_part(units: pd.DataFrame) -> pd.DataFrame:
    cols = ["unit_id", "kode_provinsi", "nama_provinsi", "kode_pemda", "nama_pemda",
            "unit_function", "unit_name", "unit_matched"]
    part = units.reindex(columns=cols).drop_duplicates("unit_id")
    return part.astype({"unit_id": "string"})


def _finish(panel: pd.DataFrame, freq: Frequency) -> pd.DataFrame:
    """Derived columns, the schema's dtypes and column order, and a stable row order."""
    out = panel.astype({"period_index": "int64"})
    for col in [*COUNT_COLUMNS, "n_staff", "p3k_hires", "ikm", "respondents"]:
        out[col] = pd.to_numeric(out[col], errors="coerce")
    out["period"] = period_labels(out["period_index"], freq)
    out["flag_no_staff_data"] = out["n_staff"].isna()
    out["p3k_share"] = _share(out)
    out["treated"] = ((out["cohort"] > 0) & (out["period_index"] >= out["cohort"])).astype("int64")
    out["ikm_category"] = category(out["ikm"], REGULATION_2017).to_numpy()
    out["flag_unit_unmatched"] = ~out["unit_matched"].fillna(False).astype(bool)
    out["flag_regulation_2004"] = out["regulation"] == REGULATION_2004
    out["unit_function"] = out["unit_function"].fillna("unmatched")
    flags = ["flag_staff_from_counts", "flag_hires_inferred", "flag_ikm_published_disagrees",
             "flag_mutu_disagrees"]
    out[flags] = out[flags].fillna(False)
    out = typed(PANEL, out)
    return out.sort_values(["unit_id", "period_index"], kind="stable", ignore_index=True)
