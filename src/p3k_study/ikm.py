"""IKM (Indeks Kepuasan Masyarakat) exactly as PermenPANRB 14/2017 defines it.

- NRR per element (unsur) = mean score over respondents, scores 1-4. The regulation divides an
  element's total by the filled questionnaires; a questionnaire is filled when all nine elements
  are answered, so every NRR of a unit and period rests on the same respondents and the IKM is
  the mean of their own IKMs. `compute_ikm` leaves incomplete answers out, and the SKM cleaner
  rejects them ('missing required value', naming the element).
- IKM = (sum of NRR x 1/9) x 25, on the 25-100 scale, with the exact weight 1/9: never 0.111.
  Values are kept unrounded; round only for display.
- Category by lower bounds: A >= 88.31, B >= 76.61, C >= 65.00, D below.
- The older KEP/25/M.PAN/2/2004 (14 elements) has other bands: A >= 81.26, B >= 62.51,
  C >= 43.76. Every record carries the regulation it follows (`regulation`).
- Sample size: Krejcie-Morgan with chi2 = 3.841, P = 0.5, d = 0.05; short samples are flagged,
  not dropped.

`compute_ikm(skm)` turns clean answers into one row per unit and period; `published_ikm(ikm)`
does the same for published values; `combine_ikm` joins both into `ikm_unit`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ELEMENTS: tuple[str, ...] = ("persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi",
                             "perilaku", "pengaduan", "sarana")
"""The nine elements of PermenPANRB 14/2017, by name (some survey apps swap U8 and U9)."""

REGULATION_2017 = "14/2017"
REGULATION_2004 = "25/2004"
BOUNDS: dict[str, tuple[tuple[float, str], ...]] = {
    REGULATION_2017: ((88.31, "A"), (76.61, "B"), (65.00, "C")),
    REGULATION_2004: ((81.26, "A"), (62.51, "B"), (43.76, "C")),
}
IKM_MIN, IKM_MAX = 25.0, 100.0
SCORE_MIN, SCORE_MAX = 1, 4
EDGE_TOLERANCE = 1e-12
"""Float noise allowed at a category edge: 88.31 computed as 88.30999999999999 is still A.
Exact IKM values from n respondents differ by multiples of 1/(900 n), far above this."""

KM_CHI2, KM_P, KM_D = 3.841, 0.5, 0.05


def ikm_from_nrr(nrr: pd.DataFrame | np.ndarray, elements: int = 9) -> np.ndarray:
    """IKM from NRR values, one row per unit: (sum of NRR x 1/elements) x 25, unrounded.

    The NRR are added one after another in element order (a running sum), so that the last bit
    does not depend on how the values lie in memory (numpy sums a row-major array pairwise)."""
    return np.cumsum(np.asarray(nrr, dtype=float), axis=-1)[..., -1] / elements * 25.0


def category(ikm: pd.Series, regulation: str | pd.Series = REGULATION_2017) -> pd.Series:
    """Quality category A-D by lower bounds of the regulation (per row when a Series)."""
    regs = pd.Series(regulation, index=ikm.index).fillna(REGULATION_2017).to_numpy()
    v = np.asarray(ikm, dtype=float) + EDGE_TOLERANCE
    out = np.full(len(v), None, dtype=object)
    for reg, bounds in BOUNDS.items():
        rows = (regs == reg) & ~np.isnan(v)
        grades = np.select([v >= bound for bound, _ in bounds], [c for _, c in bounds], "D")
        out[rows] = grades[rows]
    return pd.Series(out, index=ikm.index, dtype="string")


def parse_category(values: pd.Series) -> pd.Series:
    """Published 'mutu' to A-D: 'A', 'a', 'A (Sangat Baik)', 'Sangat Baik', 'baik' ... else NA."""
    text = values.astype("string").str.strip().str.lower()
    letter = text.str.extract(r"^([abcd])(?:$|[^a-z])", expand=False).str.upper()
    words = {r"sangat\s+baik": "A", r"kurang\s+baik": "C", r"tidak\s+baik": "D", r"\bbaik": "B"}
    hits = [text.str.contains(pattern).to_numpy(bool, na_value=False) for pattern in words]
    named = pd.Series(np.select(hits, list(words.values()), None), values.index, "string")
    return letter.fillna(named).astype("string")  # the first pattern that matches names it


def krejcie_morgan(population: pd.Series | np.ndarray | float) -> np.ndarray:
    """Krejcie-Morgan sample size: chi2 N P(1-P) / (d^2 (N-1) + chi2 P(1-P)), rounded half up.

    100 -> 80, 500 -> 217, 1000 -> 278, 5000 -> 357, 10000 -> 370, very large -> 384.
    Missing or non-positive populations give NaN.
    """
    n_pop = np.asarray(population, dtype=float)
    pq = KM_P * (1 - KM_P)
    with np.errstate(invalid="ignore", divide="ignore"):
        size = np.floor(KM_CHI2 * n_pop * pq / (KM_D**2 * (n_pop - 1) + KM_CHI2 * pq) + 0.5)
    return np.where(n_pop > 0, size, np.nan)


IKM_UNIT_KEYS = ["unit_id", "period_index"]


def compute_ikm(skm: pd.DataFrame) -> pd.DataFrame:
    """IKM per unit and period from clean SKM answers (one row per respondent).

    Only complete answers count (module docstring): not in any NRR, nor in `respondents`.

    Returns unit_id, period_index, nrr_<element> for each element, respondents, population
    (largest stated; NaN if none), ikm (unrounded), period (missing when `skm` has none), regulation
    ('14/2017'), ikm_category, sample_required, sample_adequate (NA without a population).
    """
    complete = skm[list(ELEMENTS)].notna().all(axis=1).to_numpy()
    frame = skm.reindex(columns=[*IKM_UNIT_KEYS, *ELEMENTS, "populasi", "period"])[complete]
    frame["populasi"] = pd.to_numeric(frame["populasi"], errors="coerce")
    grouped = frame.groupby(IKM_UNIT_KEYS, sort=True, observed=True)
    nrr = grouped[list(ELEMENTS)].mean()
    out = nrr.add_prefix("nrr_")
    out["respondents"] = grouped.size().astype("int64")
    out["population"] = grouped["populasi"].max().astype("float64")
    out["ikm"] = ikm_from_nrr(nrr.to_numpy(), elements=len(ELEMENTS))
    out["period"] = grouped["period"].first().to_numpy()
    out = out.reset_index().assign(regulation=REGULATION_2017)
    _category_and_sample(out)
    return out


def _category_and_sample(table: pd.DataFrame) -> None:
    table["ikm_category"] = category(table["ikm"], table["regulation"])
    required = pd.array(krejcie_morgan(table["population"]), dtype="Float64")  # NaN: NA
    table["sample_required"] = required.astype("Int64")
    table["sample_adequate"] = table["respondents"] >= table["sample_required"]  # NA: unknown


def published_ikm(published: pd.DataFrame) -> pd.DataFrame:
    """One row per unit and period from clean published IKM: the value as published, the category
    recomputed with the record's regulation, and `flag_mutu_disagrees` against a published mutu.

    Expects columns unit_id, period_index, ikm, and optionally period, respondents, regulation,
    mutu (A-D, as the cleaner leaves it: `parse_category`). Several records for the same unit
    and period keep the first (the cleaner already rejects such duplicates, across files too).
    """
    keys = IKM_UNIT_KEYS
    table = published.drop_duplicates(keys, keep="first").sort_values(keys, kind="stable")
    table = table.reindex(columns=[*keys, "period", "ikm", "respondents", "regulation", "mutu"])
    out = table.drop(columns="mutu").reset_index(drop=True).assign(
        ikm=table["ikm"].astype("float64").to_numpy(),
        respondents=pd.array(pd.to_numeric(table["respondents"], errors="coerce").round(),
                             dtype="Int64"),
        population=np.nan,  # published recaps give none
        regulation=table["regulation"].astype("string").fillna(REGULATION_2017).to_numpy(),
        mutu_published=table["mutu"].astype("string").to_numpy())
    _category_and_sample(out)
    out["flag_mutu_disagrees"] = (out["mutu_published"] != out["ikm_category"]).to_numpy(
        bool, na_value=False)
    return out


def combine_ikm(
    from_answers: pd.DataFrame, published: pd.DataFrame, disagreement: float = 0.5
) -> pd.DataFrame:
    """`ikm_unit`: one row per unit and period with the IKM to use.

    Answers win where both exist; `ikm_published` keeps the published value beside it,
    `ikm_difference` = answers - published and `flag_published_disagrees` marks a difference
    above `disagreement` points. `ikm_source` says which one `ikm` is.
    """
    from p3k_study.schemas import IKM_UNIT, sorted_rows, typed

    keys = IKM_UNIT_KEYS
    p = published.assign(ikm_source="published", ikm_published=published["ikm"]).set_index(keys)
    a = from_answers.assign(ikm_source="answers").set_index(keys).join(
        p[["ikm_published", "mutu_published", "flag_mutu_disagrees"]])
    frames = [f for f in (a, p[~p.index.isin(a.index)]) if not f.empty]
    if not frames:
        return typed(IKM_UNIT)
    out = pd.concat(frames).reset_index().reindex(columns=list(IKM_UNIT.columns))
    difference = out["ikm"].astype(float) - out["ikm_published"].astype(float)
    out["ikm_difference"] = difference.where(out["ikm_source"] == "answers")
    out["flag_published_disagrees"] = out["ikm_difference"].abs().fillna(0.0) > disagreement
    out["flag_mutu_disagrees"] = out["flag_mutu_disagrees"].fillna(False).astype(bool)
    return sorted_rows(typed(IKM_UNIT, out), keys)
