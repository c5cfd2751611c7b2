from django.urls import path

from . import views

app_name = "grading"

urlpatterns = [
    # /grading/: the grader's queue and review pages
    path("", views.grader_queue, name="grader_queue"),
    path("reviews/<id:pk>/", views.review_detail, name="review"),
    path("reviews/<id:pk>/draft/", views.review_draft, name="review_draft"),
    path("reviews/<id:pk>/comments/", views.line_comment_create, name="line_comment_create"),
    path("comments/<id:pk>/delete/", views.line_comment_delete, name="line_comment_delete"),
    path("comments/<id:pk>/edit/", views.line_comment_edit, name="line_comment_edit"),
    path("regrades/", views.regrade_list, name="regrade_list"),
    path("regrades/<id:pk>/", views.regrade_answer, name="regrade_answer"),
    path("regrades/<id:pk>/message/", views.regrade_message, name="regrade_message"),
    # /grading/assignments/<pk>/ and /grading/courses/<slug>/: instructors
    path("assignments/<id:pk>/", views.assignment_overview, name="assignment_grading"),
    path("assignments/<id:pk>/hub/", views.assignment_hub, name="assignment_hub"),
    path("assignments/<id:pk>/hub/reassign/", views.hub_reassign, name="hub_reassign"),
    path("assignments/<id:pk>/assign/", views.assign_graders, name="assign_graders"),
    path("assignments/<id:pk>/release/", views.release_grades, name="release_grades"),
    path("assignments/<id:pk>/override/", views.override_mark, name="override_mark"),
    path("courses/<slug:slug>/gradebook/", views.gradebook, name="gradebook"),
    path("courses/<slug:slug>/gradebook.csv", views.gradebook_csv, name="gradebook_csv"),
    # /grading/feedback/ and /grading/peer/: students
    path("feedback/", views.feedback_list, name="feedback_list"),
    path("feedback/<id:pk>/", views.feedback, name="feedback"),
    path("feedback/<id:pk>/regrade/", views.regrade_request, name="regrade_request"),
    path("peer/<id:pk>/", views.peer_evaluation, name="peer"),
]
