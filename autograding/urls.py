from django.urls import path

from . import views

app_name = "autograding"

urlpatterns = [
    # /autograding/: instructors
    path("", views.queue, name="queue"),
    path("submissions/<id:pk>/rerun/", views.rerun_submission, name="rerun_submission"),
    path("assignments/<id:pk>/rerun/", views.rerun_assignment, name="rerun_assignment"),
    # /autograding/groups/<pk>/results/: the project page asks while tests run
    path("groups/<id:pk>/results/", views.group_results, name="group_results"),
]
