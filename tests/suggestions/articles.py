"""A long article for the density tests, shaped like the one in issue 10 (15,000 words, where nearly every
line had a duration or an age underlined): reporting that says how long and how old, with a few statistics."""

from __future__ import annotations

import random

DURATIONS_AND_AGES = [
    "The hearing lasted 11 hours, and the committee met again two weeks later.",
    "A 45-year-old father of three said he had waited 3 years for a decision on his case.",
    "She spent six months in a shelter and worked 12 hours a day before the move.",
    "After 30 minutes of questions the panel took a break of about two hours.",
    "The family had lived in the building for 20 years when the notice came; he is 52 years old.",
]
STATISTICS = [
    "New York City has accepted around 160,000 asylum seekers since April 2022, forcing budget cuts.",
    "The state spent $4.2 billion on emergency shelters last year, according to the comptroller.",
    "Unemployment among new arrivals rose to 12 percent in 2023, the highest rate in a decade.",
]
OTHER = [
    "Residents described the mood in the neighbourhood as tense but calm.",
    "The mayor's office did not respond to a request for comment on Tuesday.",
    "He said the talks had been productive and that both sides wanted an agreement.",
]


def long_article(words: int = 15_000, seed: int = 7) -> str:
    """Paragraphs of two to four sentences, mostly durations and ages, until `words` words."""
    rng = random.Random(seed)
    pool = DURATIONS_AND_AGES * 3 + STATISTICS + OTHER
    paragraphs: list[str] = []
    count = 0
    while count < words:
        paragraph = " ".join(rng.choice(pool) for _ in range(rng.randint(2, 4)))
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    return "\n\n".join(paragraphs)
