"""Build benchmark: size and time of the full fillable booklet, next to a bare
reportlab script that draws the same statements with no fields (the floor).

Targets: at most 250 KB, and at most 1 s to build on a 2-core machine.
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from sssp_print.content import load_framework
from sssp_print.fonts import fonts_dir
from sssp_print.layout import layout_booklet
from sssp_print.pdf import render_booklet

RUNS = 5


def bare_reportlab(framework) -> bytes:
    """Every title and statement, wrapped into one column, nothing else."""
    pdfmetrics.registerFont(
        TTFont("bench-regular", str(fonts_dir() / "DejaVuSansCondensed.ttf"))
    )
    pdfmetrics.registerFont(
        TTFont("bench-bold", str(fonts_dir() / "DejaVuSansCondensed-Bold.ttf"))
    )
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1, pageCompression=1)
    y = 800.0

    def line(text: str, font: str, size: float) -> None:
        nonlocal y
        for part in simpleSplit(text, font, size, 480) or [""]:
            if y < 60:
                canvas.showPage()
                y = 800.0
            canvas.setFont(font, size)
            canvas.drawString(58, y, part)
            y -= size * 1.25

    line(framework.title, "bench-bold", 20)
    for item in framework.items():
        line(item.title, "bench-bold", 11)
        for statements in item.levels.values():
            for statement in statements:
                for text in (statement.text, *statement.items, statement.closing or ""):
                    line(text, "bench-regular", 9)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def best_of(action) -> tuple[float, object]:
    times, result = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    framework = load_framework()
    floor_time, floor_pdf = best_of(lambda: bare_reportlab(framework))
    build_time, booklet = best_of(lambda: render_booklet(layout_booklet(framework)))

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sssp.pdf"
        command = [sys.executable, "-m", "sssp_print", "build", "-o", str(out)]
        subprocess.run(command, check=True, capture_output=True)  # warm the caches
        cli_times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            cli_times.append(time.perf_counter() - start)
        cli_time = statistics.median(cli_times)

    kb = len(booklet) / 1024
    floor_kb = len(floor_pdf) / 1024
    print(f"build benchmark (median of {RUNS} runs):")
    print(
        f"  bare reportlab, statements only (floor)  {floor_time:6.3f} s  {floor_kb:7.1f} KB"
    )
    print(
        f"  fillable booklet, in process             {build_time:6.3f} s  {kb:7.1f} KB  ({len(booklet):,} bytes)"
    )
    print(f"  `sssp build` as a command                {cli_time:6.3f} s")
    print("ratios:")
    print(
        f"  build time / floor   {build_time / floor_time:5.2f}x   (target: at most 1 s in all: {build_time:.2f} s)"
    )
    print(
        f"  size / floor         {kb / floor_kb:5.2f}x   (target: at most 250 KB: {kb:.0f} KB, {len(booklet):,} bytes)"
    )


if __name__ == "__main__":
    main()
