from django.urls import path

from .views import grading, student

app_name = "projects"

# Student side: /projects/...
student_urls = [
    path("", student.my_projects, name="mine"),
    # /projects/courses/<course>/...
    path("courses/<slug:course_slug>/", student.course_projects, name="course"),
    path("courses/<slug:course_slug>/<slug:slug>/", student.detail, name="detail"),
    path(
        "courses/<slug:course_slug>/<slug:slug>/group/create/",
        student.group_create,
        name="group_create",
    ),
    path(
        "courses/<slug:course_slug>/<slug:slug>/group/join/",
        student.group_join,
        name="group_join",
    ),
    path(
        "courses/<slug:course_slug>/<slug:slug>/group/leave/",
        student.group_leave,
        name="group_leave",
    ),
    path("courses/<slug:course_slug>/<slug:slug>/submit/", student.submit, name="submit"),
    # /projects/submissions/<pk>/...
    path("submissions/<int:pk>/", student.submission_detail, name="submission"),
    path(
        "submissions/<int:pk>/download/",
        student.submission_download,
        name="submission_download",
    ),
]

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
