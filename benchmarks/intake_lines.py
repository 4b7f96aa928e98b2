"""The intake's line count (issue 15) at one or more commits, split into code, docstrings,
comments and blank lines.

    .venv/bin/python benchmarks/intake_lines.py 4ac4255 HEAD

The files are the issue's list as the tree names them at each commit: the modules `io`,
`parse`, `periods`, `aliases`, `csvout`, `schema`, `schemas`, `config`, `errors`, `ikm`,
`panel`, `prepare` and every module of `read/`, `prepare/`, `clean/` and `reference/`. The
total is `wc -l` of those files. A docstring line is a line of a string standing alone as a
statement (module, class, function and attribute docstrings, as `ast` finds them); a comment
line holds only a comment; a code line is any other non-blank line.
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import tokenize
from collections import Counter
from pathlib import PurePosixPath

MODULES = {"io", "parse", "periods", "aliases", "csvout", "schema", "schemas", "config",
           "errors", "ikm", "panel", "prepare"}
PACKAGES = {"read", "prepare", "clean", "reference"}
KINDS = ("code", "docstring", "comment", "blank")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def intake_files(rev: str) -> list[str]:
    """The issue's intake files in the tree of `rev`."""
    names = _git("ls-tree", "-r", "--name-only", rev, "src/p3k_study").split()
    parts = [PurePosixPath(name).parts for name in names if name.endswith(".py")]
    return ["/".join(p) for p in parts
            if (len(p) == 3 and p[2][:-3] in MODULES) or (len(p) == 4 and p[2] in PACKAGES)]


def line_kinds(source: str) -> Counter[str]:
    """Per kind of `KINDS`, the number of lines of `source` of that kind."""
    lines = source.splitlines()
    kind = ["code" if line.strip() else "blank" for line in lines]
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            kind[node.lineno - 1:node.end_lineno] = ["docstring"] * (
                node.end_lineno - node.lineno + 1)  # type: ignore[operator]
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and lines[token.start[0] - 1].lstrip().startswith("#"):
            kind[token.start[0] - 1] = "comment"
    return Counter(kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revs", nargs="+", help="commits to count (e.g. 4ac4255 HEAD)")
    revs = parser.parse_args().revs
    print(f"{'commit':<10} {'files':>5} {'lines':>6} " + " ".join(f"{k:>9}" for k in KINDS))
    for rev in revs:
        files = intake_files(rev)
        counts = sum((line_kinds(_git("show", f"{rev}:{name}")) for name in files), Counter())
        print(f"{rev:<10} {len(files):>5} {counts.total():>6} "
              + " ".join(f"{counts[k]:>9}" for k in KINDS))


if __name__ == "__main__":
    main()
