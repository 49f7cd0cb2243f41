"""The table the API's rate limits are counted in (see annotations/throttling.py).

Not a model: one row per rate-limit key, written by a single upsert per request, so that every app
process shares the same counts without a cache server.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0003_api_tokens_and_dismissal"),
    ]

    operations = [
        migrations.RunSQL(
            sql="""
                CREATE UNLOGGED TABLE annotations_api_rate_window (
                    key text PRIMARY KEY,
                    window_start timestamptz NOT NULL,
                    hits integer NOT NULL
                )
            """,
            reverse_sql="DROP TABLE annotations_api_rate_window",
        ),
    ]
