"""The one error the importers raise, and reading a file's bytes into text.

The integrator catches `ImportFileError` per file and writes nothing from that file; the message
is written for a curator, and `record` / `line` say where in the file the problem is.
"""

# A registry record is a few hundred KB at most and a RIS export of a large review a few MB;
# anything bigger is refused before it is parsed (the upload form may apply its own cap too).
MAX_BYTES = 10 * 1024 * 1024


class ImportFileError(ValueError):
    """A file that cannot be imported: not the expected format, truncated, too large, or holding
    a value no rule can map (an unknown phase code).

    `record` is the NCT id when known, else the 1-based position of the record in the file;
    `line` is the 1-based line number for line-oriented formats (RIS), else None.
    """

    def __init__(self, message: str, *, record: str | int | None = None, line: int | None = None):
        self.message = message
        self.record = record
        self.line = line
        where = []
        if record is not None:
            where.append(f"record {record}")
        if line is not None:
            where.append(f"line {line}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


def read_text(data: bytes | str, *, what: str) -> str:
    """The file's text: size-checked, decoded as UTF-8 (a byte-order mark is dropped), not empty.

    `what` names the expected format in messages ("ClinicalTrials.gov JSON", "RIS").
    """
    if isinstance(data, str):
        size = len(data.encode("utf-8", errors="surrogatepass"))
    elif isinstance(data, bytes | bytearray | memoryview):
        size = len(data)
    else:
        raise TypeError(f"expected bytes or str, got {type(data).__name__}")
    if size > MAX_BYTES:
        raise ImportFileError(
            f"the file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_BYTES // 1024 // 1024} MB for a {what} file"
        )
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    else:
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"the file is not UTF-8 text (byte {exc.start} cannot be decoded); "
                f"a {what} file is UTF-8"
            ) from None
    if not text.strip():
        raise ImportFileError(f"the file is empty; expected a {what} file")
    return text
