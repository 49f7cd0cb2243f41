"""The workspace's claim rows read tags and source counts for the claims they read, not for the claims
query run again: a claim made between the statements (other editors, other processes) broke the page with
a KeyError under load (bench_load.py found it)."""

from __future__ import annotations

from django.db import connection

from annotations import services
from annotations.models import Claim, Tag
from annotations.web.workspace import claim_rows


def test_a_claim_made_between_the_rows_query_and_the_tags_query_does_not_break_the_rows(article, editor):
    text = article.current_revision.text
    first = services.create_claim(article=article, by=editor, start=0, end=5, tags=[])
    statistic = Tag.objects.get(slug="statistic")
    made: list[Claim] = []

    def another_editor_saves_after_the_first_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not made and "annotations_claim" in sql and sql.lstrip().upper().startswith("SELECT"):
            start = text.index(" ", 10) + 1
            made.append(
                services.create_claim(
                    article=article, by=editor, start=start, end=start + 3, tags=[statistic]
                )
            )
        return result

    with connection.execute_wrapper(another_editor_saves_after_the_first_read):
        rows = claim_rows(Claim.objects.for_article(article))
    assert made, "the second claim was made mid-way"
    assert [row.pk for row in rows] == [first.pk]  # the rows as first read, without a KeyError
