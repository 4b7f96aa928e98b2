"""Clean one staff-count file (`jumlah_pegawai/`): staff per unit and period, when no roster
exists.

Rules in order: Excel error cell in a required column; empty required value (region, unit_kerja,
periode, jumlah_pns, jumlah_pppk); region not resolved; period unreadable, coarser than the panel
frequency or after the reference date; a count unreadable, negative, implausibly large (above
`MAX_STAFF_COUNT`) or not whole; exact duplicate row; same unit and period as an earlier row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from p3k_study.clean.common import (
    Duplicates,
    Part,
    labelled,
    numbers,
    open_file,
    part_of,
    periods,
)
from p3k_study.read.sheet import RawSheet
from p3k_study.schemas import COUNTS

MAX_STAFF_COUNT = 100_000
"""The most staff one unit can have in one period. The largest OPDs, a province's education
office with its schools, have tens of thousands; an 18-digit NIP or a 16-digit NIK pasted into a
count column is far above."""
COUNT_SOURCES = {
    "jumlah_pns": "n_pns",
    "jumlah_pppk": "n_p3k",
    "jumlah_pppk_paruh_waktu": "n_p3k_part_time",
    "jumlah_lainnya": "n_other",
    "pppk_baru": "p3k_hires",
}


def counts_part(
    sheets: Sequence[RawSheet], reference_date: dt.date, freq: str = "semester",
    code_edition: str | None = None,
) -> Part:
    """Every rule but the duplicate check (`finish`), for the sheets of some staff-count files."""
    data = open_file(sheets, "jumlah_pegawai", code_edition)
    period = periods(data, "periode", freq, reference_date)
    values = {target: numbers(data, source, minimum=0, count_up_to=MAX_STAFF_COUNT, what="count")
              for source, target in COUNT_SOURCES.items()}
    return part_of(data, COUNTS, Duplicates(("unit_id", "period_index"), "same unit and period"),
                   "unit_kerja", period_index=period, period=labelled(period, freq),
                   **values)
