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

import numpy as np
import pandas as pd

from p3k_study.clean.common import (
    Duplicates,
    FileInput,
    Part,
    categorical,
    dates,
    groups,
    open_file,
    part_of,
)
from p3k_study.clean.privacy import pseudonymise
from p3k_study.config import DEMO_SALT
from p3k_study.parse import (
    NIP_MIN_AGE_AT_APPOINTMENT,
    nip_status_mismatch,
    normalise_nip,
    normalise_status,
    status_key,
)
from p3k_study.read.headers import vocabulary
from p3k_study.read.sheet import RawSheet
from p3k_study.schemas import STAFF


def roster_part(
    sheets: Sequence[RawSheet], reference_date: dt.date, salt: str = DEMO_SALT,
    code_edition: str | None = None,
) -> Part:
    """Every rule but the duplicate check (`finish`), for the sheets of some roster files."""
    data = open_file(sheets, "pegawai", code_edition)
    frame = data.frame

    tmt = dates(data, "tmt", reference_date)

    codes, cells = data.cells("nip")  # worked out per distinct cell
    nip = normalise_nip(cells, reference_date=reference_date)
    reason = nip.reason.to_numpy(dtype=object)[codes]
    data.reject(pd.notna(reason), "nip", reason, frame["nip"])
    adult_from = (nip.birth_date + pd.DateOffset(years=NIP_MIN_AGE_AT_APPOINTMENT)).to_numpy()
    data.reject((tmt < adult_from[codes]).to_numpy(bool), "tmt",
                f"TMT before age {NIP_MIN_AGE_AT_APPOINTMENT} by the NIP's birth date",
                frame["tmt"])

    end = dates(data, "tanggal_berakhir")
    data.reject((end < tmt).fillna(False).to_numpy(bool), "tanggal_berakhir",
                "end date before TMT", frame.get("tanggal_berakhir"))

    status_codes, status_cells = data.cells("status")
    statuses = normalise_status(status_cells)
    status = categorical(status_codes, statuses)
    _note_other_staff(data, status_codes, status_cells.where(statuses == "OTHER"))
    kind = categorical(codes, nip.kind)
    pair_of_row, firsts = groups(pd.DataFrame({"kind": kind, "status": status}))
    mismatch = nip_status_mismatch(pd.Series(kind[firsts]), pd.Series(status[firsts]))
    mismatch = mismatch.to_numpy()[pair_of_row]  # worked out per (kind, status)
    data.reject(pd.notna(mismatch), "status", mismatch, frame["status"])

    job_codes, jobs = data.tidy("jenis_jabatan")
    name_codes, names = data.tidy("nama")
    names = names.iloc[np.unique(name_codes[name_codes >= 0])]  # of the rows: some are unused
    return part_of(data, STAFF,
                   Duplicates(("employee_id", "unit_id", "tmt"), "same employee, unit and TMT"),
                   "unit_kerja", names=frozenset(names), status=status, nip_kind=kind,
                   jenis_jabatan=categorical(job_codes, jobs.str.lower()), tmt=tmt,
                   tanggal_berakhir=end,
                   employee_id=categorical(codes, pseudonymise(nip.nip, salt)))


KNOWN_OTHER_STATUSES = frozenset(vocabulary()["status"]["other"])
"""Statuses of staff who are neither PNS nor PPPK ('honorer', 'thl', 'non asn': the 'status'
rows of aliases.csv), as `parse.status_key` writes them."""
UNKNOWN_STATUS = "status_other:(not a known status)"


def _note_other_staff(data: FileInput, codes: np.ndarray, other: pd.Series) -> None:
    """Per file, the rows not rejected by a rule so far (the duplicate rules come later) whose
    status counts as other staff (`other`: the distinct status cells read as OTHER, else
    missing), as notes 'status_other:<status>' for the `KNOWN_OTHER_STATUSES` and
    `UNKNOWN_STATUS` for the rest: a misspelt 'PPPPK' or a column shifted into `status` shows
    there, and its text, perhaps a name, stays out of the summary."""
    keys = [None if pd.isna(cell) else status_key(cell) for cell in other]
    notes = np.array([None if key is None else f"status_other:{key}"
                      if key in KNOWN_OTHER_STATUSES else UNKNOWN_STATUS for key in keys],
                     dtype=object)[codes]
    for note in sorted(set(notes[data.alive]) - {None}):
        data.note(note, data.alive & (notes == note))
