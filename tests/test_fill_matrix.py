"""The fill matrix: three engines nobody here wrote fill the booklet, and every
value comes back exactly through `sssp read`."""

from __future__ import annotations

import json
import shutil

import pikepdf
import pytest

from .conftest import run_sssp
from .engines.mupdf import fill_with_mupdf
from .engines.pdfium import fill_with_pdfium
from .engines.pdfjs import fill_with_pdfjs
from .engines.plan import FillPlan

ENGINES = {
    "mupdf": lambda src, dst, plan: fill_with_mupdf(src, dst, plan),
    "mupdf-incremental": lambda src, dst, plan: (
        shutil.copyfile(src, dst), fill_with_mupdf(dst, dst, plan, incremental=True)
    ),
    "pdfium": fill_with_pdfium,
    "pdfjs": fill_with_pdfjs,
}


@pytest.fixture(scope="module")
def filled(tmp_path_factory, booklet_pdf):
    """Each engine's saved copy of the same plan, filled once per run."""
    folder = tmp_path_factory.mktemp("filled")
    copies = {}
    for name, fill in ENGINES.items():
        target = folder / f"{name}.pdf"
        fill(booklet_pdf, target, FillPlan())
        copies[name] = target
    return copies


@pytest.mark.parametrize("engine", list(ENGINES))
def test_engine_copy_reads_back_exactly(filled, framework, engine):
    plan = FillPlan()
    result = run_sssp("read", filled[engine])
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.decode("utf-8"))
    assert answers["owner"] == plan.owner
    assert answers["ratings"] == plan.expected_ratings(framework)
    assert answers["actions"] == plan.expected_actions(framework)
    assert answers["warnings"] == []
    assert answers["framework"]["content_hash"] == framework.content_hash


@pytest.mark.parametrize("engine", list(ENGINES))
def test_engine_copy_is_a_valid_pdf(filled, engine):
    with pikepdf.open(filled[engine]) as pdf:
        assert pdf.check_pdf_syntax() == []


def test_incremental_saves_append_to_the_original(filled, booklet_pdf):
    original = booklet_pdf.read_bytes()
    for engine in ("pdfium", "pdfjs", "mupdf-incremental"):
        saved = filled[engine].read_bytes()
        assert saved.startswith(original), f"{engine} did not save incrementally"
        assert len(saved) > len(original)
