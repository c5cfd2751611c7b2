"""The grading models, taken over from the projects app with their tables and rows."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


MOVED = (
    "rubric",
    "criterion",
    "level",
    "review",
    "criterionscore",
    "linecomment",
    "graderelease",
    "regraderequest",
    "peerrating",
    "markoverride",
    *(
        f"historical{name}"
        for name in (
            "rubric",
            "review",
            "criterionscore",
            "linecomment",
            "graderelease",
            "regraderequest",
            "peerrating",
            "markoverride",
        )
    ),
)


def _relabel(apps, old: str, new: str) -> None:
    # Permissions and admin history point at content types: relabel them rather than
    # let new ones be created, so both follow the models.
    content_types = apps.get_model("contenttypes", "ContentType").objects
    content_types.filter(app_label=new, model__in=MOVED).delete()
    content_types.filter(app_label=old, model__in=MOVED).update(app_label=new)


def move_content_types(apps, schema_editor) -> None:
    _relabel(apps, "projects", "grading")


def move_content_types_back(apps, schema_editor) -> None:
    _relabel(apps, "grading", "projects")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('projects', '0004_grading_moves_out'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist already, renamed by projects 0004: only the state changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Criterion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                        ('title', models.CharField(max_length=200, verbose_name='title')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('max_points', models.DecimalField(decimal_places=2, max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='maximum points')),
                    ],
                    options={
                        'verbose_name_plural': 'criteria',
                        'ordering': ['rubric', 'order', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='GradeRelease',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('released_at', models.DateTimeField(verbose_name='released at')),
                        ('assignment', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='grade_release', to='projects.projectassignment')),
                        ('released_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-released_at'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalGradeRelease',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('released_at', models.DateTimeField(verbose_name='released at')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('assignment', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='projects.projectassignment')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('released_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical grade release',
                        'verbose_name_plural': 'historical grade releases',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalMarkOverride',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('mark', models.DecimalField(decimal_places=2, max_digits=5, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='mark (%)')),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('assignment', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='projects.projectassignment')),
                        ('by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('student', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical mark override',
                        'verbose_name_plural': 'historical mark overrides',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalPeerRating',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)], verbose_name='contribution')),
                        ('comment', models.TextField(blank=True, verbose_name='comment')),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('group', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='projects.group')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('ratee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('rater', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical peer rating',
                        'verbose_name_plural': 'historical peer ratings',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalReview',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('status', models.CharField(choices=[('todo', 'To do'), ('draft', 'In progress'), ('completed', 'Done')], default='todo', max_length=10, verbose_name='status')),
                        ('overall_feedback', models.TextField(blank=True, verbose_name='overall feedback')),
                        ('overall_feedback_html', models.TextField(blank=True, editable=False)),
                        ('total', models.DecimalField(decimal_places=2, default=Decimal('0'), editable=False, max_digits=8, verbose_name='total')),
                        ('assigned_at', models.DateTimeField(blank=True, editable=False)),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('assigned_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('grader', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('group', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='projects.group')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('submission', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='projects.submission')),
                    ],
                    options={
                        'verbose_name': 'historical review',
                        'verbose_name_plural': 'historical reviews',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalRubric',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('anonymous_grading', models.BooleanField(default=False, help_text='Graders see a group number instead of group and student names.', verbose_name='anonymous grading')),
                        ('graders_see_all', models.BooleanField(default=False, help_text='Every grader of the course may open every review of this assignment, not only the ones assigned to them (only the assigned grader edits).', verbose_name='graders see all submissions')),
                        ('regrade_window_days', models.PositiveSmallIntegerField(default=7, help_text='Students may ask for a regrade this many days after the release.', verbose_name='regrade window (days)')),
                        ('peer_evaluation', models.BooleanField(default=False, help_text='Members rate each teammate; individual marks use WebPA factors.', verbose_name='peer evaluation')),
                        ('peer_factor_cap', models.DecimalField(decimal_places=2, default=Decimal('1.20'), help_text="A member's WebPA factor is capped at this value (1.00 to 2.00).", max_digits=4, validators=[django.core.validators.MinValueValidator(Decimal('1.00')), django.core.validators.MaxValueValidator(Decimal('2.00'))], verbose_name='maximum peer factor')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('assignment', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='projects.projectassignment')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical rubric',
                        'verbose_name_plural': 'historical rubrics',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Level',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('label', models.CharField(max_length=80, verbose_name='label')),
                        ('points', models.DecimalField(decimal_places=2, max_digits=6, validators=[django.core.validators.MinValueValidator(0)], verbose_name='points')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('criterion', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='levels', to='grading.criterion')),
                    ],
                    options={
                        'ordering': ['criterion', '-points', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Review',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('todo', 'To do'), ('draft', 'In progress'), ('completed', 'Done')], default='todo', max_length=10, verbose_name='status')),
                        ('overall_feedback', models.TextField(blank=True, verbose_name='overall feedback')),
                        ('overall_feedback_html', models.TextField(blank=True, editable=False)),
                        ('total', models.DecimalField(decimal_places=2, default=Decimal('0'), editable=False, max_digits=8, verbose_name='total')),
                        ('assigned_at', models.DateTimeField(auto_now_add=True)),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('assigned_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('grader', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to=settings.AUTH_USER_MODEL)),
                        ('group', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='review', to='projects.group')),
                        ('submission', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='projects.submission')),
                    ],
                    options={
                        'ordering': ['submission__submitted_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='LineComment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('path', models.CharField(max_length=1000, verbose_name='file')),
                        ('line', models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='line')),
                        ('text', models.TextField(verbose_name='comment')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('review', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='line_comments', to='grading.review')),
                    ],
                    options={
                        'ordering': ['review', 'path', 'line', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalRegradeRequest',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('created_at', models.DateTimeField(blank=True, editable=False)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('accepted', 'Accepted'), ('declined', 'Declined')], default='open', max_length=10, verbose_name='status')),
                        ('old_points', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True)),
                        ('new_points', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, verbose_name='new points')),
                        ('response', models.TextField(blank=True, verbose_name='response')),
                        ('answered_at', models.DateTimeField(blank=True, null=True)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('answered_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('criterion', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grading.criterion')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('requested_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('review', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grading.review')),
                    ],
                    options={
                        'verbose_name': 'historical regrade request',
                        'verbose_name_plural': 'historical regrade requests',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalLineComment',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('path', models.CharField(max_length=1000, verbose_name='file')),
                        ('line', models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='line')),
                        ('text', models.TextField(verbose_name='comment')),
                        ('created_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('author', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('review', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grading.review')),
                    ],
                    options={
                        'verbose_name': 'historical line comment',
                        'verbose_name_plural': 'historical line comments',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalCriterionScore',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('points', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, verbose_name='points')),
                        ('comment', models.TextField(blank=True, verbose_name='comment')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('criterion', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grading.criterion')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('review', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grading.review')),
                    ],
                    options={
                        'verbose_name': 'historical criterion score',
                        'verbose_name_plural': 'historical criterion scores',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Rubric',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('anonymous_grading', models.BooleanField(default=False, help_text='Graders see a group number instead of group and student names.', verbose_name='anonymous grading')),
                        ('graders_see_all', models.BooleanField(default=False, help_text='Every grader of the course may open every review of this assignment, not only the ones assigned to them (only the assigned grader edits).', verbose_name='graders see all submissions')),
                        ('regrade_window_days', models.PositiveSmallIntegerField(default=7, help_text='Students may ask for a regrade this many days after the release.', verbose_name='regrade window (days)')),
                        ('peer_evaluation', models.BooleanField(default=False, help_text='Members rate each teammate; individual marks use WebPA factors.', verbose_name='peer evaluation')),
                        ('peer_factor_cap', models.DecimalField(decimal_places=2, default=Decimal('1.20'), help_text="A member's WebPA factor is capped at this value (1.00 to 2.00).", max_digits=4, validators=[django.core.validators.MinValueValidator(Decimal('1.00')), django.core.validators.MaxValueValidator(Decimal('2.00'))], verbose_name='maximum peer factor')),
                        ('assignment', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='rubric', to='projects.projectassignment')),
                    ],
                    options={
                        'ordering': ['assignment'],
                    },
                ),
                migrations.AddField(
                    model_name='criterion',
                    name='rubric',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='criteria', to='grading.rubric'),
                ),
                migrations.CreateModel(
                    name='MarkOverride',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('mark', models.DecimalField(decimal_places=2, max_digits=5, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='mark (%)')),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('at', models.DateTimeField(auto_now=True)),
                        ('assignment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='mark_overrides', to='projects.projectassignment')),
                        ('by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('student', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['assignment', 'student'],
                        'constraints': [models.UniqueConstraint(fields=('assignment', 'student'), name='grading_override_unique'), models.CheckConstraint(condition=models.Q(('mark__gte', 0), ('mark__lte', 100)), name='grading_override_range')],
                    },
                ),
                migrations.CreateModel(
                    name='PeerRating',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)], verbose_name='contribution')),
                        ('comment', models.TextField(blank=True, verbose_name='comment')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='peer_ratings', to='projects.group')),
                        ('ratee', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('rater', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['group', 'rater', 'ratee'],
                        'constraints': [models.UniqueConstraint(fields=('group', 'rater', 'ratee'), name='grading_peer_unique'), models.CheckConstraint(condition=models.Q(('score__gte', 1), ('score__lte', 5)), name='grading_peer_score_range')],
                    },
                ),
                migrations.CreateModel(
                    name='RegradeRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('accepted', 'Accepted'), ('declined', 'Declined')], default='open', max_length=10, verbose_name='status')),
                        ('old_points', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True)),
                        ('new_points', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, verbose_name='new points')),
                        ('response', models.TextField(blank=True, verbose_name='response')),
                        ('answered_at', models.DateTimeField(blank=True, null=True)),
                        ('answered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('criterion', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='grading.criterion')),
                        ('requested_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('review', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='regrade_requests', to='grading.review')),
                    ],
                    options={
                        'ordering': ['-created_at', '-pk'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('review', 'criterion'), name='grading_one_open_regrade_per_criterion')],
                    },
                ),
                migrations.CreateModel(
                    name='CriterionScore',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('points', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, verbose_name='points')),
                        ('comment', models.TextField(blank=True, verbose_name='comment')),
                        ('criterion', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scores', to='grading.criterion')),
                        ('review', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scores', to='grading.review')),
                    ],
                    options={
                        'ordering': ['review', 'criterion__order', 'criterion__pk'],
                        'constraints': [models.UniqueConstraint(fields=('review', 'criterion'), name='grading_score_unique'), models.CheckConstraint(condition=models.Q(('points__isnull', True), ('points__gte', 0), _connector='OR'), name='grading_score_not_negative')],
                    },
                ),
    
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
