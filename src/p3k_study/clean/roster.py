"""Clean one staff roster file (`pegawai/`): one row per appointment spell.

Rules, applied in this order (a rejected row keeps the first reason):
1. Excel error cell in a required column; 2. empty required value (region, nip, unit_kerja,
status, tmt); 3. region not resolved; 4. TMT unreadable; 5. TMT after the reference date;
6. NIP damaged or invalid (`parse.normalise_nip`); 7. TMT before the age of 17 by the NIP's
birth date; 8. end date unreadable or before the TMT; 9. NIP kind contradicts the status (a PNS
number on a PPPK row or the reverse);
10. exact duplicate of an earlier row; 11. same employee, unit and TMT as an earlier row.

The clean table carries `employee_id` (salted pseudonym of the NIP) and never the NIP or name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from p3k_study.clean.common import (
    Duplicates,
    Part,
    SheetLike,
    future,
    kept_rows,
    open_file,
    rejects_of,
    resolve_regions,
    resolve_units,
    strip_text,
    with_raw,
)
from p3k_study.clean.privacy import pseudonymise
from p3k_study.config import DEMO_SALT
from p3k_study.parse import (
    NIP_MIN_AGE_AT_APPOINTMENT,
    nip_status_mismatch,
    normalise_nip,
    normalise_status,
    parse_dates,
)
from p3k_study.schemas import STAFF, typed

KIND = "pegawai"
REQUIRED = ("nip", "unit_kerja", "status", "tmt")
JOB_TYPES = ("guru", "kesehatan", "teknis", "administrasi")



def roster_part(
    sheets: Sequence[SheetLike], reference_date: dt.date, salt: str = DEMO_SALT,
    code_edition: str | None = None,
) -> Part:
    """Every rule but the duplicate check, for the sheets of one or more roster files
    (`finish` applies the check over all parts)."""
    data = open_file(sheets, KIND, REQUIRED)
    frame, verdicts = data.frame, data.verdicts
    kode = resolve_regions(data, code_edition)

    tmt = parse_dates(frame["tmt"])
    verdicts.reject(tmt.reason.notna().to_numpy(bool), "tmt", tmt.reason, frame["tmt"])
    verdicts.reject(future(tmt.values, reference_date), "tmt",
                    f"date after the reference date {reference_date.isoformat()}", frame["tmt"])

    nip = normalise_nip(frame["nip"], reference_date=reference_date)
    verdicts.reject(pd.Series(nip.reason).notna().to_numpy(bool), "nip", nip.reason,
                    frame["nip"])
    adult_from = nip.birth_date + pd.DateOffset(years=NIP_MIN_AGE_AT_APPOINTMENT)
    verdicts.reject((tmt.values < adult_from).fillna(False).to_numpy(bool), "tmt",
                    f"TMT before age {NIP_MIN_AGE_AT_APPOINTMENT} by the NIP's birth date",
                    frame["tmt"])

    if "tanggal_berakhir" in frame.columns:
        end = parse_dates(frame["tanggal_berakhir"])
        verdicts.reject(end.reason.notna().to_numpy(bool), "tanggal_berakhir", end.reason,
                        frame["tanggal_berakhir"])
        before = (end.values < tmt.values).fillna(False).to_numpy(bool)
        verdicts.reject(before, "tanggal_berakhir", "end date before TMT",
                        frame["tanggal_berakhir"])
        end_values = end.values
    else:
        end_values = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")

    status = normalise_status(frame["status"])
    mismatch = nip_status_mismatch(nip.kind, status)
    verdicts.reject(mismatch.notna().to_numpy(bool), "status", mismatch, frame["status"])

    units = resolve_units(data, "unit_kerja", kode)

    jabatan = (strip_text(frame["jenis_jabatan"]).str.lower() if "jenis_jabatan" in frame.columns
               else pd.Series(pd.NA, index=frame.index, dtype="string"))
    clean = kept_rows(data, kode, units, status=status, nip_kind=nip.kind, jenis_jabatan=jabatan,
                      tmt=tmt.values, tanggal_berakhir=end_values)
    clean["employee_id"] = pseudonymise(nip.nip[verdicts.alive].reset_index(drop=True), salt)
    clean = typed(STAFF, clean)
    names = (frozenset(strip_text(frame["nama"]).dropna().unique()) if "nama" in frame.columns
             else frozenset())
    return Part(with_raw(data, clean), rejects_of(data), data.files,
                Duplicates(("employee_id", "unit_id", "tmt"), "same employee, unit and TMT"),
                names)
