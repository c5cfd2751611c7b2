from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import RedirectView

from . import views
from .converters import IdConverter

# Before the apps' URLconfs are included: they match ids with <id:pk>.
register_converter(IdConverter, "id")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("", include("lessons.urls")),
    path("", include("practice.urls")),
    path("projects/", include("projects.urls")),
    path("grading/", include("grading.urls")),
    path("autograding/", include("autograding.urls")),
    path("api/v1/", include("api.urls")),
    # Grade-release emails sent before grading had its own app link here.
    path(
        "projects/feedback/<id:pk>/",
        RedirectView.as_view(pattern_name="grading:feedback", permanent=True),
    ),
    path("admin/", admin.site.urls),
    # 404 unless settings.BENCH_FLOOR (the benchmark's baseline, bench/run.py).
    path("bench/floor", views.bench_floor, name="bench_floor"),
    path("bench/floor/logged-in", views.bench_floor_logged_in, name="bench_floor_logged_in"),
    path("bench/floor/enrolled", views.bench_floor_enrolled, name="bench_floor_enrolled"),
]

handler400 = "coursesite.views.bad_request"
handler403 = "coursesite.views.permission_denied"
handler404 = "coursesite.views.page_not_found"
handler500 = "coursesite.views.server_error"
