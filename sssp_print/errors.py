"""The package's exceptions: one base, so the CLI can turn any of them into one line."""


class SsspError(Exception):
    """Base of every error this package raises on bad input."""


class ContentError(SsspError):
    """A framework YAML file is unreadable or breaks the schema.

    The message is one line: ``file:line: path.to.node: what is wrong``.
    """


class BookletError(SsspError):
    """A booklet cannot be built from valid content (a missing font, say)."""


class ReadError(SsspError):
    """A PDF cannot be read as a booklet.

    ``kind`` names the problem for machines (``not-pdf``, ``no-fields``, ...);
    ``detail`` says it for people, without the file name, and never quotes
    what someone typed.
    """

    def __init__(self, kind: str, path: object, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.kind = kind
        self.detail = detail
