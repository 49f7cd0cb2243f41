"""Storing suggestions for a revision: check-worthy sentences and figures (the models themselves are pure
Python in `annotations.suggestions`).

Runs inside the import that creates the revision: scoring a 20,000-character article takes under 0.1 s
(BENCHMARKS.md), so no task queue is needed yet; a queue worker would call `store_suggestions` the same way.
"""

from __future__ import annotations

from typing import Any

from annotations.suggestions import suggest


def suggestions_for(text: str) -> list[dict[str, Any]]:
    """Sentences and figures worth claiming in `text`, best first, as field values for `Suggestion`.

    All of them are stored; how many an editor is shown is decided when showing
    (`SuggestionQuerySet.shown_on`), so that dismissing or claiming one lets the next best in.
    """
    return [
        {
            "kind": s.kind,
            "start": s.start,
            "end": s.end,
            "text": s.text,
            "score": round(s.score, 4),
            "figure_kind": s.figure_kind,
            "claim_type": s.claim_type,
        }
        for s in suggest(text)
    ]


def store_suggestions(revision: Any, suggestion_model: Any = None) -> int:
    """Compute and store the suggestions of `revision`; texts dismissed earlier in the article stay dismissed.

    `suggestion_model` lets a data migration pass its historical model.
    """
    if suggestion_model is None:
        from annotations.models import Suggestion as suggestion_model
    dismissed = dict(
        suggestion_model.objects.filter(
            article_id=revision.article_id, dismissed_at__isnull=False
        ).values_list("text", "dismissed_at")
    )
    rows = [
        suggestion_model(
            article_id=revision.article_id,
            revision=revision,
            dismissed_at=dismissed.get(found["text"]),
            **found,
        )
        for found in suggestions_for(revision.text)
    ]
    suggestion_model.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
