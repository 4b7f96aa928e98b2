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
    "sec_estimate": {"id": "Dampak perekrutan P3K pada IKM",
                     "en": "Effect of P3K hiring on IKM"},
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
    "share_suppression_note": {
        "id": "Pangsa P3K yang akan membuka jumlah tersebut juga disembunyikan (ditulis "
              "\"{share}\": jumlah P3K di bawah {k}, bukan persen).",
        "en": "A P3K share that would reveal such a count is suppressed too (shown as "
              "\"{share}\": fewer than {k} P3K staff, not a percentage).",
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
    "estimand": {
        "id": "Yang diukur: rata-rata perubahan IKM yang disebabkan oleh perekrutan P3K pada "
              "unit-unit di wilayah ini yang merekrut, selama periode setelah perekrutan "
              "pertama mereka (setiap periode-unit dengan IKM dihitung sekali).",
        "en": "What is measured: the average change in IKM that P3K hiring caused in this "
              "region's units that hired, over the periods after their first hire (every "
              "unit-period with an IKM counts once).",
    },
    "headline_sentence": {
        "id": "Perkiraan: {estimate} poin IKM (selang kepercayaan 95%: {ci_low} sampai "
              "{ci_high}), dari {n_treated} unit yang merekrut P3K dan {n_obs} periode-unit "
              "setelah perekrutan; {n_comparison} dari {n_units} unit tidak pernah merekrut.",
        "en": "Estimate: {estimate} IKM points (95% confidence interval {ci_low} to {ci_high}), "
              "from {n_treated} units that hired P3K and {n_obs} unit-periods after hiring; "
              "{n_comparison} of the {n_units} units never hired.",
    },
    "truth_sentence": {
        "id": "Nilai sebenarnya dari besaran yang sama di dunia simulasi: {truth} poin.",
        "en": "True value of the same quantity in the simulated world: {truth} points.",
    },
    "method_headline": {
        "id": "Metode: estimator imputasi (Borusyak, Jaravel & Spiess 2024). IKM tanpa P3K "
              "untuk setiap periode-unit setelah perekrutan diperkirakan dari efek unit dan "
              "periode yang ditaksir pada periode-unit tanpa P3K (unit yang tidak pernah "
              "merekrut, dan unit yang merekrut belakangan sebelum merekrut); dampak adalah "
              "selisihnya. Selang kepercayaan dari jackknife per unit dengan nilai kritis "
              "t({df}), diuji pada daerah simulasi (docs/methods.md). Angka yang bertumpu "
              "pada kurang dari {min_treated} unit yang merekrut tidak dilaporkan.",
        "en": "Method: the imputation estimator (Borusyak, Jaravel & Spiess 2024). Each "
              "unit-period after hiring gets the IKM it would have had without P3K from unit "
              "and period effects fitted on the unit-periods without P3K (units that never "
              "hired, and later hirers before their hire); the effect is the difference. "
              "Intervals from a jackknife over units with t({df}) critical values, checked on "
              "simulated regions (docs/methods.md). Numbers resting on fewer than "
              "{min_treated} units that hired are not reported.",
    },
    "no_headline": {
        "id": "Data belum dapat menjawab untuk wilayah ini: {reason}. Tidak ada angka yang "
              "dilaporkan.",
        "en": "The data cannot tell for this region: {reason}. No number is reported.",
    },
    "why_no_treated": {"id": "tidak ada unit yang merekrut P3K dalam periode ini",
                       "en": "no unit hired P3K in this period range"},
    "why_too_few_treated": {
        "id": "hanya {n_treated} unit yang merekrut P3K, kurang dari {min_treated} yang "
              "dibutuhkan untuk angka yang dapat dipercaya",
        "en": "only {n_treated} units hired P3K, fewer than the {min_treated} a reliable "
              "number needs"},
    "why_too_few_imputed": {
        "id": "hanya {n_treated} unit yang merekrut memiliki IKM sebelum dan sesudah "
              "perekrutan pertama pada periode dengan cukup unit pembanding tanpa P3K, kurang "
              "dari {min_treated}",
        "en": "only {n_treated} of the units that hired have an IKM both before and after "
              "their first hire, in periods with enough units without P3K to compare with; "
              "fewer than {min_treated}"},
    "why_no_outcome": {"id": "tidak ada unit dengan IKM dalam periode ini",
                       "en": "no unit has an IKM in this period range"},
    "why_no_variation": {"id": "perlakuan tidak berubah di unit mana pun",
                         "en": "the treatment does not change within any unit"},
    "why_one_period": {"id": "hanya ada satu periode", "en": "there is only one period"},
    "why_not_fitted": {"id": "model tidak dapat ditaksir pada data ini (misalnya perlakuan "
                              "searah dengan efek periode)",
                       "en": "the model cannot be fitted on these data (for example, the "
                             "treatment moves with the period effects)"},
    "why_no_comparison": {
        "id": "tidak ada unit atau periode pembanding tanpa P3K (misalnya semua unit merekrut "
              "pada waktu yang sama, dan tidak ada unit yang belum merekrut)",
        "en": "there is no comparison without P3K (for example, every unit hired at the same "
              "time and none was left without P3K)"},
    "why_too_few_per_cohort": {
        "id": "tidak ada periode setelah perekrutan dengan cukup unit dari gelombang "
              "perekrutan yang sama dan pangsa P3K yang berbeda untuk menaksir pengaruh pangsa "
              "(perlu setidaknya 3 unit per gelombang, teramati juga pada periode sebelum "
              "merekrut)",
        "en": "no period after hiring has enough units of the same hiring wave with different "
              "P3K shares to estimate the effect of the share (at least 3 units per wave, also "
              "observed in the period before hiring)"},
    "why_single_cluster": {"id": "hanya ada satu kelompok unit", "en": "there is only one "
                           "cluster of units"},
    "why_no_variance": {"id": "ketidakpastiannya tidak dapat dihitung",
                        "en": "its uncertainty cannot be computed"},
    "summary_up": {
        "id": "Ringkasan: di unit yang merekrut P3K, IKM naik sekitar {estimate} poin karena "
              "perekrutan itu (selang kepercayaan 95%: {ci_low} sampai {ci_high}).",
        "en": "Summary: in the units that hired P3K, IKM rose by about {estimate} points "
              "because of the hiring (95% confidence interval {ci_low} to {ci_high}).",
    },
    "summary_down": {
        "id": "Ringkasan: di unit yang merekrut P3K, IKM turun sekitar {estimate} poin karena "
              "perekrutan itu (selang kepercayaan 95%: {ci_low} sampai {ci_high}).",
        "en": "Summary: in the units that hired P3K, IKM fell by about {estimate} points "
              "because of the hiring (95% confidence interval {ci_low} to {ci_high}).",
    },
    "summary_unclear": {
        "id": "Ringkasan: data belum dapat memastikan apakah perekrutan P3K mengubah IKM di "
              "wilayah ini. Perkiraannya {estimate} poin, tetapi selang kepercayaan 95% "
              "({ci_low} sampai {ci_high}) mencakup nol.",
        "en": "Summary: the data cannot tell whether P3K hiring changed IKM in this region. "
              "The estimate is {estimate} points, but its 95% confidence interval ({ci_low} "
              "to {ci_high}) includes zero.",
    },
    "summary_none": {
        "id": "Ringkasan: data belum dapat menjawab apakah perekrutan P3K mengubah IKM di "
              "wilayah ini: {reason}.",
        "en": "Summary: the data cannot tell whether P3K hiring changed IKM in this region: "
              "{reason}.",
    },
    "sec_profile": {"id": "Dampak menurut waktu sejak perekrutan pertama",
                    "en": "Effect by time since the first hire"},
    "profile_intro": {
        "id": "Titik di kanan garis putus-putus: dampak pada periode ke-0, 1, 2, ... setelah "
              "perekrutan pertama. Titik di kiri: perbedaan tren unit yang kemudian merekrut, "
              "sebelum merekrut; titik yang jauh dari nol (selangnya tidak mencakup nol) "
              "menandakan tren yang sudah berbeda sebelumnya, dan membuat angka utama kurang "
              "dapat dipercaya. Garis tegak: selang 95% tiap titik; area berwarna: pita "
              "simultan 95% yang mencakup seluruh profil sekaligus (lebih lebar).",
        "en": "Points right of the dotted line: the effect 0, 1, 2, ... periods after the "
              "first hire. Points left of it: how the trend of units that later hired differed "
              "before they hired; points away from zero (intervals excluding zero) are a sign "
              "of a different trend beforehand and make the headline less credible. Bars: 95% "
              "interval of each point; shaded: a 95% simultaneous band covering the whole "
              "profile at once (wider).",
    },
    "profile_none": {"id": "Tidak ada titik yang dapat dilaporkan.",
                     "en": "No point can be reported."},
    "axis_event_time": {"id": "Periode sejak perekrutan P3K pertama",
                        "en": "Periods since the first P3K hire"},
    "axis_effect_ikm": {"id": "Dampak pada IKM (poin)", "en": "Effect on IKM (points)"},
    "legend_pre": {"id": "sebelum (cek tren awal)", "en": "before (pre-trend check)"},
    "legend_post": {"id": "sesudah", "en": "after"},
    "legend_band": {"id": "pita simultan 95%", "en": "95% simultaneous band"},
    "legend_truth": {"id": "nilai sebenarnya (simulasi)", "en": "true value (simulation)"},
    "left_out_intro": {"id": "Tidak dilaporkan:", "en": "Left out:"},
    "left_out_event_time": {
        "id": "periode ke-{e} setelah perekrutan: hanya {n} unit (kurang dari {k})",
        "en": "{e} periods after hiring: only {n} units (fewer than {k})"},
    "left_out_lead": {
        "id": "{e} periode sebelum perekrutan: hanya {n} unit (kurang dari {k})",
        "en": "{e} periods before hiring: only {n} units (fewer than {k})"},
    "left_out_lead_identified": {
        "id": "{e} periode sebelum perekrutan: tidak ada periode lebih awal sebagai pembanding",
        "en": "{e} periods before hiring: no earlier period to compare with"},
    "left_out_observations": {
        "id": "{n_obs} periode-unit setelah perekrutan dari {n} unit: IKM-nya tanpa P3K tidak "
              "dapat diperkirakan (unit tanpa IKM sebelum merekrut, atau periode tanpa unit "
              "pembanding)",
        "en": "{n_obs} unit-periods after hiring from {n} units: their IKM without P3K cannot "
              "be estimated (a unit with no IKM before hiring, or a period with no comparison "
              "unit)"},
    "left_out_min_comparison": {
        "id": "{n_obs} periode-unit setelah perekrutan dari {n} unit: pada periodenya kurang "
              "dari {k} unit tanpa P3K yang teramati sebagai pembanding",
        "en": "{n_obs} unit-periods after hiring from {n} units: in their periods fewer than "
              "{k} units without P3K are observed to compare with"},
    "sec_comparison": {"id": "Pembanding: regresi efek tetap dua arah (TWFE)",
                       "en": "Comparison: two-way fixed effects (TWFE)"},
    "comparison_sentence": {
        "id": "Hanya sebagai pembanding, bukan angka utama: regresi TWFE ({outcome} atas "
              "{treatment_label}, efek tetap unit dan periode, galat baku per unit) memberi "
              "{estimate} poin (selang kepercayaan 95%: {ci_low} sampai {ci_high}).",
        "en": "For comparison only, not the headline: the TWFE regression ({outcome} on "
              "{treatment_label}, unit and period fixed effects, standard errors clustered by "
              "unit) gives {estimate} points (95% confidence interval {ci_low} to {ci_high}).",
    },
    "comparison_weights": {
        "id": "Dalam TWFE, {share} periode-unit yang sudah merekrut mendapat bobot negatif "
              "(de Chaisemartin & D'Haultfoeuille 2020).",
        "en": "In TWFE, {share} of the unit-periods after hiring get a negative weight "
              "(de Chaisemartin & D'Haultfoeuille 2020).",
    },
    "comparison_why": {
        "id": "Mengapa berbeda: TWFE juga membandingkan unit yang merekrut belakangan dengan "
              "unit yang sudah merekrut lebih dulu; bila dampak tumbuh seiring waktu, "
              "perbandingan itu mengurangkan dampak yang nyata, sehingga TWFE lebih rendah dari "
              "dampak rata-rata.",
        "en": "Why it differs: TWFE also compares later hirers with units that hired earlier; "
              "when effects grow over time those comparisons subtract real effects, which "
              "pulls TWFE below the average effect.",
    },
    "comparison_missing": {"id": "TWFE tidak dapat dihitung: {reason}.",
                           "en": "TWFE cannot be computed: {reason}."},
    "sec_comparison_dose": {"id": "Pangsa P3K sebagai dosis, dan TWFE sebagai pembanding",
                            "en": "The P3K share as a dose, and TWFE for comparison"},
    "dose_sentence": {
        "id": "Pangsa P3K sebagai dosis (DiD dengan perlakuan kontinu, Callaway, Goodman-Bacon "
              "& Sant'Anna 2024; dosis = pangsa P3K unit pada periode pertama ia merekrut; "
              "{n_treated} unit yang merekrut): pada pangsa yang dicapai unit-unit itu, "
              "{outcome} berubah rata-rata {estimate} poin (selang kepercayaan 95%: {ci_low} "
              "sampai {ci_high}); respons kausal rata-rata per satuan pangsa (dari 0 ke 1) "
              "{acrt} poin ({acrt_low} sampai {acrt_high}). Angka kedua mengandaikan tren "
              "paralel yang kuat, yaitu sama pada semua tingkat pangsa.",
        "en": "The P3K share as a dose (difference-in-differences with a continuous treatment, "
              "Callaway, Goodman-Bacon & Sant'Anna 2024; dose = a unit's P3K share in its "
              "first hiring period; {n_treated} units that hired): at the shares those units "
              "reached, {outcome} changed by {estimate} points on average (95% confidence "
              "interval {ci_low} to {ci_high}); the average causal response per unit of share "
              "(from 0 to 1) is {acrt} points ({acrt_low} to {acrt_high}). The second number "
              "assumes strong parallel trends, the same at every level of the share.",
    },
    "dose_missing": {"id": "DiD dengan perlakuan kontinu untuk pangsa P3K tidak dapat "
                           "dihitung: {reason}.",
                     "en": "The continuous-treatment DiD for the P3K share cannot be "
                           "computed: {reason}."},
    "treatment_treated": {"id": "mempekerjakan P3K", "en": "hiring P3K"},
    "treatment_p3k_share": {
        "id": "pangsa P3K (dari 0 ke 1)", "en": "the P3K share (from 0 to 1)"},
    "national_sentence": {
        "id": "Estimator yang sama pada semua unit di semua wilayah (selang kepercayaan dari "
              "jackknife per pemda, {n_clusters} pemda): {estimate} poin (selang kepercayaan "
              "95%: {ci_low} sampai {ci_high}; {n_treated} unit yang merekrut).",
        "en": "The same estimator on every unit of every region (intervals from a jackknife "
              "over pemda, {n_clusters} pemda): {estimate} points (95% confidence interval "
              "{ci_low} to {ci_high}; {n_treated} units that hired).",
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
    # kinds of reasons in the rejects ledger (content.REASON_KINDS)
    "reason_duplicate": {"id": "Duplikat baris sebelumnya", "en": "Duplicate of an earlier row"},
    "reason_not_data": {
        "id": "Bukan baris data (judul kolom berulang, baris nomor kolom, baris kosong bernomor, "
              "sel terlalu panjang)",
        "en": "Not a data row (repeated header, column numbers, numbered empty row, overlong "
              "cell)",
    },
    "reason_summary_row": {"id": "Baris ringkasan (rata-rata atau jumlah, bukan unit)",
                           "en": "Summary row (an average or total, not a unit)"},
    "reason_excel_error": {"id": "Sel galat Excel (#N/A, #REF! dan sejenisnya)",
                           "en": "Excel error cell (#N/A, #REF! and the like)"},
    "reason_missing_value": {"id": "Nilai wajib kosong", "en": "Required value missing"},
    "reason_region_unresolved": {"id": "Wilayah tidak dikenali (kode atau nama)",
                                 "en": "Region not recognised (code or name)"},
    "reason_nip_damaged": {"id": "NIP rusak oleh spreadsheet (digit terakhir hilang)",
                           "en": "NIP damaged by a spreadsheet (last digits lost)"},
    "reason_nip_status": {"id": "NIP tidak sesuai dengan status (PNS atau PPPK)",
                          "en": "NIP does not match the status (PNS or PPPK)"},
    "reason_nip_invalid": {"id": "NIP tidak sah", "en": "NIP not valid"},
    "reason_after_reference": {"id": "Tanggal atau periode setelah tanggal acuan",
                               "en": "Date or period after the reference date"},
    "reason_period_too_coarse": {
        "id": "Periode lebih kasar daripada periode panel (misalnya hanya tahun)",
        "en": "Period coarser than the panel's (for example a year only)",
    },
    "reason_bad_date": {"id": "Tanggal atau periode tidak terbaca",
                        "en": "Date or period not readable"},
    "reason_inconsistent_dates": {
        "id": "Tanggal tidak konsisten (TMT sebelum usia 17 atau tanggal berakhir sebelum TMT)",
        "en": "Dates inconsistent (TMT before age 17, or end date before TMT)",
    },
    "reason_out_of_range": {"id": "Nilai di luar rentang yang sah",
                            "en": "Value outside its valid range"},
    "reason_not_a_number": {"id": "Bukan angka", "en": "Not a number"},
    "reason_bad_category": {"id": "Kategori, predikat atau regulasi tidak dikenali",
                            "en": "Category, grade or regulation not recognised"},
    "reason_skp_shares": {"id": "Persentase SKP tidak lengkap atau tidak berjumlah 100",
                          "en": "SKP shares incomplete or not adding up to 100"},
    "reason_no_outcome": {"id": "Tidak ada nilai kinerja", "en": "No outcome value"},
    "reason_other": {"id": "Lainnya: {reason}", "en": "Other: {reason}"},
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
    "index_estimator": {"id": "Angka berasal dari penduga", "en": "Numbers from the estimator"},
    "index_forest_order": {"id": "Wilayah diurutkan menurut estimasi, tertinggi di atas.",
                           "en": "Regions sorted by estimate, highest at the top."},
    "index_forest_alt": {"id": "{title}: {n} wilayah, tertinggi {top}, terendah {bottom}",
                         "en": "{title}: {n} regions, highest {top}, lowest {bottom}"},
    "index_not_estimated_title": {"id": "Wilayah tanpa estimasi",
                                  "en": "Regions without an estimate"},
    "index_no_reason": {"id": "tidak ada alasan tercatat", "en": "no reason recorded"},
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
