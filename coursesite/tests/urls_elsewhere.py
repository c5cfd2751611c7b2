"""The site's URLs under /elsewhere/: a second URLconf for tests/test_urlpaths.py."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("lessons.urls"))]
