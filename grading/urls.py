from django.urls import path

from . import views

app_name = "grading"

urlpatterns = [
    # /grading/: the grader's queue and review pages
    path("", views.grader_queue, name="grader_queue"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/comments/", views.line_comment_create, name="line_comment_create"),
    path("comments/<int:pk>/delete/", views.line_comment_delete, name="line_comment_delete"),
    path("regrades/", views.regrade_list, name="regrade_list"),
    path("regrades/<int:pk>/", views.regrade_answer, name="regrade_answer"),
    # /grading/assignments/<pk>/ and /grading/courses/<slug>/: instructors
    path("assignments/<int:pk>/", views.assignment_overview, name="assignment_grading"),
    path("assignments/<int:pk>/assign/", views.assign_graders, name="assign_graders"),
    path("assignments/<int:pk>/release/", views.release_grades, name="release_grades"),
    path("assignments/<int:pk>/override/", views.override_mark, name="override_mark"),
    path("courses/<slug:slug>/gradebook/", views.gradebook, name="gradebook"),
    path("courses/<slug:slug>/gradebook.csv", views.gradebook_csv, name="gradebook_csv"),
    # /grading/feedback/ and /grading/peer/: students
    path("feedback/", views.feedback_list, name="feedback_list"),
    path("feedback/<int:pk>/", views.feedback, name="feedback"),
    path("feedback/<int:pk>/regrade/", views.regrade_request, name="regrade_request"),
    path("peer/<int:pk>/", views.peer_evaluation, name="peer"),
]
