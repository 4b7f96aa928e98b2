"""Shared fixtures: a tiny processed dataset (see fixtures_panel.py) and one rendered batch.

The batch is rendered once per session because every notebook execution costs seconds; tests
that need their own renders copy or re-render into their own tmp folders.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures_panel import BATCH_REGIONS, MISSING_REGION, write_processed


@pytest.fixture(scope="session")
def processed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/processed/<fixture>: panel, units, rejects (with rows) and cleaning summary."""
    return write_processed(tmp_path_factory.mktemp("processed") / "fixture")


@pytest.fixture(scope="session")
def batch_run(processed_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Three fixture pemda plus one code that does not exist, rendered with jobs=2.

    The output folder sits alone in its own parent, so a test can check nothing escaped it.
    """
    from p3k_study.reports import render_reports

    out = tmp_path_factory.mktemp("batch") / "reports"
    return render_reports(processed_dir, out, regions=[*BATCH_REGIONS, MISSING_REGION], jobs=2,
                          parameters={"synthetic": True}, progress=False)
