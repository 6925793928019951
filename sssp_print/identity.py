"""What a booklet says about itself: framework, ids, and the map of its fields.

The builder stores this as a JSON stream under one key of the PDF catalog;
the reader reads a returned booklet through it, so a booklet built from an
older version of the content is still read by its own map.
"""

from __future__ import annotations

from typing import Any

from . import __version__
from .layout import Booklet, RadioGroup, iter_fields

# A private catalog key; PDF viewers keep unknown catalog entries on save.
IDENTITY_KEY = "/SsspPrintBooklet"
IDENTITY_FORMAT = "sssp-print-booklet"
IDENTITY_VERSION = 1


def booklet_label(identity: dict[str, Any]) -> dict[str, Any]:
    """The few facts kept a second time, in a hidden form field: apps that
    rewrite a whole file keep its form fields but may drop private catalog
    entries. The reader rebuilds the field map from the field names."""
    return {
        "format": identity["format"],
        "format_version": identity["format_version"],
        "framework": {
            k: identity["framework"][k] for k in ("id", "version", "content_hash")
        },
        "booklet_id": identity["booklet_id"],
        "participant_id": identity["participant_id"],
    }


def booklet_identity(
    booklet: Booklet, booklet_id: str = "", participant_id: str = ""
) -> dict[str, Any]:
    """The identity record of a laid-out booklet."""
    fw = booklet.framework

    buttons = {
        spec.name: [
            {
                "state": b.state,
                "page": index,
                "rect": [
                    round(v, 2)
                    for v in (
                        b.rect.x,
                        b.rect.y,
                        b.rect.x + b.rect.w,
                        b.rect.y + b.rect.h,
                    )
                ],
            }
            for b in spec.buttons
        ]
        for index, spec in iter_fields(booklet)
        if isinstance(spec, RadioGroup)
    }
    return {
        "format": IDENTITY_FORMAT,
        "format_version": IDENTITY_VERSION,
        "generator": f"sssp-print {__version__}",
        "framework": {
            "id": fw.id,
            "version": fw.version,
            "content_hash": fw.content_hash,
            "title": fw.title,
        },
        "booklet_id": booklet_id,
        "participant_id": participant_id,
        "scale": [s.level for s in fw.scale],
        "moments": [m.id for m in fw.moments],
        "items": [
            {
                "id": item.id,
                "name": item.display_name,
                "area": item.area_id,
                "section": item.section_id,
            }
            for item in fw.items()
        ],
        "tables": [area.id for area in fw.areas()],
        "columns": [c.id for c in fw.action_table.columns],
        "fields": {
            name: meaning.to_json() for name, meaning in booklet.meanings.items()
        },
        "buttons": buttons,
    }
