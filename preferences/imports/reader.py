"""Numbered rows out of a CSV (with a header) or JSON-lines file.

Read as bytes, line by line, so the position after each row is known: an import's
checkpoint is a line number and a byte offset, and a resumed import seeks there.
"""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

SNIFF_BYTES = 64 * 1024


class Unreadable(ValueError):
    """The file is neither a CSV with a header nor JSON lines."""


@dataclass(frozen=True)
class Row:
    line: int  # the file's line the row starts on (1 is a CSV's header)
    last: int  # the line it ends on (a quoted cell may span lines)
    end: int  # the byte offset just after it
    values: dict | None  # None: the line could not be read as a row


def file_format(head: bytes) -> str:
    """`jsonl` if the first non-blank character opens an object, else `csv`."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return "jsonl" if text.startswith(b"{") else "csv"


def _delimiter(header_line: str) -> str:
    """The header's separator: Brevo exports with semicolons, some tools with tabs."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _lines(stream, start: int) -> Iterator[tuple[str, int]]:
    """(decoded line, byte offset after it), from `start`."""
    offset = start
    for raw in stream:
        offset += len(raw)
        yield raw.decode("utf-8", errors="replace"), offset


def rows_read(stream: io.BufferedIOBase, *, start_line: int = 0, start_byte: int = 0,
              ) -> tuple[list[str] | None, Iterator[Row]]:
    """The CSV header (None for JSON lines) and the rows after the checkpoint
    (`start_line`, `start_byte`: where the last committed batch ended; 0 from the top)."""
    stream.seek(0)
    fmt = file_format(stream.read(SNIFF_BYTES))
    stream.seek(0)
    if fmt == "jsonl":
        stream.seek(start_byte)
        return None, _json_rows(stream, start_line, start_byte)
    first = stream.readline()
    header_text = first.decode("utf-8-sig", errors="replace")
    if not header_text.strip():
        raise Unreadable("the file is empty or starts with a blank line")
    delimiter = _delimiter(header_text)
    header = [name.strip() for name in next(csv.reader([header_text], delimiter=delimiter))]
    if len(set(header)) != len(header):
        raise Unreadable("the header names a column twice")
    if start_byte:
        stream.seek(start_byte)
    return header, _csv_rows(stream, header, delimiter, max(start_line, 1),
                             max(start_byte, len(first)))


def _json_rows(stream, line: int, start: int) -> Iterator[Row]:
    for text, end in _lines(stream, start):
        line += 1
        if not text.strip():
            continue
        try:
            values = json.loads(text)
        except ValueError:
            values = None
        values = {str(k): v for k, v in values.items()} if isinstance(values, dict) else None
        yield Row(line, line, end, values)


def _csv_rows(stream, header: list[str], delimiter: str, line: int, start: int
              ) -> Iterator[Row]:
    seen = {"line": line, "end": start}  # the last line handed to the csv reader

    def text_lines():
        for text, end in _lines(stream, start):
            seen["line"] += 1
            seen["end"] = end
            yield text

    source = text_lines()
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    while True:
        first_line = seen["line"] + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a broken quote: report it, go on with the next line
            yield Row(first_line, seen["line"], seen["end"], None)
            reader = csv.reader(source, delimiter=delimiter, strict=True)
            continue
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            yield Row(first_line, seen["line"], seen["end"], None)
            continue
        yield Row(first_line, seen["line"], seen["end"], dict(zip(header, cells, strict=True)))
