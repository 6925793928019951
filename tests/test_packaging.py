"""The product installs with pip alone: a wheel built from this folder carries
the framework, the fonts and their licences, and works outside the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

import pikepdf

from .conftest import ROOT


def test_wheel_carries_content_and_fonts_and_builds_a_booklet_elsewhere(tmp_path):
    # Built from a copy, as setuptools writes its work files into the tree.
    source, wheels = tmp_path / "source", tmp_path / "wheels"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "node_modules",
            "build",
            "*.egg-info",
            "__pycache__",
            ".pytest_cache",
            "output",
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--quiet",
            "-w",
            str(wheels),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("sssp_print-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for font in (ROOT / "fonts").glob("*.ttf"):
        assert f"sssp_print/shipped_fonts/{font.name}" in names
    assert {n for n in names if n.startswith("sssp_print/shipped_fonts/LICENSE-")} == {
        f"sssp_print/shipped_fonts/{p.name}" for p in (ROOT / "fonts").glob("LICENSE-*")
    }
    assert "sssp_print/shipped_content/sssp.yaml" in names
    assert "sssp_print/shipped_content/examples/sssp-zh-hant-sample.yaml" in names

    # Installed on its own (its dependencies come from this environment) and
    # run from a folder far from the repository.
    target, elsewhere = tmp_path / "installed", tmp_path / "organiser"
    elsewhere.mkdir()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import sssp_print; print(sssp_print.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip().startswith(str(target)), (
        "the installed copy, not the repository's"
    )
    result = subprocess.run(
        [sys.executable, "-m", "sssp_print", "build", "--imposition", "a5-booklet"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with pikepdf.open(elsewhere / "build" / "sssp-a5-booklet.pdf") as pdf:
        assert len(pdf.pages) == 24
        assert str(pdf.Root.Lang) == "en-GB"
