"""The API, version 1: /api/v1/ (see docs/api.md)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from .views import content, grading, projects
from .views.base import NO_OPTIONS

app_name = "api"

router = SimpleRouter(use_regex_path=False)
router.register("courses", content.CourseViewSet, basename="course")
router.register("modules", content.ModuleViewSet, basename="module")
router.register("lessons", content.LessonViewSet, basename="lesson")
router.register("enrollments", content.EnrollmentViewSet, basename="enrollment")
router.register("assignments", projects.AssignmentViewSet, basename="assignment")
router.register("groups", projects.GroupViewSet, basename="group")
router.register("memberships", projects.MembershipViewSet, basename="membership")
router.register("submissions", projects.SubmissionViewSet, basename="submission")
router.register("reviews", grading.ReviewViewSet, basename="review")
router.register("line-comments", grading.LineCommentViewSet, basename="line-comment")
router.register("regrades", grading.RegradeViewSet, basename="regrade")
router.register("overrides", grading.OverrideViewSet, basename="override")

urlpatterns = [
    path("me/", content.MeView.as_view(), name="me"),
    path("me/progress/", content.MyProgressView.as_view(), name="my-progress"),
    path("me/marks/", content.MyMarksView.as_view(), name="my-marks"),
    *router.urls,
    # The schema, and Swagger UI to browse it (its files come with the sidecar package).
    path("schema/", SpectacularAPIView.as_view(http_method_names=NO_OPTIONS), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", http_method_names=NO_OPTIONS),
        name="docs",
    ),
]
