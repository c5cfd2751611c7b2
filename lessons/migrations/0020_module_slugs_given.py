"""Give every module a slug: one left empty named its exported folder from its title,
which the import did not find again, or gave two modules one folder (probe 68). Made as
lessons.models.free_module_slug makes them now (a copy: a migration keeps its own)."""

from django.db import migrations, models
from django.utils.text import slugify


def give_slugs(apps, schema_editor):
    Module = apps.get_model("lessons", "Module")
    for module in Module.objects.filter(slug="").order_by("course_id", "order", "pk"):
        base = slugify(module.title)[:96] or "module"
        taken = set(
            Module.objects.filter(course_id=module.course_id, slug__startswith=base)
            .exclude(pk=module.pk)
            .values_list("slug", flat=True)
        )
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        Module.objects.filter(pk=module.pk).update(slug=slug)


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0019_course_code_one_line"),
    ]

    operations = [
        migrations.AlterField(
            model_name="module",
            name="slug",
            field=models.SlugField(
                blank=True,
                help_text="Names the module's folder in an exported course bundle; left empty, it is made from the title.",
                max_length=100,
                verbose_name="slug",
            ),
        ),
        migrations.RunPython(give_slugs, migrations.RunPython.noop),
    ]
