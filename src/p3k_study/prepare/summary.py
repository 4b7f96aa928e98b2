"""cleaning_summary.json: what went in and what came out, per file and in total
(`summarise`), and the table the command line prints (`format_summary`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from p3k_study import __version__
from p3k_study.config import Config
from p3k_study.prepare.files import DatasetFiles
from p3k_study.prepare.intake import Cleaned
from p3k_study.reference.regions import codes_summary

SIZES = ("rows_in", "rows_clean", "rows_rejected")


def summarise(
    cleaned: Sequence[Cleaned], tables: dict[str, pd.DataFrame], *, raw: Path, config: Config,
    reference_date: Any, reference_source: str, warnings: list[str], dataset: DatasetFiles,
) -> dict[str, Any]:
    """cleaning_summary.json: per file rows_in = rows_clean + rows_rejected, totals, reasons,
    unmatched units, panel facts, settings (periods: `config.freq`); `ignored_files`: table
    files in no kind's folder (`dataset.ignored`); `synthetic`: whether the dataset says it was
    simulated (`dataset.marker.synthetic`; the reports then show a banner). Raises AssertionError if
    a file does not reconcile (a bug in this package)."""
    files: dict[str, dict[str, Any]] = {}
    reasons: Counter[str] = Counter()
    for done in cleaned:
        clean, rejected = ({(f, None if pd.isna(s) else s): int(n) for (f, s), n in t.groupby(
            ["source_file", "sheet"], dropna=False, observed=True).size().items()}
            for t in (done.table, done.rejects))  # rows per (file, sheet)
        for reason, n in done.rejects["reason"].value_counts(sort=False).items():
            text = re.sub(r"duplicate of row \d+.*?(\(|$)", r"duplicate of row N \1", reason)
            key = f"{done.kind}: " + re.sub(r"\s+", " ", text).replace("( ", "(").strip()
            reasons[key] += int(n)
        for name, info in done.files.items():
            sheets = [{"sheet": sheet["sheet"], "rows_in": int(sheet["rows_in"]),
                       "rows_clean": clean.get((name, sheet["sheet"]), 0),
                       "rows_rejected": rejected.get((name, sheet["sheet"]), 0),
                       **({"note": sheet["note"]} if "note" in sheet else {})}
                      for sheet in info["sheets"]]
            record = {"kind": done.kind, "encoding": info["encoding"],
                      "separator": info["separator"], "sheets": sheets, "notes": info["notes"],
                      **{k: sum(s[k] for s in sheets) for k in SIZES}}
            if record["rows_in"] != record["rows_clean"] + record["rows_rejected"]:
                raise AssertionError(f"bug: {name} does not reconcile: {record}")
            files[name] = record
    units, panel, ikm_unit = (tables[name] for name in ("units", "panel", "ikm_unit"))
    unmatched = units[~units["unit_matched"]]
    return {
        "p3k_study_version": __version__,
        "raw": str(raw),
        "freq": config.freq,
        "reference_date": str(reference_date),
        "reference_date_source": reference_source,
        "salt": "demo (public default)" if config.uses_demo_salt else "set by the user",
        "cohort_rule": config.cohort_rule.describe(),
        "files": files,
        "totals": {k: sum(f[k] for f in files.values()) for k in SIZES},
        "by_kind": {done.kind: {k: sum(f[k] for f in files.values() if f["kind"] == done.kind)
                                for k in SIZES} for done in cleaned if done.files},
        "reconciled": True,
        "reject_reasons": dict(sorted(reasons.items())),
        "unmatched_units": unmatched[["unit_id", "kode_pemda", "unit_name", "names_seen",
                                      "sources"]].to_dict("records"),
        "units": {"total": len(units), "matched": int(units["unit_matched"].sum()),
                  "unmatched": len(unmatched)},
        "ikm": {
            "unit_periods": len(ikm_unit),
            "from_answers": int((ikm_unit["ikm_source"] == "answers").sum()),
            "published_only": int((ikm_unit["ikm_source"] == "published").sum()),
            "answers_and_published": int(ikm_unit["ikm_difference"].notna().sum()),
            "published_disagrees": int(ikm_unit["flag_published_disagrees"].sum()),
            "disagreement_points": config.ikm_disagreement,
            "mutu_disagrees": int(ikm_unit["flag_mutu_disagrees"].sum()),
            "sample_inadequate": int((ikm_unit["sample_adequate"] == False).sum()),  # noqa: E712
        },
        "panel": {
            "rows": len(panel),
            "units": int(panel["unit_id"].nunique()),
            "first_period": (str(panel.loc[panel["period_index"].idxmin(), "period"])
                             if len(panel) else None),
            "last_period": (str(panel.loc[panel["period_index"].idxmax(), "period"])
                            if len(panel) else None),
            "rows_with_ikm": int(panel["ikm"].notna().sum()),
            "treated_units": int(panel.loc[panel["cohort"] > 0, "unit_id"].nunique()),
            "never_treated_units": int(panel.loc[panel["cohort"] == 0, "unit_id"].nunique()),
            "rule": "periods from the first to the last period of IKM and staff-count data "
                    "(else roster TMTs); a row per unit and period with staff in post or an IKM",
        },
        "ignored_files": dataset.ignored,
        "synthetic": dataset.marker.synthetic,
        "warnings": warnings,
        "region_codes": codes_summary(dataset.edition, [f["notes"] for f in files.values()]),
    }


def format_summary(summary: dict[str, Any], max_files: int = 40) -> str:
    """A readable table of the cleaning summary (what the CLI prints): a row per file, or, with
    more than `max_files` files, the `max_files` with the largest share of rows rejected and a
    row per kind (every file is in cleaning_summary.json)."""
    files = summary["files"]
    shown = list(files)
    if len(files) > max_files:
        share = {name: rec["rows_rejected"] / max(rec["rows_in"], 1) for name, rec in files.items()}
        shown = sorted(files, key=lambda name: (-share[name], name))[:max_files]
    rows = [("file", "kind", "rows in", "clean", "rejected", "encoding")]
    rows += [(name, files[name]["kind"], *(str(files[name][k]) for k in SIZES),
              files[name]["encoding"] or "-") for name in shown]
    per_kind = Counter(rec["kind"] for rec in files.values())
    kinds = ([(f"{kind} ({per_kind[kind]} file{'s' * (per_kind[kind] != 1)})", kind,
               *(str(sizes[k]) for k in SIZES), "") for kind, sizes in summary["by_kind"].items()]
             if len(shown) < len(files) else [])
    rows += [*kinds, ("total", "", *(str(summary["totals"][k]) for k in SIZES), "")]
    widths = [max(map(len, column)) for column in zip(*rows, strict=True)]
    align = (str.ljust, str.ljust, str.rjust, str.rjust, str.rjust, str.ljust)
    lines = ["  ".join(a(c, w) for a, c, w in zip(align, r, widths, strict=True)).rstrip()
             for r in rows]
    rule = "  ".join("-" * w for w in widths)
    header, body, totals = lines[0], lines[1:1 + len(shown)], lines[1 + len(shown):]
    more = ([f"... {len(files) - len(shown)} more files (above: the largest shares of rows "
             "rejected; every file: cleaning_summary.json)"]
            if len(shown) < len(files) else [])
    lines = [header, rule, *body, *more, *([rule] if body else []), *totals]
    reasons = sorted(summary["reject_reasons"].items(), key=lambda kv: (-kv[1], kv[0]))
    if reasons:
        lines += ["", "Rejected rows by reason (details in rejects.csv):"]
        lines += [f"  {n:>8}  {reason}" for reason, n in reasons[:15]]
        if len(reasons) > 15:
            lines.append(f"  ... and {len(reasons) - 15} more reasons")
    u = summary["units"]
    lines += ["", f"Units: {u['total']} ({u['unmatched']} with names matching no OPD function, "
                  "kept as their own unit; see units.parquet)"]
    p = summary["panel"]
    lines.append(f"Panel: {p['rows']} rows, {p['units']} units, {p['first_period']} to "
                 f"{p['last_period']}, {p['rows_with_ikm']} rows with IKM, "
                 f"{p['treated_units']} units with a P3K cohort")
    other: Counter[str] = Counter()
    for record in summary["files"].values():
        other.update({key.removeprefix("status_other:"): n for key, n in record["notes"].items()
                      if key.startswith("status_other:")})
    if other:
        counted = sorted(other.items(), key=lambda item: (-item[1], item[0]))
        lines.append("Staff counted as other (status neither PNS nor PPPK): " + ", ".join(
            f"{status} {n}" for status, n in counted[:8]) + (", ..." if len(counted) > 8 else "")
            + " (status_other per file in cleaning_summary.json)")
    ikm = summary["ikm"]
    if ikm["published_disagrees"] or ikm["mutu_disagrees"]:
        lines.append(f"IKM: {ikm['published_disagrees']} unit-periods where answers and the "
                     f"published value differ by more than {ikm['disagreement_points']:g}; "
                     f"{ikm['mutu_disagrees']} "
                     "published categories that do not match their value")
    lines.append(f"Reference date {summary['reference_date']} "
                 f"({summary['reference_date_source']}); periods: {summary['freq']}")
    lines += [f"Warning: {warning}" for warning in summary["warnings"]]
    return "\n".join(lines)
