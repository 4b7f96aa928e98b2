"""Cleaners, one per source table. `clean_<kind>_file` takes the RawSheets of one or more files
and returns (clean table, rejects ledger, per-file input facts). Each is `<kind>_part` (every
row and per-file rule) followed by `common.finish` (the duplicate check across all parts), so
that `prepare` can clean groups of files in parallel and join them."""

from p3k_study.clean.counts import clean_counts_file
from p3k_study.clean.ikm_published import clean_published_file
from p3k_study.clean.kinerja import clean_kinerja_file
from p3k_study.clean.ledger import REJECT_COLUMNS, empty_rejects
from p3k_study.clean.roster import clean_roster_file
from p3k_study.clean.skm import clean_skm_file

__all__ = [
    "REJECT_COLUMNS",
    "clean_counts_file",
    "clean_kinerja_file",
    "clean_published_file",
    "clean_roster_file",
    "clean_skm_file",
    "empty_rejects",
]
