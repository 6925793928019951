"""Slimming the TrueType subsets reportlab embeds.

reportlab copies a font's whole ``name`` table into every subset. In DejaVu
that table is about 16 KB, mostly the licence text and its translations, and
it is repeated in each embedded font. PDF readers find an embedded font by
the PDF's own font dictionary, never by this table, so the subset keeps only
the records that identify the font (copyright, family, style, unique id, full
name, version, PostScript name: ids 0 to 6) and drops the rest.
"""

from __future__ import annotations

import struct

KEPT_NAME_IDS = range(7)
CHECKSUM_MAGIC = 0xB1B0AFBA


def slim_name_table(font: bytes) -> bytes:
    """The font with a ``name`` table of identifying records only; a font
    this module cannot parse is returned unchanged."""
    try:
        tables = _read_tables(font)
        if b"name" not in tables or b"head" not in tables:
            return font
        tables[b"name"] = _slim_names(tables[b"name"])
    except (struct.error, ValueError):
        return font
    return _write_tables(font[:4], tables)


def _read_tables(font: bytes) -> dict[bytes, bytes]:
    (count,) = struct.unpack_from(">H", font, 4)
    tables = {}
    for index in range(count):
        tag, _checksum, offset, length = struct.unpack_from(
            ">4sIII", font, 12 + 16 * index
        )
        if offset + length > len(font):
            raise ValueError("table runs past the end of the font")
        tables[tag] = font[offset : offset + length]
    return tables


def _slim_names(table: bytes) -> bytes:
    version, count, storage = struct.unpack_from(">HHH", table, 0)
    if version != 0:
        raise ValueError("a name table with language tags is kept whole")
    records, strings, seen = [], bytearray(), {}
    for index in range(count):
        platform, encoding, language, name_id, length, offset = struct.unpack_from(
            ">6H", table, 6 + 12 * index
        )
        if name_id not in KEPT_NAME_IDS:
            continue
        text = table[storage + offset : storage + offset + length]
        if len(text) != length:
            raise ValueError("name record runs past its table")
        if text not in seen:
            seen[text] = len(strings)
            strings += text
        records.append((platform, encoding, language, name_id, length, seen[text]))
    header = struct.pack(">HHH", 0, len(records), 6 + 12 * len(records))
    return (
        header
        + b"".join(struct.pack(">6H", *record) for record in records)
        + bytes(strings)
    )


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def _write_tables(version: bytes, tables: dict[bytes, bytes]) -> bytes:
    count = len(tables)
    power = 1
    while power * 2 <= count:
        power *= 2
    search_range = power * 16
    header = version + struct.pack(
        ">HHHH", count, search_range, power.bit_length() - 1, count * 16 - search_range
    )

    tags = sorted(tables)
    tables = dict(tables)
    head = bytearray(tables[b"head"])
    head[8:12] = (
        b"\0\0\0\0"  # checkSumAdjustment is computed over the font with it zeroed
    )
    tables[b"head"] = bytes(head)

    directory, body = [], bytearray()
    offset = len(header) + 16 * count
    for tag in tags:
        data = tables[tag]
        directory.append(
            struct.pack(">4sIII", tag, _checksum(data), offset + len(body), len(data))
        )
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + b"".join(directory) + body)

    head_offset = (
        len(header)
        + 16 * count
        + sum(
            len(tables[tag]) + (-len(tables[tag]) % 4)
            for tag in tags[: tags.index(b"head")]
        )
    )
    adjustment = (CHECKSUM_MAGIC - _checksum(bytes(font))) & 0xFFFFFFFF
    struct.pack_into(">I", font, head_offset + 8, adjustment)
    return bytes(font)
