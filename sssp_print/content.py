"""Framework YAML -> checked, immutable ``Framework`` objects.

The YAML is composed into nodes (safe loading, no Python tags) and walked by
hand, so that every complaint can name the file, the line and the path of the
bad node, e.g. ``sssp.yaml:212: sections[0].areas[3].items[1].levels: level 5
is not on the scale 0-4``.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")

# Words the booklet prints around the framework's own text. A translated
# framework overrides them under `labels:` so no English is left in it.
DEFAULT_LABELS: dict[str, str] = {
    "contents": "Contents",
    "pages": "pages {first}–{last}",
    "page": "page {first}",
    "page_footer": "Page {page} of {pages}",
    "section": "Section {number}",
    "section_title": "{section}: {title}",
    "numbered": "{number}. {title}",
    "continued": "{item}, continued",
    "action_plan_title": "{plan}: {area}",
    "clear": "Clear",
    "group_tooltip": "{item}, {moment}",
    "level_tooltip": "{item}, {moment}: level {level}, {label}",
    "action_tooltip": "{plan} {area}, row {row}: {column}",
    "clear_tooltip": "Clear the level chosen for {item}, {moment}",
    "owner_tooltip": "Name of the person this booklet belongs to",
    "action_plan": "Action plan",
    "level_header": "{label} ({level})",
    "how_to_title": "How to fill in this booklet",
    "how_to": (
        "Fill it in on screen in a PDF reader: Adobe Acrobat Reader, or a web "
        "browser such as Chrome, Edge or Firefox. Tick one box for the level "
        "that fits you best, at the beginning and again at the end of the "
        "course. To take a tick back, use the small Clear button on that row.\n"
        "Save the file (File > Save, or the browser’s download button) and "
        "return that file. Do not use Print to PDF: it removes the boxes you "
        "filled in, and your answers cannot be read back.\n"
        "You can also print the booklet and fill it in by hand."
    ),
    "how_to_print": (
        "Fill in this booklet by hand. Tick one circle for the level that fits "
        "you best, at the beginning and again at the end of the course. To "
        "change a tick, cross it out clearly and tick again.\n"
        "Write your actions on the lines of the action plans. Use a dark pen, "
        "so that a scan or a copy stays readable."
    ),
}


# The {placeholders} each label may use.
LABEL_FIELDS: dict[str, frozenset[str]] = {
    "pages": frozenset({"first", "last"}),
    "page": frozenset({"first"}),
    "page_footer": frozenset({"page", "pages"}),
    "section": frozenset({"number"}),
    "section_title": frozenset({"section", "title"}),
    "numbered": frozenset({"number", "title"}),
    "continued": frozenset({"item"}),
    "action_plan_title": frozenset({"plan", "area"}),
    "clear_tooltip": frozenset({"item", "moment"}),
    "group_tooltip": frozenset({"item", "moment"}),
    "level_tooltip": frozenset({"item", "moment", "level", "label"}),
    "action_tooltip": frozenset({"plan", "area", "row", "column"}),
    "level_header": frozenset({"label", "level"}),
}


@dataclass(frozen=True)
class Statement:
    """One descriptor statement; a lead-in keeps its sub-items under it."""

    text: str
    items: tuple[str, ...] = ()
    editorial: str | None = None
    closing: str | None = None  # words that finish the lead-in after its list


@dataclass(frozen=True)
class Item:
    """A rated thing: a competence, or an impact area that rates itself."""

    id: str
    number: str
    title: str
    levels: dict[int, tuple[Statement, ...]]
    section_id: str
    area_id: str
    kind_label: str
    editorial: str | None = None

    @property
    def display_name(self) -> str:
        """Words that name the item in tooltips, e.g. ``Competence 2``."""
        return f"{self.kind_label} {self.number}".strip()


@dataclass(frozen=True)
class Area:
    """A group of items with one action table after it."""

    id: str
    title: str
    items: tuple[Item, ...]
    section_id: str
    number: str | None = None
    editorial: str | None = None


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    item_label: str
    areas: tuple[Area, ...]


@dataclass(frozen=True)
class ScaleLevel:
    level: int
    label: str


@dataclass(frozen=True)
class Moment:
    id: str
    label: str


@dataclass(frozen=True)
class ActionColumn:
    id: str
    label: str
    multiline: bool
    width: float


@dataclass(frozen=True)
class ActionTable:
    rows: int
    columns: tuple[ActionColumn, ...]


@dataclass(frozen=True)
class Framework:
    """A whole framework, checked; ``content_hash`` fingerprints its content."""

    id: str
    version: str
    title: str
    subtitle: str
    owner_label: str
    language: str
    author: str
    font: dict[
        str, tuple[str, ...]
    ]  # style -> font files named by the framework; empty: defaults
    scale: tuple[ScaleLevel, ...]
    moments: tuple[Moment, ...]
    action_table: ActionTable
    sections: tuple[Section, ...]
    labels: dict[str, str]
    content_hash: str
    source: str = field(default="", compare=False)

    def areas(self) -> Iterator[Area]:
        for section in self.sections:
            yield from section.areas

    def items(self) -> Iterator[Item]:
        for area in self.areas():
            yield from area.items

    def level_label(self, level: int) -> str:
        return next(s.label for s in self.scale if s.level == level)


def default_framework_path() -> Path:
    """The SSSP framework shipped inside the package."""
    return Path(str(resources.files("sssp_print.shipped_content") / "sssp.yaml"))


def load_framework(path: str | Path | None = None) -> Framework:
    """Read and check a framework file.

    Args:
        path: the YAML file; the shipped SSSP framework when None.

    Raises:
        ContentError: one line naming the file, line and node at fault.
    """
    path = Path(path) if path is not None else default_framework_path()
    shown = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError(f"{shown}: cannot read the file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContentError(
            f"{shown}: not UTF-8 text (bad byte at offset {exc.start})"
        ) from None

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problem = exc.problem or exc.context or "bad YAML"
        raise ContentError(f"{shown}:{line}: YAML syntax: {problem}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise ContentError(
            f"{shown}:{line}: the character U+{exc.character:04X} is not allowed in YAML"
        ) from None
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "bad YAML"
        raise ContentError(f"{shown}: YAML syntax: {first}") from None
    if root is None:
        raise ContentError(f"{shown}:1: the file is empty")

    return _FrameworkReader(shown).read(root)


def canonical_content(data: Any) -> bytes:
    """A serialisation that ignores YAML layout, quoting and line endings."""
    return json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


class _FrameworkReader:
    """Walks composed YAML nodes, building objects and checking each node."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.seen_ids: dict[str, str] = {}

    # -- generic node checks -------------------------------------------------

    def fail(self, node: yaml.Node, path: str, message: str) -> ContentError:
        line = node.start_mark.line + 1
        where = f"{path}: " if path else ""
        return ContentError(f"{self.source}:{line}: {where}{message}")

    def mapping(
        self,
        node: yaml.Node,
        path: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, path, f"expected a mapping, found {_kind(node)}")
        result: dict[str, yaml.Node] = {}
        allowed = required + optional
        for key_node, value_node in node.value:
            key = self.scalar_text(key_node, path)
            if key in result:
                raise self.fail(key_node, path, f"key '{key}' appears twice")
            if key not in allowed:
                hint = _closest(key, allowed)
                suggestion = f" (did you mean '{hint}'?)" if hint else ""
                raise self.fail(
                    key_node,
                    path,
                    f"unknown key '{key}'{suggestion}; allowed: {', '.join(allowed)}",
                )
            result[key] = value_node
        for key in required:
            if key not in result:
                raise self.fail(node, path, f"missing required key '{key}'")
        return result

    def scalar_text(self, node: yaml.Node, path: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, path, f"expected text, found {_kind(node)}")
        return str(node.value)

    def text(self, node: yaml.Node, path: str) -> str:
        """A non-empty string (numbers written bare are taken as text)."""
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, path, f"expected text, found {_kind(node)}")
        if node.tag == "tag:yaml.org,2002:null":
            raise self.fail(node, path, "must not be empty")
        # Runs of spaces fold to one; line breaks the author wrote are kept.
        lines = str(node.value).splitlines()
        value = "\n".join(" ".join(line.split()) for line in lines).strip()
        if not value.strip():
            raise self.fail(node, path, "must not be empty")
        return value

    def integer(self, node: yaml.Node, path: str, minimum: int | None = None) -> int:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int":
            raise self.fail(node, path, f"expected a whole number, found {_kind(node)}")
        try:
            value = int(node.value.replace("_", ""), 0)
        except ValueError:
            raise self.fail(
                node, path, f"expected a whole number, found '{node.value}'"
            ) from None
        if minimum is not None and value < minimum:
            raise self.fail(node, path, f"must be at least {minimum}, found {value}")
        return value

    def number(self, node: yaml.Node, path: str) -> float:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
        ):
            raise self.fail(node, path, f"expected a number, found {_kind(node)}")
        value = float(node.value)
        if not value > 0:
            raise self.fail(node, path, f"must be greater than 0, found {node.value}")
        return value

    def boolean(self, node: yaml.Node, path: str) -> bool:
        if (
            not isinstance(node, yaml.ScalarNode)
            or node.tag != "tag:yaml.org,2002:bool"
        ):
            raise self.fail(node, path, f"expected true or false, found {_kind(node)}")
        return node.value.lower() in ("true", "yes", "on")

    def sequence(self, node: yaml.Node, path: str, non_empty: bool = True) -> list:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, path, f"expected a list, found {_kind(node)}")
        if non_empty and not node.value:
            raise self.fail(node, path, "must not be an empty list")
        return list(node.value)

    def new_id(self, node: yaml.Node, path: str, namespace: str = "") -> str:
        value = self.text(node, path)
        if not ID_PATTERN.match(value):
            raise self.fail(
                node,
                path,
                f"id '{value}' may hold only letters, digits, '_' and '-', "
                "and must start with a letter or digit",
            )
        key = f"{namespace}:{value}"
        if key in self.seen_ids:
            raise self.fail(
                node,
                path,
                f"duplicate id '{value}' (first used at {self.seen_ids[key]})",
            )
        self.seen_ids[key] = f"line {node.start_mark.line + 1}"
        return value

    # -- the schema ---------------------------------------------------------

    def read(self, root: yaml.Node) -> Framework:
        top = self.mapping(
            root,
            "",
            required=(
                "id",
                "version",
                "title",
                "scale",
                "moments",
                "action_table",
                "sections",
            ),
            optional=(
                "subtitle",
                "owner_label",
                "language",
                "author",
                "font",
                "labels",
            ),
        )
        data: dict[str, Any] = {}
        fw_id = self.new_id(top["id"], "id", "framework")
        version = self.text(top["version"], "version")
        title = self.text(top["title"], "title")
        subtitle = self.text(top["subtitle"], "subtitle") if "subtitle" in top else ""
        owner_label = (
            self.text(top["owner_label"], "owner_label")
            if "owner_label" in top
            else "This book belongs to..."
        )
        language = self.text(top["language"], "language") if "language" in top else "en"
        author = self.text(top["author"], "author") if "author" in top else ""
        font = self.read_font(top["font"]) if "font" in top else {}
        scale = self.read_scale(top["scale"])
        moments = self.read_moments(top["moments"])
        action_table = self.read_action_table(top["action_table"])
        labels = self.read_labels(top["labels"]) if "labels" in top else {}
        scale_levels = {s.level for s in scale}
        sections = tuple(
            self.read_section(node, f"sections[{i}]", scale_levels)
            for i, node in enumerate(self.sequence(top["sections"], "sections"))
        )

        data = {
            "id": fw_id,
            "version": version,
            "title": title,
            "subtitle": subtitle,
            "owner_label": owner_label,
            "language": language,
            "author": author,
            "font": {style: list(chain) for style, chain in font.items()},
            "scale": [[s.level, s.label] for s in scale],
            "moments": [[m.id, m.label] for m in moments],
            "action_table": {
                "rows": action_table.rows,
                "columns": [
                    [c.id, c.label, c.multiline, c.width] for c in action_table.columns
                ],
            },
            "labels": labels,
            "sections": [_section_data(s) for s in sections],
        }
        digest = hashlib.sha256(canonical_content(data)).hexdigest()
        return Framework(
            id=fw_id,
            version=version,
            title=title,
            subtitle=subtitle,
            owner_label=owner_label,
            language=language,
            author=author,
            font=font,
            scale=scale,
            moments=moments,
            action_table=action_table,
            sections=sections,
            labels={**DEFAULT_LABELS, **labels},
            content_hash=f"sha256:{digest}",
            source=self.source,
        )

    def read_scale(self, node: yaml.Node) -> tuple[ScaleLevel, ...]:
        levels = []
        for i, entry in enumerate(self.sequence(node, "scale")):
            path = f"scale[{i}]"
            fields = self.mapping(entry, path, required=("level", "label"))
            level = self.integer(fields["level"], f"{path}.level", minimum=0)
            if level != i:
                raise self.fail(
                    fields["level"],
                    f"{path}.level",
                    f"levels must count up from 0 in order; expected {i}, found {level}",
                )
            levels.append(
                ScaleLevel(level, self.text(fields["label"], f"{path}.label"))
            )
        if len(levels) < 2:
            raise self.fail(node, "scale", "a scale needs at least two levels")
        return tuple(levels)

    def read_moments(self, node: yaml.Node) -> tuple[Moment, ...]:
        moments = []
        for i, entry in enumerate(self.sequence(node, "moments")):
            path = f"moments[{i}]"
            fields = self.mapping(entry, path, required=("id", "label"))
            moments.append(
                Moment(
                    self.new_id(fields["id"], f"{path}.id", "moment"),
                    self.text(fields["label"], f"{path}.label"),
                )
            )
        return tuple(moments)

    def read_action_table(self, node: yaml.Node) -> ActionTable:
        fields = self.mapping(node, "action_table", required=("rows", "columns"))
        rows = self.integer(fields["rows"], "action_table.rows", minimum=1)
        columns = []
        for i, entry in enumerate(
            self.sequence(fields["columns"], "action_table.columns")
        ):
            path = f"action_table.columns[{i}]"
            col = self.mapping(
                entry, path, required=("id", "label"), optional=("multiline", "width")
            )
            columns.append(
                ActionColumn(
                    id=self.new_id(col["id"], f"{path}.id", "column"),
                    label=self.text(col["label"], f"{path}.label"),
                    multiline=(
                        self.boolean(col["multiline"], f"{path}.multiline")
                        if "multiline" in col
                        else False
                    ),
                    width=self.number(col["width"], f"{path}.width")
                    if "width" in col
                    else 1.0,
                )
            )
        return ActionTable(rows, tuple(columns))

    def read_font(self, node: yaml.Node) -> dict[str, tuple[str, ...]]:
        """A font (or a list: a chain, first choice first) for every style,
        or a mapping of regular/bold/italic to one of those."""
        if not isinstance(node, yaml.MappingNode):
            chain = self.font_chain(node, "font")
            return {"regular": chain, "bold": chain, "italic": chain}
        fields = self.mapping(
            node, "font", required=("regular",), optional=("bold", "italic")
        )
        regular = self.font_chain(fields["regular"], "font.regular")
        return {
            style: self.font_chain(fields[style], f"font.{style}")
            if style in fields
            else regular
            for style in ("regular", "bold", "italic")
        }

    def font_chain(self, node: yaml.Node, path: str) -> tuple[str, ...]:
        if isinstance(node, yaml.SequenceNode):
            return tuple(
                self.text(n, f"{path}[{i}]")
                for i, n in enumerate(self.sequence(node, path))
            )
        return (self.text(node, path),)

    def read_labels(self, node: yaml.Node) -> dict[str, str]:
        fields = self.mapping(
            node, "labels", required=(), optional=tuple(DEFAULT_LABELS)
        )
        labels = {}
        for key, value_node in fields.items():
            path = f"labels.{key}"
            text = self.text(value_node, path)
            allowed = LABEL_FIELDS.get(key, frozenset())
            try:
                used = {
                    name
                    for _, name, _, _ in string.Formatter().parse(text)
                    if name is not None
                }
            except ValueError as exc:
                raise self.fail(
                    value_node, path, f"{exc} (write {{{{ and }}}} for a literal brace)"
                ) from None
            unknown = sorted(used - allowed)
            if unknown:
                offer = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"
                raise self.fail(
                    value_node,
                    path,
                    f"unknown placeholder {{{unknown[0]}}}; this label can use: {offer}",
                )
            labels[key] = text
        return labels

    def read_section(self, node: yaml.Node, path: str, scale: set[int]) -> Section:
        fields = self.mapping(
            node, path, required=("id", "title", "areas"), optional=("item_label",)
        )
        section_id = self.new_id(fields["id"], f"{path}.id", "section")
        title = self.text(fields["title"], f"{path}.title")
        item_label = (
            self.text(fields["item_label"], f"{path}.item_label")
            if "item_label" in fields
            else ""
        )
        areas = []
        counter = 0
        for i, area_node in enumerate(self.sequence(fields["areas"], f"{path}.areas")):
            area, counter = self.read_area(
                area_node, f"{path}.areas[{i}]", section_id, item_label, scale, counter
            )
            areas.append(area)
        return Section(section_id, title, item_label, tuple(areas))

    def read_area(
        self,
        node: yaml.Node,
        path: str,
        section_id: str,
        item_label: str,
        scale: set[int],
        counter: int,
    ) -> tuple[Area, int]:
        fields = self.mapping(
            node,
            path,
            required=("id", "title"),
            optional=("items", "levels", "number", "editorial"),
        )
        # An area either holds items, or is itself the rated item (as the
        # SSSP's impact areas are); it owns one action table either way.
        if ("items" in fields) == ("levels" in fields):
            raise self.fail(
                node, path, "an area needs either 'items' or 'levels', not both"
            )
        area_id = self.new_id(fields["id"], f"{path}.id", "node")
        title = self.text(fields["title"], f"{path}.title")
        editorial = self.optional_text(fields, "editorial", path)
        number = (
            self.text(fields["number"], f"{path}.number")
            if "number" in fields
            else None
        )

        if "levels" in fields:
            counter += 1
            item = Item(
                id=area_id,
                number=number or str(counter),
                title=title,
                levels=self.read_levels(fields["levels"], f"{path}.levels", scale),
                section_id=section_id,
                area_id=area_id,
                kind_label=item_label,
                editorial=editorial,
            )
            return Area(area_id, title, (item,), section_id, number, editorial), counter

        items = []
        for i, item_node in enumerate(self.sequence(fields["items"], f"{path}.items")):
            item_path = f"{path}.items[{i}]"
            item_fields = self.mapping(
                item_node,
                item_path,
                required=("id", "title", "levels"),
                optional=("number", "editorial"),
            )
            counter += 1
            items.append(
                Item(
                    id=self.new_id(item_fields["id"], f"{item_path}.id", "node"),
                    number=(
                        self.text(item_fields["number"], f"{item_path}.number")
                        if "number" in item_fields
                        else str(counter)
                    ),
                    title=self.text(item_fields["title"], f"{item_path}.title"),
                    levels=self.read_levels(
                        item_fields["levels"], f"{item_path}.levels", scale
                    ),
                    section_id=section_id,
                    area_id=area_id,
                    kind_label=item_label,
                    editorial=self.optional_text(item_fields, "editorial", item_path),
                )
            )
        return Area(
            area_id, title, tuple(items), section_id, number, editorial
        ), counter

    def read_levels(
        self, node: yaml.Node, path: str, scale: set[int]
    ) -> dict[int, tuple[Statement, ...]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(
                node,
                path,
                f"expected a mapping of level -> statements, found {_kind(node)}",
            )
        if not node.value:
            raise self.fail(node, path, "must describe at least one level")
        levels: dict[int, tuple[Statement, ...]] = {}
        top = max(scale)
        for key_node, value_node in node.value:
            level = self.integer(key_node, path)
            if level not in scale:
                raise self.fail(
                    key_node, path, f"level {level} is not on the scale 0-{top}"
                )
            if level in levels:
                raise self.fail(key_node, path, f"level {level} appears twice")
            level_path = f"{path}[{level}]"
            statements = tuple(
                self.read_statement(s, f"{level_path}[{i}]")
                for i, s in enumerate(self.sequence(value_node, level_path))
            )
            levels[level] = statements
        return dict(sorted(levels.items()))

    def read_statement(self, node: yaml.Node, path: str) -> Statement:
        if isinstance(node, yaml.ScalarNode):
            return Statement(self.text(node, path))
        fields = self.mapping(
            node, path, required=("text",), optional=("items", "closing", "editorial")
        )
        items = ()
        if "items" in fields:
            items = tuple(
                self.text(sub, f"{path}.items[{i}]")
                for i, sub in enumerate(self.sequence(fields["items"], f"{path}.items"))
            )
        if "closing" in fields and not items:
            raise self.fail(
                fields["closing"],
                f"{path}.closing",
                "only a lead-in with 'items' can have a closing",
            )
        return Statement(
            self.text(fields["text"], f"{path}.text"),
            items,
            self.optional_text(fields, "editorial", path),
            self.optional_text(fields, "closing", path),
        )

    def optional_text(
        self, fields: dict[str, yaml.Node], key: str, path: str
    ) -> str | None:
        return self.text(fields[key], f"{path}.{key}") if key in fields else None


def _section_data(section: Section) -> dict[str, Any]:
    return {
        "id": section.id,
        "title": section.title,
        "item_label": section.item_label,
        "areas": [
            {
                "id": area.id,
                "title": area.title,
                "number": area.number,
                "editorial": area.editorial,
                "items": [
                    {
                        "id": item.id,
                        "number": item.number,
                        "title": item.title,
                        "editorial": item.editorial,
                        "levels": {
                            str(level): [
                                [s.text, list(s.items), s.closing, s.editorial]
                                for s in statements
                            ]
                            for level, statements in item.levels.items()
                        },
                    }
                    for item in area.items
                ],
            }
            for area in section.areas
        ],
    }


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == "tag:yaml.org,2002:null":
        return "nothing"
    if node.tag == "tag:yaml.org,2002:bool":
        return f"true/false '{node.value}'"
    if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        return f"the number {node.value}"
    return f"the text '{_shorten(node.value)}'"


def _shorten(text: str, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _closest(word: str, choices: tuple[str, ...]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None
