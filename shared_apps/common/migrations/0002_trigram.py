from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """pg_trgm, for the directory's name search (a GIN trigram index serves icontains)."""

    dependencies = [("common", "0001_extensions")]
    operations = [TrigramExtension()]
