from django.db import migrations

from annotations.vocabulary import ensure_vocabulary


def add_vocabulary(apps, schema_editor):
    ensure_vocabulary(apps.get_model("annotations", "Tag"))


class Migration(migrations.Migration):
    dependencies = [("annotations", "0001_initial")]
    operations = [migrations.RunPython(add_vocabulary, migrations.RunPython.noop)]
