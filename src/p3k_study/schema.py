"""Column contracts of the processed tables (the single place where their shape is written down).

`PANEL_COLUMNS` documents `panel.parquet`, one row per unit and period; estimators and reports
rely on these names.
"""

from __future__ import annotations

PANEL_COLUMNS: dict[str, str] = {
    "unit_id": "stable unit key '<kode_pemda>/<function>[/<place>]', e.g. '32.01/education'",
    "kode_provinsi": "Kemendagri province code, '32'",
    "nama_provinsi": "province name",
    "kode_pemda": "Kemendagri kabupaten/kota code, '32.01' (always a string)",
    "nama_pemda": "kabupaten/kota name",
    "unit_function": "canonical function from the OPD dictionary, or 'unmatched'",
    "unit_name": "the unit's most recent name as written in the source",
    "period": "period label: '2023-S1' (semester), '2023-Q3' (quarter) or '2023' (year)",
    "period_index": "consecutive integer of the period (semester: year*2 + s-1)",
    "n_pns": "PNS in post on the period's last day",
    "n_p3k": "full-time PPPK in post on the period's last day",
    "n_p3k_part_time": "part-time PPPK (paruh waktu) in post on the period's last day",
    "n_other": "other staff in post on the period's last day",
    "n_staff": "all staff in post on the period's last day",
    "p3k_share": "(n_p3k + n_p3k_part_time) / n_staff; missing when n_staff is 0",
    "p3k_hires": "PPPK (full- or part-time) whose TMT falls in the period",
    "cohort": "period_index of the unit's first P3K hire; 0 = never in the data",
    "treated": "1 from the cohort period on, else 0",
    "ikm": "IKM on the 25-100 scale (computed from answers, or as published)",
    "ikm_category": "A, B, C or D by PermenPANRB 14/2017 bounds",
    "respondents": "number of SKM respondents behind the IKM",
    "sample_adequate": "respondents >= Krejcie-Morgan size for the unit's population",
    "ikm_source": "'answers' or 'published'",
}
