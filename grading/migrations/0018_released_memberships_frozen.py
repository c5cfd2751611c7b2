"""Record, for projects whose grades were released already, which members count in their
peer factors: those who are students of the course now (the best known; probe 64)."""

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
        GroupMembership.objects.filter(assignment_id=assignment_id).update(
            student_at_release=Exists(student)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0017_line_comments_on_mac_zipped_files"),
        ("projects", "0017_membership_student_at_release"),
        ("lessons", "0019_course_code_one_line"),
    ]

    operations = [migrations.RunPython(freeze, migrations.RunPython.noop)]
