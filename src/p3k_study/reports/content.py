"""Everything a region report shows, so the notebook template stays a list of one-line calls.

Pure functions turn the processed tables into small tidy frames (`region_units`, `composition`,
`adoption`, `group_trends`, `ikm_ranking`, `rejects_for_region`); `RegionReport` wraps them into
HTML blocks and figures in the report's language. Every string that comes from data is escaped
(`html.escape`, `DataFrame.to_html(escape=True)`), and count cells of 1-4 staff or respondents
are suppressed in tables.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from p3k_study import __version__, plots
from p3k_study.pipeline import sha256_file
from p3k_study.reports import analysis
from p3k_study.reports.files import SUMMARY_FILE
from p3k_study.reports.text import (
    MISSING,
    PHRASES,
    check_lang,
    fmt_int,
    fmt_number,
    fmt_pct,
    fmt_signed,
    is_missing,
    t,
)

K_MIN = 5  # smallest count shown in a table; 1..K_MIN-1 are suppressed (0 is shown)
STATUS_COLUMNS = {"n_pns": "col_pns", "n_p3k": "col_p3k",
                  "n_p3k_part_time": "col_p3k_part_time", "n_other": "col_other"}

CSS = """
<style>
.p3k-banner{background:#b00020;color:#fff;font-weight:bold;padding:.8em 1em;font-size:1.2em;
 border-radius:4px;margin:.5em 0}
.p3k-warning{background:#fff4ce;border-left:6px solid #c77700;padding:.6em 1em;margin:.5em 0}
.p3k-summary{background:#eef4fa;border-left:6px solid #1f4e79;padding:.7em 1em;margin:.6em 0;
 font-size:1.1em}
.p3k-note{color:#444;font-size:.9em}
table.p3k-table{border-collapse:collapse;font-size:.9em;margin:.4em 0}
table.p3k-table th,table.p3k-table td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
table.p3k-table td.num,table.p3k-table th.num{text-align:right}
</style>
"""


class UnknownRegion(LookupError):
    """A region code that is not in the processed panel."""


# ---------------------------------------------------------------- files and hashing


def shown_path(path: str | Path, here: str | Path | None = None) -> str:
    """A path as a report shows it: never absolute, so two machines render the same report.

    A relative path is shown as given. An absolute one is shown relative to the run folder,
    taken as the deepest folder holding both `path` and `here` (default: the working directory,
    which for a batch render lies inside the reports folder): with the usual layout
    `data/processed/<name>` and `reports/<name>` under the folder `p3k-study run` was started
    in, `/…/data/processed/demo` is shown as `data/processed/demo`. When the two share no
    folder but the root (or the user's home folder), only the folder's own name is shown."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    path = path.resolve()
    here = Path(here if here is not None else os.getcwd()).resolve()
    try:
        base = Path(os.path.commonpath([path, here]))
    except ValueError:  # different drives
        return path.name
    if base == Path(base.anchor) or base == Path.home():
        return path.name
    return path.relative_to(base).as_posix() or "."


def git_commit(start: Path | None = None) -> str:
    """The git commit of the checkout the package runs from, or 'unknown'."""
    where = Path(start or Path(__file__).resolve().parent)
    try:
        out = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


@dataclass(frozen=True)
class Processed:
    """The processed tables a report reads."""

    folder: Path
    panel: pd.DataFrame
    rejects: pd.DataFrame
    cleaning_summary: dict[str, Any]
    panel_sha256: str


def load_processed(folder: str | Path) -> Processed:
    """Read panel.parquet (required), rejects.parquet and cleaning_summary.json (optional)."""
    from p3k_study.reports.preload import take

    if (preloaded := take(folder)) is not None:  # in a forked report: read by its worker
        return preloaded
    folder = Path(folder)
    panel_path = folder / "panel.parquet"
    if not panel_path.is_file():
        raise FileNotFoundError(f"{panel_path}: no processed panel (run `p3k-study prepare`)")
    panel = pd.read_parquet(panel_path)
    for column in ("kode_pemda", "kode_provinsi", "unit_id", "period"):
        panel[column] = panel[column].astype(str)
    rejects_path = folder / "rejects.parquet"
    rejects = pd.read_parquet(rejects_path) if rejects_path.is_file() else pd.DataFrame()
    summary_path = folder / "cleaning_summary.json"
    summary = (json.loads(summary_path.read_text(encoding="utf-8"))
               if summary_path.is_file() else {})
    return Processed(folder, panel, rejects, summary, sha256_file(panel_path))


def list_regions(panel: pd.DataFrame, level: str = "pemda") -> pd.DataFrame:
    """Regions in the panel: columns region, name, kode_provinsi, nama_provinsi (sorted)."""
    if level == "pemda":
        out = panel[["kode_pemda", "nama_pemda", "kode_provinsi", "nama_provinsi"]]
        out = out.drop_duplicates("kode_pemda").set_axis(
            ["region", "name", "kode_provinsi", "nama_provinsi"], axis=1)
    elif level == "province":
        out = panel[["kode_provinsi", "nama_provinsi"]].drop_duplicates("kode_provinsi")
        out = out.assign(region=out["kode_provinsi"], name=out["nama_provinsi"])
    else:
        raise ValueError(f"level must be 'pemda' or 'province', not {level!r}")
    out = out[["region", "name", "kode_provinsi", "nama_provinsi"]].astype(str)
    return out.sort_values("region", ignore_index=True)


# ---------------------------------------------------------------- tidy frames


def function_labels(lang: str) -> dict[str, str]:
    """Canonical function -> its label in `lang`."""
    from p3k_study.reference.units import unit_functions

    table = unit_functions()
    labels = dict(zip(table["function"], table[f"label_{check_lang(lang)}"], strict=True))
    labels["unmatched"] = "tidak dikenali" if lang == "id" else "not recognised"
    return labels


UNIT_ACRONYMS = frozenset((
    "ASN", "BKD", "BKPP", "BKPSDM", "BLUD", "BPBD", "BPBJ", "BPKAD", "BPKD", "BUMD", "DLH",
    "DP3A", "DP3AKB", "DP3AP2KB", "DPMD", "DPMPTSP", "DPRD", "DPUPR", "KB", "KPU", "KUA", "MA",
    "MAN", "MI", "MTS", "MTSN", "OPD", "P3K", "PAUD", "PDAM", "PKK", "PKM", "PMD", "PNS", "PP",
    "PPPK", "PTSP", "PU", "PUPR", "RS", "RSIA", "RSJ", "RSU", "RSUD", "RT", "RW", "SD", "SDM",
    "SDN", "SKPD", "SLB", "SMA", "SMAN", "SMK", "SMKN", "SMP", "SMPN", "TIK", "TK", "UKM",
    "UMKM", "UPT", "UPTD"))
"""Words a unit name shows in capitals whatever the source wrote ('Rsud' -> 'RSUD')."""
UNIT_SMALL_WORDS = frozenset(("dan", "di", "ke", "dari", "pada", "untuk", "serta", "atau",
                              "yang", "dengan", "dalam", "bagi", "oleh"))
"""Words a unit name shows in lower case, except as its first word."""
_NAME_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_ROMAN = re.compile(r"[IVX]+")


def unit_display_name(name: object) -> str:
    """A unit name as reports show it, in one case whatever the source file used: each word
    capitalised ('DINAS KESEHATAN' -> 'Dinas Kesehatan'), `UNIT_SMALL_WORDS` lower case
    ('dan', 'di'), `UNIT_ACRONYMS`, roman numerals and words mixing letters and digits
    ('P3K') in capitals ('UPTD Puskesmas', 'SMP/SMA'); in a name that is not all capitals, a
    word the source wrote in capitals stays so (it is an acronym: 'Dinas Koperasi, UKM dan
    IKM'). Spacing is collapsed; the data keeps the raw name."""
    if is_missing(name):
        return MISSING
    text = " ".join(str(name).split())
    all_caps = text == text.upper()
    first = True

    def word(match: re.Match[str]) -> str:
        nonlocal first
        part, upper, lower = match.group(0), match.group(0).upper(), match.group(0).lower()
        at_start, first = first, False
        if (upper in UNIT_ACRONYMS or (_ROMAN.fullmatch(upper) and len(upper) > 1)
                or (any(c.isdigit() for c in part) and any(c.isalpha() for c in part))):
            return upper
        if not all_caps and len(part) > 1 and part == upper and part != lower:
            return part
        if lower in UNIT_SMALL_WORDS and not at_start:
            return lower
        return lower[:1].upper() + lower[1:]

    return _NAME_WORD.sub(word, text)


def region_units(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per unit at its last period: names, function, staff, share, cohort, IKM."""
    last = rows.sort_values("period_index").groupby("unit_id", observed=True).tail(1)
    return last.sort_values(["unit_function", "unit_name"], ignore_index=True)


def composition(rows: pd.DataFrame) -> pd.DataFrame:
    """Staff by status per period: columns period, period_index, status, n (status = column)."""
    sums = rows.groupby(["period_index", "period"], observed=True)[list(STATUS_COLUMNS)].sum()
    long = sums.reset_index().melt(id_vars=["period_index", "period"], var_name="status",
                                   value_name="n")
    return long.sort_values(["period_index", "status"], ignore_index=True)


def p3k_share_by_period(rows: pd.DataFrame) -> pd.DataFrame:
    """Staff-weighted P3K share per period: columns period, period_index, share."""
    sums = rows.groupby(["period_index", "period"], observed=True)[
        ["n_p3k", "n_p3k_part_time", "n_staff"]].sum().reset_index()
    share = (sums["n_p3k"] + sums["n_p3k_part_time"]) / sums["n_staff"].where(sums["n_staff"] > 0)
    return sums.assign(share=share)[["period", "period_index", "share"]]


def adoption(panel: pd.DataFrame, scopes: dict[str, pd.Series]) -> pd.DataFrame:
    """Share of units already treated per period for each scope (name -> boolean row mask)."""
    # grouped by the integer period index alone, on the one column averaged, and labelled after:
    # the same means (the same rows, summed in the same order), without copying the national
    # panel for each scope (0.095 -> 0.03 s CPU in each national report)
    index = panel["period_index"]
    first = ~index.duplicated()
    label = pd.Series(panel["period"][first].to_numpy(), index=index[first].to_numpy())
    treated = panel["treated"]
    frames = []
    for scope, mask in scopes.items():
        share = treated[mask].groupby(index[mask]).mean()
        frames.append(pd.DataFrame({"period_index": share.index.to_numpy(),
                                    "period": label.reindex(share.index).to_numpy(),
                                    "share": share.to_numpy(), "scope": scope}))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["scope", "period_index"], ignore_index=True)


def group_trends(rows: pd.DataFrame, outcome: str = "ikm") -> pd.DataFrame:
    """Mean outcome per period for units that ever / never hired P3K (within `rows`)."""
    ever = rows.groupby("unit_id", observed=True)["treated"].transform("max") > 0
    table = (rows.assign(ever=ever).dropna(subset=[outcome])
             .groupby(["period_index", "period", "ever"], observed=True)[outcome]
             .agg(mean="mean", n_units="count").reset_index())
    return table.sort_values(["ever", "period_index"], ignore_index=True)


def ikm_ranking(rows: pd.DataFrame, outcome: str = "ikm", k: int = K_MIN) -> pd.DataFrame:
    """IKM change per unit from its first to its last period with >= k respondents (or a
    published IKM without a count).

    Columns unit_id, unit_name, unit_function, ever_treated, cohort, first_period, first,
    last_period, last, change (NaN when fewer than two usable periods); sorted by change,
    largest first.
    """
    usable = rows.dropna(subset=[outcome])
    # a published IKM without a respondent count is public already: keep it
    enough = usable["respondents"].isna() | (usable["respondents"].fillna(0) >= k)
    usable = usable[enough.astype(bool)].sort_values("period_index")
    units = region_units(rows)[["unit_id", "unit_name", "unit_function", "cohort"]]
    units["ever_treated"] = rows.groupby("unit_id", observed=True)["treated"].max().reindex(
        units["unit_id"]).to_numpy() > 0
    grouped = usable.groupby("unit_id", observed=True)
    ends = pd.DataFrame({
        "first_period": grouped["period"].first(), "first": grouped[outcome].first(),
        "last_period": grouped["period"].last(), "last": grouped[outcome].last(),
        "n_periods": grouped[outcome].count(),
    })
    table = units.merge(ends, left_on="unit_id", right_index=True, how="left")
    table["change"] = (table["last"] - table["first"]).where(table["n_periods"] >= 2)
    return table.sort_values(["change", "unit_name"], ascending=[False, True],
                             na_position="last", ignore_index=True)


def _reject_codes(rejects: pd.DataFrame) -> pd.Series:
    """The ledger's `kode_pemda` as stripped strings ('' where the row has no region)."""
    return rejects["kode_pemda"].astype("string").fillna("").str.strip()


def rejects_for_region(rejects: pd.DataFrame, region: str,
                       level: str = "pemda") -> tuple[pd.DataFrame, bool]:
    """Rejected rows of the region and whether the ledger could be filtered by region.

    The ledger is filtered on its `kode_pemda` column when it has one (a province takes its own
    code and its kabupaten/kota 'PP.KK'); otherwise the whole ledger is returned with False.
    """
    if rejects.empty or "kode_pemda" not in rejects.columns:
        return rejects, rejects.empty
    codes = _reject_codes(rejects)
    mask = codes == region
    if level != "pemda":
        mask |= codes.str.startswith(f"{region}.")
    return rejects[mask.to_numpy(dtype=bool)], True


def unattributed_rejects(rejects: pd.DataFrame) -> int:
    """Rows of a ledger with a `kode_pemda` column that carry no region (0 without the column)."""
    if rejects.empty or "kode_pemda" not in rejects.columns:
        return 0
    return int((_reject_codes(rejects) == "").sum())


REASON_KINDS: tuple[tuple[str, str], ...] = (
    ("duplicate", r"^duplicate of row [0-9]+"),
    ("not_data", r"^(repeated header row|row of column numbers|empty row but for its number"
                 r"|one cell filled)"
                 r"|characters long \(more than"),
    ("summary_row", r"^summary row"),
    ("excel_error", r"^Excel error cell"),
    ("missing_value", r"^missing required value"),
    ("region_unresolved", r"^region not resolved"),
    ("nip_damaged", r"^NIP damaged by"),
    ("nip_status", r"^NIP is a (PNS|PPPK) number but status is"),
    ("nip_invalid", r"^NIP "),
    ("after_reference", r"after the reference date"),
    ("period_too_coarse", r"^(period coarser than|year-only period)"),
    ("bad_date", r"^(impossible date|unrecognised date|implausible year|unrecognised period"
                 r"|ambiguous period|a school year's semester|a year, not a date)"),
    ("inconsistent_dates", r"^(TMT before age|end date before TMT)"),
    ("out_of_range",
     r" outside |^negative |^below | is not a whole number| or not whole|^implausible (?!year)"
     r"|^a fifth answer"),
    ("not_a_number", r"^(not a number|ambiguous number|dash placeholder)"),
    ("bad_category", r"^(not a category|not a SAKIP grade|unknown regulation)"),
    ("skp_shares", r"^SKP shares"),
    ("no_outcome", r"^no outcome value"),
)
"""How a ledger reason (plain English, written by the cleaners in p3k_study.clean and
p3k_study.read) maps to a kind: the first pattern that matches (re.search) wins; a reason no
pattern matches is of kind 'other' and is shown as written. Each kind has the phrase
`reason_<kind>` in text.py. 'duplicate of row 12 in f.csv (same unit and period)' and
'duplicate of row 40' are one kind, so a report lists duplicates once, not once per row."""
OTHER_REASON = "other"
_REASON_PATTERNS = [(kind, re.compile(pattern)) for kind, pattern in REASON_KINDS]


def reason_kind(reason: object) -> str:
    """The kind of one ledger reason (see `REASON_KINDS`); 'other' when no pattern matches."""
    text = "" if is_missing(reason) else str(reason)
    return next((kind for kind, pattern in _REASON_PATTERNS if pattern.search(text)),
                OTHER_REASON)


def reason_kinds(reasons: pd.Series) -> pd.Series:
    """`reason_kind` of every row (worked out once per distinct reason)."""
    codes, uniques = pd.factorize(reasons.astype("string"), use_na_sentinel=True)
    kinds = np.array([reason_kind(r) for r in uniques] + [OTHER_REASON], dtype=object)
    return pd.Series(kinds[codes], index=reasons.index, dtype=object)


def reason_phrase(kind: str, reason: object, lang: str) -> str:
    """A reason kind in words in `lang`; an 'other' reason as the ledger wrote it."""
    if kind == OTHER_REASON:
        return t("reason_other", lang, reason=MISSING if is_missing(reason) else str(reason))
    return t(f"reason_{kind}", lang)


def rejects_by_reason(rejects: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Counts of rejected rows by kind of reason (`REASON_KINDS`), with the columns at fault and
    one example file: columns kind, reason (the kind in words in `lang`; a reason of kind
    'other' as the ledger wrote it), column (the columns named by its rows, most rows first,
    comma-separated; empty for whole-row reasons such as duplicates), rows, example_file (the
    first in ledger order); most rows first."""
    columns = ["kind", "reason", "column", "rows", "example_file"]
    if rejects.empty:
        return pd.DataFrame(columns=columns)
    kinds = reason_kinds(rejects["reason"])
    detail = rejects["reason"].astype(object).where((kinds == OTHER_REASON).to_numpy(), "")
    column = (rejects["column"].astype("string").fillna("") if "column" in rejects.columns
              else pd.Series("", index=rejects.index, dtype="string"))
    frame = pd.DataFrame({"kind": kinds, "detail": detail.fillna("").astype(str),
                          "column": column.astype(str),
                          "source_file": rejects["source_file"].astype(str)})
    keys = ["kind", "detail"]
    table = (frame.groupby(keys, sort=False)
             .agg(rows=("kind", "size"), example_file=("source_file", "first")).reset_index())
    named = frame[frame["column"] != ""].groupby([*keys, "column"], sort=False).size()
    named = named.rename("n").reset_index().sort_values([*keys, "n", "column"],
                                                        ascending=[True, True, False, True])
    listed = named.groupby(keys, sort=False)["column"].agg(", ".join)
    table["column"] = [listed.get((k, d), "") for k, d in zip(table["kind"], table["detail"],
                                                               strict=True)]
    table["reason"] = [reason_phrase(k, d, lang) for k, d in zip(table["kind"], table["detail"],
                                                                   strict=True)]
    table = table.sort_values(["rows", "reason"], ascending=[False, True], ignore_index=True)
    return table[columns]


# ---------------------------------------------------------------- formatting and HTML


def suppressed(k: int) -> str:
    """What a table shows instead of a count from 1 to k-1."""
    return f"<{k}"


def suppressed_share(k: int) -> str:
    """What a table shows instead of a share that reveals a count from 1 to k-1: not '<k',
    which under a percentage heading reads as 'below k%'."""
    return f"n<{k}"


def suppress_count(value: object, lang: str, k: int = K_MIN) -> str:
    """A count for a table: '<k' for 1..k-1, formatted otherwise (0 is shown)."""
    if is_missing(value):
        return MISSING
    if 0 < int(value) < k:  # type: ignore[call-overload]
        return suppressed(k)
    return fmt_int(value, lang)


def esc(value: object) -> str:
    """HTML-escape any value's text (quotes included)."""
    return html.escape(str(value), quote=True)


def table_html(frame: pd.DataFrame, numeric: tuple[str, ...] = (),
               nowrap: tuple[str, ...] = ()) -> str:
    """An escaped HTML table of display strings (missing cells show MISSING). `numeric`
    columns align right, header and cells; `numeric` and `nowrap` cells never break (a period
    label such as 2024-S1 would wrap at its hyphen in a narrow column)."""
    def css(column: object) -> str:
        names = (["num"] if column in numeric else []) + (
            ["nowrap"] if column in nowrap else [])
        return f' class="{" ".join(names)}"' if names else ""

    def text(value: object) -> str:  # element content: quotes need no escaping
        return html.escape(str(MISSING if is_missing(value) else value), quote=False)

    classes = [css(c) for c in frame.columns]
    head = "".join(f"<th{k}>{text(c)}</th>" for c, k in zip(frame.columns, classes, strict=True))
    rows = "\n".join(
        "<tr>" + "".join(f"<td{k}>{text(v)}</td>"
                         for v, k in zip(values, classes, strict=True)) + "</tr>"
        for values in frame.itertuples(index=False, name=None))
    return (f'<table class="p3k-table">\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{rows}\n</tbody>\n</table>")


def block(*parts: str) -> Any:
    """IPython HTML of pre-escaped parts (imported lazily: the batch runner does not need it)."""
    from IPython.display import HTML

    return HTML("\n".join(parts))


def heading(text: str, level: int = 2) -> str:
    return f"<h{level}>{esc(text)}</h{level}>"


def paragraph(text: str, css: str | None = None) -> str:
    cls = f' class="{css}"' if css else ""
    return f"<p{cls}>{esc(text)}</p>"


def setup_notebook(seed: int, quiet: bool = True, figures: str = "png") -> None:
    """Reproducible notebook defaults: seeds and inline figures in format `figures` ('png' or
    'svg', reproducible byte for byte: `plots.print_options`, `plots.svg_rc`); `quiet` hides
    warnings (a report shows none; an analysis notebook should keep them)."""
    if figures not in ("png", "svg"):
        raise ValueError(f"figures must be 'png' or 'svg', not {figures!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if quiet:
        warnings.filterwarnings("ignore")
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # outside IPython
        pass
    else:
        import matplotlib

        matplotlib.rcParams.update(plots.svg_rc())
        set_matplotlib_formats(figures, **plots.print_options(figures))
    pd.set_option("display.max_colwidth", 200)


# ---------------------------------------------------------------- estimates


@dataclass(frozen=True)
class ReportResult:
    """What a report estimates: the region's analysis, the national headline (same estimator,
    clustered by pemda) and, for synthetic data, the true value of the region's headline."""

    region: analysis.RegionAnalysis
    national: analysis.Estimate
    truth: float | None = None


def national_headline(processed_dir: str | Path, *, outcome: str = "ikm",
                      treatment: str = "treated", period_from: str | None = None,
                      period_to: str | None = None,
                      min_treated: int = analysis.MIN_TREATED) -> analysis.Estimate:
    """The national headline (the regional estimator on every unit, clustered by pemda): the
    batch estimates it once and hands it to every report as the `national` parameter."""
    panel = load_processed(processed_dir).panel
    return analysis.national_analysis(panel, outcome=outcome, treatment=treatment,
                                      period_from=period_from, period_to=period_to,
                                      min_treated=min_treated).headline


def region_truth(path: str | Path) -> dict[str, float]:
    """region -> att_true of a simulator's truth_regions.csv (`simulate.truth_regions`)."""
    table = pd.read_csv(path, dtype={"region": str})
    return {str(r): float(v) for r, v in zip(table["region"], table["att_true"], strict=True)
            if np.isfinite(v)}


# ---------------------------------------------------------------- the report


@dataclass
class RegionReport:
    """One region's report: its rows, parameters and the HTML/figure of every section."""

    data: Processed
    region: str
    name: str
    level: str
    province_code: str
    province_name: str
    lang: str
    outcome: str
    treatment: str
    period_from: str | None
    period_to: str | None
    synthetic: bool
    seed: int
    rows: pd.DataFrame = field(repr=False)
    parameters: dict[str, Any] = field(default_factory=dict)
    k_min: int = K_MIN
    min_treated: int = analysis.MIN_TREATED
    national: dict[str, Any] | None = None  # the national headline, estimated by the batch
    att_true: float | None = None  # synthetic data: the true value of the region's headline

    @classmethod
    def load(cls, processed_dir: str | Path, region: str, *, level: str = "pemda",
             lang: str = "id", outcome: str = "ikm", treatment: str = "treated",
             period_from: str | None = None, period_to: str | None = None,
             synthetic: bool = False, seed: int = 0, k_min: int = K_MIN,
             min_treated: int = analysis.MIN_TREATED, national: dict[str, Any] | None = None,
             att_true: float | None = None) -> RegionReport:
        """Read the processed folder and select the region (UnknownRegion if it is absent).

        k_min: counts from 1 to k_min - 1 (staff, respondents) are shown as suppressed.
        min_treated: estimates resting on fewer treated units are not reported.
        national: the national headline as `Estimate.to_dict()` gives it (the batch estimates it
        once, `national_headline`); None estimates it here.
        att_true: synthetic data: the true value of the region's headline (`region_truth`)."""
        if not isinstance(region, str):
            raise TypeError(f"region must be a string code like '32.01', not {region!r}")
        for name, value in (("k_min", k_min), ("min_treated", min_treated)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
        check_lang(lang)
        data = load_processed(processed_dir)
        for column in (outcome, treatment):
            if column not in data.panel.columns:
                raise KeyError(f"column {column!r} is not in panel.parquet")
        regions = list_regions(data.panel, level)
        match = regions[regions["region"] == region]
        if match.empty:
            raise UnknownRegion(
                f"region {region!r} ({level}) is not in {data.folder / 'panel.parquet'}")
        info = match.iloc[0]
        rows = analysis.restrict_periods(analysis.region_rows(data.panel, region, level),
                                         period_from, period_to)
        parameters = dict(processed_dir=str(processed_dir), region=region, level=level,
                          lang=lang, outcome=outcome, period_from=period_from,
                          period_to=period_to, treatment=treatment, synthetic=synthetic,
                          seed=seed, k_min=k_min, min_treated=min_treated)
        return cls(data=data, region=region, name=str(info["name"]), level=level,
                   province_code=str(info["kode_provinsi"]),
                   province_name=str(info["nama_provinsi"]), lang=lang, outcome=outcome,
                   treatment=treatment, period_from=period_from, period_to=period_to,
                   synthetic=bool(synthetic or data.cleaning_summary.get("synthetic", False)),
                   seed=seed, rows=rows, parameters=parameters, k_min=k_min,
                   min_treated=min_treated, national=national, att_true=att_true)

    # -- helpers
    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)

    def num(self, value: object, decimals: int = 1) -> str:
        return fmt_number(value, self.lang, decimals)

    def _count(self, value: object) -> str:
        return suppress_count(value, self.lang, self.k_min)

    def _share(self, n_p3k: object, share: object) -> str:
        """The P3K share, suppressed with the P3K count it reveals."""
        if not is_missing(n_p3k) and 0 < n_p3k < self.k_min:  # type: ignore[operator]
            return suppressed_share(self.k_min)
        return fmt_pct(share, self.lang)

    def _suppression_note(self, shares: bool = False) -> Any:
        """Which cells are suppressed and how they read; with `shares`, the P3K shares too."""
        if self.k_min <= 1:
            return paragraph(self.t("no_suppression"), "p3k-note")
        note = self.t("suppression_note", k=self.k_min, below=self.k_min - 1)
        if shares:
            note += " " + self.t("share_suppression_note", share=suppressed_share(self.k_min),
                                  k=self.k_min)
        return paragraph(note, "p3k-note")

    def _periods(self) -> tuple[str, str]:
        ordered = self.rows.sort_values("period_index")["period"]
        return (str(ordered.iloc[0]), str(ordered.iloc[-1])) if len(ordered) else (MISSING,) * 2

    # -- sections
    def header(self, result: ReportResult | None = None) -> Any:
        """Title, subtitle, (for synthetic data) a banner nobody can miss, and the headline in
        plain words (`plain_summary`) when `result` is given."""
        level_label = self.t(f"level_{self.level}")
        parts = [CSS, heading(self.t("title", name=self.name), 1),
                 paragraph(self.t("subtitle", code=self.region, level_label=level_label,
                                  province=self.province_name), "p3k-note")]
        if self.synthetic:
            parts.insert(1, f'<div class="p3k-banner" role="alert">'
                            f"{esc(self.t('synthetic_banner'))}</div>")
        if result is not None:
            parts.append(f'<div class="p3k-summary">{esc(self.plain_summary(result))}</div>')
        return block(*parts)

    def units_section(self) -> Any:
        """The region's units, their function, staff at the last period and first P3K."""
        units = region_units(self.rows)
        labels = function_labels(self.lang)
        n_treated = int((self.rows.groupby("unit_id", observed=True)["treated"].max() > 0).sum())
        first, last = self._periods()
        p3k = units["n_p3k"] + units["n_p3k_part_time"]
        table = pd.DataFrame({
            self.t("col_unit"): units["unit_name"].map(unit_display_name),
            self.t("col_function"): units["unit_function"].map(labels).fillna(
                units["unit_function"]).astype(str),
            **{self.t(key): units[col].map(self._count) for col, key in STATUS_COLUMNS.items()},
            self.t("col_staff"): units["n_staff"].map(self._count),
            self.t("col_share"): [
                self._share(n, s) for n, s in zip(p3k, units["p3k_share"], strict=True)],
            self.t("col_first_p3k"): [
                self.t("never") if is_missing(c) or c == 0 else _period_of(self.data.panel, c)
                for c in units["cohort"]],
        })
        numeric = tuple(self.t(k) for k in (*STATUS_COLUMNS.values(), "col_staff", "col_share"))
        return block(heading(self.t("sec_units")),
                     paragraph(self.t("units_intro", n_units=len(units), n_treated=n_treated,
                                      period_from=first, period_to=last)),
                     table_html(table, numeric, nowrap=(self.t("col_first_p3k"),)),
                     self._suppression_note(shares=True))

    def staff_section(self) -> Any:
        return block(heading(self.t("sec_staff")), paragraph(self.t("staff_intro")))

    def staff_figure(self) -> Any:
        """Staff by status over time and the P3K share (`plots.staff_composition`)."""
        counts = composition(self.rows)
        counts["status"] = counts["status"].map(lambda c: self.t(STATUS_COLUMNS[c]))
        return plots.staff_composition(
            counts, p3k_share_by_period(self.rows),
            labels={"x": self.t("axis_period"), "y_staff": self.t("axis_staff"),
                    "y_share": self.t("axis_share"), "legend": self.t("legend_status")})

    def adoption_table(self) -> pd.DataFrame:
        """Share of units with P3K per period in this region, its province and the nation."""
        panel = self.data.panel  # read only here: no copy of the national panel without bounds
        if self.period_from is not None or self.period_to is not None:
            panel = analysis.restrict_periods(panel, self.period_from, self.period_to)
        region_mask = (panel["kode_pemda"] if self.level == "pemda"
                       else panel["kode_provinsi"]) == self.region
        scopes = {self.t("scope_region"): region_mask}
        if self.level == "pemda":
            scopes[self.t("scope_province")] = panel["kode_provinsi"] == self.province_code
        scopes[self.t("scope_nation")] = pd.Series(True, index=panel.index)
        return adoption(panel, scopes)

    def adoption_section(self) -> Any:
        others = self.t(f"adoption_others_{self.level}")
        return block(heading(self.t("sec_adoption")),
                     paragraph(self.t("adoption_intro", others=others)))

    def adoption_figure(self) -> Any:
        return plots.adoption_comparison(
            self.adoption_table(),
            labels={"x": self.t("axis_period"), "y": self.t("axis_units_with_p3k"),
                    "legend": self.t("legend_scope")})

    def trends_section(self) -> Any:
        return block(heading(self.t("sec_trends")), paragraph(self.t("trends_intro")))

    def trends_figure(self) -> Any:
        trends = group_trends(self.rows, self.outcome)
        trends["group"] = trends["ever"].map(
            {True: self.t("group_with"), False: self.t("group_without")})
        return plots.group_trends(trends, labels={"x": self.t("axis_period"),
                                                  "y": self.t("axis_ikm"),
                                                  "legend": self.t("legend_group")})

    def analyse(self) -> ReportResult:
        """The region's headline, profile and TWFE comparison, the national headline (from
        `national_file` when the batch wrote one) and, for synthetic data, the true value."""
        region = analysis.region_analysis(
            self.data.panel, self.region, level=self.level, outcome=self.outcome,
            treatment=self.treatment, period_from=self.period_from, period_to=self.period_to,
            min_treated=self.min_treated)
        if self.national is not None:
            national = analysis.Estimate.from_dict(self.national)
        else:
            national = analysis.national_analysis(
                self.data.panel, outcome=self.outcome, treatment=self.treatment,
                period_from=self.period_from, period_to=self.period_to,
                min_treated=self.min_treated).headline
        return ReportResult(region, national, self.att_true)

    def _reason(self, est: analysis.Estimate) -> str:
        key = f"why_{est.note}"
        if key in PHRASES:
            return self.t(key, n_treated=est.n_treated, min_treated=est.min_treated)
        return str(est.note)

    def _interval(self, est: analysis.Estimate) -> dict[str, str]:
        return {"estimate": fmt_signed(est.estimate, self.lang, 2),
                "ci_low": fmt_signed(est.ci_low, self.lang, 2),
                "ci_high": fmt_signed(est.ci_high, self.lang, 2)}

    def plain_summary(self, result: ReportResult) -> str:
        """The headline in one plain sentence: up, down, or 'the data cannot tell' (when the
        interval covers zero or there is no estimate)."""
        est = result.region.headline
        if not est.available:
            return self.t("summary_none", reason=self._reason(est))
        if est.covers_zero:
            return self.t("summary_unclear", **self._interval(est))
        values = {**self._interval(est), "estimate": self.num(abs(est.estimate), 2)}
        return self.t("summary_up" if est.estimate > 0 else "summary_down", **values)

    def estimate_section(self, result: ReportResult) -> Any:
        """The estimand in words, the headline with its interval (or why there is none), the
        true value for synthetic data, the method, and what was left out."""
        est = result.region.headline
        parts = [heading(self.t("sec_estimate")), paragraph(self.t("estimand"))]
        if est.available:
            parts.append(paragraph(self.t(
                "headline_sentence", **self._interval(est),
                n_treated=fmt_int(est.n_treated, self.lang),
                n_obs=fmt_int(est.n_obs, self.lang), n_units=fmt_int(est.n_units, self.lang),
                n_comparison=fmt_int(est.n_comparison, self.lang))))
        else:
            parts.append(f'<div class="p3k-warning" role="alert">'
                         f'{esc(self.t("no_headline", reason=self._reason(est)))}</div>')
        if self.synthetic and result.truth is not None and np.isfinite(result.truth):
            parts.append(paragraph(self.t("truth_sentence",
                                          truth=fmt_signed(result.truth, self.lang, 2))))
        parts.append(paragraph(self.t("method_headline", df=est.df or MISSING,
                                      min_treated=est.min_treated), "p3k-note"))
        left = self._left_out(result.region.left_out, est.min_treated)
        if left:
            parts.append(paragraph(self.t("left_out_intro"), "p3k-note")
                         + "<ul class=\"p3k-note\">" + "".join(f"<li>{esc(x)}</li>" for x in left)
                         + "</ul>")
        return block(*parts)

    def _left_out(self, left: pd.DataFrame, k: int) -> list[str]:
        out = []
        for row in left.itertuples(index=False):
            e = "" if is_missing(row.event_time) else abs(int(row.event_time))
            if row.what == "event_time":
                out.append(self.t("left_out_event_time", e=e, n=row.n_units, k=k))
            elif row.what == "lead":
                key = "left_out_lead" if row.reason == "min_treated" else "left_out_lead_identified"
                out.append(self.t(key, e=e, n=row.n_units, k=k))
            elif row.what == "observations":
                key = ("left_out_min_comparison" if row.reason == "min_comparison"
                       else "left_out_observations")
                out.append(self.t(key, n=row.n_units, n_obs=fmt_int(row.n_obs, self.lang),
                                  k=analysis.MIN_COMPARISON))
        return out

    def profile_section(self, result: ReportResult) -> Any:
        intro = "profile_intro" if len(result.region.profile) else "profile_none"
        return block(heading(self.t("sec_profile")), paragraph(self.t(intro)))

    def profile_figure(self, result: ReportResult) -> Any:
        """The event-time profile with its simultaneous band (pre-periods included)."""
        profile = result.region.profile
        if profile.empty:
            return None
        return plots.event_profile(profile, labels={
            "x": self.t("axis_event_time"), "y": self.t("axis_effect_ikm"),
            "pre": self.t("legend_pre"), "post": self.t("legend_post"),
            "band": self.t("legend_band")})

    def comparison_section(self, result: ReportResult) -> Any:
        """TWFE, labelled as a comparison, with its negative-weight share and why it differs."""
        twfe = result.region.twfe
        est = twfe.estimate
        parts = [heading(self.t("sec_comparison"))]
        if self.treatment == analysis.DOSE and result.region.dose is not None:
            parts = [heading(self.t("sec_comparison_dose")),
                     paragraph(self._dose_sentence(result.region.dose))]
        if not est.available:
            reason = (self._reason(est) if f"why_{est.note}" in PHRASES
                      else self.t("why_not_fitted"))
            parts.append(paragraph(self.t("comparison_missing", reason=reason)))
            return block(*parts)
        parts.append(paragraph(self.t(
            "comparison_sentence", outcome=self.outcome.upper(),
            treatment_label=self.t(f"treatment_{self.treatment}"), **self._interval(est))))
        if np.isfinite(twfe.negative_share):
            parts.append(paragraph(self.t("comparison_weights",
                                          share=fmt_pct(twfe.negative_share, self.lang))))
        headline = result.region.headline
        if (self.treatment == "treated" and headline.available
                and est.estimate < headline.estimate):
            parts.append(paragraph(self.t("comparison_why")))
        return block(*parts)

    def _dose_sentence(self, dose: analysis.DoseResponse) -> str:
        """cont_did's ATT^o and ACRT^o for the P3K share, or why there are none."""
        att, acrt = dose.att, dose.acrt
        if not (att.available and acrt.available):
            est = att if not att.available else acrt
            reason = (self._reason(est) if f"why_{est.note}" in PHRASES
                      else self.t("why_not_fitted") + f" ({est.note})")
            return self.t("dose_missing", reason=reason)
        other = self._interval(acrt)
        return self.t("dose_sentence", outcome=self.outcome.upper(), **self._interval(att),
                      acrt=other["estimate"], acrt_low=other["ci_low"],
                      acrt_high=other["ci_high"], n_treated=fmt_int(att.n_treated, self.lang))

    def national_section(self, result: ReportResult) -> Any:
        est = result.national
        text = (self.t("national_sentence", **self._interval(est),
                       n_clusters=fmt_int((est.df or 0) + 1, self.lang),
                       n_treated=fmt_int(est.n_treated, self.lang)) if est.available
                else self.t("no_headline", reason=self._reason(est)))
        return block(heading(self.t("sec_national")), paragraph(text))

    def ranking_section(self) -> Any:
        """Units ranked by IKM change (first to last period with >= k_min respondents)."""
        ranking = ikm_ranking(self.rows, self.outcome, k=self.k_min)
        labels = function_labels(self.lang)
        table = pd.DataFrame({
            "#": range(1, len(ranking) + 1),
            self.t("col_unit"): ranking["unit_name"].map(unit_display_name),
            self.t("col_function"): ranking["unit_function"].map(labels).fillna(
                ranking["unit_function"]).astype(str),
            self.t("col_has_p3k"): ranking["ever_treated"].map(
                {True: self.t("yes"), False: self.t("no")}),
            self.t("col_ikm_first"): [
                f"{self.num(v, 1)} ({p})" if isinstance(p, str) else MISSING
                for v, p in zip(ranking["first"], ranking["first_period"], strict=True)],
            self.t("col_ikm_last"): [
                f"{self.num(v, 1)} ({p})" if isinstance(p, str) else MISSING
                for v, p in zip(ranking["last"], ranking["last_period"], strict=True)],
            self.t("col_ikm_change"): ranking["change"].map(
                lambda v: fmt_signed(v, self.lang, 1)),
        })
        numeric = (self.t("col_ikm_first"), self.t("col_ikm_last"), self.t("col_ikm_change"))
        intro = paragraph(self.t("ranking_intro", k=self.k_min))
        return block(heading(self.t("sec_ranking")), intro,
                     table_html(table, numeric),
                     self._suppression_note())

    def quality_section(self) -> Any:
        """Rejected rows for this region by kind of reason in the report's language (see
        `REASON_KINDS`), beside the dataset-wide count (raw values are never shown: they may
        hold personal data such as NIP).

        Without a `kode_pemda` column in the ledger the whole ledger is shown, with a note."""
        ledger = self.data.rejects
        rejects, by_region = rejects_for_region(ledger, self.region, self.level)
        parts = [heading(self.t("sec_quality"))]
        total = fmt_int(len(ledger), self.lang)
        if ledger.empty:
            parts.append(paragraph(self.t("no_quality_notes")))
            return block(*parts)
        if not by_region:
            parts += [paragraph(self.t("quality_no_region_column"), "p3k-note"),
                      paragraph(self.t("quality_intro_dataset", n=total))]
        elif rejects.empty:
            parts.append(paragraph(self.t("no_quality_notes_region", total=total)))
        else:
            parts.append(paragraph(self.t("quality_intro", n=fmt_int(len(rejects), self.lang),
                                          total=total)))
        if not rejects.empty:
            table = rejects_by_reason(rejects, self.lang)
            shown = pd.DataFrame({
                self.t("col_reason"): table["reason"].astype(str),
                self.t("col_column"): table["column"].astype(str),
                self.t("col_rows"): table["rows"].map(lambda v: fmt_int(v, self.lang)),
                self.t("col_example"): table["example_file"].astype(str),
            })
            parts.append(table_html(shown, (self.t("col_rows"),)))
        if by_region and (unattributed := unattributed_rejects(ledger)):
            parts.append(paragraph(self.t("quality_unattributed",
                                          n=fmt_int(unattributed, self.lang)), "p3k-note"))
        return block(*parts)

    def summary(self, result: ReportResult) -> dict[str, Any]:
        """The key numbers of this report (what the batch index and estimates table show)."""
        est, national = result.region.headline, result.national
        return {
            "region": self.region, "name": self.name, "level": self.level,
            "kode_provinsi": self.province_code, "nama_provinsi": self.province_name,
            "lang": self.lang, "outcome": self.outcome, "treatment": self.treatment,
            "synthetic": self.synthetic, "n_units": est.n_units, "n_treated": est.n_treated,
            "n_comparison": est.n_comparison, "too_few": est.too_few,
            "estimate": est.to_dict(), "national": national.to_dict(),
            "twfe": result.region.twfe.to_dict(), "summary_text": self.plain_summary(result),
            "att_true": (None if result.truth is None or not np.isfinite(result.truth)
                         else result.truth),
            "parameters": self.shown_parameters(), "panel_sha256": self.data.panel_sha256,
            "package_version": __version__, "python_version": sys.version.split()[0],
            "python_venv": sys.prefix != sys.base_prefix,
        }

    def write_summary(self, result: ReportResult, path: str | Path = SUMMARY_FILE) -> Path:
        """Write the summary json (next to the executed notebook by default), atomically."""
        from p3k_study.reports.files import atomic_write_text

        text = json.dumps(self.summary(result), indent=2, sort_keys=True,
                          ensure_ascii=False, allow_nan=False)
        return atomic_write_text(Path(path), text + "\n")

    def shown_parameters(self) -> dict[str, Any]:
        """The report's parameters as shown and summarised: every absolute path among them
        (`processed_dir`, which the batch passes absolute) as `shown_path` gives it, relative to
        the run folder."""
        return {key: shown_path(value) if isinstance(value, str) and Path(value).is_absolute()
                else value for key, value in self.parameters.items()}

    def provenance(self, estimator: str = "") -> dict[str, str]:
        """Package version, git commit, sha256 of panel.parquet, parameters and seed; nothing
        machine-specific (the Python version, not its executable; paths relative to the run
        folder, see `shown_path`)."""
        return {
            self.t("prov_version"): __version__,
            self.t("prov_commit"): git_commit(),
            self.t("prov_panel_sha"): self.data.panel_sha256,
            self.t("prov_seed"): str(self.seed),
            self.t("prov_python"): sys.version.split()[0],
            self.t("prov_estimator"): estimator or MISSING,
            self.t("prov_parameters"): json.dumps(self.shown_parameters(), ensure_ascii=False,
                                                  sort_keys=True),
        }

    def provenance_section(self, result: ReportResult | None = None) -> Any:
        items = self.provenance(result.region.headline.estimator if result is not None else "")
        table = pd.DataFrame({self.t("col_key"): list(items), self.t("col_value"): list(
            items.values())})
        return block(heading(self.t("sec_provenance")), table_html(table))


def _period_of(panel: pd.DataFrame, period_index: int) -> str:
    """The label of a period_index (a cohort may lie outside the panel's periods: then it is
    labelled by the panel's frequency); never the index itself."""
    from p3k_study.labels import infer_frequency
    from p3k_study.periods import period_label

    match = panel.loc[panel["period_index"] == period_index, "period"]
    if len(match):
        return str(match.iloc[0])
    return period_label(int(period_index), infer_frequency(panel["period"], panel["period_index"]))
