"""The content stage: the shipped SSSP is complete, and bad YAML is refused clearly."""

from __future__ import annotations

import re

import pytest
import yaml

from sssp_print.content import load_framework

from .conftest import CONTENT, ROOT, run_sssp

MINIMAL = ROOT / "content" / "examples" / "minimal.yaml"


def test_sssp_has_every_area_item_and_level(framework):
    assert framework.id == "sssp"
    assert framework.title == "SENCO/School Success Planner (SSSP)"
    assert [s.label for s in framework.scale] == [
        "Pre",
        "Emerging Confidence",
        "Fairly Confident",
        "Confident",
        "Very Confident",
    ]
    assert [m.id for m in framework.moments] == ["begin", "end"]
    assert [m.label for m in framework.moments] == [
        "Beginning of the Course",
        "End of the Course",
    ]
    assert [c.label for c in framework.action_table.columns] == [
        "Action",
        "By whom",
        "By when",
        "Notes",
    ]
    assert framework.action_table.rows >= 5

    expertise, impact = framework.sections
    assert expertise.title == "Areas of Expertise"
    assert [a.id for a in expertise.areas] == list("ABCDEFG")
    assert [i.id for a in expertise.areas for i in a.items] == [
        f"C{n}" for n in range(1, 19)
    ]
    assert [i.number for a in expertise.areas for i in a.items] == [
        str(n) for n in range(1, 19)
    ]
    per_area = {a.id: [i.id for i in a.items] for a in expertise.areas}
    assert per_area == {
        "A": ["C1", "C2", "C3", "C4", "C5"],
        "B": ["C6"],
        "C": ["C7", "C8"],
        "D": ["C9", "C10", "C11"],
        "E": ["C12", "C13"],
        "F": ["C14"],
        "G": ["C15", "C16", "C17", "C18"],
    }
    assert impact.title == "Impact"
    assert [a.id for a in impact.areas] == ["I1", "I2", "I3", "I4", "I5"]
    assert [a.title for a in impact.areas] == [
        "Student Progress",
        "School Management Committee (SMC) Confidence and Participation",
        "Staff Confidence",
        "Parent/Carer Confidence and Participation",
        "Student Voice",
    ]
    for item in framework.items():
        assert sorted(item.levels) == [1, 2, 3, 4], item.id
        assert all(item.levels[level] for level in (1, 2, 3, 4)), item.id


def test_restored_titles_are_marked_editorial(framework):
    items = {i.id: i for i in framework.items()}
    for item_id in ("C1", "C2", "C6", "C7", "C8", "C17"):
        assert items[item_id].editorial, (
            f"{item_id}'s restored title carries no editorial mark"
        )
    lead_ins = [s for s in items["C7"].levels[2] if s.items]
    assert lead_ins and any(s.editorial for s in lead_ins), (
        "C7 level 2 lead-in not marked"
    )
    assert any(s.editorial for s in items["C17"].levels[1]), (
        "C17 level 1 restoration not marked"
    )


def _all_text(framework) -> str:
    parts = [framework.title, framework.subtitle]
    for area in framework.areas():
        parts.append(area.title)
        for item in area.items:
            parts.append(item.title)
            for statements in item.levels.values():
                for statement in statements:
                    parts.append(statement.text)
                    parts.extend(statement.items)
                    parts.append(statement.closing or "")
    return "\n".join(parts)


def test_extraction_typos_are_fixed(framework):
    text = _all_text(framework)
    assert "SFN" not in text
    assert not re.search(r"\bth school\b", text)
    assert "outcomesfocused" not in text
    assert "with SEN with SEN" not in text
    assert not re.search(r"[a-z][A-Z][a-z]", text.replace("SENCO", "")), (
        "run-together words"
    )


def test_lead_ins_keep_their_sub_items(framework):
    items = {i.id: i for i in framework.items()}
    communicates = [
        s
        for s in items["C1"].levels[2]
        if s.text.startswith("Communicates effectively with")
    ]
    assert communicates and len(communicates[0].items) == 4


def test_content_hash_ignores_yaml_layout(tmp_path, framework):
    data = yaml.safe_load(CONTENT.read_text(encoding="utf-8"))
    restyled = tmp_path / "restyled.yaml"
    text = yaml.safe_dump(data, default_flow_style=True, allow_unicode=False, width=60)
    restyled.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    assert load_framework(restyled).content_hash == framework.content_hash

    data["sections"][0]["areas"][0]["items"][0]["title"] += " (changed)"
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_framework(changed).content_hash != framework.content_hash


def test_validate_command_accepts_shipped_and_other_frameworks():
    result = run_sssp("validate")
    assert result.returncode == 0, result.stderr
    assert b"valid (sssp" in result.stdout
    result = run_sssp("validate", MINIMAL)
    assert result.returncode == 0, result.stderr
    assert b"3 items" in result.stdout


# Each case: (what to replace in minimal.yaml, with what, expected message).
BAD_CONTENT = [
    (
        "title: Knitting Club Self-Review\n",
        "",
        r"minimal-bad\.yaml:\d+: missing required key 'title'",
    ),
    ("title: Knitting Club Self-Review", 'title: ""', r":5: title: must not be empty"),
    (
        "            title: Knit stitch",
        "            title:",
        r":\d+: sections\[0\]\.areas\[0\]\.items\[0\]\.title: must not be empty",
    ),
    (
        "              2:\n                - Can purl",
        "              5:\n                - Can purl",
        r":49: sections\[0\]\.areas\[0\]\.items\[1\]\.levels: level 5 is not on the scale 0-2",
    ),
    (
        "          - id: purl",
        "          - id: knit",
        r":\d+: sections\[0\]\.areas\[0\]\.items\[1\]\.id: duplicate id 'knit'",
    ),
    (
        "            title: Purl stitch",
        "            titel: Purl stitch",
        r"sections\[0\]\.areas\[0\]\.items\[1\]: unknown key 'titel' \(did you mean 'title'\?\)",
    ),
    (
        "  rows: 3",
        "  rows: three",
        r":\d+: action_table\.rows: expected a whole number",
    ),
    (
        "moments:\n  - id: now\n    label: Today",
        "moments: Today",
        r":\d+: moments: expected a list",
    ),
    (
        "                - Can knit a row with help.",
        '                - "  "',
        r"sections\[0\]\.areas\[0\]\.items\[0\]\.levels\[1\]\[0\]: must not be empty",
    ),
    ("    label: Got it", "    label: [Got it", r":\d+: YAML syntax: "),
    (
        "  - id: basics",
        "  - id: bad.id",
        r"sections\[0\]\.id: id 'bad\.id' may hold only",
    ),
    (
        "sections:\n",
        "labels:\n  page_footer: Seite {page} von {total}\nsections:\n",
        r":\d+: labels\.page_footer: unknown placeholder \{total\}; this label can use: \{page\}, \{pages\}",
    ),
    (
        "sections:\n",
        'labels:\n  clear: "50% {"\nsections:\n',
        r"labels\.clear: .*literal brace",
    ),
    (
        "sections:\n",
        "labels:\n  contnts: Inhalt\nsections:\n",
        r"labels: unknown key 'contnts' \(did you mean 'contents'\?\)",
    ),
    (
        "title: Knitting Club Self-Review",
        "title: Knitting\x00Club",
        r":5: the character U\+0000 is not allowed in YAML",
    ),
]


@pytest.mark.parametrize("old,new,expected", BAD_CONTENT)
def test_bad_content_gives_one_clear_line(tmp_path, old, new, expected):
    source = MINIMAL.read_text(encoding="utf-8")
    assert old in source
    bad = tmp_path / "minimal-bad.yaml"
    bad.write_text(source.replace(old, new, 1), encoding="utf-8")
    before = bad.read_bytes()

    for command in ("validate", "build"):
        args = [command, bad] + (
            ["-o", tmp_path / "out.pdf"] if command == "build" else []
        )
        result = run_sssp(*args)
        stderr = result.stderr.decode()
        assert result.returncode == 1, stderr
        assert "Traceback" not in stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, stderr
        assert re.search(expected, lines[0]), lines[0]
        assert str(bad) in lines[0]
    assert not (tmp_path / "out.pdf").exists()
    assert bad.read_bytes() == before


def test_missing_file_is_one_line(tmp_path):
    result = run_sssp("validate", tmp_path / "nope.yaml")
    assert result.returncode != 0
    assert b"Traceback" not in result.stderr
    assert b"nope.yaml" in result.stderr
