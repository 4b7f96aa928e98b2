"""A tiny, balanced raw dataset (2 pemda, 13 units, 8 semesters) for whole-run tests.

Small enough that prepare + estimate take seconds, balanced so that every estimator runs, and
every NIP and name is known so that outputs can be scanned for them. One unit is named
`<script>alert(1)</script>` and has fewer than five staff (escaping and k-suppression).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

REGIONS = {"32.01": "Kab. Bogor", "32.73": "Kota Bandung"}
UNITS = ["Dinas Pendidikan", "Dinas Kesehatan", "Dinas Sosial", "Dinas Perhubungan",
         "Dinas Pertanian", "Dinas Perindustrian dan Perdagangan"]
SCRIPT_UNIT = "<script>alert(1)</script>"
SCRIPT_REGION = "32.01"
YEARS = (2020, 2021, 2022, 2023)
# first P3K hire per unit position: (year, month) or None (never treated)
COHORTS = [(2021, 8), (2022, 2), (2022, 9), None, None, (2021, 3)]
FIRST = ["Budi", "Siti", "Ahmad", "Dewi", "Rudi", "Rina", "Agus", "Yuni", "Hendra", "Lestari"]
LAST = ["Santosa", "Rahmawati", "Fauzianto", "Kusumawardani", "Hartanto", "Wibisono",
        "Nugraheni", "Setiabudi"]
ROSTER_HEADER = ["Kode Wilayah", "NIP", "Nama", "Unit Kerja", "Status", "TMT"]
IKM_HEADER = ["kode_pemda", "unit_layanan", "periode", "ikm", "jumlah_responden"]
REFERENCE_DATE = "2024-06-30"


def _nip(serial: int, pppk: bool, year: int, month: int) -> str:
    """A valid 18-digit NIP: birth 1970-1989, appointment, sex digit, sequence 001-899."""
    birth = f"{1970 + serial % 20}{1 + serial % 12:02d}{1 + serial % 28:02d}"
    middle = f"{year}21" if pppk else f"{year}{month:02d}"
    return f"{birth}{middle}{1 + serial % 2}{1 + serial % 899:03d}"


def _name(serial: int) -> str:
    return f"{FIRST[serial % len(FIRST)]} {LAST[(serial // len(FIRST)) % len(LAST)]} {serial}"


def write_tiny_raw(raw: Path) -> dict[str, list[str]]:
    """Write raw/pegawai/*.csv, raw/ikm/*.csv, README.md and dataset.json.

    Returns {'nips': [...], 'names': [...]}: every personal value written."""
    rng = np.random.default_rng(7)
    (raw / "pegawai").mkdir(parents=True, exist_ok=True)
    (raw / "ikm").mkdir(parents=True, exist_ok=True)
    (raw / "README.md").write_text("# SYNTHETIC data: tiny test dataset\n", encoding="utf-8")
    (raw / "dataset.json").write_text(
        json.dumps({"synthetic": True, "reference_date": REFERENCE_DATE}) + "\n",
        encoding="utf-8")
    secrets: dict[str, list[str]] = {"nips": [], "names": []}
    serial = 0
    for code, pemda in REGIONS.items():
        roster: list[list[str]] = []
        ikm: list[list[str]] = []
        units = [*UNITS, SCRIPT_UNIT] if code == SCRIPT_REGION else UNITS
        for position, unit in enumerate(units):
            cohort = COHORTS[position] if position < len(COHORTS) else None
            n_pns = 2 if unit == SCRIPT_UNIT else 6
            for _ in range(n_pns):
                serial += 1
                year = 2005 + serial % 10
                nip, name = _nip(serial, False, year, 1 + serial % 12), _name(serial)
                roster.append([code, nip, name, unit, "PNS", f"01/{1 + serial % 12:02d}/{year}"])
                secrets["nips"].append(nip)
                secrets["names"].append(name)
            if cohort is not None:
                for hire in range(3):
                    serial += 1
                    year, month = cohort[0] + hire // 2, cohort[1]
                    nip, name = _nip(serial, True, year, month), _name(serial)
                    roster.append([code, nip, name, unit, "PPPK", f"{year}-{month:02d}-01"])
                    secrets["nips"].append(nip)
                    secrets["names"].append(name)
            level = 70 + 3 * position + (2 if code == "32.73" else 0)
            for year in YEARS:
                for half in (1, 2):
                    treated = cohort is not None and (year, 6 * half) >= cohort
                    value = level + 0.8 * (year - 2020) + 4 * treated + rng.normal(0, 1)
                    respondents = int(rng.integers(60, 120))
                    ikm.append([code, unit, f"Semester {'I' * half} {year}",
                                f"{value:.2f}".replace(".", ","), str(respondents)])
        slug = pemda.lower().replace(". ", "-").replace(" ", "-")
        _write(raw / "pegawai" / f"{code}_{slug}.csv", ROSTER_HEADER, roster)
        _write(raw / "ikm" / f"{code}_{slug}.csv", IKM_HEADER, ikm)
    return secrets


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    lines = [";".join(header), *(";".join(r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def change_one_ikm(raw: Path, delta: float = 5.0) -> tuple[str, str, str]:
    """Add `delta` to the first IKM value of the first pemda's file; returns (file, old, new)."""
    path = sorted((raw / "ikm").glob("*.csv"))[0]
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(";")
    old = cells[3]
    cells[3] = f"{float(old.replace(',', '.')) + delta:.2f}".replace(".", ",")
    lines[1] = ";".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path.relative_to(raw).as_posix(), old, cells[3]
