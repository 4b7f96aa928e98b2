"""IKM per PermenPANRB 14/2017: hand-computed examples, category edges, Krejcie-Morgan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from p3k_study.ikm import (
    ELEMENTS,
    category,
    combine_ikm,
    compute_ikm,
    ikm_from_nrr,
    krejcie_morgan,
    parse_category,
    published_ikm,
)


def answers(rows: list[list[int]], unit: str = "32.01/health", period: int = 4046,
            population: float | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(ELEMENTS))
    frame["unit_id"] = unit
    frame["period_index"] = period
    frame["populasi"] = population
    return frame


def test_hand_computed_ikm() -> None:
    # NRR per element: (4 + 3 + 3) / 3 = 3.3333...; IKM = 3.3333 * 25 = 83.333...
    table = compute_ikm(answers([[4] * 9, [3] * 9, [3] * 9]))
    assert table.loc[0, "respondents"] == 3
    assert table.loc[0, "ikm"] == pytest.approx(250 / 3, abs=1e-12)
    assert table.loc[0, "ikm_category"] == "B"
    assert table.loc[0, "regulation"] == "14/2017"


def test_nrr_per_element_by_name() -> None:
    rows = [[1, 2, 3, 4, 1, 2, 3, 4, 4], [3, 2, 1, 4, 3, 2, 1, 4, 2]]
    table = compute_ikm(answers(rows))
    assert table.loc[0, "nrr_persyaratan"] == 2.0
    assert table.loc[0, "nrr_sarana"] == 3.0
    nrr = [2, 2, 2, 4, 2, 2, 2, 4, 3]
    assert table.loc[0, "ikm"] == pytest.approx(sum(nrr) / 9 * 25, abs=1e-12)


def test_exact_weight_not_0_111() -> None:
    nrr = np.full(9, 3.5)
    exact = ikm_from_nrr(nrr)
    rounded_weight = (nrr * 0.111).sum() * 25
    assert exact == pytest.approx(87.5, abs=1e-12)
    assert abs(exact - rounded_weight) > 0.08  # 0.111 instead of 1/9 moves the index


@pytest.mark.parametrize(("value", "expected"), [
    (88.31, "A"), (88.30, "B"), (76.61, "B"), (76.60, "C"), (65.00, "C"), (64.99, "D"),
    (100.0, "A"), (25.0, "D"),
])
def test_category_lower_bounds(value: float, expected: str) -> None:
    assert category(pd.Series([value])).iloc[0] == expected


def test_category_edge_survives_float_noise() -> None:
    assert category(pd.Series([88.31 - 1e-14])).iloc[0] == "A"


def test_2004_regulation_bands() -> None:
    values = pd.Series([81.26, 81.25, 62.51, 62.50, 43.76, 43.75])
    got = category(values, "25/2004").tolist()
    assert got == ["A", "B", "B", "C", "C", "D"]


@pytest.mark.parametrize(("population", "size"), [
    (100, 80), (500, 217), (1000, 278), (5000, 357), (10000, 370), (10**9, 384),
])
def test_krejcie_morgan_table(population: int, size: int) -> None:
    assert krejcie_morgan(population) == size


def test_sample_adequacy_flag() -> None:
    table = compute_ikm(answers([[4] * 9] * 80, population=100))
    assert bool(table.loc[0, "sample_adequate"]) is True
    table = compute_ikm(answers([[4] * 9] * 79, population=100))
    assert bool(table.loc[0, "sample_adequate"]) is False
    table = compute_ikm(answers([[4] * 9] * 5))
    assert pd.isna(table.loc[0, "sample_adequate"])


def test_parse_published_category() -> None:
    got = parse_category(pd.Series(["A", "b", "B (Baik)", "Sangat Baik", "kurang baik",
                                    "Tidak Baik", None])).tolist()
    assert got[:6] == ["A", "B", "B", "A", "C", "D"] and pd.isna(got[6])


def test_published_kept_and_mutu_disagreement_flagged() -> None:
    published = pd.DataFrame({"unit_id": ["u/a", "u/b"], "period_index": [4046, 4046],
                              "ikm": [88.31, 70.0], "mutu": ["A", "B"],
                              "regulation": ["14/2017", "14/2017"]})
    table = published_ikm(published)
    assert table["ikm"].tolist() == [88.31, 70.0]
    assert table["ikm_category"].tolist() == ["A", "C"]
    assert table["flag_mutu_disagrees"].tolist() == [False, True]


def test_answers_win_and_disagreement_over_half_point_flagged() -> None:
    a = compute_ikm(pd.concat([answers([[3] * 9], unit="u/a"), answers([[3] * 9], unit="u/b")]))
    p = published_ikm(pd.DataFrame({"unit_id": ["u/a", "u/b", "u/c"],
                                    "period_index": [4046] * 3, "ikm": [75.4, 75.6, 90.0]}))
    table = combine_ikm(a, p).set_index("unit_id")
    assert table.loc["u/a", "ikm"] == 75.0 and table.loc["u/a", "ikm_source"] == "answers"
    assert table.loc["u/a", "ikm_published"] == 75.4
    assert not table.loc["u/a", "flag_published_disagrees"]
    assert table.loc["u/b", "flag_published_disagrees"]
    assert table.loc["u/c", "ikm_source"] == "published" and table.loc["u/c", "ikm"] == 90.0


def test_a_respondent_with_a_missing_answer_is_left_out_of_every_element() -> None:
    # the cleaner rejects the second respondent (no 'sarana'); compute_ikm agrees: the IKM and
    # every NRR rest on the complete respondents only, not each element on its own answerers
    rows = answers([[4] * 9, [1] * 9, [2] * 9])
    rows.loc[1, "sarana"] = np.nan
    table = compute_ikm(rows)
    assert table.loc[0, "respondents"] == 2
    assert table.loc[0, "nrr_persyaratan"] == 3.0
    assert table.loc[0, "nrr_sarana"] == 3.0
    assert table.loc[0, "ikm"] == 75.0


def test_the_cleaner_and_compute_ikm_count_the_same_respondents() -> None:
    from _raw_helpers import sheet

    from p3k_study.clean.skm import skm_part
    from p3k_study.prepare.intake import joined

    header = ["kode_pemda", "unit_layanan", "periode", *ELEMENTS]
    rows = [["32.01", "Dinkes", "Semester I 2023", *map(str, r)]
            for r in ([4] * 9, [1] * 8 + [""], [2] * 9)]
    cleaned = joined("skm", [skm_part([sheet(header, rows)], pd.Timestamp("2025-01-15").date())])
    clean, rejects = cleaned.table, cleaned.rejects
    assert rejects["column"].tolist() == ["sarana"]
    direct = pd.DataFrame([[4] * 9, [1] * 8 + [np.nan], [2] * 9], columns=list(ELEMENTS)).assign(
        unit_id=clean["unit_id"].iloc[0], period_index=clean["period_index"].iloc[0])
    via_cleaner = compute_ikm(clean)
    assert compute_ikm(direct)["ikm"].tolist() == via_cleaner["ikm"].tolist() == [75.0]
