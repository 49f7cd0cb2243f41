"""A large article's new revision is prepared on the task queue (issue 11): the request that makes it
returns at once, its claims stay on the text they were made on until a worker carries them, and none is
ever shown on text it was not carried to."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services
from annotations.importing import ArticleInput
from annotations.models import Article, Claim, Suggestion
from tests.conftest import DEMO_TEXT
from tests.local_pages import run_jobs

URL = "https://news.example/shelters"


@pytest.fixture
def large(settings) -> None:
    """Every article counts as large, so that the demo text goes the queue's way."""
    settings.BACKGROUND_REVISION_CHARS = 10


def revise(article: Article, by, text: str) -> None:
    services.import_article(article_input=ArticleInput.build(title=article.title, text=text, url=URL), by=by)


@pytest.fixture
def claimed(editor) -> Claim:
    article = services.import_article(
        article_input=ArticleInput.build(title="Shelters", text=DEMO_TEXT, url=URL), by=editor
    ).article
    start = DEMO_TEXT.index("160,000")
    return services.create_claim(article=article, by=editor, start=start, end=start + len("160,000"))


def test_a_large_revision_is_carried_and_suggested_by_a_worker(large, editor, claimed, queue, client):
    revise(claimed.article, editor, DEMO_TEXT.replace("around 160,000", "nearly 170,000"))
    article = Article.objects.get()
    new = article.current_revision
    assert new is not None and new.number == 2
    claim = Claim.objects.get()
    assert claim.revision.number == 1 and claim.exact == "160,000"  # not carried yet: still on its text
    assert not Suggestion.objects.filter(revision=new).exists()
    assert [row["task_name"] for row in queue.jobs.values()] == ["annotations.prepare_revision"]

    client.force_login(editor)
    page = client.get(reverse("article_detail", args=[article.pk])).content.decode()
    assert "1 claim is being carried to this revision" in page
    assert f'data-claim="{claim.pk}"' not in page  # not shown on text it was not carried to

    assert run_jobs(queue) == [("annotations.prepare_revision", 1)]
    claim.refresh_from_db()
    assert claim.revision == new and claim.exact == "170,000" and claim.needs_attention
    assert Suggestion.objects.filter(revision=new).exists()
    page = client.get(reverse("article_detail", args=[article.pk])).content.decode()
    assert "being carried" not in page and f'data-claim="{claim.pk}"' in page


def test_a_preparation_overtaken_by_a_newer_revision_leaves_the_work_to_it(large, editor, claimed, queue):
    revise(claimed.article, editor, DEMO_TEXT.replace("around 160,000", "nearly 170,000"))
    revise(claimed.article, editor, DEMO_TEXT.replace("around 160,000", "about 175,000"))
    assert run_jobs(queue) == [("annotations.prepare_revision", None), ("annotations.prepare_revision", 1)]
    claim = Claim.objects.get()
    assert claim.revision.number == 3 and claim.exact == "175,000"
    assert claim.anchor_records.count() == 1  # carried once, from 1 to 3


def test_running_a_preparation_twice_carries_nothing_twice(large, editor, claimed, queue):
    revise(claimed.article, editor, DEMO_TEXT.replace("around 160,000", "nearly 170,000"))
    (job,) = queue.jobs.values()
    run_jobs(queue)
    job["status"] = "todo"  # as when a worker died after the work but before marking the job done
    assert run_jobs(queue) == [("annotations.prepare_revision", 0)]
    assert Claim.objects.get().anchor_records.count() == 1


def test_a_small_article_is_prepared_in_the_request(editor, claimed, queue):
    revise(claimed.article, editor, DEMO_TEXT.replace("around 160,000", "nearly 170,000"))
    assert not queue.jobs
    assert Claim.objects.get().revision.number == 2
