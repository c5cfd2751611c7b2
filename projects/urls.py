from django.urls import path

from .views import grading, student  # noqa: F401 - student views are added here

app_name = "projects"

# Student side: /projects/...
student_urls: list = []

# Grading side: /projects/grading/...
grading_urls = [
    path("grading/", grading.grader_queue, name="grader_queue"),
]

urlpatterns = student_urls + grading_urls
