"""The ``sssp`` command: build, read and validate booklets.

Errors in input become one line on stderr and a non-zero exit, never a
traceback. Logging goes to stderr and never carries what a person typed.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import traceback
from pathlib import Path

import click

from . import __version__
from .errors import SsspError

log = logging.getLogger("sssp_print")


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("sssp: %(message)s"))
    root = logging.getLogger("sssp_print")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"sssp: error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sssp")
@click.option("-v", "--verbose", is_flag=True, help="Log each step on stderr.")
def main(verbose: bool) -> None:
    """Build fillable self-assessment booklets and read the filled ones back."""
    _setup_logging(verbose)


@main.command(short_help="Check a framework YAML file.")
@click.argument(
    "framework", required=False, type=click.Path(dir_okay=False, path_type=Path)
)
def validate(framework: Path | None) -> None:
    """Check a framework YAML file (the shipped SSSP when none is given)."""
    from .content import load_framework
    from .layout import check_glyphs

    try:
        fw = load_framework(framework)
        check_glyphs(fw, _fonts_for(fw, framework, ()))
    except SsspError as exc:
        _fail(str(exc))
    count = sum(1 for _ in fw.items())
    click.echo(
        f"{fw.source}: valid ({fw.id} {fw.version}, {count} items, {fw.content_hash})"
    )


@main.command()
@click.argument(
    "framework", required=False, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the PDF [default: build/<framework id>[-print|-a5-booklet][-letter].pdf].",
)
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter"], case_sensitive=False),
    default="a4",
    show_default=True,
    help="Paper size.",
)
@click.option(
    "--edition",
    type=click.Choice(["fillable", "print"], case_sensitive=False),
    default="fillable",
    show_default=True,
    help="fillable: form fields; print: circles and lines for a pen.",
)
@click.option(
    "--imposition",
    type=click.Choice(["none", "a5-booklet"], case_sensitive=False),
    default="none",
    show_default=True,
    help="a5-booklet: half-size pages two to a sheet, in the order for folding and "
    "stapling (implies --edition print).",
)
@click.option("--owner", default="", help="Pre-fill the 'This book belongs to' name.")
@click.option(
    "--font",
    "font",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A TrueType font for all text, instead of the framework's or the default "
    "chain; give it again for fallbacks, first choice first.",
)
@click.option(
    "--date",
    "date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Date to record as the PDF's creation date [default: none, for identical rebuilds].",
)
def build(
    framework: Path | None,
    output: Path | None,
    paper: str,
    edition: str,
    imposition: str,
    owner: str,
    font: tuple[Path, ...],
    date,
) -> None:
    """Build a PDF booklet from a framework YAML file."""
    from .content import load_framework
    from .fonts import describe_missing
    from .impose import impose_booklet, saddle_stitch_order
    from .layout import PAPER_SIZES, layout_booklet
    from .pdf import render_booklet, write_atomically

    if imposition != "none":
        source = click.get_current_context().get_parameter_source("edition")
        if edition == "fillable" and source == click.core.ParameterSource.COMMANDLINE:
            _fail(
                "--imposition a5-booklet makes the print edition; leave out --edition fillable",
                code=2,
            )
        edition = "print"
    suffix = {"none": "", "a5-booklet": "-a5-booklet"}[imposition] or (
        "-print" if edition == "print" else ""
    )
    if (
        paper != "a4"
    ):  # so that the A4 and letter files of a framework live side by side
        suffix += f"-{paper}"
    target = output
    try:
        fw = load_framework(framework)
        log.info("loaded %s (%s %s)", fw.source, fw.id, fw.version)
        target = output or Path("build") / f"{fw.id}{suffix}.pdf"
        fonts = _fonts_for(fw, framework, font)
        # The owner field holds one line: fold any line breaks to spaces.
        owner = " ".join(owner.split())
        page_paper = (
            {"a4": "a5", "letter": "half-letter"}[paper]
            if imposition != "none"
            else paper
        )
        booklet = layout_booklet(
            fw, paper=page_paper, fonts=fonts, owner=owner, edition=edition
        )
        log.info("laid out %d pages", len(booklet.pages))
        data = render_booklet(booklet, fonts=fonts, date=date)
        pages = f"{len(booklet.pages)} pages"
        if imposition != "none":
            width, height = PAPER_SIZES[paper]
            marks = [
                (mark.title, mark.level, index)
                for index, page in enumerate(booklet.pages)
                for mark in page.bookmarks
            ]
            data = impose_booklet(data, sheet_size=(height, width), bookmarks=marks)
            sheets = len(saddle_stitch_order(len(booklet.pages))) // 2
            pages += f" on {sheets} sheets, printed on both sides"
        if fonts.missing:
            log.warning(
                "the owner name has characters that no font in the booklet's font chain has, "
                "so they show as empty boxes: %s",
                describe_missing(fonts.missing),
            )
        write_atomically(target, data)
    except SsspError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{target}: cannot write the PDF ({exc.strerror})")
    click.echo(f"{target}: {pages}, {round(len(data) / 1024)} KB", err=True)


def _unexpected(pdf: Path, exc: Exception) -> None:
    """One line for a file that broke something in an unforeseen way. It names
    the error and the line of code, for a bug report, but never the error's
    message, which could quote what someone typed."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = (
        f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    )
    _fail(
        f"{pdf}: could not be read ({type(exc).__name__}{where}); please report it with the file"
    )


def _fonts_for(fw, framework: Path | None, font: tuple[Path, ...]):
    """The fonts a build uses: --font, else the framework's font:, else ours."""
    from .fonts import FontSet, chains_for

    chain = tuple(str(f) for f in font)
    chosen = {s: chain for s in ("regular", "bold", "italic")} if font else fw.font
    base = Path(fw.source).parent if framework else None
    return FontSet(chains_for(chosen, base) if chosen else None)


@main.command()
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON here instead of to standard output.",
)
def read(pdf: Path, output: Path | None) -> None:
    """Read the answers of a filled booklet as JSON."""
    from .pdf import write_atomically
    from .reader import read_booklet

    log.info("reading %s", pdf)
    try:
        answers = read_booklet(pdf)
    except SsspError as exc:
        _fail(str(exc))
    except Exception as exc:  # a crafted file can break a library in any way
        _unexpected(pdf, exc)
    log.info("%s: %d warning(s)", pdf, len(answers["warnings"]))
    text = json.dumps(answers, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
    else:
        try:
            write_atomically(output, text.encode("utf-8"))
        except OSError as exc:
            _fail(f"{output}: cannot write ({exc.strerror})")
    if answers["warnings"]:
        log.warning("%s: read with %d warning(s)", pdf, len(answers["warnings"]))


@main.command(short_help="Write a static archive copy of a filled booklet.")
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the archive copy.",
)
def flatten(pdf: Path, output: Path) -> None:
    """Write a static archive copy of a filled booklet: answers drawn, no fields."""
    from .flatten import flatten_booklet
    from .pdf import write_atomically

    if output.resolve() == pdf.resolve():
        _fail(f"{output}: choose another file; the filled booklet is never overwritten")
    try:
        result = flatten_booklet(pdf)
        write_atomically(output, result.data)
    except SsspError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{output}: cannot write ({exc.strerror})")
    except Exception as exc:  # a crafted file can break a library in any way
        _unexpected(pdf, exc)
    notes = []
    if result.continued:
        notes.append(
            f"{result.continued} long answer(s) continued on pages added at the end"
        )
    if result.warnings:
        notes.append(
            f"{pdf} has {result.warnings} warning(s): run `sssp read` on it to see them"
        )
    click.echo(
        f"{output}: flattened" + "".join(f"; {note}" for note in notes), err=True
    )


@main.command(short_help="Read a folder of booklets into JSON and spreadsheets.")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the harvest; an earlier harvest there is replaced when the run ends.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Files read at once [default: the number of CPUs].",
)
@click.option(
    "--framework",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The current framework, to flag booklets of other versions [default: the shipped SSSP].",
)
def harvest(
    paths: tuple[Path, ...], out: Path, jobs: int | None, framework: Path | None
) -> None:
    """Read every booklet under PATHS into JSON and spreadsheets in --out."""
    import os

    from .content import load_framework
    from .harvest import HarvestUsageError, find_sources
    from .harvest import harvest as run_harvest

    try:
        fw = load_framework(framework)
    except SsspError as exc:
        _fail(str(exc))
    reference = {"id": fw.id, "version": fw.version, "content_hash": fw.content_hash}
    jobs = jobs or os.cpu_count() or 1

    # A plain kill ends the run as Ctrl-C does: workers stop, nothing half-written stays.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        total = len(find_sources(paths))
        if sys.stderr.isatty():
            with click.progressbar(
                length=total, file=sys.stderr, label="Reading"
            ) as bar:
                summary = run_harvest(
                    list(paths), out, jobs, reference, progress=bar.update
                )
        else:
            summary = run_harvest(list(paths), out, jobs, reference)
    except HarvestUsageError as exc:
        _fail(str(exc), code=2)
    except OSError as exc:
        _fail(f"{out}: cannot write the harvest ({exc.strerror})")
    except KeyboardInterrupt:
        _echo_safely(f"sssp: interrupted; {out} is as it was before this run")
        sys.exit(130)
    files = "file" if total == 1 else "files"
    _echo_safely(
        f"sssp: harvested {total} {files} into {summary.out}: {summary.read} read, "
        f"{summary.warned} read with warnings, {summary.failed} failed"
    )
    sys.exit(1 if summary.failed else 0)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _echo_safely(text: str) -> None:
    """Print on stderr in any console encoding (a Windows code page too)."""
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    safe = text.encode(encoding, errors="backslashreplace").decode(encoding)
    click.echo(safe, err=True)
