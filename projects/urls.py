from django.urls import path

from .views import grading, student  # noqa: F401 - student views are added here

app_name = "projects"

# Student side: /projects/...
student_urls: list = []

# Grading side: /projects/grading/...
grading_urls = [
    path("grading/", grading.grader_queue, name="grader_queue"),
    # /projects/grading/reviews/<pk>/
    path("grading/reviews/<int:pk>/", grading.review_detail, name="review"),
    path(
        "grading/reviews/<int:pk>/comments/",
        grading.line_comment_create,
        name="line_comment_create",
    ),
    path(
        "grading/comments/<int:pk>/delete/",
        grading.line_comment_delete,
        name="line_comment_delete",
    ),
    # /projects/grading/regrades/
    path("grading/regrades/", grading.regrade_list, name="regrade_list"),
    path("grading/regrades/<int:pk>/", grading.regrade_answer, name="regrade_answer"),
    # /projects/grading/assignments/<pk>/ (instructors)
    path(
        "grading/assignments/<int:pk>/",
        grading.assignment_overview,
        name="assignment_grading",
    ),
    path("grading/assignments/<int:pk>/assign/", grading.assign_graders, name="assign_graders"),
    path("grading/assignments/<int:pk>/release/", grading.release_grades, name="release_grades"),
    path("grading/assignments/<int:pk>/override/", grading.override_mark, name="override_mark"),
    # /projects/grading/courses/<slug>/ (instructors)
    path("grading/courses/<slug:slug>/gradebook/", grading.gradebook, name="gradebook"),
    path("grading/courses/<slug:slug>/gradebook.csv", grading.gradebook_csv, name="gradebook_csv"),
    # /projects/feedback/ and /projects/peer/ (students)
    path("feedback/", grading.feedback_list, name="feedback_list"),
    path("feedback/<int:pk>/", grading.feedback, name="feedback"),
    path("feedback/<int:pk>/regrade/", grading.regrade_request, name="regrade_request"),
    path("peer/<int:pk>/", grading.peer_evaluation, name="peer"),
]

urlpatterns = student_urls + grading_urls
