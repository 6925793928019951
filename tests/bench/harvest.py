"""Harvest benchmark: `make bench` runs it and prints figures and ratios.

It builds the booklet, fills 300 copies with varied answers (real engines
for some, direct edits for the rest), then times on the same files:

- the bare floor: pikepdf opening each file and walking its /AcroForm fields;
- a naive harvester: pypdf's get_fields() on each file;
- `sssp harvest` with --jobs 1 and --jobs 2 (whole runs, outputs included).

Targets: harvest at most 2x the bare walk; --jobs 2 at least 1.8x the
throughput of --jobs 1 on two cores; peak memory flat as the batch grows.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pikepdf

from sssp_print.content import load_framework
from sssp_print.harvest import harvest
from sssp_print.layout import layout_booklet
from sssp_print.pdf import render_booklet

from ..engines.mupdf import fill_with_mupdf
from ..engines.pdfium import fill_with_pdfium
from ..engines.pdfjs import fill_with_pdfjs
from ..engines.plan import FillPlan

COPIES = 300
PER_ENGINE = 8


def random_plan(framework, rng: random.Random) -> FillPlan:
    steps = [
        (item.id, moment.id, rng.randint(0, 4))
        for item in framework.items()
        for moment in framework.moments
        if rng.random() < 0.7
    ]
    cells = {}
    for area in framework.areas():
        for row in range(1, rng.randint(1, 4)):
            cells[(area.id, row, "action")] = (
                f"Action {row} for {area.id}: " + "plan " * rng.randint(1, 30)
            )
            cells[(area.id, row, "by_when")] = (
                f"{rng.randint(1, 28)}/0{rng.randint(1, 9)}/2027"
            )
    return FillPlan(
        owner=f"Participant {rng.randint(1, 10**6)}", steps=steps, cells=cells
    )


def vary(source: Path, target: Path, rng: random.Random) -> None:
    """Another participant's answers, written straight into a filled copy."""
    with pikepdf.open(source) as pdf:
        for field in pdf.Root.AcroForm.Fields:
            name = str(field.get("/T", ""))
            if name.startswith("level:") and rng.random() < 0.5:
                level = rng.randint(0, 4)
                field.V = pikepdf.Name(f"/{level}")
                for kid in field.Kids:
                    on = f"/{level}" in kid.AP.N
                    kid.AS = pikepdf.Name(f"/{level}") if on else pikepdf.Name.Off
            elif name == "owner":
                field.V = pikepdf.String(f"Participant {rng.randint(1, 10**6)}")
        pdf.save(target)


def make_copies(folder: Path) -> list[Path]:
    framework = load_framework()
    blank = folder / "blank.pdf"
    blank.write_bytes(render_booklet(layout_booklet(framework)))
    rng = random.Random(2026)
    copies = []
    engines = (
        ("mupdf", fill_with_mupdf),
        ("pdfium", fill_with_pdfium),
        ("pdfjs", fill_with_pdfjs),
    )
    for name, fill in engines:
        for n in range(PER_ENGINE):
            target = folder / "copies" / f"{name}-{n:03}.pdf"
            target.parent.mkdir(exist_ok=True)
            fill(blank, target, random_plan(framework, rng))
            copies.append(target)
    engine_copies = list(copies)
    while len(copies) < COPIES:
        target = folder / "copies" / f"varied-{len(copies):03}.pdf"
        vary(rng.choice(engine_copies), target, rng)
        copies.append(target)
    return copies


def bare_walk(paths: list[Path]) -> None:
    for path in paths:
        with pikepdf.open(path) as pdf:
            stack = list(pdf.Root.AcroForm.Fields)
            while stack:
                node = stack.pop()
                node.get("/T"), node.get("/V"), node.get("/AS")
                kids = node.get("/Kids")
                if kids is not None:
                    stack.extend(kids)


def naive_pypdf(paths: list[Path]) -> None:
    from pypdf import PdfReader

    for path in paths:
        PdfReader(path).get_fields()


def timed(label: str, action, count: int) -> float:
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    print(f"  {label:<34} {seconds:7.2f} s  {count / seconds:8.1f} forms/s")
    return seconds


def peak_memory_mb(paths_folder: Path, out: Path, limit: int) -> float:
    """Peak resident memory (parent or any worker) of a harvest of `limit` files."""
    subset = out.parent / f"subset-{limit}"
    subset.mkdir()
    for path in sorted(paths_folder.iterdir())[:limit]:
        os.link(path, subset / path.name)
    code = (
        "import resource, sys\n"
        "from sssp_print.harvest import harvest\n"
        f"harvest([{str(subset)!r}], {str(out)!r}, jobs=2)\n"
        "own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(max(own, kids))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip()) / 1024


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sssp-bench-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        copies = make_copies(folder)
        print(
            f"harvest benchmark: {len(copies)} filled copies "
            f"({3 * PER_ENGINE} by MuPDF, PDFium and pdf.js), made in {time.perf_counter() - start:.1f} s"
        )
        n = len(copies)

        # Warm the file cache, so no run pays for the first read from disk.
        bare_walk(copies)
        floor = timed("bare pikepdf walk (floor)", lambda: bare_walk(copies), n)
        naive = timed("naive pypdf get_fields()", lambda: naive_pypdf(copies), n)
        one = timed(
            "sssp harvest --jobs 1",
            lambda: harvest([folder / "copies"], folder / "out1", jobs=1),
            n,
        )
        two = timed(
            "sssp harvest --jobs 2",
            lambda: harvest([folder / "copies"], folder / "out2", jobs=2),
            n,
        )

        print("ratios (same files, same run):")
        print(
            f"  harvest --jobs 1 / bare walk      {one / floor:5.2f}x   (target: at most 2x)"
        )
        print(f"  naive pypdf / bare walk           {naive / floor:5.2f}x")
        print(
            f"  --jobs 2 throughput / --jobs 1    {one / two:5.2f}x   (target: at least 1.8x on 2 cores)"
        )

        small = peak_memory_mb(folder / "copies", folder / "mem100", 100)
        large = peak_memory_mb(folder / "copies", folder / "mem300", 300)
        print(
            f"peak memory: {small:.0f} MB for 100 files, {large:.0f} MB for 300 files "
            f"({large / small:.2f}x; flat is about 1x)"
        )
        shutil.rmtree(folder / "out1", ignore_errors=True)


if __name__ == "__main__":
    main()
