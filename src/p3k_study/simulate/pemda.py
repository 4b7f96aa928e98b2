"""One pemda: build its world (world.py), make its files messy (messy.py), write them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from p3k_study.simulate import messy, world
from p3k_study.simulate.messy import FileStyle
from p3k_study.simulate.writers import write_csv, write_xlsx


def _rng(seed: int, code: str, step: int) -> np.random.Generator:
    """Independent generator per (seed, pemda, step): results do not depend on loop order."""
    return np.random.default_rng([seed, int(code.replace(".", "")), step])


def _slug(region: pd.Series) -> str:
    prefix = "kab" if region["jenis"] == "kabupaten" else "kota"
    bare = "".join(c if c.isalnum() else "-" for c in region["nama_dasar"].lower())
    return f"{region['kode_pemda']}_{prefix}-{'-'.join(filter(None, bare.split('-')))}"


def _unit_names(units: pd.DataFrame, unit_idx: np.ndarray, year: np.ndarray,
                style: FileStyle) -> np.ndarray:
    if style.unit_style == "short":
        return units["short"].to_numpy()[unit_idx]
    names = world.unit_name_in_year(units, unit_idx, year)
    if style.unit_style == "upper":
        return np.array([n.upper() for n in names], dtype=object) if len(names) else names
    return names


def _format_nips(nips: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mostly plain digits; some files write '19860601 201012 1 004' or with dots."""
    mode = rng.choice(4, p=(0.55, 0.2, 0.15, 0.1))
    s = pd.Series(nips, dtype=object)
    spaced = s.str[:8] + " " + s.str[8:14] + " " + s.str[14] + " " + s.str[15:]
    dotted = s.str[:8] + "." + s.str[8:14] + "." + s.str[14] + "." + s.str[15:]
    if mode == 0:
        return nips
    if mode == 1:
        return spaced.to_numpy()
    if mode == 2:
        return dotted.to_numpy()
    return np.where(rng.random(len(nips)) < 0.3, spaced, s).astype(object)


class Pemda:
    """Simulates one pemda and writes its files."""

    def __init__(self, region: pd.Series, seed: int, scale: str, params: world.ModelParameters,
                 out: Path, used_nips: dict[str, int], seq_offset: int) -> None:
        self.region, self.seed, self.scale, self.params = region, seed, scale, params
        self.out, self.used_nips, self.seq_offset = out, used_nips, seq_offset
        self.code = region["kode_pemda"]
        self.slug = _slug(region)
        self.rejects: list[dict[str, object]] = []
        self.names: list[pd.DataFrame] = []
        self.files: list[str] = []

    def rng(self, step: int) -> np.random.Generator:
        return _rng(self.seed, self.code, step)

    def run(self) -> dict[str, object]:
        params = self.params
        units = world.build_units(self.region, self.rng(1), params, self.scale)
        staff = world.build_staff(units, self.rng(2), params)
        staff["nip"] = world.assign_nips(staff, self.used_nips, self.seq_offset)
        counts = world.staff_counts(staff, len(units))
        cohort = world.cohorts_from_hires(counts["p3k_hires"])
        mu = world.latent_mu(units, cohort, params)
        held = world.survey_schedule(units, self.rng(3), params)
        answers = world.draw_answers(mu, held, self.rng(4), params, units)
        published = bool(self.rng(5).random() < params.published_ikm_share)
        counts_only = bool(self.rng(6).random() < params.counts_only_share)
        with_kinerja = bool(self.rng(7).random() < params.kinerja_share)

        if counts_only:
            n_roster, n_counts = 0, self.write_counts(units, counts)
        else:
            self.write_roster(units, staff)
            n_roster, n_counts = len(staff), 0
        kinerja = self.write_kinerja(units) if with_kinerja else None
        n_unit, n_per = len(units), len(world.PERIODS)
        sums = np.zeros((n_unit, n_per))
        resp = np.zeros((n_unit, n_per), dtype=np.int64)
        pos = answers["period_index"].to_numpy() - world.FIRST_PERIOD
        uidx = answers["unit_idx"].to_numpy()
        np.add.at(sums, (uidx, pos), answers[list(world.ELEMENTS)].sum(axis=1).to_numpy())
        np.add.at(resp, (uidx, pos), 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ikm = 25.0 * sums / (9.0 * resp)
        source = np.where(resp > 0, "answers", "")
        if published:
            ikm, resp = self.write_ikm(units, ikm, resp)
            source = np.where(resp > 0, "published", "")
            n_answers, n_ikm = 0, int((resp > 0).sum())
        else:
            self.write_skm(units, answers, resp)
            n_answers, n_ikm = len(answers), 0

        panel = pd.DataFrame({
            "unit_id": np.repeat(units["unit_id"].to_numpy(), n_per),
            "kode_pemda": self.code,
            "unit_key": np.repeat(units["unit_key"].to_numpy(), n_per),
            "unit_function": np.repeat(units["function"].to_numpy(), n_per),
            "unit_name": np.repeat(units["name_new"].to_numpy(), n_per),
            "period": np.tile(world.PERIOD_LABELS, n_unit),
            "period_index": np.tile(world.PERIODS, n_unit),
        })
        for column in ("n_pns", "n_p3k", "n_p3k_part_time", "n_other"):
            panel[column] = counts[column].ravel()
        panel["n_staff"] = panel[["n_pns", "n_p3k", "n_p3k_part_time", "n_other"]].sum(axis=1)
        panel["p3k_hires"] = counts["p3k_hires"].ravel()
        panel["cohort"] = np.repeat(cohort, n_per)
        panel["ikm"] = np.where(resp > 0, ikm, np.nan).ravel()
        panel["respondents"] = resp.ravel()
        panel["ikm_source"] = source.ravel()
        panel["ikm_expected"] = 25.0 * mu.ravel()
        panel["att_true"] = 25.0 * params.tau(panel["cohort"].to_numpy(),
                                              panel["period_index"].to_numpy())
        unmatched = units.loc[~units["matched"], ["unit_id", "kode_pemda", "name_new",
                                                   "unit_key"]]
        return {"panel": panel, "unmatched": unmatched.rename(columns={"name_new": "unit_name"}),
                "kinerja": kinerja,
                "n_roster": n_roster, "n_counts": n_counts, "n_answers": n_answers,
                "n_ikm": n_ikm}

    # ----------------------------------------------------------------- files
    def _fake_nip(self, rng: np.random.Generator) -> Callable[[dict, bool], str]:
        def make(row: dict, pppk: bool) -> str:
            """A valid NIP of the kind asked: appointed at age 19 or later, never in the
            future, and born at least 20 years before the row's TMT (so a row carrying it is
            rejected for its injected fault, not for its NIP or its TMT)."""
            birth = np.datetime64("1965-01-01") + int(rng.integers(0, 30 * 365))
            too_young = int(str(birth)[:4]) - (int(row["_tmt_year"]) - 20)
            if too_young > 0:  # moved back by whole years (366 days: past any 29 February)
                birth -= np.timedelta64(366 * too_young, "D")
            earliest = int(str(birth)[:4]) + world.MIN_APPOINTMENT_AGE + 1
            if pppk:
                field = f"{int(rng.integers(max(earliest, 2019), 2025))}21"
            else:
                year = int(rng.integers(max(earliest, 1990), 2019))
                field = f"{year}{int(rng.integers(1, 13)):02d}"
            prefix = str(birth).replace("-", "") + field + str(int(rng.integers(1, 3)))
            self.used_nips[prefix] = self.used_nips.get(prefix, 0) + 1
            return f"{prefix}{self.seq_offset + self.used_nips[prefix]:03d}"
        return make

    def _finish(self, table: pd.DataFrame, kind: str, style: FileStyle,
                rng: np.random.Generator, headers: dict[str, str], numeric: set[str],
                dated: set[str], sheet_names: list[str]) -> None:
        """Inject bad rows, write the file, record ledger rows and written unit names."""
        table = messy.inject_bad_rows(table, kind, style, rng, self._fake_nip(rng))
        public = [c for c in table.columns if not c.startswith("_")]
        written = table[public].rename(columns=headers)
        ext = "xlsx" if style.fmt == "xlsx" else "csv"
        rel = f"{kind}/{self.slug}.{ext}"
        sheet_pos = table["_sheet_order"].to_numpy()
        row_numbers = pd.Series(sheet_pos).groupby(sheet_pos).cumcount().to_numpy() + 2
        if style.fmt == "xlsx":
            sheets = [(sheet_names[k], written[sheet_pos == k]) for k in range(len(sheet_names))
                      if (sheet_pos == k).any()]
            write_xlsx(self.out / rel, sheets, {headers.get(c, c) for c in numeric},
                       {headers.get(c, c) for c in dated} if style.date_style == "xlsx_date"
                       else {headers.get(c, c) for c in dated} & set())
        else:
            write_csv(self.out / rel, written, style.fmt)
        self.files.append(rel)
        bad = table["_bad"].to_numpy() != ""
        for i in np.flatnonzero(bad):
            column = table["_column"].iat[i]
            value = str(table[column].iat[i]) if column else ""
            self.rejects.append({
                "file": rel,
                "sheet": sheet_names[sheet_pos[i]] if style.fmt == "xlsx" else "",
                "row": int(row_numbers[i]), "kind": table["_bad"].iat[i], "column": column,
                "header": headers.get(column, column), "value": value.lstrip(messy.FORCE_NUMBER),
            })
        unit_column = "unit_kerja" if "unit_kerja" in table else "unit_layanan"
        good = table[~bad & (table[unit_column] != "")]
        pairs = good[["_unit_idx", unit_column]].drop_duplicates()
        self.names.append(pd.DataFrame({"unit_idx": pairs["_unit_idx"].to_numpy(),
                                        "table": kind, "file": rel,
                                        "unit_name": pairs[unit_column].to_numpy()}))
        return table

    def write_roster(self, units: pd.DataFrame, staff: pd.DataFrame) -> None:
        rng = self.rng(10)
        style = messy.draw_style(rng, self.region, "pegawai", self.scale)
        n = len(staff)
        unit_idx = staff["unit_idx"].to_numpy()
        end = staff["end"].to_numpy()
        name_year = np.where(np.isnat(end), 2026,
                             pd.Series(end).dt.year.fillna(2026).to_numpy()).astype(int)
        p3k_label = "P3K" if rng.random() < 0.25 else "PPPK"
        status = staff["status"].replace({"PPPK": p3k_label}).to_numpy(dtype=object)
        columns: dict[str, np.ndarray] = {}
        if style.with_number:
            columns["no"] = np.arange(1, n + 1).astype(str).astype(object)
        columns |= messy.region_columns(n, self.region, style)
        columns["nip"] = _format_nips(staff["nip"].to_numpy(dtype=object), rng)
        if style.with_optional:
            columns["nama"] = staff["nama"].to_numpy(dtype=object)
        columns["unit_kerja"] = _unit_names(units, unit_idx, name_year, style)
        columns["status"] = status
        if style.with_optional:
            columns["jenis_jabatan"] = staff["jenis_jabatan"].to_numpy(dtype=object)
        columns["tmt"] = messy.format_dates(staff["tmt"].to_numpy(), style, rng)
        columns["tanggal_berakhir"] = messy.format_dates(end, style, rng)
        table = pd.DataFrame(columns, dtype=object)
        table["_unit_idx"] = unit_idx
        table["_order"] = np.arange(n, dtype=float)
        table["_tmt_year"] = staff["tmt"].dt.year.to_numpy()
        split = style.fmt == "xlsx" and rng.random() < 0.5
        if split:
            table["_sheet_order"] = (staff["status"].to_numpy() != "PNS").astype(int)
            sheet_names = ["PNS", "PPPK"]
            table = table.sort_values(["_sheet_order", "_order"], kind="stable",
                                      ignore_index=True)
        else:
            table["_sheet_order"] = 0
            sheet_names = ["Data Pegawai"]
        headers = {c: style.headers.get(c, c) for c in columns}
        headers["no"] = "No"
        self._finish(table, "pegawai", style, rng, headers, set(), {"tmt", "tanggal_berakhir"},
                     sheet_names)

    def write_counts(self, units: pd.DataFrame, counts: dict[str, np.ndarray]) -> int:
        """Staff counts per unit and semester (jumlah_pegawai/), for a pemda without a roster;
        return the number of rows written (before bad rows)."""
        rng = self.rng(13)
        style = messy.draw_style(rng, self.region, "jumlah_pegawai", self.scale)
        n_unit, n_per = len(units), len(world.PERIODS)
        unit_idx = np.repeat(np.arange(n_unit), n_per)
        period = np.tile(world.PERIODS, n_unit)
        years = period // 2
        n = len(unit_idx)
        sheet_order, sheet_names = self._sheets_by_year(years, style, rng)
        columns: dict[str, np.ndarray] = messy.region_columns(n, self.region, style)
        columns["unit_kerja"] = _unit_names(units, unit_idx, years, style)
        columns["periode"] = messy.format_periods(period, style)
        sources = {"jumlah_pns": "n_pns", "jumlah_pppk": "n_p3k",
                   "jumlah_pppk_paruh_waktu": "n_p3k_part_time", "pppk_baru": "p3k_hires"}
        if style.with_optional:
            sources["jumlah_lainnya"] = "n_other"
        for column, source in sources.items():
            columns[column] = counts[source].ravel().astype(str).astype(object)
        table = _in_sheet_order(columns, sheet_order, _unit_idx=unit_idx)
        headers = {c: style.headers.get(c, c) for c in columns}
        self._finish(table, "jumlah_pegawai", style, rng, headers, set(sources), set(),
                     sheet_names)
        return n

    def write_kinerja(self, units: pd.DataFrame) -> pd.DataFrame:
        """Yearly unit outcomes (kinerja/); return the truth: the values of the good rows."""
        rng = self.rng(14)
        style = messy.draw_style(rng, self.region, "kinerja", self.scale)
        outcomes = world.unit_outcomes(units, rng)
        n = len(outcomes)
        unit_idx = outcomes["unit_idx"].to_numpy()
        years = outcomes["year"].to_numpy()
        sheet_order, sheet_names = self._sheets_by_year(years, style, rng)
        columns: dict[str, np.ndarray] = messy.region_columns(n, self.region, style)
        columns["unit_kerja"] = _unit_names(units, unit_idx, years, style)
        prefix = "Tahun " if rng.random() < 0.3 else ""
        columns["periode"] = np.array([f"{prefix}{y}" for y in years], dtype=object)
        columns["nilai_sakip"] = messy.format_decimal(outcomes["nilai_sakip"].to_numpy(), style)
        columns["predikat_sakip"] = outcomes["predikat_sakip"].to_numpy(dtype=object)
        shares = [c for c in outcomes.columns if c.startswith("skp_")]
        if style.with_optional:
            for column in shares:
                columns[column] = messy.format_decimal(outcomes[column].to_numpy(), style, 1)
        table = _in_sheet_order(columns, sheet_order, _unit_idx=unit_idx)
        headers = {c: style.headers.get(c, c) for c in columns}
        self._finish(table, "kinerja", style, rng, headers,
                     {"nilai_sakip", *shares}, set(), sheet_names)
        truth = outcomes.copy()
        truth.insert(0, "unit_id", units["unit_id"].to_numpy()[unit_idx])
        if not style.with_optional:
            truth[shares] = np.nan
        return truth.drop(columns="unit_idx")

    def _sheets_by_year(self, years: np.ndarray, style: FileStyle,
                        rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
        if style.fmt != "xlsx":
            return np.zeros(len(years), dtype=int), ["Sheet1"]
        prefix = "Tahun " if rng.random() < 0.5 else ""
        unique = sorted(set(years.tolist()))
        order = np.searchsorted(np.array(unique), years)
        return order, [f"{prefix}{y}" for y in unique]

    def write_skm(self, units: pd.DataFrame, answers: pd.DataFrame, resp: np.ndarray) -> None:
        rng = self.rng(11)
        style = messy.draw_style(rng, self.region, "skm", self.scale)
        n = len(answers)
        unit_idx = answers["unit_idx"].to_numpy()
        period = answers["period_index"].to_numpy()
        years = period // 2
        sheet_order, sheet_names = self._sheets_by_year(years, style, rng)
        # a Google Forms export (its own stream: the other files stay as they were): US
        # timestamps, the questions as headers, the answers as words, no respondent number
        forms = style.use_survey_date and self.rng(17).random() < messy.FORMS_SHARE
        columns: dict[str, np.ndarray] = {} if forms else {"no": np.zeros(n, dtype=object)}
        columns |= messy.region_columns(n, self.region, style)
        columns["unit_layanan"] = _unit_names(units, unit_idx, years, style)
        if style.use_survey_date:
            dates = messy.semester_dates(period, rng)
            columns["tanggal_survei"] = messy.format_dates(dates, style, rng)
            if forms:  # after the file's own draws, so that the rest of the file is as before
                columns["tanggal_survei"] = messy.forms_timestamps(dates, self.rng(18))
        else:
            columns["periode"] = messy.format_periods(period, style)
        elements = list(world.ELEMENTS)
        if style.swap_u8_u9:
            elements[7], elements[8] = elements[8], elements[7]
        for element in elements:
            scores = answers[element].to_numpy()
            words = np.array(messy.FORMS_ANSWERS[world.ELEMENTS.index(element)], dtype=object)
            columns[element] = words[scores - 1] if forms else scores.astype(str).astype(object)
        if style.with_populasi:
            pos = period - world.FIRST_PERIOD
            population = np.zeros_like(resp)
            held = resp > 0
            population[held] = world.population_for(resp[held], rng)
            columns["populasi"] = population[unit_idx, pos].astype(str).astype(object)
        table = _in_sheet_order(columns, sheet_order, _unit_idx=unit_idx)
        if not forms:
            table["no"] = (table.groupby("_sheet_order").cumcount() + 1).astype(str)
        names = dict(zip(world.ELEMENTS, messy.FORMS_QUESTIONS if forms else
                         messy.ELEMENT_HEADER_SETS[style.element_set], strict=True))
        headers = {c: style.headers.get(c, c) for c in columns} | names | {"no": "No"}
        if forms:
            headers["tanggal_survei"] = "Timestamp"
        self._finish(table, "skm", style, rng, headers, set(world.ELEMENTS) | {"populasi"},
                     {"tanggal_survei"}, sheet_names)

    def write_ikm(self, units: pd.DataFrame, ikm: np.ndarray,
                  resp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Write published IKM; return the truth (value as published, respondents)."""
        rng = self.rng(12)
        style = messy.draw_style(rng, self.region, "ikm", self.scale)
        unit_idx, pos = np.nonzero(resp > 0)
        period = world.PERIODS[pos]
        years = period // 2
        n = len(unit_idx)
        rounded = np.round(ikm[unit_idx, pos], 2)
        text = pd.Series(rounded).map("{:.2f}".format)
        published = text.astype(float).to_numpy()
        sheet_order, sheet_names = self._sheets_by_year(years, style, rng)
        columns: dict[str, np.ndarray] = messy.region_columns(n, self.region, style)
        columns["unit_layanan"] = _unit_names(units, unit_idx, years, style)
        columns["periode"] = messy.format_periods(period, style)
        columns["ikm"] = messy.format_decimal(published, style)
        if style.with_optional:
            columns["jumlah_responden"] = resp[unit_idx, pos].astype(str).astype(object)
            letters = np.select([published >= 88.31, published >= 76.61, published >= 65.0],
                                ["A", "B", "C"], "D").astype(object)
            if rng.random() < 0.5:
                letters = pd.Series(letters).map(messy.MUTU_WORDS).to_numpy(dtype=object)
            columns["mutu"] = letters
        if rng.random() < 0.3:
            columns["regulasi"] = np.full(n, "14/2017", dtype=object)
        table = _in_sheet_order(columns, sheet_order, _unit_idx=unit_idx, _period_pos=pos)
        headers = {c: style.headers.get(c, c) for c in columns}
        table = self._finish(table, "ikm", style, rng, headers,
                             {"ikm", "jumlah_responden"}, set(), sheet_names)
        truth_ikm = np.full(resp.shape, np.nan)
        truth_resp = np.zeros_like(resp)
        kept = table[table["_bad"] == ""]
        ku = kept["_unit_idx"].to_numpy().astype(int)
        kp = kept["_period_pos"].to_numpy().astype(int)
        truth_ikm[ku, kp] = published_lookup(unit_idx, pos, published, ku, kp, resp.shape)
        truth_resp[ku, kp] = resp[ku, kp]
        return truth_ikm, truth_resp


def published_lookup(unit_idx: np.ndarray, pos: np.ndarray, values: np.ndarray, ku: np.ndarray,
                     kp: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    grid = np.full(shape, np.nan)
    grid[unit_idx, pos] = values
    return grid[ku, kp]


def _in_sheet_order(columns: dict[str, np.ndarray], sheet_order: np.ndarray,
                    **hidden: np.ndarray) -> pd.DataFrame:
    """The rows to write: the text `columns` and the `hidden` helper columns, stably sorted by
    sheet, numbered in that order in `_order`."""
    table = pd.DataFrame(columns, dtype=object)
    for name, values in hidden.items():
        table[name] = values
    table["_sheet_order"] = sheet_order
    table = table.sort_values("_sheet_order", kind="stable", ignore_index=True)
    table["_order"] = np.arange(len(table), dtype=float)
    return table
