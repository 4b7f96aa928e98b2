"""Report wording in Indonesian and English, and numbers written the way each language writes them.

`t(key, lang, **values)` looks a phrase up and fills it in; `fmt_number(1234.5, 'id')` gives
'1.234,5' and `fmt_number(1234.5, 'en')` gives '1,234.5'. Missing values print as an en dash.
Values filled into phrases are *not* HTML-escaped here: `content` escapes when it builds HTML.
"""

from __future__ import annotations

import math
from typing import Literal

import pandas as pd

Lang = Literal["id", "en"]
LANGS: tuple[str, ...] = ("id", "en")
MISSING = "–"

PHRASES: dict[str, dict[str, str]] = {
    # titles and sections
    "title": {"id": "Laporan P3K dan IKM: {name}", "en": "P3K and IKM report: {name}"},
    "subtitle": {
        "id": "Kode {code} · {level_label} · provinsi {province}",
        "en": "Code {code} · {level_label} · province {province}",
    },
    "level_pemda": {"id": "kabupaten/kota", "en": "regency/city"},
    "level_province": {"id": "provinsi", "en": "province"},
    "synthetic_banner": {
        "id": "DATA SINTETIS: angka dalam laporan ini berasal dari simulasi, "
              "bukan dari data nyata.",
        "en": "SYNTHETIC DATA: the numbers in this report come from a simulation, not real data.",
    },
    "sec_units": {"id": "Unit kerja dan fungsinya", "en": "Work units and their functions"},
    "sec_staff": {"id": "Komposisi pegawai dan P3K", "en": "Staff and P3K composition"},
    "sec_adoption": {"id": "Adopsi P3K", "en": "P3K adoption"},
    "sec_trends": {"id": "Tren IKM", "en": "IKM trends"},
    "sec_estimate": {"id": "Estimasi dampak (TWFE)", "en": "Effect estimate (TWFE)"},
    "sec_national": {"id": "Estimasi nasional", "en": "National estimate"},
    "sec_ranking": {"id": "Peringkat unit menurut perubahan IKM",
                    "en": "Units ranked by IKM change"},
    "sec_quality": {"id": "Catatan kualitas data", "en": "Data-quality notes"},
    "sec_provenance": {"id": "Asal-usul laporan", "en": "Provenance"},
    # intro sentences
    "units_intro": {
        "id": "{n_units} unit kerja tercatat pada periode {period_from}–{period_to}; "
              "{n_treated} pernah mempekerjakan P3K.",
        "en": "{n_units} work units are recorded from {period_from} to {period_to}; "
              "{n_treated} have hired P3K.",
    },
    "no_suppression": {
        "id": "Tidak ada sel yang disembunyikan (k_min = 1).",
        "en": "No cells are suppressed (k_min = 1).",
    },
    "suppression_note": {
        "id": "Sel dengan 1–{below} pegawai atau responden disembunyikan (ditulis \"<{k}\").",
        "en": "Cells with 1-{below} staff or respondents are suppressed (shown as \"<{k}\").",
    },
    "staff_intro": {
        "id": "Jumlah pegawai menurut status pada hari terakhir tiap periode, dan pangsa P3K.",
        "en": "Staff by status on the last day of each period, and the P3K share.",
    },
    "adoption_intro": {
        "id": "Pangsa unit kerja yang sudah mempekerjakan P3K, dibandingkan dengan {others}.",
        "en": "Share of work units that have hired P3K, compared with {others}.",
    },
    "adoption_others_pemda": {"id": "provinsinya dan nasional",
                              "en": "its province and the nation"},
    "adoption_others_province": {"id": "nasional", "en": "the nation"},
    "trends_intro": {
        "id": "Rata-rata IKM unit yang pernah dan yang belum pernah mempekerjakan P3K.",
        "en": "Mean IKM of units that have and have not hired P3K.",
    },
    # estimates
    "estimate_sentence": {
        "id": "Perkiraan perubahan {outcome} terkait {treatment_label}: {estimate} poin "
              "(selang kepercayaan 95%: {ci_low} sampai {ci_high}; galat baku {se}; "
              "{n_obs} observasi dari {n_units} unit).",
        "en": "Estimated change in {outcome} associated with {treatment_label}: {estimate} points "
              "(95% confidence interval {ci_low} to {ci_high}; standard error {se}; "
              "{n_obs} observations from {n_units} units).",
    },
    "estimate_reading": {
        "id": "Selang kepercayaan yang mencakup nol berarti data ini tidak cukup untuk "
              "membedakan dampak dari nol.",
        "en": "An interval that includes zero means these data cannot tell the effect apart "
              "from zero.",
    },
    "estimate_missing": {
        "id": "Tidak ada estimasi: {reason}.",
        "en": "No estimate: {reason}.",
    },
    "too_few_warning": {
        "id": "Peringatan: hanya {n_treated} unit dengan P3K dan {n_comparison} unit pembanding "
              "(kurang dari {k} di salah satu kelompok). Estimasi daerah ini sangat tidak pasti; "
              "jangan menarik kesimpulan darinya.",
        "en": "Warning: only {n_treated} units with P3K and {n_comparison} comparison units "
              "(fewer than {k} in one group). This region's estimate is very uncertain; "
              "do not draw conclusions from it.",
    },
    "treatment_treated": {"id": "mempekerjakan P3K", "en": "hiring P3K"},
    "treatment_p3k_share": {
        "id": "kenaikan pangsa P3K dari 0 ke 1", "en": "raising the P3K share from 0 to 1"},
    "method_note": {
        "id": "Model: regresi dua arah efek tetap (unit dan periode), galat baku dikelompokkan "
              "per unit. Dengan adopsi bertahap, TWFE bisa bias bila dampaknya berubah dari "
              "waktu ke waktu; lihat buku catatan 03 untuk penduga yang kokoh.",
        "en": "Model: two-way fixed effects (unit and period), standard errors clustered by "
              "unit. With staggered adoption TWFE can be biased when effects change over time; "
              "see notebook 03 for robust estimators.",
    },
    "national_sentence": {
        "id": "Estimasi nasional dengan model yang sama: {estimate} poin "
              "(selang kepercayaan 95%: {ci_low} sampai {ci_high}; {n_units} unit).",
        "en": "National estimate with the same model: {estimate} points "
              "(95% confidence interval {ci_low} to {ci_high}; {n_units} units).",
    },
    "no_quality_notes": {
        "id": "Tidak ada baris yang ditolak saat pembersihan.",
        "en": "No rows were rejected while cleaning.",
    },
    "no_quality_notes_region": {
        "id": "Tidak ada baris yang ditolak untuk wilayah ini ({total} baris ditolak di "
              "seluruh data).",
        "en": "No rejected rows for this region ({total} rows rejected in the whole dataset).",
    },
    "quality_intro": {
        "id": "{n} baris data ditolak saat pembersihan untuk wilayah ini ({total} di seluruh "
              "data), menurut alasan:",
        "en": "{n} rows were rejected while cleaning for this region ({total} in the whole "
              "dataset), by reason:",
    },
    "quality_intro_dataset": {
        "id": "{n} baris data ditolak saat pembersihan di seluruh data, menurut alasan:",
        "en": "{n} rows were rejected while cleaning in the whole dataset, by reason:",
    },
    "quality_unattributed": {
        "id": "{n} baris yang ditolak tidak dapat dikaitkan dengan wilayah mana pun "
              "(misalnya kode wilayah tidak dikenali).",
        "en": "{n} rejected rows could not be attributed to any region (for example, an "
              "unknown region code).",
    },
    "quality_no_region_column": {
        "id": "Catatan penolakan tidak mencatat wilayah; ditampilkan untuk seluruh data.",
        "en": "The rejects ledger does not record regions; shown for the whole dataset.",
    },
    "ranking_intro": {
        "id": "Perubahan IKM dari periode pertama ke periode terakhir dengan sedikitnya "
              "{k} responden.",
        "en": "IKM change from each unit's first to its last period with at least "
              "{k} respondents.",
    },
    # column and axis labels
    "col_unit": {"id": "Unit kerja", "en": "Work unit"},
    "col_function": {"id": "Fungsi", "en": "Function"},
    "col_pns": {"id": "PNS", "en": "PNS"},
    "col_p3k": {"id": "P3K", "en": "P3K"},
    "col_p3k_part_time": {"id": "P3K paruh waktu", "en": "Part-time P3K"},
    "col_other": {"id": "Lainnya", "en": "Other"},
    "col_staff": {"id": "Jumlah pegawai", "en": "All staff"},
    "col_share": {"id": "Pangsa P3K", "en": "P3K share"},
    "col_first_p3k": {"id": "P3K pertama", "en": "First P3K"},
    "col_ikm": {"id": "IKM", "en": "IKM"},
    "col_ikm_first": {"id": "IKM awal", "en": "First IKM"},
    "col_ikm_last": {"id": "IKM akhir", "en": "Last IKM"},
    "col_ikm_change": {"id": "Perubahan IKM", "en": "IKM change"},
    "col_has_p3k": {"id": "Ada P3K", "en": "Has P3K"},
    "col_respondents": {"id": "Responden", "en": "Respondents"},
    "col_reason": {"id": "Alasan", "en": "Reason"},
    "col_column": {"id": "Kolom", "en": "Column"},
    "col_note": {"id": "Catatan", "en": "Note"},
    "index_too_few": {"id": "unit terlalu sedikit", "en": "too few units"},
    "col_rows": {"id": "Baris", "en": "Rows"},
    "col_example": {"id": "Contoh berkas", "en": "Example file"},
    "col_region": {"id": "Wilayah", "en": "Region"},
    "col_code": {"id": "Kode", "en": "Code"},
    "col_status": {"id": "Status", "en": "Status"},
    "col_estimate": {"id": "Estimasi", "en": "Estimate"},
    "col_ci": {"id": "SK 95%", "en": "95% CI"},
    "col_units": {"id": "Unit", "en": "Units"},
    "col_treated": {"id": "Unit ber-P3K", "en": "Units with P3K"},
    "col_report": {"id": "Laporan", "en": "Report"},
    "col_key": {"id": "Butir", "en": "Item"},
    "col_value": {"id": "Nilai", "en": "Value"},
    "axis_period": {"id": "Periode", "en": "Period"},
    "axis_staff": {"id": "Jumlah pegawai", "en": "Staff"},
    "axis_share": {"id": "Pangsa P3K", "en": "P3K share"},
    "axis_units_with_p3k": {"id": "Pangsa unit dengan P3K", "en": "Share of units with P3K"},
    "axis_ikm": {"id": "Rata-rata IKM", "en": "Mean IKM"},
    "axis_effect": {"id": "Estimasi (poin IKM)", "en": "Estimate (IKM points)"},
    "legend_status": {"id": "Status", "en": "Status"},
    "legend_scope": {"id": "Cakupan", "en": "Scope"},
    "legend_group": {"id": "Kelompok", "en": "Group"},
    "group_with": {"id": "Pernah ada P3K", "en": "Has hired P3K"},
    "group_without": {"id": "Belum ada P3K", "en": "No P3K yet"},
    "scope_region": {"id": "Wilayah ini", "en": "This region"},
    "scope_province": {"id": "Provinsi", "en": "Province"},
    "scope_nation": {"id": "Nasional", "en": "Nation"},
    "national_line": {"id": "Nasional", "en": "National"},
    "yes": {"id": "ya", "en": "yes"},
    "no": {"id": "tidak", "en": "no"},
    "never": {"id": "belum", "en": "never"},
    # index page
    "index_title": {"id": "Laporan per wilayah", "en": "Reports by region"},
    "index_intro": {
        "id": "{n_ok} laporan selesai, {n_failed} gagal, {n_skipped} tidak berubah sejak "
              "proses sebelumnya.",
        "en": "{n_ok} reports rendered, {n_failed} failed, {n_skipped} unchanged since the "
              "previous run.",
    },
    "forest_title": {"id": "Estimasi per wilayah (SK 95%)",
                     "en": "Estimates by region (95% CI)"},
    "status_rendered": {"id": "selesai", "en": "rendered"},
    "status_skipped": {"id": "tidak berubah", "en": "unchanged"},
    "status_failed": {"id": "gagal", "en": "failed"},
    # provenance
    "prov_version": {"id": "Versi paket", "en": "Package version"},
    "prov_commit": {"id": "Commit git", "en": "Git commit"},
    "prov_panel_sha": {"id": "SHA-256 panel.parquet", "en": "SHA-256 of panel.parquet"},
    "prov_seed": {"id": "Benih acak", "en": "Random seed"},
    "prov_python": {"id": "Python", "en": "Python"},
    "prov_parameters": {"id": "Parameter", "en": "Parameters"},
    "prov_estimator": {"id": "Penduga", "en": "Estimator"},
}


def check_lang(lang: str) -> Lang:
    """Return `lang` when it is 'id' or 'en', else raise ValueError."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return lang  # type: ignore[return-value]


def t(key: str, lang: str, **values: object) -> str:
    """The phrase `key` in `lang`, with `{name}` placeholders filled from `values`."""
    phrase = PHRASES[key][check_lang(lang)]
    return phrase.format(**values) if values else phrase


def is_missing(value: object) -> bool:
    """True for None, NaN and pandas NA."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_number(value: object, lang: str, decimals: int = 1) -> str:
    """1234.5 -> '1.234,5' (id) or '1,234.5' (en); missing -> '–'; negative keeps its sign."""
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    text = f"{number:,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no '-0.0'
    if check_lang(lang) == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def fmt_int(value: object, lang: str) -> str:
    """12345 -> '12.345' (id) or '12,345' (en)."""
    return fmt_number(value, lang, decimals=0)


def fmt_pct(share: object, lang: str, decimals: int = 1) -> str:
    """0.125 -> '12,5%' (id) or '12.5%' (en)."""
    if is_missing(share):
        return MISSING
    return f"{fmt_number(float(share) * 100, lang, decimals)}%"  # type: ignore[arg-type]


def fmt_signed(value: object, lang: str, decimals: int = 1) -> str:
    """Like fmt_number, with an explicit '+' before positive values: '+2,5'."""
    text = fmt_number(value, lang, decimals)
    if text == MISSING or text.startswith("-") or float(value) <= 0:  # type: ignore[arg-type]
        return text
    return f"+{text}"
