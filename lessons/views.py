from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.throttle import signup_throttle

from .forms import EnrollForm, SearchForm, SignupForm
from .models import (
    Course,
    Enrollment,
    Lesson,
    LessonAttachment,
    LessonCompletion,
    Progress,
    lesson_url_builder,
)
from .search import search_lessons
from .services import (
    course_progress,
    enrollment_create,
    lesson_set_completed,
    module_progress,
    user_signup_with_key,
)

LOGIN_BACKEND = "accounts.backends.UsernameOrEmailBackend"


# Access -----------------------------------------------------------------------
@dataclass
class CourseAccess:
    course: Course
    enrollment: Enrollment | None
    can_preview: bool  # sees drafts: an instructor of this course, or a superuser


def get_course_for_user(request: HttpRequest, slug: str) -> CourseAccess:
    """Return the course SLUG as REQUEST.user may see it; 404 for everyone else.

    Outsiders get 404 rather than 403 so course slugs do not leak. Unpublished
    courses exist only for their instructors.
    """
    user = request.user
    enrollment = (
        Enrollment.objects.select_related("course", "last_lesson")
        .filter(user=user, course__slug=slug)
        .first()
    )
    if enrollment is not None:
        course = enrollment.course
    elif user.is_superuser:
        course = get_object_or_404(Course, slug=slug)
    else:
        raise Http404("No such course.")
    can_preview = user.is_superuser or enrollment.is_instructor
    if not course.is_published and not can_preview:
        raise Http404("No such course.")
    return CourseAccess(course=course, enrollment=enrollment, can_preview=can_preview)


def _course_lessons(access: CourseAccess):
    lessons = Lesson.objects.filter(module__course=access.course)
    return lessons if access.can_preview else lessons.published()


def _completed_ids(request: HttpRequest, course: Course) -> set[int]:
    return set(
        LessonCompletion.objects.filter(
            user=request.user, lesson__module__course=course
        ).values_list("lesson_id", flat=True)
    )


# Student pages ----------------------------------------------------------------
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    enrollments = (
        Enrollment.objects.filter(user=request.user)
        .open()
        .with_progress()
        .select_related("course", "last_lesson__module")
        .order_by("-course__term", "course__title")
    )
    return render(
        request,
        "lessons/dashboard.html",
        {"enrollments": enrollments, "enroll_form": EnrollForm()},
    )


@dataclass
class ModuleOutline:
    module: object
    lessons: list[Lesson]
    progress: Progress


@login_required
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_course_for_user(request, slug)
    course = access.course
    modules = course.modules.order_by("order", "pk")
    if not access.can_preview:
        modules = modules.published()
    lessons = (
        _course_lessons(access)
        .order_by("order", "pk")
        .defer("body", "body_html", "toc_html", "body_text")
    )
    modules = modules.prefetch_related(Prefetch("lessons", queryset=lessons))
    completed = _completed_ids(request, course)
    lesson_url = lesson_url_builder(course.slug)
    outline = []
    for module in modules:
        module_lessons = list(module.lessons.all())
        for lesson in module_lessons:
            lesson.url = lesson_url(lesson.slug)
        # Drafts count for nobody's progress: students never see them.
        counted = [
            lesson for lesson in module_lessons if lesson.is_published and module.is_published
        ]
        done = sum(1 for lesson in counted if lesson.pk in completed)
        outline.append(ModuleOutline(module, module_lessons, Progress(done, len(counted))))
    overall = Progress(
        sum(m.progress.done for m in outline), sum(m.progress.total for m in outline)
    )
    ordered = [lesson for item in outline for lesson in item.lessons]
    resume = None
    if access.enrollment is not None and access.enrollment.last_lesson_id:
        resume = next((ls for ls in ordered if ls.pk == access.enrollment.last_lesson_id), None)
    next_up = next(
        (ls for ls in ordered if ls.pk not in completed), ordered[0] if ordered else None
    )
    return render(
        request,
        "lessons/course_detail.html",
        {
            "course": course,
            "access": access,
            "outline": outline,
            "overall": overall,
            "completed": completed,
            "resume": resume,
            "next_up": next_up,
        },
    )


@login_required
def lesson_detail(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    access = get_course_for_user(request, course_slug)
    course = access.course
    # One query for the course outline (prev/next, sidebar); the body comes with the lesson.
    outline = list(
        _course_lessons(access)
        .select_related("module")
        .in_course_order()
        .defer(
            "body", "body_html", "toc_html", "body_text", "module__summary", "module__summary_html"
        )
    )
    position = next((i for i, item in enumerate(outline) if item.slug == lesson_slug), None)
    if position is None:
        raise Http404("No such lesson.")
    lesson_url = lesson_url_builder(course.slug)
    for item in outline:
        item.url = lesson_url(item.slug)
    lesson = (
        Lesson.objects.select_related("module")
        .prefetch_related("attachments")
        .get(pk=outline[position].pk)
    )
    lesson.module.course = course
    completed = _completed_ids(request, course)
    if access.enrollment is not None:
        access.enrollment.remember_lesson(lesson)
    counted = [item for item in outline if item.is_published and item.module.is_published]
    module_counted = [item for item in counted if item.module_id == lesson.module_id]
    return render(
        request,
        "lessons/lesson_detail.html",
        {
            "course": course,
            "access": access,
            "lesson": lesson,
            "outline": outline,
            "previous": outline[position - 1] if position > 0 else None,
            "next": outline[position + 1] if position + 1 < len(outline) else None,
            "is_complete": lesson.pk in completed,
            "completed": completed,
            "course_progress": Progress(
                sum(1 for item in counted if item.pk in completed), len(counted)
            ),
            "module_progress": Progress(
                sum(1 for item in module_counted if item.pk in completed), len(module_counted)
            ),
        },
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def lesson_complete(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Mark a lesson complete or not: JSON for the page's script, a redirect for plain forms."""
    access = get_course_for_user(request, course_slug)
    lesson = get_object_or_404(_course_lessons(access).select_related("module"), slug=lesson_slug)
    completed = request.POST.get("completed", "1") == "1"
    lesson_set_completed(user=request.user, lesson=lesson, completed=completed)
    if completed:
        text = f"“{lesson.title}” is marked as complete."
    else:
        text = f"“{lesson.title}” is no longer marked as complete."
    if _wants_json(request):
        overall = course_progress(user=request.user, course=access.course)
        module = module_progress(user=request.user, module=lesson.module)
        return JsonResponse(
            {
                "completed": completed,
                "message": text,
                "course": {
                    "done": overall.done,
                    "total": overall.total,
                    "percent": overall.percent,
                },
                "module": {
                    "id": lesson.module_id,
                    "done": module.done,
                    "total": module.total,
                    "percent": module.percent,
                },
            }
        )
    messages.success(request, text)
    return redirect(lesson)


@login_required
def attachment_download(
    request: HttpRequest, course_slug: str, lesson_slug: str, pk: int
) -> FileResponse:
    access = get_course_for_user(request, course_slug)
    lesson = get_object_or_404(_course_lessons(access), slug=lesson_slug)
    attachment = get_object_or_404(LessonAttachment, pk=pk, lesson=lesson)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("This file is missing; tell your instructor.") from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.filename)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = search_lessons(Lesson.objects.visible_to(request.user), query) if query else []
    return render(
        request, "lessons/search.html", {"form": form, "query": query, "results": results}
    )


# Enrollment -------------------------------------------------------------------
@login_required
def enroll(request: HttpRequest) -> HttpResponse:
    form = EnrollForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            course = form.course
            try:
                enrollment_create(user=request.user, course=course)
            except ValidationError:
                messages.info(request, f"You are already enrolled in {course.title}.")
                return redirect(course)
            messages.success(request, f"Welcome to {course.title}! You are enrolled as a student.")
            return redirect(course)
        messages.error(request, "You were not enrolled: please check the key below.")
    return render(request, "lessons/enroll.html", {"form": form})


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        messages.info(request, "You already have an account: enroll with your key here.")
        return redirect("lessons:enroll")
    if request.method == "POST" and signup_throttle.is_exhausted(request):
        messages.error(
            request,
            f"Too many sign-up attempts from your network: wait {signup_throttle.wait}, "
            "then try again. Nothing was saved.",
        )
        form = SignupForm.showing(request.POST)
        return render(request, "lessons/signup.html", {"form": form}, status=429)
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                enrollment = user_signup_with_key(
                    username=data["username"],
                    email=data["email"],
                    password=data["password1"],
                    display_name=data["display_name"],
                    key=data["key"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                login(request, enrollment.user, backend=LOGIN_BACKEND)
                messages.success(
                    request,
                    f"Welcome, {enrollment.user}! Your account is ready and you are enrolled "
                    f"in {enrollment.course.title}.",
                )
                return redirect(enrollment.course)
        signup_throttle.add(request)  # a refused sign-up, whatever the reason
        messages.error(request, "Your account was not created: please correct the errors below.")
    return render(request, "lessons/signup.html", {"form": form})
