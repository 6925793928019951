"""Shared fixtures: the shipped framework, a built booklet, and a CLI runner."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sssp_print.content import load_framework
from sssp_print.layout import layout_booklet
from sssp_print.pdf import render_booklet

from .engines.mupdf import fill_with_mupdf
from .engines.pdfium import fill_with_pdfium
from .engines.pdfjs import fill_with_pdfjs
from .engines.plan import FillPlan

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content" / "sssp.yaml"


@pytest.fixture(scope="session")
def framework():
    return load_framework(CONTENT)


@pytest.fixture(scope="session")
def booklet_layout(framework):
    return layout_booklet(framework)


@pytest.fixture(scope="session")
def booklet_pdf(tmp_path_factory, booklet_layout) -> Path:
    """The SSSP booklet as `sssp build` writes it (built once per run)."""
    path = tmp_path_factory.mktemp("booklet") / "sssp.pdf"
    path.write_bytes(render_booklet(booklet_layout))
    return path


def run_sssp(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real command line in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "sssp_print", *map(str, args)],
        capture_output=True,
        cwd=cwd,
        timeout=120,
    )


ENGINES = {
    "mupdf": lambda src, dst, plan: fill_with_mupdf(src, dst, plan),
    "mupdf-incremental": lambda src, dst, plan: (
        shutil.copyfile(src, dst),
        fill_with_mupdf(dst, dst, plan, incremental=True),
    ),
    "pdfium": fill_with_pdfium,
    "pdfjs": fill_with_pdfjs,
}


@pytest.fixture(scope="session")
def filled(tmp_path_factory, booklet_pdf):
    """Each engine's saved copy of the same plan, filled once per run."""
    folder = tmp_path_factory.mktemp("filled")
    copies = {}
    for name, fill in ENGINES.items():
        target = folder / f"{name}.pdf"
        fill(booklet_pdf, target, FillPlan())
        copies[name] = target
    return copies
