"""schemas.sorted_rows: the order of a stable `sort_values`, through Arrow."""

import numpy as np
import pandas as pd
import pytest

from p3k_study.schemas import sorted_rows


def test_sorted_rows_orders_as_a_stable_sort_values_does_with_missing_values_last():
    rng = np.random.default_rng(7)
    n = 2_000
    table = pd.DataFrame({
        "text": pd.array(rng.choice(["b", "a", "B", "é", "a b", None], n), dtype="str"),
        "count": pd.array(rng.choice([3, 1, 2], n), dtype="Int64"),
        "share": rng.choice([0.5, np.nan, -1.0, 2.0], n),
        "row": np.arange(n),
    })
    table.loc[rng.choice(n, 100), "count"] = pd.NA
    for keys in (["text"], ["count", "text"], ["share", "count"], ["text", "share", "count"]):
        expected = table.sort_values(keys, kind="stable", ignore_index=True)
        pd.testing.assert_frame_equal(sorted_rows(table, keys), expected)


def test_sorted_rows_refuses_a_categorical_key():
    table = pd.DataFrame({"unit_id": pd.Categorical(["b", "a"], categories=["b", "a"])})
    with pytest.raises(TypeError, match="Categorical"):
        sorted_rows(table, ["unit_id"])
