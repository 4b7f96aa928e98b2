"""prepare: raw dataset folder -> clean tables, rejects ledger, cleaning summary and the panel.

One module per step: `files` (which files, as which kind), `intake` (read and clean, in worker
processes), `derived` (IKM per unit and period, the unit list), `summary` (cleaning_summary.json)
and `write` (schema checks and files). `prepare(raw, out)` runs them all; a notebook can run
them one at a time, with the same tables (tested):

    from p3k_study.config import Config, resolve_reference_date
    from p3k_study.panel import build_panel
    from p3k_study.prepare import KINDS, build_units, clean_kinds, ikm_unit_table

    config = Config.from_env()                                  # as prepare(raw, out) does
    reference_date, _ = resolve_reference_date(config, raw)
    done = {c.kind: c for c in clean_kinds(raw, config, reference_date)}  # {kind: Cleaned}
    roster, counts, skm, published = (done[kind].table for kind in KINDS[:4])
    ikm_unit = ikm_unit_table(skm, published, config)
    units = build_units(roster, counts, skm, published, config.freq)
    panel = build_panel(roster, ikm_unit, units, config.freq, config.cohort_rule, counts=counts)

`prepare` then masks personal data in every table (`clean.privacy.Scrubber`) and writes, in
`out/`: staff.parquet (clean roster, pseudonymised), staff_counts.parquet (when count files
exist), kinerja.parquet (when unit-level outcome files exist), ikm_unit.parquet, units.parquet,
panel.parquet and panel.csv, rejects.parquet and rejects.csv, cleaning_summary.json.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from p3k_study.clean.common import separate_offices
from p3k_study.clean.ledger import empty_rejects, sort_rejects
from p3k_study.config import Config, check_salt, read_dataset_marker, resolve_reference_date
from p3k_study.panel import build_panel
from p3k_study.prepare.derived import build_units, derive, ikm_unit_table
from p3k_study.prepare.files import KINDS, dataset_files, ignored_warning
from p3k_study.prepare.intake import Cleaned, clean_kinds, stage
from p3k_study.prepare.summary import format_summary, summarise
from p3k_study.prepare.write import SUMMARY_FILE, write_outputs
from p3k_study.schemas import sorted_rows

__all__ = ["KINDS", "SUMMARY_FILE", "Cleaned", "PrepareResult", "build_units", "clean_kinds",
           "format_summary", "ikm_unit_table", "prepare"]


@dataclass
class PrepareResult:
    """What `prepare` made: the output folder, written paths, the summary and the tables."""

    out: Path
    paths: list[Path]
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]


def prepare(raw: Path, out: Path, freq: str = "semester", config: Config | None = None,
            progress: bool = False) -> PrepareResult:
    """Clean every file of a raw dataset folder and write the processed tables to `out`.

    Raises a `p3k_study.errors.UserError` (one line) for input it cannot use: no staff folder,
    a file that is not a table, an unreadable dataset.json; `StageError` for an unexpected
    failure, naming the stage and the file."""
    raw, out = Path(raw), Path(out)
    config = replace(config or Config.from_env(), freq=freq)
    marker = read_dataset_marker(raw)  # dataset.json, read once
    reference_date, reference_source = resolve_reference_date(config, raw, marker)
    found = dataset_files(raw, marker)  # the files and the code edition, read once
    warnings = [text for text in (check_salt(config, marker.synthetic),
                                  ignored_warning(found.ignored)) if text]

    done: dict[str, Cleaned] = {}
    with stage("reading and cleaning the raw files", [str(raw)]):
        for cleaned in clean_kinds(raw, config, reference_date, progress, dataset=found):
            done[cleaned.kind] = derive(cleaned, config)  # while the workers clean the rest
    with stage("keeping offices that exist side by side apart", [str(raw)]):
        split = frozenset().union(*(cleaned.offices for cleaned in done.values()))
        for kind, cleaned in done.items():  # offices side by side in one kind: apart in all
            table = separate_offices(cleaned.table, split)
            if table is not cleaned.table:
                done[kind] = derive(replace(cleaned, table=table), config)
    roster, counts, skm, published, kinerja = (done[kind] for kind in KINDS)
    if not skm.files and not published.files:
        warnings.append("no survey data (skm/ or ikm/): the panel has no IKM")
    cleaned = [done[kind] for kind in KINDS if done[kind].files]
    inputs = [name for c in cleaned for name in c.files]  # named by a StageError

    if progress:
        print("  computing IKM, units and the panel", file=sys.stderr, flush=True)
    with stage("computing IKM per unit and period", inputs):
        ikm_unit = ikm_unit_table(skm.table, published.table, config, answers=skm.answers)
    with stage("building the unit list", inputs):
        units = build_units(roster.table, counts.table, skm.table, published.table, freq,
                            seen={kind: c.seen for kind, c in done.items()})
    with stage("building the panel", inputs):
        panel = build_panel(roster.table, ikm_unit, units, freq,  # type: ignore[arg-type]
                            config.cohort_rule, counts=counts.table)
    tables = {
        "staff": roster.staff,
        "ikm_unit": ikm_unit,
        "units": units,
        "panel": panel,
        "rejects": sort_rejects(pd.concat([empty_rejects(), *(c.rejects for c in cleaned)],
                                          ignore_index=True)),  # finalised as each kind joined
    }
    if counts.files:
        tables["staff_counts"] = sorted_rows(counts.table,
                                             ["unit_id", "period_index", "source_file", "row"])
    if kinerja.files:
        tables["kinerja"] = sorted_rows(kinerja.table, ["unit_id", "year", "source_file", "row"])
    with stage("masking personal data in the outputs", inputs):  # the staff's in `derive`
        tables = {name: table if name == "staff" else roster.scrubber.table(table)
                  for name, table in tables.items()}
    with stage("writing the cleaning summary", inputs):
        summary = roster.scrubber.anything(summarise(
            cleaned, tables, raw=raw, config=config, reference_date=reference_date,
            reference_source=reference_source, warnings=warnings, dataset=found))
    with stage("writing the processed tables", [str(out)]):
        paths = write_outputs(out, tables, summary, validated={"staff"})
    return PrepareResult(out, paths, summary, tables)
