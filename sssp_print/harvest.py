"""Folders of returned booklets -> one JSON per booklet, spreadsheets, and a list of problems.

Each file is read in a worker process with limits on time and memory, so a
crafted or broken file costs only its own row in ``problems.csv``. Results are
written into a new folder beside the output folder, which replaces the old
harvest only when the whole run has finished.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import multiprocessing
import os
import queue
import re
import shutil
import signal
import sys
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from .errors import ReadError, SsspError

log = logging.getLogger(__name__)

MARKER = ".sssp-harvest"
FILE_TIMEOUT = 60.0  # seconds one file may take
WORKER_MEMORY = 1536 * 1024 * 1024  # bytes of address space per worker

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class HarvestUsageError(SsspError):
    """The command was asked something it cannot do (exit code 2)."""


@dataclass(frozen=True)
class Source:
    path: Path
    file: str  # shown path, relative to the PATH it was found under


@dataclass
class Outcome:
    source: Source
    answers: dict[str, Any] | None = None
    sha256: str | None = None
    error: tuple[str, str] | None = None  # (kind, detail)
    problems: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # kind, severity, message


# -- finding the files -------------------------------------------------------


def find_sources(paths: Iterable[Path]) -> list[Source]:
    """Every *.pdf (any case) under the given files and folders, in a stable order.

    A file's shown path is relative to the PATH it was found under. When two
    PATHs would give the same one, the later is shown with its PATH as given
    (a folder's name, or a file's path), then numbered. A file reached twice
    is read once.
    """
    sources: list[Source] = []
    used: set[str] = set()
    seen: set[Path] = set()
    for root in paths:
        root = Path(root)
        if root.is_dir():
            found = []
            for folder, dirs, files in os.walk(root):
                dirs.sort()
                for name in files:
                    if name.lower().endswith(".pdf"):
                        found.append(Path(folder) / name)
            relatives = sorted((p.relative_to(root).as_posix(), p) for p in found)
            prefix = root.name
        elif root.exists():
            relatives = [(root.name, root)]
            prefix = None
        else:
            raise HarvestUsageError(f"{root}: no such file or folder")
        for relative, path in relatives:
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            shown = relative
            if shown in used:
                shown = f"{prefix}/{relative}" if prefix else path.as_posix()
            number = 2
            base = shown
            while shown in used:
                shown = f"{base} ({number})"
                number += 1
            used.add(shown)
            sources.append(Source(path, shown))
    return sources


# -- reading, one file per worker task ----------------------------------------


def read_one(path: str) -> dict[str, Any]:
    """Read one file; never raises. Runs inside a worker process."""
    try:
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
    except OSError as exc:
        return {"error": ("missing", f"cannot open the file ({exc.strerror})")}
    from .reader import read_booklet

    try:
        return {"answers": read_booklet(path), "sha256": digest}
    except ReadError as exc:
        return {"error": (exc.kind, exc.detail), "sha256": digest}
    except MemoryError:
        return {
            "error": ("too-large", "needs more memory than a booklet can; not read"),
            "sha256": digest,
        }
    except RecursionError:
        return {
            "error": ("damaged", "its structure is nested too deeply to read"),
            "sha256": digest,
        }
    except Exception as exc:  # a crafted file can break a library in any way
        return {
            "error": ("unreadable", f"could not be read ({type(exc).__name__})"),
            "sha256": digest,
        }


def _limit_memory() -> None:
    try:
        import resource
    except ImportError:  # Windows: no per-process limit; the time limit still holds
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ValueError, OSError):
        pass


def _worker(tasks, results) -> None:
    _limit_memory()
    # Ctrl-C is the parent's to handle; a worker whose parent is gone stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    while True:
        try:
            task = tasks.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:
                return
            continue
        if task is None:
            return
        index, path = task
        results.put(("start", index, os.getpid()))
        results.put(("done", index, read_one(path)))


class _Workers:
    """Worker processes; one that runs past its time is ended and replaced."""

    def __init__(self, jobs: int, timeout: float) -> None:
        context = multiprocessing.get_context(
            "spawn" if sys.platform == "win32" else "fork"
        )
        self.context = context
        self.timeout = timeout
        self.jobs = jobs
        self.tasks = context.Queue()
        self.results = context.Queue()
        self.processes: dict[int, Any] = {}
        for _ in range(jobs):
            self._spawn()

    def _spawn(self) -> None:
        process = self.context.Process(
            target=_worker, args=(self.tasks, self.results), daemon=True
        )
        process.start()
        self.processes[process.pid] = process

    def run(self, paths: list[str], done: Callable[[int, dict], None]) -> None:
        # Tasks are handed out a few at a time, so that an interrupted run
        # has nothing queued up to wait for.
        queued = 0

        def hand_out() -> None:
            nonlocal queued
            while queued < len(paths) and queued - len(finished) < 2 * self.jobs:
                self.tasks.put((queued, paths[queued]))
                queued += 1

        running: dict[int, tuple[int, float]] = {}  # pid -> (task index, started)
        finished: set[int] = set()
        last_event = time.monotonic()

        def finish(index: int, result: dict) -> None:
            if index not in finished:  # a stopped worker's late answer is dropped
                finished.add(index)
                done(index, result)
                hand_out()

        hand_out()

        while len(finished) < len(paths):
            try:
                kind, index, payload = self.results.get(timeout=0.2)
            except queue.Empty:
                pass
            else:
                last_event = time.monotonic()
                if kind == "start":
                    running[payload] = (index, last_event)
                else:
                    running = {p: t for p, t in running.items() if t[0] != index}
                    finish(index, payload)
                continue

            now = time.monotonic()
            for pid, (index, started) in list(running.items()):
                process = self.processes.get(pid)
                timed_out = now - started > self.timeout
                if process is not None and process.is_alive() and not timed_out:
                    continue
                if process is not None:
                    process.kill()
                    process.join()
                    del self.processes[pid]
                del running[pid]
                if timed_out:
                    finish(
                        index,
                        {
                            "error": (
                                "timeout",
                                f"took longer than {self.timeout:g} s to read; stopped",
                            )
                        },
                    )
                else:
                    finish(
                        index,
                        {
                            "error": (
                                "too-large",
                                "made the reader stop (too large, or crafted); not read",
                            )
                        },
                    )
                self._spawn()
                last_event = now

            # A worker that died before it could say which file it had taken.
            if not running and now - last_event > self.timeout + 5:
                for index in range(queued):
                    finish(
                        index,
                        {
                            "error": (
                                "unreadable",
                                "the reader stopped on this file; not read",
                            )
                        },
                    )

    def close(self, interrupted: bool = False) -> None:
        """Let the workers finish (or, when interrupted, end them now)."""
        if not interrupted:
            for _ in self.processes:
                self.tasks.put(None)
        for process in self.processes.values():
            if interrupted:
                process.kill()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
        # Nothing left to read these queues: do not wait for their pipes at exit.
        self.tasks.cancel_join_thread()
        self.results.cancel_join_thread()


# -- checks across the batch --------------------------------------------------


def _is_blank(answers: dict[str, Any]) -> bool:
    """No level ticked and no action written. A name alone does not count:
    organisers often pre-fill it."""
    return all(
        v is None for m in answers["ratings"].values() for v in m.values()
    ) and not any(answers["actions"].values())


DUPLICATES_NAMED = 3  # a message names this many other copies, then counts the rest


def _batch_problems(outcomes: list[Outcome], reference: dict[str, str] | None) -> None:
    by_content: dict[str, list[Outcome]] = {}
    by_booklet: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        answers = outcome.answers
        if answers is None:  # only booklets that were read can be returned twice
            continue
        if outcome.sha256:
            by_content.setdefault(outcome.sha256, []).append(outcome)
        booklet_id = answers.get("booklet_id")
        if booklet_id:
            by_booklet.setdefault(booklet_id, []).append(outcome)

        framework = answers["framework"]
        if reference and framework.get("id") != reference["id"]:
            outcome.problems.append(
                (
                    "other-framework",
                    "warning",
                    f"a booklet of the framework '{framework.get('id')}' {framework.get('version')}, "
                    f"not '{reference['id']}'; read through its own map",
                )
            )
        elif reference and framework.get("content_hash") != reference["content_hash"]:
            outcome.problems.append(
                (
                    "other-version",
                    "warning",
                    f"built from {framework.get('id')} version {framework.get('version')} "
                    f"({framework.get('content_hash', '')[:15]}…), not the current version "
                    f"{reference['version']}; read through its own map",
                )
            )
        if _is_blank(answers):
            outcome.problems.append(
                (
                    "nothing-filled",
                    "warning",
                    "no level is ticked and no action written",
                )
            )

    for groups, what in (
        (by_content, "the same file content"),
        (by_booklet, "the same booklet id"),
    ):
        for group in groups.values():
            if len(group) < 2:
                continue
            for outcome in group:
                others = [o.source.file for o in group if o is not outcome]
                named = ", ".join(others[:DUPLICATES_NAMED])
                if len(others) > DUPLICATES_NAMED:
                    named += f" and {len(others) - DUPLICATES_NAMED} more"
                problem = ("duplicate", "warning", f"{what} as {named}; all are kept")
                if problem not in outcome.problems:
                    outcome.problems.append(problem)


# -- writing ---------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        # A cell starting like a formula is shown as text, not run.
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


def _csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    # The byte-order mark makes Excel read the file as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _merge_columns(sequences: Iterable[list[str]]) -> list[str]:
    """The union of column lists, each new column placed after its predecessor."""
    merged: list[str] = []
    for sequence in sequences:
        previous = None
        for column in sequence:
            if column not in merged:
                position = (
                    merged.index(previous) + 1 if previous in merged else len(merged)
                )
                merged.insert(position, column)
            previous = column
    return merged


def _tables(outcomes: list[Outcome]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    read = [o for o in outcomes if o.answers is not None]
    rating_columns = _merge_columns(
        [
            f"{item}_{moment}"
            for item, moments in o.answers["ratings"].items()
            for moment in moments
        ]
        for o in read
    )
    ratings_rows = []
    for o in read:
        a = o.answers
        levels = {
            f"{item}_{moment}": level
            for item, moments in a["ratings"].items()
            for moment, level in moments.items()
        }
        ratings_rows.append(
            [
                o.source.file,
                a.get("booklet_id"),
                a.get("participant_id"),
                a.get("owner"),
                a["framework"].get("id"),
                a["framework"].get("version"),
                *[levels.get(c) for c in rating_columns],
            ]
        )

    action_columns = _merge_columns(
        [
            k
            for rows in o.answers["actions"].values()
            for row in rows
            for k in row
            if k != "row"
        ]
        for o in read
    )
    actions_rows = []
    for o in read:
        for table, rows in o.answers["actions"].items():
            for row in rows:
                actions_rows.append(
                    [
                        o.source.file,
                        o.answers.get("owner"),
                        table,
                        row["row"],
                        *[row.get(c) for c in action_columns],
                    ]
                )

    problem_rows = []
    for o in outcomes:
        for kind, severity, message in o.problems:
            problem_rows.append([o.source.file, kind, severity, message])

    return {
        "ratings": (
            [
                "file",
                "booklet_id",
                "participant_id",
                "owner",
                "framework_id",
                "framework_version",
                *rating_columns,
            ],
            ratings_rows,
        ),
        "actions": (["file", "owner", "area", "row", *action_columns], actions_rows),
        "problems": (["file", "kind", "severity", "message"], problem_rows),
    }


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_xml(header: list[str], rows: list[list[Any]]) -> str:
    parts = [
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_SHEET_NS}"><sheetData>'
    ]
    letters = [
        _column_letter(i)
        for i in range(1, max(len(header), *(len(r) for r in rows), 1) + 1)
    ]
    for number, values in enumerate([header, *rows], start=1):
        parts.append(f'<row r="{number}">')
        for letter, value in zip(letters, values):
            if value is None:
                continue
            ref = f"{letter}{number}"
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                parts.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                # Inline text: stored as text, so a leading "=" is never a formula.
                text = xml_escape(_XML_ILLEGAL.sub("\ufffd", str(value)))
                wrap = ' s="1"' if "\n" in text else ""  # style 1 wraps its lines
                parts.append(
                    f'<c r="{ref}"{wrap} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                )
        parts.append("</row>")
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def _xlsx_bytes(tables: dict[str, tuple[list[str], list[list[Any]]]]) -> bytes:
    """A minimal Office Open XML workbook with one sheet per table.

    Written here rather than with openpyxl, which took ten times as long on a
    harvest of 300 booklets; the tests read it back with openpyxl.
    """
    names = list(tables)
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, len(names) + 1)
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PACKAGE_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_SHEET_NS}" xmlns:r="{_REL_NS}"><sheets>'
            + "".join(
                f'<sheet name="{xml_escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
                for i, name in enumerate(names, start=1)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PACKAGE_REL_NS}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(names) + 1)
            )
            + f'<Relationship Id="rId{len(names) + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            + "</Relationships>"
        ),
        "xl/styles.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<styleSheet xmlns="{_SHEET_NS}">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
            '<alignment wrapText="1" vertical="top"/></xf></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
    }
    for i, name in enumerate(names, start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = _sheet_xml(*tables[name])

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, text in parts.items():
            # A fixed date, so the same inputs give the same bytes.
            info = zipfile.ZipInfo(part, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return out.getvalue()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# -- the whole run -------------------------------------------------------------


@dataclass
class Summary:
    read: int
    warned: int
    failed: int
    out: Path


def harvest(
    paths: list[Path],
    out: Path,
    jobs: int = 1,
    reference: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
    timeout: float = FILE_TIMEOUT,
) -> Summary:
    """Read every booklet under ``paths`` and write the harvest to ``out``.

    Raises:
        HarvestUsageError: ``out`` holds something that is not a harvest.
    """
    out = Path(out)
    _check_replaceable(out)
    sources = find_sources(paths)
    if not sources:
        raise HarvestUsageError(
            "found no *.pdf files under " + ", ".join(str(p) for p in paths)
        )
    outcomes = [Outcome(source) for source in sources]

    def done(index: int, result: dict) -> None:
        outcome = outcomes[index]
        outcome.sha256 = result.get("sha256")
        if "error" in result:
            outcome.error = tuple(result["error"])
            log.info("%s: not read (%s)", outcome.source.file, outcome.error[0])
        else:
            outcome.answers = result["answers"]
            warnings = len(outcome.answers["warnings"])
            log.info(
                "%s: read%s",
                outcome.source.file,
                f" with {warnings} warning(s)" if warnings else "",
            )
        if progress:
            progress(1)

    workers = _Workers(max(1, jobs), timeout)
    try:
        workers.run([str(s.path) for s in sources], done)
    except BaseException:
        workers.close(interrupted=True)
        raise
    workers.close()

    for outcome in outcomes:
        if outcome.error:
            kind, detail = outcome.error
            outcome.problems.append((kind, "error", detail))
        elif outcome.answers is not None:
            for warning in outcome.answers["warnings"]:
                outcome.problems.append(
                    (warning["kind"], "warning", warning["message"])
                )
    _batch_problems(outcomes, reference)

    staging = out.parent / f".{out.name}.new-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        staging.mkdir(parents=True)
        for outcome in outcomes:
            if outcome.answers is None:
                continue
            answers = dict(outcome.answers)
            harvest_warnings = [
                {"kind": kind, "item": None, "moment": None, "message": message}
                for kind, _, message in outcome.problems
                if kind
                in ("duplicate", "other-version", "other-framework", "nothing-filled")
            ]
            answers["warnings"] = [*answers["warnings"], *harvest_warnings]
            record = {"file": outcome.source.file, **answers}
            text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
            _write(
                staging / "responses" / f"{outcome.source.file}.json",
                text.encode("utf-8"),
            )
        tables = _tables(outcomes)
        for name, (header, rows) in tables.items():
            _write(staging / f"{name}.csv", _csv_bytes(header, rows))
        _write(staging / "harvest.xlsx", _xlsx_bytes(tables))
        _write(staging / MARKER, b"sssp-print harvest\n")
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

    failed = sum(1 for o in outcomes if o.error)
    warned = sum(1 for o in outcomes if not o.error and o.problems)
    return Summary(len(outcomes) - failed - warned, warned, failed, out)


HARVEST_FILES = {MARKER, "ratings.csv", "actions.csv", "problems.csv", "harvest.xlsx"}


def _check_replaceable(out: Path) -> None:
    """Refuse an output folder that holds anything a harvest did not write."""
    if not out.exists():
        return
    if not out.is_dir():
        raise HarvestUsageError(f"{out}: is a file; choose a new or empty folder")
    entries = list(out.iterdir())
    if not entries:
        return
    if not (out / MARKER).exists():
        first = min(entry.name for entry in entries)
        others = f" and {len(entries) - 1} more" if len(entries) > 1 else ""
        raise HarvestUsageError(
            f"{out}: holds {first}{others} and is not an earlier harvest; choose a new or empty folder"
        )
    for entry in entries:
        if entry.name == "responses" and entry.is_dir():
            for path in entry.rglob("*"):
                if not (path.is_dir() or path.name.endswith(".json")):
                    raise HarvestUsageError(
                        f"{out}: holds {path.relative_to(out)}, which a harvest did not write; "
                        "move it away first, or choose another folder"
                    )
        elif entry.name not in HARVEST_FILES:
            raise HarvestUsageError(
                f"{out}: holds {entry.name}, which a harvest did not write; "
                "move it away first, or choose another folder"
            )


def _swap_in(staging: Path, out: Path) -> None:
    """Put the finished harvest in place of the old one."""
    if not out.exists():
        os.replace(staging, out)
        return
    retired = out.parent / f".{out.name}.old-{os.getpid()}"
    os.replace(out, retired)
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(retired, out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
