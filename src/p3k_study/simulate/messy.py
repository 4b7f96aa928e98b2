"""Real-world messiness: how each pemda writes its files, and the bad rows injected into them.

A `FileStyle` is drawn per pemda and table (format, encoding, header aliases, region columns,
date and period formats, unit-name style). `inject_bad_rows` adds or damages a small share of
rows and returns the ledger the cleaner is expected to reproduce. Some SKM files are written as
Google Forms exports them (`FORMS_SHARE`, `FORMS_QUESTIONS`, `FORMS_ANSWERS`,
`forms_timestamps`: the simulator's own copy of the questionnaire, so the cleaner's reading of
it is checked against an independent writer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from p3k_study.periods import period_bounds
from p3k_study.reference.regions import region_resolver

# A TMT after this day is "in the future" (fixed, not today's date, for determinism).
FUTURE_AFTER = dt.date(2026, 11, 27)
BAD_ROW_SHARE = 0.007
EXCEL_EPOCH = np.datetime64("1899-12-30")
FORCE_NUMBER = "\x01"  # prefix: the XLSX writer stores the rest as a number cell (damaged NIPs)
ERROR_CELLS = ("#REF!", "#N/A", "#VALUE!", "#DIV/0!")

MONTHS_LONG = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
               "September", "Oktober", "November", "Desember")
MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agt", "Sep", "Okt", "Nov", "Des")
ROMAN = ("I", "II")

FORMATS = ("csv_id", "csv_bom", "csv_plain", "tsv", "xlsx")
FORMAT_WEIGHTS = {"demo": (0.25, 0.2, 0.15, 0.05, 0.35), "national": (0.35, 0.2, 0.2, 0.05, 0.2)}
# Region columns: code with dot, code without, name, both. Survey files (large) favour codes.
REGION_MODE_WEIGHTS = {"pegawai": (0.3, 0.15, 0.3, 0.25), "skm": (0.4, 0.2, 0.3, 0.1),
                       "ikm": (0.2, 0.1, 0.4, 0.3), "jumlah_pegawai": (0.3, 0.15, 0.3, 0.25),
                       "kinerja": (0.3, 0.15, 0.3, 0.25)}
DATE_STYLES = ("iso", "dmy", "long", "short", "serial")
PERIOD_STYLES = ("semester", "smt", "sem", "iso")

REGION_HEADERS = {
    "kode_pemda": ("kode_pemda", "Kode Wilayah", "Kode Kab/Kota", "Kode Daerah", "KODE_PEMDA"),
    "nama_pemda": ("nama_pemda", "Pemda", "Kabupaten/Kota", "Kab/Kota", "Nama Daerah"),
}
ROSTER_HEADERS = {
    "nip": ("nip", "NIP", "NIP/NI PPPK", "NI PPPK", "Nomor Induk Pegawai"),
    "nama": ("nama", "Nama", "Nama Pegawai"),
    "unit_kerja": ("unit_kerja", "Unit Kerja", "OPD", "SKPD", "Perangkat Daerah"),
    "status": ("status", "Status Kepegawaian", "Jenis Pegawai", "STATUS"),
    "jenis_jabatan": ("jenis_jabatan", "Jabatan", "Jenis Tenaga"),
    "tmt": ("tmt", "TMT", "TMT Pengangkatan", "TMT Jabatan"),
    "tanggal_berakhir": ("tanggal_berakhir", "Akhir Kontrak", "Akhir Perjanjian Kerja",
                         "TMT Selesai"),
}
SKM_HEADERS = {
    "unit_layanan": ("unit_layanan", "Unit Layanan", "Unit Pelayanan", "OPD", "Unit Kerja"),
    "periode": ("periode", "Periode", "Periode Survei", "Semester"),
    "tanggal_survei": ("tanggal_survei", "Tanggal", "Tgl Survei", "Tanggal Survei"),
    "populasi": ("populasi", "Jumlah Populasi", "Populasi"),
}
FORMS_SHARE = 0.25
"""Of the SKM files dated by survey, the share exported from Google Forms (`forms_skm`)."""
FORMS_QUESTIONS = (  # PermenPANRB 14/2017's questionnaire, per element in ELEMENT order
    "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis "
    "pelayanannya?",
    "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
    "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
    "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
    "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum "
    "dalam standar pelayanan dengan hasil yang diberikan?",
    "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
    "Bagaimana pendapat saudara perilaku petugas dalam pelayanan terkait kesopanan dan "
    "keramahan?",
    "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
    "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
)
FORMS_ANSWERS = (  # the options a-d (scores 1-4), per element in ELEMENT order
    ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
    ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
    ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
    ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
    ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah",
     "Sangat sopan dan ramah"),
    ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal",
     "Dikelola dengan baik"),
    ("Buruk", "Cukup", "Baik", "Sangat baik"),
)


def forms_timestamps(days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Google Forms' 'Timestamp' from a spreadsheet in a US locale: 'M/D/YYYY H:MM:SS'."""
    s = pd.Series(np.asarray(days, dtype="datetime64[D]"))
    seconds = rng.integers(7 * 3600, 17 * 3600, len(s))
    return (s.dt.month.astype(str) + "/" + s.dt.day.astype(str) + "/" + s.dt.year.astype(str)
            + " " + pd.Series(seconds // 3600).astype(str) + ":"
            + pd.Series(seconds // 60 % 60).map("{:02d}".format) + ":"
            + pd.Series(seconds % 60).map("{:02d}".format)).to_numpy(dtype=object)


ELEMENT_HEADER_SETS = {
    "canonical": ("persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi",
                  "perilaku", "pengaduan", "sarana"),
    "title": ("Persyaratan", "Prosedur", "Waktu", "Biaya", "Produk", "Kompetensi", "Perilaku",
              "Pengaduan", "Sarana"),
    "long": ("U1 Persyaratan", "Sistem Mekanisme dan Prosedur", "Waktu Penyelesaian",
             "Biaya/Tarif", "Produk Spesifikasi Jenis Pelayanan", "Kompetensi Pelaksana",
             "Perilaku Pelaksana", "Penanganan Pengaduan Saran dan Masukan",
             "Sarana dan Prasarana"),
    "english": ("Requirements", "Procedure", "Time", "Cost", "Product", "Competence", "Conduct",
                "Complaints", "Facilities"),
    "bare_u": ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"),
}
IKM_HEADERS = {
    "unit_layanan": SKM_HEADERS["unit_layanan"],
    "periode": SKM_HEADERS["periode"],
    "ikm": ("ikm", "Nilai IKM", "IKM", "Indeks", "Nilai"),
    "jumlah_responden": ("jumlah_responden", "Responden", "Jumlah Responden"),
    "mutu": ("mutu", "Mutu Pelayanan", "Kategori"),
    "regulasi": ("regulasi", "Dasar Hukum"),
}
COUNTS_HEADERS = {
    "unit_kerja": ROSTER_HEADERS["unit_kerja"],
    "periode": ("periode", "Periode", "Semester"),
    "jumlah_pns": ("jumlah_pns", "Jumlah PNS", "PNS"),
    "jumlah_pppk": ("jumlah_pppk", "Jumlah PPPK", "PPPK", "P3K"),
    "jumlah_pppk_paruh_waktu": ("jumlah_pppk_paruh_waktu", "PPPK Paruh Waktu"),
    "jumlah_lainnya": ("jumlah_lainnya", "Non ASN", "Honorer"),
    "pppk_baru": ("pppk_baru", "PPPK Baru", "Jumlah PPPK Baru"),
}
KINERJA_HEADERS = {
    "unit_kerja": ROSTER_HEADERS["unit_kerja"],
    "periode": ("periode", "Tahun", "Periode"),
    "nilai_sakip": ("nilai_sakip", "Nilai SAKIP", "Nilai AKIP"),
    "predikat_sakip": ("predikat_sakip", "Predikat SAKIP"),
    "skp_sangat_baik": ("skp_sangat_baik", "Sangat Baik", "% Sangat Baik"),
    "skp_baik": ("skp_baik", "Baik", "% Baik"),
    "skp_butuh_perbaikan": ("skp_butuh_perbaikan", "Butuh Perbaikan", "% Butuh Perbaikan"),
    "skp_kurang": ("skp_kurang", "Kurang", "% Kurang"),
    "skp_sangat_kurang": ("skp_sangat_kurang", "Sangat Kurang", "% Sangat Kurang"),
}
MUTU_WORDS = {"A": "Sangat Baik", "B": "Baik", "C": "Kurang Baik", "D": "Tidak Baik"}


@dataclass
class FileStyle:
    """How one pemda writes one table."""

    fmt: str
    region_mode: str  # 'code_dot' | 'code_plain' | 'name' | 'both'
    region_name: str
    date_style: str
    serial_share: float
    long_old_spelling: bool
    august_short: str
    period_style: str
    unit_style: str  # 'full' | 'short' | 'upper'
    headers: dict[str, str] = field(default_factory=dict)
    element_set: str = "canonical"
    swap_u8_u9: bool = False
    use_survey_date: bool = False
    with_populasi: bool = False
    with_optional: bool = True
    with_number: bool = False

    @property
    def decimal(self) -> str:
        return "," if self.fmt in ("csv_id", "csv_bom") else "."


def region_name_variants(region: pd.Series) -> list[str]:
    """Written forms of a kabupaten/kota name that resolve back to its code."""
    code, jenis, bare = region["kode_pemda"], region["jenis"], region["nama_dasar"]
    prefix = "Kab." if jenis == "kabupaten" else "Kota"
    short = "Kab" if jenis == "kabupaten" else "Kota"
    candidates = [region["nama_pemda"], f"{prefix} {bare}".upper(), f"{short} {bare}",
                  f"{prefix} {bare}", bare]
    if " " not in bare and len(bare) <= 8:
        candidates.append(" ".join(bare.upper()))
    if jenis == "kota":
        candidates.append(f"Kota Adm. {bare}")
    special = {"12.12": ["Toba Samosir", "Kab. Toba Samosir"], "61.02": ["Kab. Pontianak"],
               "92.03": ["Fak-Fak", "Kab. Fakfak"], "75.04": ["Kab. Pahuwato"]}
    candidates = special.get(code, []) * 3 + candidates
    resolver = region_resolver()
    return [c for c in candidates if resolver.from_name(c).kode_pemda == code]


def draw_style(rng: np.random.Generator, region: pd.Series, table: str, scale: str) -> FileStyle:
    """Draw how a pemda writes one table ('pegawai', 'skm' or 'ikm')."""
    fmt = FORMATS[rng.choice(len(FORMATS), p=FORMAT_WEIGHTS[scale])]
    names = region_name_variants(region)
    region_mode = ("code_dot", "code_plain", "name", "both")[
        rng.choice(4, p=REGION_MODE_WEIGHTS[table])]
    date_styles = (*DATE_STYLES, "xlsx_date") if fmt == "xlsx" else DATE_STYLES
    weights = np.array([0.25, 0.25, 0.2, 0.15, 0.05, 0.3][: len(date_styles)])
    style = FileStyle(
        fmt=fmt,
        region_mode=region_mode,
        region_name=names[rng.integers(len(names))],
        date_style=date_styles[rng.choice(len(date_styles), p=weights / weights.sum())],
        serial_share=0.1 if rng.random() < 0.2 else 0.0,
        long_old_spelling=bool(rng.random() < 0.5),
        august_short=("Agt", "Ags", "Agu")[rng.integers(3)],
        period_style=PERIOD_STYLES[rng.integers(len(PERIOD_STYLES))],
        unit_style=("full", "short", "upper")[rng.choice(3, p=(0.6, 0.2, 0.2))],
    )
    if style.date_style in ("serial", "xlsx_date"):
        style.serial_share = 0.0
    tables = {"pegawai": ROSTER_HEADERS, "skm": SKM_HEADERS, "ikm": IKM_HEADERS,
              "jumlah_pegawai": COUNTS_HEADERS, "kinerja": KINERJA_HEADERS}[table]
    for column, aliases in {**REGION_HEADERS, **tables}.items():
        style.headers[column] = aliases[rng.integers(len(aliases))]
    style.element_set = tuple(ELEMENT_HEADER_SETS)[rng.choice(5, p=(0.3, 0.2, 0.3, 0.1, 0.1))]
    style.swap_u8_u9 = bool(rng.random() < 0.2)
    style.use_survey_date = bool(rng.random() < 0.4)
    style.with_populasi = bool(rng.random() < 0.5)
    style.with_optional = bool(rng.random() < 0.8)
    style.with_number = bool(rng.random() < 0.5)
    return style


def format_dates(days: np.ndarray, style: FileStyle, rng: np.random.Generator) -> np.ndarray:
    """datetime64[D] -> strings in the file's date style ('' for NaT)."""
    days = np.asarray(days, dtype="datetime64[D]")
    missing = np.isnat(days)
    safe = np.where(missing, np.datetime64("2000-01-01"), days)
    serial = (safe - EXCEL_EPOCH).astype(np.int64).astype(str).astype(object)
    s = pd.Series(safe)
    y = s.dt.year.astype(str).to_numpy(dtype=object)
    m = s.dt.month.to_numpy()
    d = s.dt.day.to_numpy()
    dd = pd.Series(d).map("{:02d}".format).to_numpy(dtype=object)
    mm = pd.Series(m).map("{:02d}".format).to_numpy(dtype=object)
    if style.date_style == "iso":
        text = y + "-" + mm + "-" + dd
    elif style.date_style == "dmy":
        text = dd + "/" + mm + "/" + y
    elif style.date_style == "long":
        months = list(MONTHS_LONG)
        if style.long_old_spelling:
            months[1], months[10] = "Pebruari", "Nopember"
        text = pd.Series(d).astype(str).to_numpy(dtype=object) + " " + np.array(
            months, dtype=object)[m - 1] + " " + y
    elif style.date_style == "short":
        months = list(MONTHS_SHORT)
        months[7] = style.august_short
        text = dd + "-" + np.array(months, dtype=object)[m - 1] + "-" + y
    else:  # 'serial' (text in CSV, number in XLSX) and 'xlsx_date' (number with a date style)
        text = serial
    if style.serial_share > 0:
        text = np.where(rng.random(len(text)) < style.serial_share, serial, text)
    return np.where(missing, "", text).astype(object)


def format_periods(period_index: np.ndarray, style: FileStyle) -> np.ndarray:
    """Semester period_index -> 'Semester I 2023' | 'Smt II/2022' | 'Sem 1 2023' | '2023-S1'."""
    year = (np.asarray(period_index) // 2).astype(str).astype(object)
    half = np.asarray(period_index) % 2
    roman = np.array(ROMAN, dtype=object)[half]
    number = (half + 1).astype(str).astype(object)
    if style.period_style == "semester":
        return "Semester " + roman + " " + year
    if style.period_style == "smt":
        return "Smt " + roman + "/" + year
    if style.period_style == "sem":
        return "Sem " + number + " " + year
    return year + "-S" + number


def format_decimal(values: np.ndarray, style: FileStyle, digits: int = 2) -> np.ndarray:
    text = pd.Series(values).map(("{:." + str(digits) + "f}").format)
    if style.decimal == ",":
        text = text.str.replace(".", ",", regex=False)
    return text.to_numpy(dtype=object)


def region_columns(n: int, region: pd.Series, style: FileStyle) -> dict[str, np.ndarray]:
    """The region column(s) of a table, by the file's region mode (canonical names)."""
    code = region["kode_pemda"]
    out: dict[str, np.ndarray] = {}
    if style.region_mode in ("code_dot", "both"):
        out["kode_pemda"] = np.full(n, code, dtype=object)
    if style.region_mode == "code_plain":
        out["kode_pemda"] = np.full(n, code.replace(".", ""), dtype=object)
    if style.region_mode in ("name", "both"):
        out["nama_pemda"] = np.full(n, style.region_name, dtype=object)
    return out


def damaged_scientific(nip: str, style: FileStyle) -> str:
    """What Excel shows for an 18-digit number: '1,98606E+17' (6 significant digits)."""
    text = f"{int(nip):.5E}".replace("E+", "E+")
    mantissa, exponent = text.split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    if style.fmt == "xlsx":
        return FORCE_NUMBER + f"{float(nip[:15] + '000'):.14E}"
    return mantissa.replace(".", style.decimal) + "E" + exponent


def inject_bad_rows(table: pd.DataFrame, kind_table: str, style: FileStyle,
                    rng: np.random.Generator,
                    make_fake_nip: Callable[[dict, bool], str]) -> pd.DataFrame:
    """Add (or, in ikm/, damage) a small share of rows.

    `table` has canonical string columns plus private ones starting with '_' (`_sheet_order`,
    `_order`, `_unit_idx`, `_period_pos`). Bad rows get `_bad` = kind and `_column` = the
    canonical column at fault ('' for a duplicate); damaged ikm/ rows replace the original
    (`_replaced`), every other bad row is an extra row placed right after its source row.
    """
    n = len(table)
    n_bad = rng.binomial(n, BAD_ROW_SHARE)
    if kind_table == "ikm":
        n_bad = max(n_bad, int(rng.random() < 0.6)) if n else 0
    table = table.copy()
    table["_bad"] = ""
    table["_column"] = ""
    table["_replaced"] = False
    if n_bad == 0:
        return table
    sources = np.sort(rng.choice(n, size=min(n_bad, n), replace=False))
    kinds = KINDS[kind_table]
    records = table.iloc[sources].to_dict("records")
    new_rows = []
    replaced = []
    next_number = int(pd.to_numeric(table["no"], errors="coerce").max()) + 1 if "no" in table \
        else 0
    for k, (src, row) in enumerate(zip(sources, records, strict=True)):
        kind = kinds[rng.integers(len(kinds))]
        original_order = row["_order"]
        row["_order"] = original_order + 0.5 + k * 1e-6
        column = ""
        if kind_table == "pegawai" and kind != "duplicate_row":
            row["nip"] = make_fake_nip(row, False)
        if kind_table == "skm" and kind != "duplicate_row" and "no" in row:
            row["no"] = str(next_number)
            next_number += 1
        if kind == "nip_scientific":
            row["nip"], column = damaged_scientific(row["nip"], style), "nip"
        elif kind == "nip_trailing_000":
            damaged = row["nip"][:15] + "000"
            row["nip"] = FORCE_NUMBER + damaged if style.fmt == "xlsx" else damaged
            column = "nip"
        elif kind == "status_contradicts_nip":
            # The row already has a fresh PNS-format NIP: a PPPK status contradicts it; a PNS
            # row gets a PPPK-format NIP instead.
            if row["status"] == "PNS":
                row["nip"] = make_fake_nip(row, True)
            column = "status"
        elif kind == "unknown_region":
            if "kode_pemda" in row:
                row["kode_pemda"] = "99.98" if "." in row["kode_pemda"] else "9998"
                column = "kode_pemda"
                if "nama_pemda" in row:
                    row["nama_pemda"] = "Kab. Antah Berantah"
            else:
                row["nama_pemda"], column = "Kab. Antah Berantah", "nama_pemda"
        elif kind == "excel_error":
            column = _pick(rng, REQUIRED[kind_table], row)
            row[column] = ERROR_CELLS[rng.integers(len(ERROR_CELLS))]
        elif kind == "missing_required":
            column = _pick(rng, REQUIRED[kind_table], row)
            row[column] = ""
        elif kind == "future_tmt":
            future = np.datetime64(FUTURE_AFTER) + rng.integers(30, 1500)
            row["tmt"] = format_dates(np.array([future]), style, rng)[0]
            column = "tmt"
        elif kind == "impossible_score":
            column = _pick(rng, REQUIRED["skm_elements"], row)
            row[column] = ("0", "5", "7")[rng.integers(3)]
        elif kind == "ikm_out_of_range":
            value = (12.5 + rng.random() * 10) if rng.random() < 0.5 else (100.5 + rng.random() * 8)
            row["ikm"], column = format_decimal(np.array([value]), style)[0], "ikm"
        row["_bad"], row["_column"] = kind, column
        if kind_table == "ikm" and kind in ("ikm_out_of_range", "excel_error", "missing_required"):
            row["_order"] = original_order
            row["_replaced"] = True
            replaced.append(src)
        new_rows.append(row)
    keep = np.ones(n, dtype=bool)
    keep[replaced] = False
    extra = pd.DataFrame(new_rows, columns=table.columns, dtype=object)
    for column, dtype in table.dtypes.items():
        if dtype != np.dtype(object):
            extra[column] = extra[column].astype(dtype)
    table = pd.concat([table[keep], extra], ignore_index=True)
    return table.sort_values(["_sheet_order", "_order"], kind="stable", ignore_index=True)


def _pick(rng: np.random.Generator, columns: tuple[str, ...], row: dict) -> str:
    present = [c for c in columns if c in row]
    return present[rng.integers(len(present))]


KINDS = {
    "pegawai": ("duplicate_row", "nip_scientific", "nip_trailing_000", "status_contradicts_nip",
                "unknown_region", "excel_error", "missing_required", "future_tmt"),
    "skm": ("duplicate_row", "impossible_score", "impossible_score", "unknown_region",
            "excel_error", "missing_required"),
    "ikm": ("duplicate_row", "ikm_out_of_range", "ikm_out_of_range", "unknown_region",
            "excel_error", "missing_required"),
    "jumlah_pegawai": ("duplicate_row", "unknown_region", "excel_error", "missing_required"),
    "kinerja": ("duplicate_row", "unknown_region", "excel_error", "missing_required"),
}
REQUIRED = {
    "pegawai": ("nip", "unit_kerja", "status", "tmt"),
    "skm": ("unit_layanan", "periode", "tanggal_survei", "persyaratan", "waktu", "sarana"),
    "skm_elements": ("persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi",
                     "perilaku", "pengaduan", "sarana"),
    "ikm": ("unit_layanan", "periode", "ikm"),
    "jumlah_pegawai": ("unit_kerja", "periode", "jumlah_pns", "jumlah_pppk"),
    "kinerja": ("unit_kerja", "periode"),
}


def semester_dates(period_index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random survey date inside each semester (period_index)."""
    first, last = _bounds_vectorised(np.asarray(period_index))
    span = (last - first).astype(np.int64)
    return first + np.floor(rng.random(len(first)) * (span + 1)).astype(np.int64)


def _bounds_vectorised(period_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unique, inverse = np.unique(period_index, return_inverse=True)
    first = np.array([period_bounds(p)[0] for p in unique], dtype="datetime64[D]")
    last = np.array([period_bounds(p)[1] for p in unique], dtype="datetime64[D]")
    return first[inverse], last[inverse]
