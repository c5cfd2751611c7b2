from django.urls import path

from . import views

app_name = "lessons"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("search/", views.search, name="search"),
    path("signup/", views.signup, name="signup"),
    path("enroll/", views.enroll, name="enroll"),
    # /courses/<course>/...
    path("courses/<slug:slug>/", views.course_detail, name="course"),
    path("courses/<slug:course_slug>/<slug:lesson_slug>/", views.lesson_detail, name="lesson"),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/complete/",
        views.lesson_complete,
        name="complete",
    ),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/files/<id:pk>/",
        views.attachment_download,
        name="attachment",
    ),
]
