"""What a test fills into a booklet, and the answers that must come back.

One plan is filled by every engine, so each engine is held to the same
result. Steps on a level happen in order, like a person's clicks: a level
changed twice ends on its last value, and None presses the row's Clear
button.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LONG_TEXT = (
    "Zoë and Łukasz met the Ærø group; Κάθε Δευτέρα 陳大文 joined by video 📚✅. " * 9
).strip()


@dataclass
class FillPlan:
    owner: str = "Zoë Łukasz-Ærø Κώστας 陳大文 🙂"
    steps: list[tuple[str, str, int | None]] = field(
        default_factory=lambda: [
            ("C1", "begin", 1),
            ("C1", "begin", 3),  # changed once
            ("C1", "end", 2),
            ("C1", "end", 0),
            ("C1", "end", 4),  # changed twice
            ("C3", "begin", 2),
            ("C3", "begin", None),  # cleared
            ("C7", "end", 0),
            ("C9", "begin", 4),
            ("C9", "end", 4),
            ("C14", "begin", 1),
            ("C18", "end", 3),
            ("I1", "begin", 2),
            ("I5", "end", 1),
            ("I5", "end", 2),
        ]
    )
    cells: dict[tuple[str, int, str], str] = field(
        default_factory=lambda: {
            ("A", 1, "action"): "Join the SENCO network.\nShare notes with staff.",
            ("A", 1, "by_whom"): "Zoë & Łukasz",
            ("A", 1, "by_when"): "März 2027",
            ("A", 1, "notes"): "Ærø: first line\nsecond line\n\nafter a blank line",
            ("C", 2, "action"): "Μελέτη περίπτωσης για 陳大文",
            ("G", 5, "notes"): LONG_TEXT,
            ("I3", 4, "action"): "Staff survey 📋 in June 🙂",
            ("I5", 1, "by_whom"): "陳大文",
        }
    )

    def expected_ratings(self, framework) -> dict:
        ratings = {
            i.id: {m.id: None for m in framework.moments} for i in framework.items()
        }
        for item, moment, level in self.steps:
            ratings[item][moment] = level
        return ratings

    def expected_actions(self, framework) -> dict:
        rows: dict[tuple[str, int], dict[str, str]] = {}
        for (table, row, column), text in self.cells.items():
            rows.setdefault((table, row), {})[column] = text
        actions = {area.id: [] for area in framework.areas()}
        for (table, row), cells in sorted(rows.items(), key=lambda kv: kv[0][1]):
            actions[table].append(
                {
                    "row": row,
                    **{c.id: cells.get(c.id) for c in framework.action_table.columns},
                }
            )
        return actions

    def field_values(self) -> dict[str, str]:
        values = {"owner": self.owner}
        for (table, row, column), text in self.cells.items():
            values[f"action:{table}:{row}:{column}"] = text
        return values
