"""Re-render stored Markdown HTML with the stricter sanitizer (issue 11).

Until now ``class`` and ``id`` passed on every tag, so HTML saved before this
migration may still restyle or overlay the page; the renderer is pure, so running
it again over the Markdown sources replaces every cached copy.
"""

from django.db import migrations


def rerender(apps, schema_editor):
    from lessons.rendering import render_markdown
    from practice.syntax import strip_blocks

    Course = apps.get_model("lessons", "Course")
    for course in Course.objects.only(
        "summary",
        "objectives",
        "prerequisites",
        "summary_html",
        "objectives_html",
        "prerequisites_html",
    ).iterator(chunk_size=500):
        new = {
            f"{name}_html": render_markdown(getattr(course, name)).html
            for name in ("summary", "objectives", "prerequisites")
        }
        changed = [field for field, html in new.items() if getattr(course, field) != html]
        if changed:
            Course.objects.filter(pk=course.pk).update(**{f: new[f] for f in changed})
    Module = apps.get_model("lessons", "Module")
    for module in Module.objects.only("summary", "summary_html").iterator(chunk_size=500):
        html = render_markdown(module.summary).html
        if html != module.summary_html:
            Module.objects.filter(pk=module.pk).update(summary_html=html)
    Lesson = apps.get_model("lessons", "Lesson")
    for lesson in Lesson.objects.only("body", "body_html", "toc_html", "body_text").iterator(
        chunk_size=500
    ):
        # As Lesson.render: quiz and exercise blocks (answers included) are forms on the
        # page, never text of the lesson.
        rendered = render_markdown(strip_blocks(lesson.body))
        new = {
            "body_html": rendered.html,
            "toc_html": rendered.toc_html,
            "body_text": rendered.text,
        }
        if any(getattr(lesson, field) != value for field, value in new.items()):
            # update(), not save(): a re-render is not an edit, so updated_at stays.
            Lesson.objects.filter(pk=lesson.pk).update(**new)


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0002_content_rendering_attachments_slugs"),
    ]

    operations = [
        migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True),
    ]
