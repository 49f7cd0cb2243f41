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

HEADER_IDS = {"", "id", "vclaim_id", "claim_id", "query_id", "tweet_id"}


class TsvError(ValueError):
    pass


@dataclass(frozen=True)
class Row:
    line: int
    id: str
    text: str
    title: str = ""


def _rows(path: Path, fields: tuple[int, ...], what: str) -> Iterator[Row]:
    seen: set[str] = set()
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", strict=True)
            line = 1
            try:
                for number, row in enumerate(reader):
                    if number == 0 and row and row[0].strip().lower() in HEADER_IDS:
                        line = reader.line_num + 1
                        continue
                    if not row or (len(row) == 1 and not row[0].strip()):
                        line = reader.line_num + 1
                        continue
                    if len(row) not in fields:
                        expected = " or ".join(str(f) for f in fields)
                        raise TsvError(
                            f"{path}:{line}: {len(row)} tab-separated field(s), expected {expected} ({what})"
                        )
                    ident, text = row[0].strip(), row[1].strip()
                    if not ident:
                        raise TsvError(f"{path}:{line}: empty id")
                    if any(c.isspace() for c in ident):
                        raise TsvError(f"{path}:{line}: id {ident!r} contains whitespace")
                    if not text:
                        raise TsvError(f"{path}:{line}: empty text for id {ident!r}")
                    if ident in seen:
                        raise TsvError(f"{path}:{line}: id {ident!r} appears twice")
                    seen.add(ident)
                    yield Row(line, ident, text, row[2].strip() if len(row) > 2 else "")
                    line = reader.line_num + 1
            except csv.Error as exc:
                raise TsvError(f"{path}:{reader.line_num}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise TsvError(f"{path}: not UTF-8 ({exc})") from exc
    except OSError as exc:
        raise TsvError(f"{path}: {exc.strerror or exc}") from exc


def read_verified(path: Path) -> list[Row]:
    """Fact-checked claims: `id <TAB> claim <TAB> title` (the title may be left out)."""
    return list(_rows(path, (2, 3), "id, claim, title"))


def read_queries(path: Path) -> list[Row]:
    """Queries: `query_id <TAB> text`."""
    return list(_rows(path, (2,), "query_id, text"))


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
