"""The field naming scheme: framework ids -> PDF field names and their meanings.

Builder and reader both import this module, so a name is made in one place
only. Names are flat (no hierarchy): PDF readers treat a period as a level
separator, so none is ever used, and framework ids cannot contain one. The
parts are joined with ':', which ids cannot contain either, so no two items
ever share a name. The reader does not parse names: each booklet stores the
meaning of every field (``FieldMeaning``) in its own map. Only when an app
has dropped that map does the reader fall back on ``meaning_of``.

    booklet                     a hidden field: which framework, which booklet
    owner                       the "This book belongs to" field
    level:<item>:<moment>       a radio group, on-states "0".."n" (the level)
    clear:<item>:<moment>       the push button that resets that group
    action:<table>:<row>:<col>  one cell of an action table, rows from 1
"""

from __future__ import annotations

from dataclasses import dataclass

SEPARATOR = ":"
BOOKLET = "booklet"
OWNER = "owner"
LEVEL = "level"
CLEAR = "clear"
ACTION = "action"


@dataclass(frozen=True)
class FieldMeaning:
    """What a field stands for, as stored in the booklet's own field map."""

    role: str
    item: str | None = None
    moment: str | None = None
    table: str | None = None
    row: int | None = None
    column: str | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, data: dict) -> FieldMeaning:
        return cls(
            role=str(data["role"]),
            item=data.get("item"),
            moment=data.get("moment"),
            table=data.get("table"),
            row=int(data["row"]) if data.get("row") is not None else None,
            column=data.get("column"),
        )


def booklet_field() -> str:
    return BOOKLET


def owner_field() -> str:
    return OWNER


def level_field(item_id: str, moment_id: str) -> str:
    return SEPARATOR.join((LEVEL, item_id, moment_id))


def clear_field(item_id: str, moment_id: str) -> str:
    return SEPARATOR.join((CLEAR, item_id, moment_id))


def action_field(table_id: str, row: int, column_id: str) -> str:
    return SEPARATOR.join((ACTION, table_id, str(row), column_id))


def level_state(level: int) -> str:
    """The on-state name of the button for ``level`` (a PDF name without '/')."""
    return str(level)


def parse_level_state(state: str) -> int | None:
    """A button state or group value -> the level, or None for off/unknown."""
    state = state.lstrip("/")
    return int(state) if state.isdigit() else None


def meaning_of(name: str) -> FieldMeaning | None:
    """The meaning of a field read from its name alone; None for names
    outside this scheme."""
    if name == OWNER:
        return FieldMeaning(OWNER)
    parts = name.split(SEPARATOR)
    if parts[0] in (LEVEL, CLEAR) and len(parts) == 3 and all(parts[1:]):
        return FieldMeaning(parts[0], item=parts[1], moment=parts[2])
    if (
        parts[0] == ACTION
        and len(parts) == 4
        and parts[1]
        and parts[2].isdigit()
        and parts[3]
    ):
        return FieldMeaning(ACTION, table=parts[1], row=int(parts[2]), column=parts[3])
    return None
