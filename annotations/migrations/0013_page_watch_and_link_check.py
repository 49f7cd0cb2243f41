"""Monitoring and link checks (issue 11). Articles already imported from a URL are watched from now on,
and every source with a URL gets its first check: both are due at once, and the scheduler spreads them
over its passes (CHECKS_PER_PASS)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0012_url_import"),
    ]

    operations = [
        migrations.CreateModel(
            name="LinkCheck",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("unchecked", "Not checked yet"),
                            ("ok", "Link works"),
                            ("changed", "Page changed"),
                            ("broken", "Link broken"),
                        ],
                        default="unchecked",
                        max_length=16,
                    ),
                ),
                (
                    "status",
                    models.PositiveSmallIntegerField(
                        blank=True, help_text="The last HTTP status.", null=True
                    ),
                ),
                ("final_url", models.URLField(blank=True, help_text="After redirects.", max_length=2000)),
                ("title", models.CharField(blank=True, help_text="The page's own.", max_length=500)),
                (
                    "content_hash",
                    models.CharField(blank=True, help_text="SHA-256 of the page's text now.", max_length=64),
                ),
                (
                    "first_hash",
                    models.CharField(blank=True, help_text="... when first checked.", max_length=64),
                ),
                ("error", models.TextField(blank=True)),
                ("checked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "changed_at",
                    models.DateTimeField(
                        blank=True, help_text="When its text was first seen changed.", null=True
                    ),
                ),
                ("next_check_at", models.DateTimeField()),
                (
                    "source",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="link_check",
                        to="annotations.source",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["next_check_at"], name="linkcheck_due"),
                    models.Index(
                        condition=models.Q(("state__in", ["broken", "changed"])),
                        fields=["state"],
                        name="linkcheck_flagged",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="PageWatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("url", models.URLField(help_text="Where the page is fetched from.", max_length=2000)),
                (
                    "interval",
                    models.DurationField(help_text="The wait before the next check; longer while unchanged."),
                ),
                ("next_check_at", models.DateTimeField()),
                ("last_checked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "last_changed_at",
                    models.DateTimeField(
                        blank=True, help_text="When a check last found new text.", null=True
                    ),
                ),
                ("failures", models.PositiveIntegerField(default=0, help_text="Checks failed in a row.")),
                ("last_error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="watch",
                        to="annotations.article",
                    ),
                ),
                (
                    "last_revision",
                    models.ForeignKey(
                        blank=True,
                        help_text="The revision the last change became.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="annotations.revision",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["next_check_at"], name="pagewatch_due")],
            },
        ),
        migrations.RunSQL(
            sql="""
        INSERT INTO annotations_linkcheck (source_id, state, final_url, title, content_hash, first_hash,
                                           error, next_check_at)
        SELECT id, 'unchecked', '', '', '', '', '', now() FROM annotations_source WHERE url <> '';

        INSERT INTO annotations_pagewatch (article_id, url, interval, next_check_at, failures, last_error,
                                           created_at)
        SELECT DISTINCT ON (imports.article_id) imports.article_id, imports.url, interval '1 hour', now(),
               0, '', now()
        FROM annotations_urlimport imports
        WHERE imports.state = 'imported' AND imports.article_id IS NOT NULL
        ORDER BY imports.article_id, imports.created_at DESC;
        """,
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
