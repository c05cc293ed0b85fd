from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations


class Migration(migrations.Migration):
    """Extensions live once in the public schema; tenant schemas reach them through their search_path."""

    initial = True
    dependencies: list = []
    operations = [BtreeGistExtension()]
