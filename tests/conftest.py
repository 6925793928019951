"""Shared fixtures: the shipped framework, a built booklet, and a CLI runner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sssp_print.content import load_framework
from sssp_print.layout import layout_booklet
from sssp_print.pdf import render_booklet

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
