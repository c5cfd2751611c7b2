from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("grading/", views.grader_queue, name="grader_queue"),
]
