"""Reading the two TSV formats: verified claims (`id <TAB> claim <TAB> title`) and queries (`id <TAB> text`).

The CLEF files are written with CSV quoting (a field may be in double quotes, with ``""`` for a quote and
newlines inside), so they are read with the csv module, tab separated. A first row whose id is empty or
a column name (``vclaim_id``, ``tweet_id``...) is a header and skipped. Anything else malformed raises
`TsvError` naming the file and line.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

HEADER_IDS = {"", "id", "vclaim_id", "claim_id", "query_id", "tweet_id"}


class TsvError(ValueError):
    pass


@dataclass(frozen=True)
class Row:
    line: int
    id: str
    text: str
    title: str = ""


@dataclass(frozen=True)
class Problem:
    """What is wrong with the record starting at `line`; `final`: the file cannot be read past it."""

    line: int
    message: str
    final: bool = False


def parse(
    handle: IO[str], fields: tuple[int, ...], what: str, text_name: str = "text"
) -> Iterator[Row | Problem]:
    """Every record of a TSV, or what is wrong with it, going on after a bad one (broken quoting ends the
    file). The one reading of the format: `match_claims` stops at the first problem (`read_verified`),
    `import_factchecks` reports each and imports the rest."""
    reader = csv.reader(handle, delimiter="\t", strict=True)
    expected = " or ".join(str(f) for f in fields)
    line = 1
    try:
        for number, row in enumerate(reader):
            here, line = line, reader.line_num + 1  # where this record started; the next one starts there
            if number == 0 and row and row[0].strip().lower() in HEADER_IDS:
                continue
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) not in fields:
                yield Problem(here, f"{len(row)} tab-separated field(s), expected {expected} ({what})")
                continue
            ident, text = row[0].strip(), row[1].strip()
            if not ident:
                yield Problem(here, "id is missing")
            elif any(c.isspace() for c in ident):
                yield Problem(here, f"id {ident[:40]!r} contains whitespace")
            elif not text:
                yield Problem(here, f"{text_name} is missing")
            else:
                yield Row(here, ident, text, row[2].strip() if len(row) > 2 else "")
    except csv.Error as exc:
        yield Problem(reader.line_num, f"malformed TSV: {exc}", final=True)


def _rows(path: Path, fields: tuple[int, ...], what: str) -> list[Row]:
    """All of a file's records, or TsvError at the first problem (or an id given twice)."""
    rows: list[Row] = []
    seen: set[str] = set()
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for item in parse(handle, fields, what):
                if isinstance(item, Problem):
                    raise TsvError(f"{path}:{item.line}: {item.message}")
                if item.id in seen:
                    raise TsvError(f"{path}:{item.line}: id {item.id!r} appears twice")
                seen.add(item.id)
                rows.append(item)
    except UnicodeDecodeError as exc:
        raise TsvError(f"{path}: not UTF-8 ({exc})") from exc
    except OSError as exc:
        raise TsvError(f"{path}: {exc.strerror or exc}") from exc
    return rows


def read_verified(path: Path) -> list[Row]:
    """Fact-checked claims: `id <TAB> claim <TAB> title` (the title may be left out)."""
    return _rows(path, (2, 3), "id, claim, title")


def read_queries(path: Path) -> list[Row]:
    """Queries: `query_id <TAB> text`."""
    return _rows(path, (2,), "query_id, text")


def read_qrels(path: Path) -> dict[str, set[str]]:
    """TREC qrels `query_id <TAB> 0 <TAB> doc_id <TAB> relevance`: the relevant ids of each query."""
    relevant: dict[str, set[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4:
                raise TsvError(f"{path}:{number}: {len(parts)} fields, expected 4 (query, 0, doc, relevance)")
            if int(parts[3]) > 0:
                relevant.setdefault(parts[0], set()).add(parts[2])
    return relevant
