from django.urls import path

from .views import student

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
        "courses/<slug:course_slug>/<slug:slug>/group/rename/",
        student.group_rename,
        name="group_rename",
    ),
    path(
        "courses/<slug:course_slug>/<slug:slug>/group/leave/",
        student.group_leave,
        name="group_leave",
    ),
    path("courses/<slug:course_slug>/<slug:slug>/submit/", student.submit, name="submit"),
    # /projects/submissions/<pk>/...
    path("submissions/<id:pk>/", student.submission_detail, name="submission"),
    path(
        "submissions/<id:pk>/download/",
        student.submission_download,
        name="submission_download",
    ),
]

urlpatterns = student_urls
