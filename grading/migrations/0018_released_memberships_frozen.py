"""Record, for projects whose grades were released already, which members count in their
peer factors: those who are students of the course now (probe 64). A member who is not
is left unknown (NULL, read as "a student now"), as the release before counted them: one
removed by mistake and enrolled again gets their released mark back (probe 67). No
history of enrollments says whether they were students at the release."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def freeze(apps, schema_editor):
    GradeRelease = apps.get_model("grading", "GradeRelease")
    GroupMembership = apps.get_model("projects", "GroupMembership")
    Enrollment = apps.get_model("lessons", "Enrollment")
    released = GradeRelease.objects.values_list("assignment_id", "assignment__course_id")
    for assignment_id, course_id in released:
        student = Enrollment.objects.filter(
            course_id=course_id, user_id=OuterRef("student_id"), role="student"
        )
        GroupMembership.objects.filter(assignment_id=assignment_id).filter(
            Exists(student)
        ).update(student_at_release=True)


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0017_line_comments_on_mac_zipped_files"),
        ("projects", "0017_membership_student_at_release"),
        ("lessons", "0019_course_code_one_line"),
    ]

    operations = [migrations.RunPython(freeze, migrations.RunPython.noop)]
