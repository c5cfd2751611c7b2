from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Course, Enrollment, Lesson


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    enrollments = Enrollment.objects.filter(user=request.user).select_related("course")
    return render(request, "lessons/dashboard.html", {"enrollments": enrollments})


@login_required
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course.objects.visible_to(request.user), slug=slug)
    return render(request, "lessons/course_detail.html", {"course": course})


@login_required
def lesson_detail(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    course = get_object_or_404(Course.objects.visible_to(request.user), slug=course_slug)
    lesson = Lesson.objects.published().filter(module__course=course, slug=lesson_slug).first()
    if lesson is None:
        raise Http404("No such lesson.")
    return render(request, "lessons/lesson_detail.html", {"course": course, "lesson": lesson})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    return render(request, "lessons/search.html", {"query": request.GET.get("q", "")})


def signup(request: HttpRequest) -> HttpResponse:
    return render(request, "lessons/signup.html")
