"""Rank fact-checked claims for each query, as TREC run lines.

    python manage.py match_claims --verified VERIFIED.tsv QUERIES.tsv [--top 5] [--run-name NAME]

VERIFIED.tsv: ``id <TAB> claim <TAB> title`` (the CLEF-2020 `verified_claims.docs.tsv` format; a header
row is skipped). QUERIES.tsv: ``query_id <TAB> text``. Output, for each query in input order, its best
matches best first: ``query_id Q0 vclaim_id rank score run_name``. The ranking is the app's
(`annotations.matching.MatchIndex`, over each fact-check's claim and title).
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotations.matching.index import MatchIndex
from annotations.matching.tsv import TsvError, read_queries, read_verified


class Command(BaseCommand):
    help = "Print TREC lines (query_id Q0 vclaim_id rank score run_name) ranking fact-checks per query."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("queries", type=Path, help="queries TSV: query_id, text")
        parser.add_argument("--verified", type=Path, required=True, help="fact-checks TSV: id, claim, title")
        parser.add_argument("--top", type=int, default=5, help="matches per query (default 5)")
        parser.add_argument("--run-name", default="newsroom", help="the run's name, last TREC column")

    def handle(self, *args: Any, **options: Any) -> None:
        top: int = options["top"]
        run_name: str = options["run_name"]
        if top < 1:
            raise CommandError("--top must be at least 1")
        if not run_name or any(c.isspace() for c in run_name):
            raise CommandError("--run-name must be one word (no spaces)")
        try:
            verified = read_verified(options["verified"])
            queries = read_queries(options["queries"])
        except TsvError as exc:
            raise CommandError(str(exc)) from exc
        if not verified:
            raise CommandError(f"{options['verified']}: no verified claims")
        index = MatchIndex((v.id, f"{v.text} {v.title}".strip()) for v in verified)
        results = index.search_many([q.text for q in queries], top=top)
        lines = []
        for query, matches in zip(queries, results, strict=True):
            for rank, (ident, score) in enumerate(matches, 1):
                lines.append(f"{query.id} Q0 {ident} {rank} {score:.6f} {run_name}")
        if lines:
            self.stdout.write("\n".join(lines))
