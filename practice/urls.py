from django.urls import path

from . import views

app_name = "practice"

urlpatterns = [
    # /courses/<course>/<lesson>/..., beside the lesson's own URLs.
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/questions/<slug:slug>/answer/",
        views.answer,
        name="answer",
    ),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/exercises/<slug:slug>/attempt/",
        views.exercise_attempt,
        name="exercise_attempt",
    ),
]
