"""`python manage.py load_demo`: the demo accounts and the demo article with its claims (development only).

Safe to run on every start: accounts get the current DEMO_PASSWORD, and the articles, the claims and the
demo fact-check are added only once. The second article repeats the first one's figure, unclaimed, for
"has this been checked before?" (README).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from annotations import factchecks, services
from annotations.importing import ArticleInput
from annotations.models import Claim, ClaimSource, Source, Tag, User
from annotations.roles import Role

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
DEMO_ARTICLE = DEMO / "ice-nyc-sanctuary-talks.txt"
DEMO_URL = "https://example.org/news/ice-nyc-sanctuary-talks"
# A second article that makes the first one's claim again, without claims: claiming "around 160,000 asylum
# seekers since April 2022" there shows the first article's claim and a fact-check (issue 13).
SECOND_ARTICLE = DEMO / "shelter-costs.txt"
SECOND_URL = "https://example.org/news/nyc-migrant-shelter-costs"
# A fictional ClaimReview (the publisher is made up), imported as a published fact-check would be.
DEMO_FACT_CHECK = DEMO / "factcheck-asylum-seekers.jsonld"

DEMO_CLAIMS = [
    # (quote, tag slugs, note, status)
    (
        "around 160,000 asylum seekers since April 2022",
        ["statistic", "immigration", "public-budget"],
        "Check against the city's own count of asylum seekers who entered its care.",
        Claim.Status.IN_REVIEW,
    ),
    (
        "in 2014 signed into law a bill that largely prohibits the New York Police Department "
        "from working with federal immigration authorities",
        ["law-or-policy", "immigration", "law-enforcement"],
        "Which local law? Compare its text with 'largely prohibits'.",
        Claim.Status.DRAFT,
    ),
    (
        "he enacted legislation in 2018 that doubled down on this policy",
        ["law-or-policy", "immigration"],
        "",
        Claim.Status.DRAFT,
    ),
    (
        "ignoring their detainer request against an illegal immigrant accused of beating up an NYPD officer",
        ["event", "law-enforcement"],
        "Find ICE's statement and the case it refers to.",
        Claim.Status.DRAFT,
    ),
]

DEMO_SOURCE = {
    "url": "https://www.nyc.gov/site/asylumseekers/index.page",
    "title": "Asylum seekers in New York City: the city's figures",
    "publisher": "City of New York",
    "kind": Source.Kind.OFFICIAL,
}


class Command(BaseCommand):
    help = "Create the demo accounts and the demo article with example claims."

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.DEMO_PASSWORD
        for role in Role:
            user, _ = User.objects.get_or_create(username=role.value, defaults={"role": role.value})
            user.role = role.value
            user.email = user.email or f"{role.value}@demo.example"  # so the password reset can be tried
            # Only the admin account may use the Django admin: there, staff see and change every table,
            # whatever their role says (the app's pages and API are where roles apply).
            user.is_staff = user.is_superuser = role is Role.ADMIN
            user.set_password(password)
            user.save()
        editor = User.objects.get(username=Role.EDITOR.value)
        reviewer = User.objects.get(username=Role.REVIEWER.value)

        result = services.import_article(
            article_input=ArticleInput.build(
                title="ICE and Mayor Adams reportedly in talks to loosen New York City's sanctuary laws",
                text=DEMO_ARTICLE.read_text(encoding="utf-8"),
                url=DEMO_URL,
                outlet="Demo outlet (sample article)",
                byline="Staff reporter",
            ),
            by=editor,
        )
        article = result.article
        if not article.claims.exists():
            for quote, slugs, note, status in DEMO_CLAIMS:
                claim = services.create_claim(
                    article=article,
                    by=editor,
                    exact=quote,
                    note=note,
                    tags=list(Tag.objects.filter(slug__in=slugs)),
                )
                if status != claim.status:
                    claim = services.update_claim(
                        claim=claim, by=editor, expected_version=claim.version, status=status
                    )
            first = article.claims.get(exact=DEMO_CLAIMS[0][0])
            source = services.find_or_create_source(by=editor, **DEMO_SOURCE)
            first = services.attach_source(
                claim=first,
                source=source,
                relation=ClaimSource.Relation.SUPPORTS,
                by=editor,
                expected_version=first.version,
            )
            services.update_claim(
                claim=first, by=reviewer, expected_version=first.version, verdict=Claim.Verdict.MOSTLY_TRUE
            )
        services.import_article(
            article_input=ArticleInput.build(
                title="New York City to keep paying for migrant hotel rooms into next year",
                text=SECOND_ARTICLE.read_text(encoding="utf-8"),
                url=SECOND_URL,
                outlet="Demo outlet (sample article)",
                byline="City desk",
            ),
            by=editor,
        )
        factchecks.store_file(DEMO_FACT_CHECK)  # the same URL again updates, never duplicates
        self.stdout.write(f"Demo accounts: {', '.join(r.value for r in Role)} (password: {password!r})")
        self.stdout.write(f"Demo article: {article.title} ({article.claims.count()} claims)")
