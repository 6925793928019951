"""Fill a booklet with pdf.js (Firefox's engine) by running it under Node."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from .plan import FillPlan

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("pdfjs_fill.mjs")


def pdfjs_version() -> str:
    package = ROOT / "node_modules" / "pdfjs-dist" / "package.json"
    return json.loads(package.read_text())["version"]


def fill_with_pdfjs(source: Path, target: Path, plan: FillPlan) -> None:
    instructions = {
        "text": plan.field_values(),
        "steps": [
            [f"level:{item}:{moment}", None if level is None else str(level)]
            for item, moment, level in plan.steps
        ],
    }
    with tempfile.NamedTemporaryFile(
        "w", suffix=".json", delete=False, encoding="utf-8"
    ) as f:
        json.dump(instructions, f, ensure_ascii=False)
    try:
        result = subprocess.run(
            ["node", str(SCRIPT), str(source), str(target), f.name],
            cwd=ROOT,
            capture_output=True,
            timeout=120,
        )
    finally:
        Path(f.name).unlink()
    if result.returncode != 0:
        raise RuntimeError(
            f"pdf.js fill failed: {result.stderr.decode(errors='replace')[-2000:]}"
        )
