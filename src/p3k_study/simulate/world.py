"""The simulated world: regions, work units, staff rosters, P3K waves and SKM outcomes.

Everything here is *clean* truth; `messy.py` turns it into the files real sources look like.
Each function takes an explicit `numpy.random.Generator`; nothing reads global state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from p3k_study.periods import period_bounds, period_index, period_label
from p3k_study.reference import load_regions, match_unit, unit_functions

FIRST_PERIOD = period_index(dt.date(2019, 1, 1))  # 2019-S1
LAST_PERIOD = period_index(dt.date(2025, 12, 31))  # 2025-S2
PERIODS = np.arange(FIRST_PERIOD, LAST_PERIOD + 1)
PERIOD_LABELS = [period_label(p) for p in PERIODS]
PERIOD_ENDS = np.array([period_bounds(p)[1] for p in PERIODS], dtype="datetime64[D]")
PERIOD_STARTS = np.array([period_bounds(p)[0] for p in PERIODS], dtype="datetime64[D]")
EXTRACTION_DATE = np.datetime64("2026-01-15")
N_CHUNKS = 8  # pemda are simulated in this many fixed chunks (one process each at a time)
SEQ_PER_CHUNK = 1000 // N_CHUNKS  # NIP sequence numbers per chunk of pemda
MIN_APPOINTMENT_AGE = 18  # no synthetic NIP encodes an appointment before this age
ELEMENTS = (
    "persyaratan", "prosedur", "waktu", "biaya", "produk",
    "kompetensi", "perilaku", "pengaduan", "sarana",
)

DEMO_REGIONS = (
    # DIY, Bali, Gorontalo and Papua Barat Daya in full (Kab./Kota Gorontalo and Kab./Kota
    # Sorong share a bare name), plus places with old names or spelling variants.
    "34", "51", "75", "96", "12.12", "61.02", "61.71", "92.03",
)


@dataclass(frozen=True)
class ModelParameters:
    """Parameters of the staff and outcome model (written to parameters.json)."""

    alpha_mean: float = 3.0
    alpha_sd_pemda: float = 0.08
    alpha_sd_unit: float = 0.12
    alpha_bounds: tuple[float, float] = (2.55, 3.3)
    period_trend: float = 0.008  # per semester, on the 1-4 scale
    covid_dip: tuple[float, float, float] = (-0.07, -0.04, -0.02)  # 2020-S1, 2020-S2, 2021-S1
    tau_base: float = 0.02  # a_g for the last cohort (2025-S2)
    tau_per_semester_earlier: float = 0.008  # a_g grows by this for each semester earlier
    tau_slope: float = 0.012  # b: growth per semester of event time
    element_offsets: tuple[float, ...] = (0.05, -0.05, -0.15, 0.25, 0.0, 0.05, 0.1, -0.2, -0.05)
    respondents_mean: float = 26.0
    # Internal units serve no public, so they run no SKM survey.
    no_survey_functions: tuple[str, ...] = ("secretariat", "council_secretariat", "inspectorate",
                                            "planning", "finance", "national_unity")
    respondents_dispersion: float = 4.0
    survey_every_semester_share: float = 0.4
    survey_early_participation: float = 0.5  # 2019-2020 (COVID years)
    survey_missing: float = 0.05
    pns_stock_mean: float = 13.0
    cpns_rate_per_year: float = 0.03
    mover_share: float = 0.03
    retirement_age: int = 58
    published_ikm_share: float = 0.25
    counts_only_share: float = 0.1  # pemda that give staff counts (jumlah_pegawai/), no roster
    kinerja_share: float = 0.3  # pemda that give unit outcomes (kinerja/: SAKIP, SKP shares)
    unmatched_unit_rate: float = 0.35
    puskesmas_per_pemda: dict[str, float] = field(
        default_factory=lambda: {"demo": 4.5, "national": 8.0}
    )
    contract_terms_years: tuple[int, ...] = (1, 2, 3, 4, 5)
    contract_term_probs: tuple[float, ...] = (0.2, 0.2, 0.15, 0.1, 0.35)
    renewal_probability: float = 0.92

    def tau(self, cohort: np.ndarray, period: np.ndarray) -> np.ndarray:
        """True P3K effect on the 1-4 scale: a_g + b*e for e = t - g >= 0, else 0."""
        cohort = np.asarray(cohort)
        period = np.asarray(period)
        e = period - cohort
        a_g = self.tau_base + self.tau_per_semester_earlier * (LAST_PERIOD - cohort)
        effect = a_g + self.tau_slope * e
        return np.where((cohort > 0) & (e >= 0), effect, 0.0)

    def period_effect(self, period: np.ndarray) -> np.ndarray:
        period = np.asarray(period)
        gamma = self.period_trend * (period - FIRST_PERIOD)
        for k, dip in enumerate(self.covid_dip):
            gamma = gamma + np.where(period == FIRST_PERIOD + 2 + k, dip, 0.0)
        return gamma


# P3K waves: (selection year, stream -> expected hires per unit of size 1, TMT windows).
# TMT windows are (start, end, weight); the TMT often comes a year after selection.
WAVES: tuple[tuple[int, str, dict[str, float], tuple[tuple[str, str, float], ...]], ...] = (
    (2019, "PPPK", {"teacher": 0.5, "health": 0.25, "technical": 0.04, "agriculture": 0.5},
     (("2021-02-01", "2021-06-30", 0.8), ("2021-07-01", "2021-12-31", 0.2))),
    (2021, "PPPK", {"teacher": 2.0, "health": 0.0, "technical": 0.0, "agriculture": 0.0},
     (("2021-10-01", "2021-12-31", 0.3), ("2022-01-01", "2022-06-30", 0.7))),
    (2022, "PPPK", {"teacher": 1.5, "health": 0.4, "technical": 0.12, "agriculture": 0.12},
     (("2022-09-01", "2022-12-31", 0.3), ("2023-01-01", "2023-06-30", 0.7))),
    (2023, "PPPK", {"teacher": 1.5, "health": 0.6, "technical": 0.2, "agriculture": 0.2},
     (("2023-10-01", "2023-12-31", 0.3), ("2024-01-01", "2024-06-30", 0.7))),
    (2024, "PPPK", {"teacher": 1.2, "health": 1.2, "technical": 1.25, "agriculture": 1.25},
     (("2024-10-01", "2024-12-31", 0.15), ("2025-01-01", "2025-06-30", 0.85))),
    (2025, "PPPK Paruh Waktu", {"teacher": 1.0, "health": 1.0, "technical": 1.0,
                                "agriculture": 1.0},
     (("2025-10-01", "2025-12-31", 1.0),)),
)
JOB_BY_STREAM = {"teacher": "guru", "health": "kesehatan", "technical": "teknis",
                 "agriculture": "teknis"}

# Name changes seen in practice: (name before, name after); all keep the unit's function.
RENAMES: dict[str, tuple[str, str]] = {
    "education": ("Dinas Pendidikan", "Dinas Pendidikan dan Kebudayaan"),
    "planning": ("Badan Perencanaan Pembangunan Daerah",
                 "Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah"),
    "finance": ("Badan Keuangan Daerah", "Badan Pengelolaan Keuangan dan Aset Daerah"),
    "revenue": ("Dinas Pendapatan Daerah", "Badan Pendapatan Daerah"),
    "personnel": ("Badan Kepegawaian Daerah",
                  "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia"),
    "licensing": ("Dinas Penanaman Modal dan PTSP",
                  "Dinas Penanaman Modal, Pelayanan Terpadu Satu Pintu dan Tenaga Kerja"),
    "tourism": ("Dinas Pariwisata", "Dinas Pariwisata, Pemuda dan Olahraga"),
    "agriculture": ("Dinas Pertanian", "Dinas Pertanian dan Ketahanan Pangan"),
    "trade": ("Dinas Perindustrian dan Perdagangan",
              "Dinas Koperasi, UKM, Perindustrian dan Perdagangan"),
    "ict": ("Dinas Komunikasi dan Informatika",
            "Dinas Komunikasi, Informatika, Statistik dan Persandian"),
    "women_family": ("Dinas Pengendalian Penduduk dan KB",
                     "Dinas Pemberdayaan Perempuan dan Perlindungan Anak, "
                     "Pengendalian Penduduk dan KB"),
    "public_order": ("Satuan Polisi Pamong Praja",
                     "Satuan Polisi Pamong Praja dan Pemadam Kebakaran"),
    "housing": ("Dinas Perumahan dan Kawasan Permukiman",
                "Dinas Perumahan, Kawasan Permukiman dan Pertanahan"),
    "environment": ("Dinas Lingkungan Hidup", "Dinas Lingkungan Hidup dan Kehutanan"),
    "manpower": ("Dinas Tenaga Kerja", "Dinas Tenaga Kerja dan Transmigrasi"),
}
EXTRA_OFFICE_NAMES = (
    "Kantor Arsip dan Perpustakaan", "Dinas Kearsipan dan Perpustakaan", "Dinas Perikanan",
    "Badan Penelitian dan Pengembangan Daerah", "Dinas Kelautan dan Perikanan",
    "Kantor Pengelolaan Pasar",
)
"""The occasional office beside the standard set: all but the standalone Balitbangda (function
research) match no function in the OPD dictionary."""
MERGED_FUNCTIONS = ("research",)
"""Functions no simulated pemda has as an office of their own: research is merged into
planning (Bappeda renamed Bapperida, `RENAMES`); a standalone one is an extra office."""
PLACE_PREFIX = ("Suka", "Mekar", "Tanjung ", "Sumber", "Karang", "Batu ", "Teluk ", "Muara ",
                "Sido", "Bukit ", "Padang ", "Rawa ", "Pasir ", "Kali", "Wono", "Lubuk ",
                "Sungai ", "Banjar", "Tegal", "Cipta")
PLACE_SUFFIX = ("jaya", "maju", "sari", "makmur", "rejo", "mulya", "agung", "indah", "asri",
                "harjo", "tengah", "raya", "permai", "kencana", "rahayu", "wangi", "luhur",
                "lestari", "mulia", "sejahtera")
SIZE_BY_FUNCTION = {"hospital": 3.0, "education": 1.6, "health": 1.2, "secretariat": 1.5,
                    "primary_care": 0.9, "unmatched": 0.6, "research": 0.6}
ALPHA_BY_FUNCTION = {"hospital": -0.08, "civil_registry": 0.05, "licensing": 0.06,
                     "primary_care": -0.03, "public_order": -0.05}
FIRST_NAMES = ("Agus", "Budi", "Siti", "Dewi", "Eko", "Sri", "Ahmad", "Nur", "Rina", "Yusuf",
               "Wayan", "Made", "Ketut", "Putu", "Fitri", "Hendra", "Indah", "Joko", "Lina",
               "Muhammad", "Novi", "Rahmat", "Ratna", "Slamet", "Taufik", "Wulan", "Yohanes",
               "Maria", "Andi", "Fransiska", "Herman", "Kadek", "Nyoman", "Rizky", "Ayu",
               "Dian", "Irfan", "Lestari", "Mega", "Sutrisno", "Théresia", "René")
LAST_NAMES = ("Santoso", "Wijaya", "Saputra", "Lestari", "Hidayat", "Kurniawan", "Pratama",
              "Rahayu", "Setiawan", "Susanti", "Nugroho", "Wati", "Gunawan", "Hasan",
              "Simanjuntak", "Manurung", "Mahmud", "Suryani", "Purnama", "Yulianti", "Ismail",
              "Kambu", "Mandacan", "Arfan", "Dunggio", "Habibie", "Mooduto", "Sinaga",
              "Pangaribuan", "Putri")
DEGREES = {"guru": ("S.Pd.", "S.Pd.I.", "M.Pd."), "kesehatan": ("Amd.Kep.", "S.Kep., Ns.",
           "Amd.Keb.", "dr."), "teknis": ("S.T.", "S.Kom.", "S.E.", "A.Md.", "S.Sos.")}


def select_regions(scale: str) -> pd.DataFrame:
    """The kabupaten/kota simulated at a scale, sorted by code."""
    regions = load_regions()
    if scale == "national":
        return regions.reset_index(drop=True)
    if scale != "demo":
        raise ValueError(f"unknown scale {scale!r}: use 'demo' or 'national'")
    keep = regions["kode_provinsi"].isin([c for c in DEMO_REGIONS if len(c) == 2]) | regions[
        "kode_pemda"
    ].isin([c for c in DEMO_REGIONS if len(c) == 5])
    return regions[keep].reset_index(drop=True)


def _to_days(values: str | list[str]) -> np.ndarray:
    return np.array(values, dtype="datetime64[D]")


def build_units(region: pd.Series, rng: np.random.Generator, params: ModelParameters,
                scale: str) -> pd.DataFrame:
    """The pemda's work units: one per single function (but `MERGED_FUNCTIONS`), several
    Puskesmas, one RSUD, and sometimes an extra office (`EXTRA_OFFICE_NAMES`)."""
    functions = unit_functions()
    rows: list[dict[str, object]] = []
    bare = region["nama_dasar"]
    for f in functions.itertuples(index=False):
        if f.function in MERGED_FUNCTIONS:
            continue
        if f.function == "primary_care":
            n = 2 + rng.poisson(params.puskesmas_per_pemda[scale] - 2)
            combos = rng.choice(len(PLACE_PREFIX) * len(PLACE_SUFFIX), size=n, replace=False)
            for c in np.sort(combos):
                place = PLACE_PREFIX[c // len(PLACE_SUFFIX)] + PLACE_SUFFIX[c % len(PLACE_SUFFIX)]
                place = place[0].upper() + place[1:]
                place = " ".join(w[0].upper() + w[1:] for w in place.split(" "))
                rows.append({"function": f.function, "stream": f.p3k_stream,
                             "name_old": f"Puskesmas {place}",
                             "name_new": f"UPTD Puskesmas {place}",
                             "short": f"PKM {place}"})
        elif f.function == "hospital":
            kind = "Kabupaten" if region["jenis"] == "kabupaten" else "Kota"
            full = f"Rumah Sakit Umum Daerah {kind} {bare}"
            rows.append({"function": f.function, "stream": f.p3k_stream,
                         "name_old": f"RSUD {bare}", "name_new": full, "short": f"RSUD {bare}"})
        else:
            old, new = RENAMES.get(f.function, (f.canonical_name, f.canonical_name))
            stream = "agriculture" if f.function == "agriculture" else f.p3k_stream
            rows.append({"function": f.function, "stream": stream, "name_old": old,
                         "name_new": new, "short": f.short_forms.split("|")[0]})
    if rng.random() < params.unmatched_unit_rate:
        name = EXTRA_OFFICE_NAMES[rng.integers(len(EXTRA_OFFICE_NAMES))]
        rows.append({"function": match_unit(name).function, "stream": "technical",
                     "name_old": name, "name_new": name, "short": name})
    units = pd.DataFrame(rows)
    n = len(units)
    # Some units change name: before `change_year` they carry name_old, from then on name_new.
    renamed = (units["name_old"] != units["name_new"]) & (rng.random(n) < 0.4)
    units["change_year"] = np.where(renamed, rng.choice([2021, 2022, 2023, 2024], size=n), 0)
    # Units that do not change name use the new (current) name throughout.
    units.loc[~renamed, "name_old"] = units.loc[~renamed, "name_new"]
    units["unit_key"] = [match_unit(name).unit_key for name in units["name_new"]]
    for column in ("name_old", "short"):
        # A variant that would map elsewhere (an odd place name) falls back to the full name.
        keys = np.array([match_unit(name).unit_key for name in units[column]])
        units[column] = np.where(keys == units["unit_key"].to_numpy(), units[column],
                                 units["name_new"])
    assert units["unit_key"].is_unique, units["unit_key"]
    units["kode_pemda"] = region["kode_pemda"]
    units["unit_id"] = region["kode_pemda"] + "/" + units["unit_key"]
    units["matched"] = units["function"] != "unmatched"
    size_mult = units["function"].map(SIZE_BY_FUNCTION).fillna(1.0).to_numpy()
    units["size"] = size_mult * rng.lognormal(0.0, 0.35, size=n)
    alpha = (params.alpha_mean + rng.normal(0, params.alpha_sd_pemda)
             + units["function"].map(ALPHA_BY_FUNCTION).fillna(0.0).to_numpy()
             + rng.normal(0, params.alpha_sd_unit, size=n))
    units["alpha"] = np.clip(alpha, *params.alpha_bounds)
    return units


def unit_name_in_year(units: pd.DataFrame, unit_idx: np.ndarray, year: np.ndarray) -> np.ndarray:
    """The unit's full name as used in a given year (old name before its change year)."""
    change = units["change_year"].to_numpy()[unit_idx]
    old = units["name_old"].to_numpy()[unit_idx]
    new = units["name_new"].to_numpy()[unit_idx]
    return np.where((change > 0) & (year < change), old, new)


def _random_dates(rng: np.random.Generator, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Uniform dates in [start, end] (elementwise, datetime64[D])."""
    span = (end - start).astype(np.int64)
    return start + np.floor(rng.random(len(span)) * (span + 1)).astype(np.int64)


def _names(rng: np.random.Generator, job: np.ndarray) -> np.ndarray:
    n = len(job)
    first = np.array(FIRST_NAMES)[rng.integers(len(FIRST_NAMES), size=n)]
    last = np.array(LAST_NAMES)[rng.integers(len(LAST_NAMES), size=n)]
    names = pd.Series(first, dtype=object) + " " + pd.Series(last, dtype=object)
    with_degree = rng.random(n) < 0.4
    degree = np.array([DEGREES[j][k % len(DEGREES[j])]
                       for j, k in zip(job, rng.integers(12, size=n), strict=True)], dtype=object)
    doctor = with_degree & (degree == "dr.")
    names = np.where(doctor, "dr. " + names, np.where(with_degree, names + ", " + degree, names))
    return names


def build_staff(units: pd.DataFrame, rng: np.random.Generator,
                params: ModelParameters) -> pd.DataFrame:
    """Roster spells: unit_idx, status, jenis_jabatan, nama, birth, nip_field, sex, tmt, end.

    PNS: a stock appointed before 2019 (retiring at `retirement_age`), new CPNS 2019-2025 and a few
    movers (two spells, the second starting the day the first ends). PPPK: hires per wave, with a
    contract end date; a renewal *extends* that date (one row per person), so `tanggal_berakhir`
    is the end of the latest contract, or the end of the last one when it was not renewed.
    """
    n_units = len(units)
    size = units["size"].to_numpy()
    job_of_unit = units["stream"].map(JOB_BY_STREAM).to_numpy()
    parts: list[pd.DataFrame] = []

    # PNS stock present on 2019-01-01.
    n_stock = rng.poisson(params.pns_stock_mean * size)
    unit_idx = np.repeat(np.arange(n_units), n_stock)
    m = len(unit_idx)
    age_2019 = rng.uniform(25, params.retirement_age - 0.2, size=m)
    birth = _to_days("2019-01-01") - np.round(age_2019 * 365.25).astype(np.int64)
    service = rng.uniform(0.5, np.maximum(age_2019 - 23, 0.6))
    tmt = _to_days("2019-01-01") - np.round(service * 365.25).astype(np.int64)
    tmt = tmt.astype("datetime64[M]").astype("datetime64[D]")  # PNS TMT on the 1st of a month
    parts.append(pd.DataFrame({"unit_idx": unit_idx, "status": "PNS", "birth": birth,
                               "tmt": tmt}))
    # New CPNS 2019-2025.
    n_new = rng.poisson(params.cpns_rate_per_year * 7 * params.pns_stock_mean * size)
    unit_idx = np.repeat(np.arange(n_units), n_new)
    m = len(unit_idx)
    tmt = _random_dates(rng, np.full(m, _to_days("2019-03-01")), np.full(m, _to_days("2025-06-30")))
    tmt = tmt.astype("datetime64[M]").astype("datetime64[D]")
    birth = tmt - np.round(rng.uniform(22, 35, size=m) * 365.25).astype(np.int64)
    parts.append(pd.DataFrame({"unit_idx": unit_idx, "status": "PNS", "birth": birth,
                               "tmt": tmt}))
    pns = pd.concat(parts, ignore_index=True)
    pns["nip_field"] = pd.Series(pns["tmt"].to_numpy().astype("datetime64[M]")).dt.strftime(
        "%Y%m").to_numpy()
    retire = (pns["birth"].to_numpy().astype("datetime64[M]")
              + np.timedelta64(params.retirement_age * 12 + 1, "M")).astype("datetime64[D]")
    pns["end"] = np.where(retire <= EXTRACTION_DATE, retire, np.datetime64("NaT"))
    pns["jenis_jabatan"] = job_of_unit[pns["unit_idx"].to_numpy()]
    pns["person"] = np.arange(len(pns))

    # Movers: a PNS leaves a unit for another unit of the same pemda.
    move_date = _random_dates(rng, np.full(len(pns), _to_days("2019-07-01")),
                              np.full(len(pns), _to_days("2025-09-30")))
    move_date = move_date.astype("datetime64[M]").astype("datetime64[D]")
    end = pns["end"].to_numpy()
    mover = ((rng.random(len(pns)) < params.mover_share) & (pns["tmt"].to_numpy() < move_date)
             & (np.isnat(end) | (end > move_date + 31)) & (n_units > 1))
    second = pns[mover].copy()
    shift = rng.integers(1, max(n_units, 2), size=len(second))
    second["unit_idx"] = (second["unit_idx"].to_numpy() + shift) % n_units
    second["tmt"] = move_date[mover]
    second["jenis_jabatan"] = job_of_unit[second["unit_idx"].to_numpy()]
    pns.loc[mover, "end"] = move_date[mover]
    pns = pd.concat([pns, second], ignore_index=True)

    # PPPK waves.
    waves = []
    stream = units["stream"].to_numpy()
    for year, status, rates, windows in WAVES:
        rate = np.array([rates[s] for s in stream]) * size
        n_hire = rng.poisson(rate)
        unit_idx = np.repeat(np.arange(n_units), n_hire)
        m = len(unit_idx)
        weights = np.array([w for _, _, w in windows])
        which = rng.choice(len(windows), size=m, p=weights / weights.sum())
        starts = _to_days([s for s, _, _ in windows])[which]
        ends = _to_days([e for _, e, _ in windows])[which]
        tmt = _random_dates(rng, starts, ends)
        # Appointments take effect on the 1st of a month more often than not.
        first_of_month = rng.random(m) < 0.7
        tmt = np.where(first_of_month, tmt.astype("datetime64[M]").astype("datetime64[D]"), tmt)
        tmt = np.maximum(tmt, starts)
        birth = tmt - np.round(rng.uniform(24, 50, size=m) * 365.25).astype(np.int64)
        if status == "PPPK Paruh Waktu":
            end = (tmt.astype("datetime64[M]") + np.timedelta64(12, "M")).astype(
                "datetime64[D]") - 1
        else:
            end = _contract_end(rng, tmt, params)
        waves.append(pd.DataFrame({"unit_idx": unit_idx, "status": status, "birth": birth,
                                   "tmt": tmt, "end": end, "nip_field": f"{year}21"}))
    pppk = pd.concat(waves, ignore_index=True)
    pppk["jenis_jabatan"] = job_of_unit[pppk["unit_idx"].to_numpy()]
    pppk["person"] = len(pns) + np.arange(len(pppk))

    staff = pd.concat([pns, pppk], ignore_index=True)
    persons = staff.drop_duplicates("person").set_index("person")
    sex = pd.Series(rng.integers(1, 3, size=len(persons)), index=persons.index)
    names = pd.Series(_names(rng, persons["jenis_jabatan"].to_numpy()), index=persons.index)
    staff["sex"] = sex.reindex(staff["person"]).to_numpy()
    staff["nama"] = names.reindex(staff["person"]).to_numpy()
    return staff.sort_values(["unit_idx", "tmt", "person"], kind="stable", ignore_index=True)


def _contract_end(rng: np.random.Generator, tmt: np.ndarray,
                  params: ModelParameters) -> np.ndarray:
    """End of the latest contract: terms are renewed (extended) until one is not renewed or the
    current one runs past the roster's extraction date."""
    m = len(tmt)
    k = 6
    terms = rng.choice(params.contract_terms_years, size=(m, k), p=params.contract_term_probs)
    renewed = rng.random((m, k)) < params.renewal_probability
    months = np.cumsum(terms * 12, axis=1)
    ends = (tmt.astype("datetime64[M]")[:, None] + months.astype("timedelta64[M]")).astype(
        "datetime64[D]") + (tmt - tmt.astype("datetime64[M]").astype("datetime64[D]"))[:, None]
    stop = (~renewed) | (ends > EXTRACTION_DATE)
    stop[:, -1] = True
    first = stop.argmax(axis=1)
    return ends[np.arange(m), first]


def assign_nips(staff: pd.DataFrame, used: dict[str, int], seq_offset: int) -> np.ndarray:
    """18-digit NIPs: birth YYYYMMDD + (PNS: YYYYMM of appointment | PPPK: year + '21') + sex
    + a 3-digit sequence. `used` counts prefixes already given out in this chunk of pemda and
    each chunk owns the sequence range seq_offset+1 .. seq_offset+SEQ_PER_CHUNK-1, so numbers
    are unique across the whole simulation whatever process writes the chunk."""
    persons = staff.drop_duplicates("person")
    age = (persons["nip_field"].str[:4].astype(int).to_numpy()
           - pd.Series(persons["birth"].to_numpy()).dt.year.to_numpy())
    assert (age >= MIN_APPOINTMENT_AGE).all(), "a NIP would encode an appointment before 18"
    prefix = (pd.Series(persons["birth"].to_numpy()).dt.strftime("%Y%m%d").to_numpy()
              + persons["nip_field"].to_numpy().astype(object)
              + persons["sex"].astype(str).to_numpy())
    prefix = pd.Series(prefix, index=persons["person"].to_numpy())
    order = prefix.groupby(prefix, sort=False).cumcount().to_numpy()
    base = np.array([used.get(p, 0) for p in prefix.to_numpy()])
    seq = seq_offset + base + order + 1
    counts = prefix.value_counts(sort=False)
    for p, c in counts.items():
        used[p] = used.get(p, 0) + int(c)
    assert (base + order + 1).max(initial=0) < SEQ_PER_CHUNK, "NIP sequence range exhausted"
    nip = pd.Series(prefix.to_numpy() + pd.Series(seq).map("{:03d}".format).to_numpy(),
                    index=prefix.index)
    return nip.reindex(staff["person"]).to_numpy()


def staff_counts(staff: pd.DataFrame, n_units: int) -> dict[str, np.ndarray]:
    """Counts per unit x period (arrays n_units x n_periods): in post on the period's last day,
    and P3K hires (TMT in the period), by the rules of docs/data-format.md."""
    tmt = staff["tmt"].to_numpy()
    end = staff["end"].to_numpy()
    in_post = (tmt[:, None] <= PERIOD_ENDS[None, :]) & (
        np.isnat(end)[:, None] | (end[:, None] > PERIOD_ENDS[None, :]))
    unit_idx = staff["unit_idx"].to_numpy()
    out: dict[str, np.ndarray] = {}
    for name, status in (("n_pns", "PNS"), ("n_p3k", "PPPK"),
                         ("n_p3k_part_time", "PPPK Paruh Waktu")):
        mask = (staff["status"] == status).to_numpy()
        counts = np.zeros((n_units, len(PERIODS)), dtype=np.int64)
        np.add.at(counts, unit_idx[mask], in_post[mask].astype(np.int64))
        out[name] = counts
    out["n_other"] = np.zeros((n_units, len(PERIODS)), dtype=np.int64)
    p3k = staff["status"].str.startswith("PPPK").to_numpy()
    hire_period = np.searchsorted(PERIOD_ENDS, tmt[p3k])  # index of first period end >= tmt
    hires = np.zeros((n_units, len(PERIODS) + 1), dtype=np.int64)
    np.add.at(hires, (unit_idx[p3k], hire_period), 1)
    out["p3k_hires"] = hires[:, : len(PERIODS)]
    return out


def cohorts_from_hires(hires: np.ndarray) -> np.ndarray:
    """period_index of the first P3K hire per unit, 0 if none in 2019-S1..2025-S2."""
    any_hire = hires > 0
    first = any_hire.argmax(axis=1)
    return np.where(any_hire.any(axis=1), PERIODS[first], 0)


def survey_schedule(units: pd.DataFrame, rng: np.random.Generator,
                    params: ModelParameters) -> np.ndarray:
    """Which unit x period ran an SKM survey (bool n_units x n_periods)."""
    n = len(units)
    every = rng.random(n) < params.survey_every_semester_share
    annual_semester = rng.integers(0, 2, size=n)
    semester = (PERIODS % 2)[None, :]
    held = every[:, None] | (semester == annual_semester[:, None])
    early = (PERIODS < FIRST_PERIOD + 4)[None, :]
    held &= ~early | (rng.random((n, len(PERIODS))) < params.survey_early_participation)
    held &= rng.random((n, len(PERIODS))) >= params.survey_missing
    held &= ~units["function"].isin(params.no_survey_functions).to_numpy()[:, None]
    return held


def latent_mu(units: pd.DataFrame, cohort: np.ndarray, params: ModelParameters) -> np.ndarray:
    """mu_it = alpha_i + gamma_t + tau(g_i, t) on the 1-4 scale (n_units x n_periods)."""
    mu = (units["alpha"].to_numpy()[:, None] + params.period_effect(PERIODS)[None, :]
          + params.tau(cohort[:, None], PERIODS[None, :]))
    assert (mu >= 2.3).all() and (mu <= 3.8).all(), (mu.min(), mu.max())
    return mu


def draw_answers(mu: np.ndarray, held: np.ndarray, rng: np.random.Generator,
                 params: ModelParameters, units: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent: unit_idx, period_index, respondent number, nine element scores.

    Element k's score is two-point on floor/ceil of mu + offset_k, so E[score_k] = mu + offset_k
    and the mean over the nine elements has expectation mu exactly.
    """
    unit_idx, period_pos = np.nonzero(held)
    r = params.respondents_dispersion
    busy = units["function"].isin(["hospital", "primary_care", "civil_registry",
                                   "licensing"]).to_numpy()[unit_idx]
    mean = params.respondents_mean * np.where(busy, 1.4, 0.85)
    n_resp = 5 + rng.negative_binomial(r, r / (r + mean - 5))
    rows_unit = np.repeat(unit_idx, n_resp)
    rows_period = np.repeat(period_pos, n_resp)
    mu_k = mu[rows_unit, rows_period][:, None] + np.array(params.element_offsets)[None, :]
    low = np.floor(mu_k)
    scores = (low + (rng.random(mu_k.shape) < (mu_k - low))).astype(np.int8)
    starts = np.repeat(np.cumsum(n_resp) - n_resp, n_resp)
    answers = pd.DataFrame(scores, columns=list(ELEMENTS))
    answers.insert(0, "respondent", np.arange(len(rows_unit)) - starts + 1)
    answers.insert(0, "period_index", PERIODS[rows_period])
    answers.insert(0, "unit_idx", rows_unit)
    return answers


def krejcie_morgan(population: np.ndarray) -> np.ndarray:
    """Krejcie-Morgan sample size (chi2 3.841, P 0.5, d 0.05)."""
    c = 3.841 * 0.25
    return np.ceil(c * population / (0.0025 * (population - 1) + c))


def population_for(respondents: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A service population whose Krejcie-Morgan size is near the sample: ~70% adequate."""
    target = np.clip(respondents * rng.uniform(0.75, 1.25, size=len(respondents)), 5, 380)
    c = 3.841 * 0.25
    d2 = 0.0025
    return np.floor(target * (c - d2) / (c - target * d2)).astype(np.int64)


SAKIP_BOUNDS = ((90.0, "AA"), (80.0, "A"), (70.0, "BB"), (60.0, "B"), (50.0, "CC"), (30.0, "C"),
                (0.0, "D"))
SKP_SHARE_WEIGHTS = (3.0, 12.0, 2.0, 0.5, 0.25)  # Dirichlet: SB, B, butuh perbaikan, K, SK


def unit_outcomes(units: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Yearly unit outcomes 2019-2025: SAKIP score (0-100, two decimals) and its grade, and the
    SKP rating shares of the unit's staff (percent, one decimal, adding up to exactly 100)."""
    years = np.arange(2019, 2026)
    n_unit = len(units)
    unit_idx = np.repeat(np.arange(n_unit), len(years))
    year = np.tile(years, n_unit)
    alpha = units["alpha"].to_numpy()[unit_idx]
    score = 55 + 30 * (alpha - 2.9) + 1.5 * (year - 2019) + rng.normal(0, 6, size=len(year))
    score = np.round(np.clip(score, 0, 100), 2)
    grade = np.select([score >= b for b, _ in SAKIP_BOUNDS], [g for _, g in SAKIP_BOUNDS], "D")
    shares = np.round(rng.dirichlet(SKP_SHARE_WEIGHTS, size=len(year)) * 100, 1)
    shares[:, 1] = np.round(100 - shares[:, [0, 2, 3, 4]].sum(axis=1), 1)
    out = pd.DataFrame({"unit_idx": unit_idx, "year": year, "nilai_sakip": score,
                        "predikat_sakip": grade})
    for k, col in enumerate(("skp_sangat_baik", "skp_baik", "skp_butuh_perbaikan", "skp_kurang",
                             "skp_sangat_kurang")):
        out[col] = shares[:, k]
    return out
