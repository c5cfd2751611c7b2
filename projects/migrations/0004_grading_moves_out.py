"""Grading moves to its own app: rename its tables, and drop its models from this app.

grading.0001_initial takes the models over, on the renamed tables, with their rows.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0003_submission_submitted_at_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables keep their rows and are renamed to the grading app's names...
            database_operations=[
                migrations.AlterModelTable(name="rubric", table="grading_rubric"),
                migrations.AlterModelTable(name="criterion", table="grading_criterion"),
                migrations.AlterModelTable(name="level", table="grading_level"),
                migrations.AlterModelTable(name="review", table="grading_review"),
                migrations.AlterModelTable(name="criterionscore", table="grading_criterionscore"),
                migrations.AlterModelTable(name="linecomment", table="grading_linecomment"),
                migrations.AlterModelTable(name="graderelease", table="grading_graderelease"),
                migrations.AlterModelTable(name="regraderequest", table="grading_regraderequest"),
                migrations.AlterModelTable(name="peerrating", table="grading_peerrating"),
                migrations.AlterModelTable(name="markoverride", table="grading_markoverride"),
                migrations.AlterModelTable(name="historicalrubric", table="grading_historicalrubric"),
                migrations.AlterModelTable(name="historicalreview", table="grading_historicalreview"),
                migrations.AlterModelTable(name="historicalcriterionscore", table="grading_historicalcriterionscore"),
                migrations.AlterModelTable(name="historicallinecomment", table="grading_historicallinecomment"),
                migrations.AlterModelTable(name="historicalgraderelease", table="grading_historicalgraderelease"),
                migrations.AlterModelTable(name="historicalregraderequest", table="grading_historicalregraderequest"),
                migrations.AlterModelTable(name="historicalpeerrating", table="grading_historicalpeerrating"),
                migrations.AlterModelTable(name="historicalmarkoverride", table="grading_historicalmarkoverride"),
            ],
            # ...and the models leave this app's state (grading 0001 adds them there).
            state_operations=[
                migrations.RemoveField(
                    model_name='criterion',
                    name='rubric',
                ),
                migrations.RemoveField(
                    model_name='level',
                    name='criterion',
                ),
                migrations.RemoveField(
                    model_name='historicalregraderequest',
                    name='criterion',
                ),
                migrations.RemoveField(
                    model_name='historicalcriterionscore',
                    name='criterion',
                ),
                migrations.RemoveConstraint(
                    model_name='criterionscore',
                    name='grading_score_unique',
                ),
                migrations.RemoveConstraint(
                    model_name='criterionscore',
                    name='grading_score_not_negative',
                ),
                migrations.RemoveField(
                    model_name='graderelease',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='graderelease',
                    name='released_by',
                ),
                migrations.RemoveField(
                    model_name='historicalcriterionscore',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalcriterionscore',
                    name='review',
                ),
                migrations.RemoveField(
                    model_name='historicalgraderelease',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='historicalgraderelease',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalgraderelease',
                    name='released_by',
                ),
                migrations.RemoveField(
                    model_name='historicallinecomment',
                    name='author',
                ),
                migrations.RemoveField(
                    model_name='historicallinecomment',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicallinecomment',
                    name='review',
                ),
                migrations.RemoveField(
                    model_name='historicalmarkoverride',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='historicalmarkoverride',
                    name='by',
                ),
                migrations.RemoveField(
                    model_name='historicalmarkoverride',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalmarkoverride',
                    name='student',
                ),
                migrations.RemoveField(
                    model_name='historicalpeerrating',
                    name='group',
                ),
                migrations.RemoveField(
                    model_name='historicalpeerrating',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalpeerrating',
                    name='ratee',
                ),
                migrations.RemoveField(
                    model_name='historicalpeerrating',
                    name='rater',
                ),
                migrations.RemoveField(
                    model_name='historicalregraderequest',
                    name='answered_by',
                ),
                migrations.RemoveField(
                    model_name='historicalregraderequest',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalregraderequest',
                    name='requested_by',
                ),
                migrations.RemoveField(
                    model_name='historicalregraderequest',
                    name='review',
                ),
                migrations.RemoveField(
                    model_name='historicalreview',
                    name='assigned_by',
                ),
                migrations.RemoveField(
                    model_name='historicalreview',
                    name='grader',
                ),
                migrations.RemoveField(
                    model_name='historicalreview',
                    name='group',
                ),
                migrations.RemoveField(
                    model_name='historicalreview',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalreview',
                    name='submission',
                ),
                migrations.RemoveField(
                    model_name='historicalrubric',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='historicalrubric',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='linecomment',
                    name='author',
                ),
                migrations.RemoveField(
                    model_name='linecomment',
                    name='review',
                ),
                migrations.RemoveConstraint(
                    model_name='markoverride',
                    name='grading_override_unique',
                ),
                migrations.RemoveConstraint(
                    model_name='markoverride',
                    name='grading_override_range',
                ),
                migrations.RemoveConstraint(
                    model_name='peerrating',
                    name='grading_peer_unique',
                ),
                migrations.RemoveConstraint(
                    model_name='peerrating',
                    name='grading_peer_score_range',
                ),
                migrations.RemoveConstraint(
                    model_name='regraderequest',
                    name='grading_one_open_regrade_per_criterion',
                ),
                migrations.RemoveField(
                    model_name='review',
                    name='assigned_by',
                ),
                migrations.RemoveField(
                    model_name='review',
                    name='grader',
                ),
                migrations.RemoveField(
                    model_name='review',
                    name='group',
                ),
                migrations.RemoveField(
                    model_name='review',
                    name='submission',
                ),
                migrations.RemoveField(
                    model_name='rubric',
                    name='assignment',
                ),
                migrations.DeleteModel(
                    name='Level',
                ),
                migrations.RemoveField(
                    model_name='criterionscore',
                    name='criterion',
                ),
                migrations.RemoveField(
                    model_name='criterionscore',
                    name='review',
                ),
                migrations.DeleteModel(
                    name='GradeRelease',
                ),
                migrations.DeleteModel(
                    name='HistoricalCriterionScore',
                ),
                migrations.DeleteModel(
                    name='HistoricalGradeRelease',
                ),
                migrations.DeleteModel(
                    name='HistoricalLineComment',
                ),
                migrations.DeleteModel(
                    name='HistoricalMarkOverride',
                ),
                migrations.DeleteModel(
                    name='HistoricalPeerRating',
                ),
                migrations.DeleteModel(
                    name='HistoricalRegradeRequest',
                ),
                migrations.DeleteModel(
                    name='HistoricalReview',
                ),
                migrations.DeleteModel(
                    name='HistoricalRubric',
                ),
                migrations.DeleteModel(
                    name='LineComment',
                ),
                migrations.RemoveField(
                    model_name='markoverride',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='markoverride',
                    name='by',
                ),
                migrations.RemoveField(
                    model_name='markoverride',
                    name='student',
                ),
                migrations.RemoveField(
                    model_name='peerrating',
                    name='group',
                ),
                migrations.RemoveField(
                    model_name='peerrating',
                    name='ratee',
                ),
                migrations.RemoveField(
                    model_name='peerrating',
                    name='rater',
                ),
                migrations.RemoveField(
                    model_name='regraderequest',
                    name='answered_by',
                ),
                migrations.RemoveField(
                    model_name='regraderequest',
                    name='criterion',
                ),
                migrations.RemoveField(
                    model_name='regraderequest',
                    name='requested_by',
                ),
                migrations.RemoveField(
                    model_name='regraderequest',
                    name='review',
                ),
                migrations.DeleteModel(
                    name='Rubric',
                ),
                migrations.DeleteModel(
                    name='CriterionScore',
                ),
                migrations.DeleteModel(
                    name='MarkOverride',
                ),
                migrations.DeleteModel(
                    name='PeerRating',
                ),
                migrations.DeleteModel(
                    name='Criterion',
                ),
                migrations.DeleteModel(
                    name='RegradeRequest',
                ),
                migrations.DeleteModel(
                    name='Review',
                ),
    
            ],
        ),
    ]
