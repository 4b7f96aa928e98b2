"""Benchmark: the read stage alone, every table file of a raw folder read in one process.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_read.py --raw /tmp/national_raw \\
        --fingerprints /tmp/read_new.json

Prints the CPU seconds (`time.process_time`) spent in `read_table` per format and writes, per
file, the sha256 of each RawSheet (fields and frame), or the reason it is unreadable. Run it
with `PYTHONPATH` on another commit's `src` (before `read/` existed: `p3k_study.io`) and `cmp`
the two fingerprint files to check that both read every file the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import pandas as pd

try:
    from p3k_study.read import read_table
except ImportError:  # a commit before the read/ folder
    from p3k_study.io import read_table  # type: ignore[no-redef]
from p3k_study.errors import UnreadableFile

KINDS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
         ".parquet": "parquet", ".pq": "parquet"}


def fingerprint(sheet: object) -> str:
    fields = ("source_file", "sheet", "header_row", "encoding", "separator", "dropped",
              "reason")
    frame: pd.DataFrame = sheet.frame  # type: ignore[attr-defined]
    digest = hashlib.sha256(repr(([getattr(sheet, f) for f in fields], list(frame.columns),
                                  [str(d) for d in frame.dtypes],
                                  frame.isna().sum().tolist())).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--fingerprints", type=Path, required=True)
    args = parser.parse_args()
    cpu = dict.fromkeys(sorted(set(KINDS.values())), 0.0)
    found: dict[str, object] = {}
    for path in sorted(p for p in args.raw.rglob("*") if p.suffix.lower() in KINDS):
        start = time.process_time()
        try:
            sheets = read_table(path)
        except UnreadableFile as error:
            found[str(path)] = f"unreadable: {error.reason}"
            continue
        cpu[KINDS[path.suffix.lower()]] += time.process_time() - start
        found[str(path)] = [fingerprint(sheet) for sheet in sheets]
    args.fingerprints.write_text(json.dumps(found, indent=0), encoding="utf-8")
    print(f"{len(found)} files; CPU seconds in read_table: "
          + ", ".join(f"{kind} {seconds:.2f}" for kind, seconds in cpu.items()))


if __name__ == "__main__":
    main()
