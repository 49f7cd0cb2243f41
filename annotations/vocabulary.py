"""The controlled vocabulary every newsroom starts with; admins extend it in the admin.

Kept out of the migration so that tests which flush the database (browser tests on the live server)
can put it back the same way.
"""

from __future__ import annotations

from typing import Any

VOCABULARY = [
    # (facet, slug, name, description)
    (
        "claim_type",
        "statistic",
        "Statistic",
        "A number, rate, amount or change that can be checked against data.",
    ),
    ("claim_type", "quote", "Quote", "Words attributed to a person or organisation."),
    ("claim_type", "law-or-policy", "Law or policy", "What a law, rule or policy says or does."),
    ("claim_type", "event", "Event", "Something said to have happened."),
    ("claim_type", "prediction", "Prediction", "A claim about the future."),
    ("claim_type", "comparison", "Comparison", "More, less, first, largest: a claim relative to something."),
    ("claim_type", "attribution", "Attribution", "A claim about who said or reported something."),
    ("topic", "immigration", "Immigration", ""),
    ("topic", "law-enforcement", "Law enforcement", ""),
    ("topic", "local-government", "Local government", ""),
    ("topic", "public-budget", "Public budget", ""),
    ("topic", "health", "Health", ""),
    ("topic", "economy", "Economy", ""),
    ("topic", "elections", "Elections", ""),
    ("topic", "climate", "Climate", ""),
]


def ensure_vocabulary(tag_model: Any) -> None:
    """Create the starting tags that are missing; never touches tags an admin has changed."""
    for position, (facet, slug, name, description) in enumerate(VOCABULARY, start=1):
        tag_model.objects.get_or_create(
            slug=slug,
            defaults={"facet": facet, "name": name, "description": description, "position": position},
        )
