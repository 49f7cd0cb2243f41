"""Suggestions for the articles imported before suggestions existed (their current revisions)."""

from django.db import migrations

from annotations.suggesting import store_suggestions


def suggest(apps, schema_editor):
    Article = apps.get_model("annotations", "Article")
    Suggestion = apps.get_model("annotations", "Suggestion")
    for article in Article.objects.select_related("current_revision").exclude(current_revision=None).iterator():
        if not Suggestion.objects.filter(revision=article.current_revision).exists():
            store_suggestions(article.current_revision, Suggestion)


class Migration(migrations.Migration):
    dependencies = [("annotations", "0006_suggestions")]
    operations = [migrations.RunPython(suggest, migrations.RunPython.noop)]
