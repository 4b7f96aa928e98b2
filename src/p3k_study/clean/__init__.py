"""Cleaners, one per source table: `<kind>_part` applies every row and per-file rule to the
sheets of one or more files and `common.finish` the duplicate rules over all parts, so that
`prepare` can clean groups of files in parallel and join them (`prepare.intake.joined`)."""

from collections.abc import Callable
from functools import partial

import pandas as pd

from p3k_study.clean.common import Part
from p3k_study.clean.counts import counts_part
from p3k_study.clean.ikm_published import published_part
from p3k_study.clean.kinerja import kinerja_part
from p3k_study.clean.roster import roster_part
from p3k_study.clean.skm import skm_part
from p3k_study.schemas import COUNTS, KINERJA, PUBLISHED, SKM, STAFF, typed

CLEANERS: dict[str, tuple[Callable[..., Part], Callable[[], pd.DataFrame]]] = {
    "pegawai": (roster_part, partial(typed, STAFF)),
    "jumlah_pegawai": (counts_part, partial(typed, COUNTS)),
    "skm": (skm_part, partial(typed, SKM)),
    "ikm": (published_part, partial(typed, PUBLISHED)),
    "kinerja": (kinerja_part, partial(typed, KINERJA)),
}
"""Per kind: the cleaner (every rule but the duplicate check) and the empty clean table."""

