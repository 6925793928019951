"""The fill matrix: three engines nobody here wrote fill the booklet, and every
value comes back exactly through `sssp read`."""

from __future__ import annotations

import json

import pikepdf
import pytest

from .conftest import ENGINES, run_sssp
from .engines.plan import FillPlan


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


@pytest.mark.parametrize("engine", list(ENGINES))
def test_engine_keeps_the_hidden_identity_field(tmp_path, filled, framework, engine):
    """Each engine's save keeps the hidden field, so the copy reads the same
    even when a later app drops the catalog's field map."""
    stripped = tmp_path / "stripped.pdf"
    with pikepdf.open(filled[engine]) as pdf:
        del pdf.Root["/SsspPrintBooklet"]
        pdf.save(stripped)
    result = run_sssp("read", stripped)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.decode("utf-8"))
    plan = FillPlan()
    assert answers["ratings"] == plan.expected_ratings(framework)
    assert answers["actions"] == plan.expected_actions(framework)
    assert [w["kind"] for w in answers["warnings"]] == ["no-field-map"]
    assert answers["framework"]["content_hash"] == framework.content_hash
