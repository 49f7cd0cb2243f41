"""factory-boy factories. Articles are made through the import service, as in real life."""

from __future__ import annotations

from typing import Any

import factory

from annotations import services
from annotations.importing import ArticleInput
from annotations.models import Article, Source, User
from annotations.roles import Role


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.declarations.Sequence(lambda n: f"user{n}")
    role = Role.EDITOR
    password = factory.django.Password("secret-password")


class ArticleFactory(factory.base.Factory[Article]):
    """Builds an Article with one revision via `services.import_article`, prepared at once."""

    class Meta:
        model = Article

    title = factory.declarations.Sequence(lambda n: f"Article {n}")
    text = "Some article text with 42 numbers in it."
    url = factory.declarations.Sequence(lambda n: f"https://news.example/{n}")

    @classmethod
    def _create(cls, model_class: type[Article], *args: Any, **kwargs: Any) -> Article:
        article_input = ArticleInput.build(**kwargs)
        # As it stands once prepared: a large article's suggestions are found now, not on the task queue.
        return services.import_article(article_input=article_input, now=True).article

    _build = _create


class SourceFactory(factory.django.DjangoModelFactory[Source]):
    class Meta:
        model = Source

    url = factory.declarations.Sequence(lambda n: f"https://source.example/{n}")
    title = factory.declarations.Sequence(lambda n: f"Source {n}")
