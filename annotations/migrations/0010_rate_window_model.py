"""The rate-limit window table (created UNLOGGED by 0004 with RunSQL) becomes the `RateWindow` model.

State only: the table is already there as the model describes it, and stays UNLOGGED.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0009_history_indexes_that_are_read"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RateWindow",
                    fields=[
                        ("key", models.TextField(primary_key=True, serialize=False)),
                        ("window_start", models.DateTimeField()),
                        ("hits", models.IntegerField()),
                    ],
                    options={"db_table": "annotations_api_rate_window"},
                ),
            ],
            database_operations=[],
        ),
    ]
