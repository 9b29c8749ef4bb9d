from django.db import migrations

THEMES = ["air", "noise", "heat", "water", "traffic", "biodiversity", "soil", "light", "radiation", "other"]


def create(apps, schema_editor):
    ThemeTag = apps.get_model("projects", "ThemeTag")
    for code in THEMES:
        ThemeTag.objects.get_or_create(code=code)
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="moderators")


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
