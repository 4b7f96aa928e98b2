"""The papermill batch: rendering, failure isolation, resume, atomic writes, no leaks, Dask.

Every notebook execution costs several seconds, so most tests reuse the session's `batch_run`
(conftest.py) and the rest render one or two regions each.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from fixtures_panel import BATCH_REGIONS, MISSING_REGION, SCRIPT_NAME, TRAVERSAL_NAME

from p3k_study.reports import batch, content, render_reports
from p3k_study.reports.batch import FINGERPRINT, REPORT_HTML, REPORT_NOTEBOOK
from p3k_study.reports.index import ESTIMATE_COLUMNS

pytestmark = pytest.mark.slow


def folder_of(result: batch.BatchResult, region: str) -> Path:
    return result.out / result.by_region()[region].slug


def summary_of(result: batch.BatchResult, region: str) -> dict:
    return json.loads((folder_of(result, region) / "region_summary.json").read_text())


def flat(tree: object, prefix: str = "") -> dict[str, object]:
    """{'a/b': leaf} of a json tree (pytest.approx compares the numbers, == the rest)."""
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in flat(sub, f"{prefix}/{key}").items()}
    return {prefix: tree}


def outputs(notebook_path: Path) -> list:
    """Cell outputs without execution counts or metadata (what a reader sees)."""
    notebook = nbformat.read(notebook_path, as_version=4)
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cells.append([{k: v for k, v in out.items() if k not in ("execution_count", "metadata")}
                      for out in cell.outputs])
    return cells


# ---------------------------------------------------------------- one batch, many checks


def test_batch_renders_every_region_and_isolates_the_failure(batch_run):
    statuses = {o.region: o.status for o in batch_run.outcomes}
    assert statuses == {**dict.fromkeys(BATCH_REGIONS, "rendered"), MISSING_REGION: "failed"}
    assert not batch_run.ok
    [failure] = batch_run.failures
    assert failure.ename == "UnknownRegion" and MISSING_REGION in failure.evalue
    failed_nb = nbformat.read(folder_of(batch_run, MISSING_REGION) / "report-failed.ipynb", 4)
    assert isinstance(failure.cell_index, int) and "RegionReport.load" in failure.cell_source
    [failed_cell] = [c for c in failed_nb.cells if c.get("execution_count") == failure.exec_count]
    assert failed_cell.source == failure.cell_source
    assert any(o.get("ename") == "UnknownRegion" for o in failed_cell.outputs)
    assert f"FAILED {MISSING_REGION}" in batch_run.describe()
    assert not (folder_of(batch_run, MISSING_REGION) / REPORT_HTML).exists()
    for region in BATCH_REGIONS:
        folder = folder_of(batch_run, region)
        for name in (REPORT_HTML, REPORT_NOTEBOOK, "region_summary.json", FINGERPRINT):
            assert (folder / name).is_file(), (region, name)
        assert not list(folder.glob(".partial-*"))


def test_report_sections_and_no_code(batch_run):
    html = (folder_of(batch_run, "32.01") / REPORT_HTML).read_text()
    sections = ["DATA SINTETIS", "Unit kerja dan fungsinya", "Komposisi pegawai dan P3K",
                "Adopsi P3K", "Tren IKM", "Dampak perekrutan P3K pada IKM",
                "Dampak menurut waktu sejak perekrutan pertama",
                "Pembanding: regresi efek tetap dua arah (TWFE)", "Estimasi nasional",
                "Peringkat unit menurut perubahan IKM", "Catatan kualitas data",
                "Asal-usul laporan"]
    positions = [html.index(s) for s in sections]
    assert positions == sorted(positions)
    assert "RegionReport" not in html and "import " not in html  # code cells are hidden
    assert "In&nbsp;[" not in html and "Out[" not in html
    assert html.count("<img") == 4 and html.count('src="data:image/svg+xml;base64,') == 4
    assert html.count('<img alt="') == 4  # every figure, as SVG, keeps its alt text
    assert html.index("Ringkasan:") < html.index("Unit kerja dan fungsinya")  # summary on top
    assert "NIP rusak oleh spreadsheet" in html  # rejects ledger for this region, by kind
    assert "1,98603E+17" not in html  # but never its raw values
    summary = summary_of(batch_run, "32.01")
    assert summary["panel_sha256"] in html


def test_region_with_too_few_treated_units_gets_words_not_a_number(processed_dir, tmp_path):
    """11.71 has 7 units that hired: with min_treated 8 the report prints no estimate."""
    result = render_reports(processed_dir, tmp_path / "r", regions=["11.71"], jobs=1,
                            parameters={"synthetic": True, "min_treated": 8}, progress=False)
    html = (folder_of(result, "11.71") / REPORT_HTML).read_text()
    assert "Ringkasan: data belum dapat menjawab apakah perekrutan P3K mengubah IKM" in html
    assert "hanya 7 unit yang merekrut P3K, kurang dari 8" in html
    summary = summary_of(result, "11.71")
    assert summary["too_few"] is True and summary["estimate"]["estimate"] is None
    csv = pd.read_csv(result.out / "estimates.csv", dtype={"region": str})
    assert csv["estimate"].isna().all()


def test_indonesian_number_format(batch_run):
    summary = summary_of(batch_run, "32.01")
    html = (folder_of(batch_run, "32.01") / REPORT_HTML).read_text()
    low = f"{summary['estimate']['ci_low']:+.2f}".replace(".", ",")
    assert f"selang kepercayaan 95%: {low} sampai" in html


def test_region_codes_reach_the_notebook_as_strings(batch_run):
    for region in ("32.10", "11.71"):
        summary = summary_of(batch_run, region)
        assert summary["region"] == region and summary["parameters"]["region"] == region
        notebook = nbformat.read(folder_of(batch_run, region) / REPORT_NOTEBOOK, 4)
        injected = next(c for c in notebook.cells
                        if "injected-parameters" in c.metadata.get("tags", []))
        assert f'region = "{region}"' in injected.source


def test_reports_run_in_this_environment(batch_run):
    summary = summary_of(batch_run, "32.01")
    assert "python_executable" not in summary  # a machine path: not in a report's summary
    assert summary["python_version"] == sys.version.split()[0]
    # the venv's python, not its target (which would run outside the virtual environment)
    assert summary["python_venv"] is (sys.prefix != sys.base_prefix)


def test_estimates_and_index(batch_run):
    out = batch_run.out
    csv = pd.read_csv(out / "estimates.csv", dtype={"region": str})
    parquet = pd.read_parquet(out / "estimates.parquet")
    assert list(csv.columns) == ESTIMATE_COLUMNS == list(parquet.columns)
    assert list(csv["region"]) == [*BATCH_REGIONS, MISSING_REGION]
    row = csv.set_index("region").loc["32.01"]
    summary = summary_of(batch_run, "32.01")
    assert row["estimate"] == pytest.approx(summary["estimate"]["estimate"])
    assert row["n_units"] == 10 and row["status"] == "rendered"
    assert csv.set_index("region").loc[MISSING_REGION, "status"] == "failed"
    index = (out / "index.html").read_text()
    assert index.count('src="data:image/png;base64,') == 1  # forest plot
    assert 'href="32.01-kabupaten-bogor/report.html"' in index
    assert "UnknownRegion" in index


def test_strings_from_data_are_escaped(batch_run):
    html = (folder_of(batch_run, "32.01") / REPORT_HTML).read_text()
    assert SCRIPT_NAME not in html
    assert content.esc(content.unit_display_name(SCRIPT_NAME)) in html  # &lt;Script&gt;...
    assert "<script" not in html.lower()
    assert "<script" not in (batch_run.out / "index.html").read_text().lower()


def test_names_cannot_leave_the_output_folder(batch_run):
    out = batch_run.out
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]
    assert batch_run.by_region()["11.71"].slug == "11.71-etc"
    assert summary_of(batch_run, "11.71")["name"] == TRAVERSAL_NAME
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve())


# ---------------------------------------------------------------- renders of their own


def test_resume_skips_unchanged_and_renders_missing_failed_changed(batch_run, processed_dir,
                                                                   tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(batch_run.out, out)
    gone = out / batch_run.by_region()["32.10"].slug / REPORT_HTML
    gone.unlink()
    kept = out / batch_run.by_region()["32.01"].slug / REPORT_HTML
    before = kept.stat().st_mtime_ns

    again = render_reports(processed_dir, out, regions=[*BATCH_REGIONS, MISSING_REGION], jobs=2,
                           parameters={"synthetic": True}, progress=False)
    statuses = {o.region: o.status for o in again.outcomes}
    assert statuses == {"11.71": "skipped", "32.01": "skipped", "32.10": "rendered",
                        MISSING_REGION: "failed"}
    assert gone.is_file() and kept.stat().st_mtime_ns == before
    csv = pd.read_csv(out / "estimates.csv", dtype={"region": str}).set_index("region")
    assert csv.loc["32.01", "estimate"] == pytest.approx(
        summary_of(batch_run, "32.01")["estimate"]["estimate"])  # skipped rows keep numbers

    english = render_reports(processed_dir, out, regions=["32.01"], lang="en", jobs=1,
                             parameters={"synthetic": True}, progress=False)
    assert english.outcomes[0].status == "rendered"  # a parameter changed
    html = kept.read_text()
    assert "SYNTHETIC DATA" in html and "Effect of P3K hiring on IKM" in html
    low = json.loads((kept.parent / "region_summary.json").read_text())["estimate"]["ci_low"]
    assert f"95% confidence interval {low:+.2f} to" in html


def test_force_renders_unchanged_regions(batch_run, processed_dir, tmp_path, monkeypatch):
    out = tmp_path / "reports"
    shutil.copytree(batch_run.out, out)
    calls: list[str] = []

    def fake_render(task):
        calls.append(task.region)
        return batch.RegionOutcome(task.region, task.name, task.slug, "rendered",
                                   summary=json.loads((Path(task.folder) / "region_summary.json")
                                                      .read_text()))

    monkeypatch.setattr(batch, "render_region", fake_render)
    kwargs = dict(regions=list(BATCH_REGIONS), jobs=1, parameters={"synthetic": True},
                  progress=False)
    assert {o.status for o in render_reports(processed_dir, out, **kwargs).outcomes} == {
        "skipped"}
    assert calls == []
    render_reports(processed_dir, out, force=True, **kwargs)
    assert calls == list(BATCH_REGIONS)
    changed = render_reports(processed_dir, out, **{**kwargs, "parameters": {"seed": 1}})
    assert {o.status for o in changed.outcomes} == {"rendered"}
    monkeypatch.setattr(batch, "code_sha256", lambda: "other code")  # e.g. plots.py edited
    assert {o.status for o in render_reports(processed_dir, out, **kwargs).outcomes} == {
        "rendered"}


def test_failed_export_leaves_nothing_finished_looking(processed_dir, tmp_path, monkeypatch):
    def half_written_then_crash(notebook, path, title, lang):
        Path(path).write_text("<!DOCTYPE html><html><body><h1>half")
        raise OSError("killed while writing")

    monkeypatch.setattr(batch, "write_html", half_written_then_crash)
    out = tmp_path / "reports"
    result = render_reports(processed_dir, out, regions=["11.01"], jobs=1, progress=False)
    [failure] = result.failures
    assert "killed while writing" in failure.error and failure.cell_index is None
    folder = out / failure.slug
    assert not (folder / REPORT_HTML).exists()
    assert not (folder / FINGERPRINT).exists()
    assert not list(folder.glob(".partial-*")) and not list(folder.glob(".*.tmp"))
    assert not any(p.read_text().startswith("<!DOCTYPE html><html><body><h1>half")
                   for p in out.rglob("*.html"))


def test_killed_render_is_not_finished(processed_dir, tmp_path):
    out = tmp_path / "reports"
    code = ("from pathlib import Path; from p3k_study.reports import render_reports; "
            f"render_reports(Path({str(processed_dir)!r}), Path({str(out)!r}), "
            "regions=['11.01'], jobs=1, progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob("*/.partial-*")) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # the report is now executing cells
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its report process
        proc.wait()
    folder = next(out.iterdir())
    assert not (folder / FINGERPRINT).exists()
    assert not (folder / REPORT_HTML).exists()
    fingerprint = batch.make_fingerprint({}, {}, "")
    assert not batch.fingerprint_matches(folder, fingerprint)


def test_no_state_leaks_between_reports(batch_run, processed_dir, tmp_path):
    alone = render_reports(processed_dir, tmp_path / "alone", regions=["32.01"], jobs=1,
                           parameters={"synthetic": True}, progress=False)
    assert alone.ok
    in_batch, by_itself = folder_of(batch_run, "32.01"), folder_of(alone, "32.01")
    mine, theirs = flat(summary_of(alone, "32.01")), flat(summary_of(batch_run, "32.01"))
    assert mine.keys() == theirs.keys()
    for key, value in mine.items():  # floats may differ in the last bit between two runs
        assert value == (pytest.approx(theirs[key], rel=1e-12) if isinstance(value, float)
                         else theirs[key]), key
    assert outputs(by_itself / REPORT_NOTEBOOK) == outputs(in_batch / REPORT_NOTEBOOK)
    assert (by_itself / REPORT_HTML).read_bytes() == (in_batch / REPORT_HTML).read_bytes()


def test_cli_exit_code_is_nonzero_when_a_region_fails(processed_dir, tmp_path, capsys):
    from p3k_study.cli import main

    code = main(["reports", "--processed", str(processed_dir), "--out", str(tmp_path / "r"),
                 "--regions", MISSING_REGION, "--jobs", "1", "--quiet"])
    assert code == 1
    assert f"FAILED {MISSING_REGION}" in capsys.readouterr().out


def test_arguments_are_checked(processed_dir, tmp_path):
    with pytest.raises(TypeError, match="strings"):
        render_reports(processed_dir, tmp_path, regions=[32.01], progress=False)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="region"):
        render_reports(processed_dir, tmp_path, parameters={"region": "32.01"}, progress=False)
    with pytest.raises(ValueError, match="level"):
        render_reports(processed_dir, tmp_path, level="kecamatan", progress=False)


def test_dask_cluster_runs_the_same_function(processed_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        result = render_reports(processed_dir, tmp_path / "dask", regions=["32", "99"],
                                level="province", lang="en", scheduler=cluster.scheduler_address,
                                progress=False)
    statuses = {o.region: o.status for o in result.outcomes}
    assert statuses == {"32": "rendered", "99": "failed"}
    assert result.failures[0].ename == "UnknownRegion"
    assert isinstance(result.failures[0].cell_index, int)
    summary = summary_of(result, "32")
    assert summary["level"] == "province" and summary["n_units"] == 20
    html = (folder_of(result, "32") / REPORT_HTML).read_text()
    assert "P3K and IKM report: Jawa Barat" in html


FORK_CHECK = """
import json, multiprocessing, os, sys
from pathlib import Path
import nbformat, papermill
from p3k_study.reports import engine, process

process.warm_worker({})
work = Path(sys.argv[1])
notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    "import os, sys\\nseen = globals().get('seen', 0) + 1\\n"
    "print(seen, os.getpid(), 'p3k_study.reports.content' in sys.modules, os.getcwd())")])
notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                   "display_name": "Python 3"}
nbformat.write(notebook, work / "in.ipynb")
runs = []
for i in range(2):
    done = papermill.execute_notebook(str(work / "in.ipynb"), str(work / f"out{i}.ipynb"),
                                      kernel_name="python3", engine_name=engine.ENGINE_NAME,
                                      progress_bar=False, cwd=str(work))
    runs.append({"text": done.cells[0].outputs[0]["text"].split(), "forked": process.forks_here(),
                 "left": len(multiprocessing.active_children())})
print(json.dumps({"runs": runs, "pid": os.getpid()}))
"""


def test_report_processes_start_clean_warm_and_are_reaped(tmp_path):
    from p3k_study.reports import process

    if not process.fork_available():
        pytest.skip("report processes are forked on Linux only")
    done = subprocess.run([sys.executable, "-c", FORK_CHECK, str(tmp_path)], capture_output=True,
                          text=True, timeout=300, check=True,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    first, second = seen["runs"]
    for run in (first, second):
        count, pid, warm, cwd = run["text"]
        assert count == "1"  # nothing from the previous report
        assert warm == "True" and run["forked"]  # the report code was imported before the fork
        assert int(pid) != seen["pid"] and Path(cwd) == tmp_path
        assert run["left"] == 0  # the report's process has ended and been reaped
    assert first["text"][1] != second["text"][1]
