from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from access import policy
from accounts.models import Role
from accounts.throttle import (
    enroll_throttle,
    signup_taken_throttle,
    signup_throttle,
    subject_of_user,
)
from coursesite.formpages import form_view, kept_fields, page, page_with_form, wants_json
from practice.selectors import lesson_practice

from . import selectors
from .forms import EnrollForm, SearchForm, SignupForm
from .models import (
    Course,
    Lesson,
    LessonAttachment,
    Progress,
)
from .outline import OutlineLesson, course_outline, course_outlines
from .search import query_terms, search_lessons
from .services import (
    course_progress,
    enrollment_create_with_key,
    enrollment_remember_lesson,
    lesson_set_completed,
    module_progress,
    user_signup_with_key,
)

LOGIN_BACKEND = "accounts.backends.UsernameOrEmailBackend"


# Access -----------------------------------------------------------------------
@dataclass
class CourseAccess:
    course: Course
    last_lesson_id: int | None  # the user's "continue where you left off", if enrolled
    enrolled: bool
    can_preview: bool  # sees drafts: an instructor of this course, or a superuser

    def remember_lesson(self, user, lesson: Lesson) -> None:
        """Record LESSON as the one to continue from (one UPDATE, only if it changed)."""
        if self.enrolled and self.last_lesson_id != lesson.pk:
            try:
                enrollment_remember_lesson(user=user, lesson=lesson)
            except IntegrityError:  # deleted by an instructor as the page was read
                return
            self.last_lesson_id = lesson.pk


def get_course_for_user(request: HttpRequest, slug: str) -> CourseAccess:
    """Return the course SLUG as REQUEST.user may see it (the access policy decides).

    Outsiders get 404 rather than 403 so course slugs do not leak; unpublished
    courses exist only for their instructors.
    """
    course = policy.first_or_refuse(request.user, policy.VIEW, selectors.course_by_slug(slug=slug))
    return course_access(request.user, course)


def course_access(user, course: Course) -> CourseAccess:
    """Return USER's access to COURSE, which the policy has let them see."""
    enrollment = policy.enrollment(user, course)
    return CourseAccess(
        course=course,
        last_lesson_id=enrollment.last_lesson_id if enrollment else None,
        enrolled=enrollment is not None,
        can_preview=policy.can(user, policy.TEACH, course),
    )


def _get_lesson(request: HttpRequest, course: Course, lessons=Lesson.objects, **lookup) -> Lesson:
    """Return the lesson of COURSE matching LOOKUP if the user may open it (drafts: teachers)."""
    lessons = lessons.filter(module__course=course).select_related("module__course")
    return policy.get_or_refuse(request.user, policy.VIEW, lessons, **lookup)


# Student pages ----------------------------------------------------------------
@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    # ?all=1: the grader's own way to their course list (linked from the queue).
    if policy.grades_only(user) and not request.GET.get("all"):
        return redirect("grading:grader_queue")
    enrollments = policy.enrollments(user)
    courses, closed = [], []
    for course in selectors.enrolled_courses(user_id=user.pk):
        (courses if policy.can(user, policy.VIEW, course) else closed).append(course)
    outlines = course_outlines(user, courses)
    completed = set(selectors.all_completed_lesson_ids(user_id=user.pk))
    cards = [
        CourseCard.build(course, enrollments[course.pk], outlines[course.pk], completed)
        for course in courses
    ]
    roles = {row.role for row in enrollments.values()}
    return render(
        request,
        "lessons/dashboard.html",
        {
            "enrollments": cards,
            # Courses they are in that are not published: counted, not named (students
            # see nothing of a course in preparation), so that they are not told they
            # are in no course and sent to enroll again.
            "closed_courses": closed,
            "enroll_form": EnrollForm(),
            "studies": Role.STUDENT in roles,
            "grades": Role.GRADER in roles,
            "teaches": Role.INSTRUCTOR in roles,
        },
    )


@dataclass
class CourseCard:
    """One course of the dashboard: the user's role, progress and where to go next."""

    course: Course
    role: str
    progress: Progress
    resume: OutlineLesson | None  # "continue where you left off", if they may still open it
    next_up: OutlineLesson | None  # the first lesson not completed yet (or the first)

    @classmethod
    def build(cls, course, enrollment, outline, completed: set[int]) -> CourseCard:
        lessons = outline.lessons
        resume, next_up = where_to_continue(lessons, enrollment.last_lesson_id, completed)
        return cls(
            course=course,
            role=enrollment.role,
            progress=Progress.of(lessons, completed),
            resume=resume,
            next_up=next_up,
        )

    def get_role_display(self) -> str:
        return Role(self.role).label


def where_to_continue(
    lessons: list[OutlineLesson], last_lesson_id: int | None, completed
) -> tuple[OutlineLesson | None, OutlineLesson | None]:
    """Return (the lesson to continue, else None; the lesson to go on with).

    The last lesson opened is where one continues, unless it is completed: then the
    next lesson after it not completed yet is the one to go on with ("Continue with"),
    not the lesson just finished. With everything completed, the last one opened.
    """
    last = next((i for i, ls in enumerate(lessons) if ls.pk == last_lesson_id), None)
    if last is None or lessons[last].pk not in completed:
        return (lessons[last] if last is not None else None), next_lesson(lessons, completed)
    following = next(
        (ls for ls in lessons[last + 1 :] if ls.counts and ls.pk not in completed), None
    )
    if following is not None:
        return None, following
    if any(ls.counts and ls.pk not in completed for ls in lessons):
        return None, next_lesson(lessons, completed)
    return lessons[last], next_lesson(lessons, completed)


def next_lesson(lessons: list[OutlineLesson], completed) -> OutlineLesson | None:
    """Return the first of LESSONS that counts and is not COMPLETED, else the first."""
    counting = [lesson for lesson in lessons if lesson.counts] or lessons
    return next(
        (ls for ls in counting if ls.pk not in completed), counting[0] if counting else None
    )


@require_safe
@login_required
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = policy.first_or_refuse(
        request.user,
        policy.VIEW,
        selectors.course_by_slug_for(slug=slug, user_id=request.user.pk),
    )
    access = course_access(request.user, course)
    structure = course_outline(request.user, course)
    completed = selectors.completed_in_course(course)
    ordered = structure.lessons
    resume, next_up = where_to_continue(ordered, access.last_lesson_id, completed)
    return render(
        request,
        "lessons/course_detail.html",
        {
            "course": course,
            "access": access,
            "structure": structure,
            "module_progress": {
                module.pk: Progress.of(lessons, completed) for module, lessons in structure.modules
            },
            "overall": Progress.of(ordered, completed),
            "completed": completed,
            "resume": resume,
            "next_up": next_up,
            "left_to_do": lessons_left(ordered, completed),
        },
    )


# Few enough to name on the course page: more is a course under way, not an end of term.
LEFT_TO_NAME = 5


def lessons_left(lessons: list[OutlineLesson], completed) -> list[OutlineLesson]:
    """The lessons that count and are not COMPLETED, when only a few are left of a
    course begun: "Continue with" follows the last one opened, and a lesson skipped
    earlier was a row without a tick among 33 (probe 118)."""
    left = [lesson for lesson in lessons if lesson.counts and lesson.pk not in completed]
    return left if left and len(left) <= LEFT_TO_NAME and completed else []


@require_safe
@login_required
def lesson_detail(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    # The lesson with its module and course in one query, asked of the policy: whoever
    # may see a lesson may see its course (a lesson is visible only in a published
    # course, or to its teachers), which require() checks again without a query.
    lesson = policy.first_or_refuse(
        request.user,
        policy.VIEW,
        selectors.lesson_by_slugs(
            course_slug=course_slug, lesson_slug=lesson_slug, user_id=request.user.pk
        ),
    )
    course = lesson.module.course
    policy.require(request.user, policy.VIEW, course)
    access = course_access(request.user, course)
    structure = course_outline(request.user, course)
    outline = structure.lessons
    position = next((i for i, item in enumerate(outline) if item.pk == lesson.pk), None)
    if position is None:
        raise Http404("No such lesson.")
    attachments = selectors.attachments_of(lesson_id=lesson.pk) if lesson.has_attachments else []
    practice = lesson_practice(request.user, lesson, kept=kept_fields(request))
    completed = selectors.completed_in_course(lesson)
    access.remember_lesson(request.user, lesson)
    in_module = [item for item in outline if item.module_id == lesson.module_id]
    return render(
        request,
        "lessons/lesson_detail.html",
        {
            "course": course,
            "access": access,
            "lesson": lesson,
            "attachments": attachments,
            "practice": practice,
            "structure": structure,
            "previous": outline[position - 1] if position > 0 else None,
            "next": outline[position + 1] if position + 1 < len(outline) else None,
            "is_complete": lesson.pk in completed,
            "completed": completed,
            "course_progress": Progress.of(outline, completed),
            "module_progress": Progress.of(in_module, completed),
        },
    )


@form_view(
    page("lessons:lesson", "course_slug", "lesson_slug"),
    # Nothing typed to give back: the lesson page says the click was lost.
    kept_message=(
        "You were signed out before your click on the lesson's button reached us: nothing "
        "was marked. Press it again."
    ),
)
def lesson_complete(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Mark a lesson complete or not: JSON for the page's script, a redirect for plain forms."""
    access = get_course_for_user(request, course_slug)
    lesson = _get_lesson(request, access.course, slug=lesson_slug)
    value = request.POST.get("completed", "1")
    if value not in ("0", "1"):
        # Read as "not 1", any other value un-marked the lesson.
        error = (
            "Nothing was changed: the request said neither to mark nor to unmark the "
            "lesson. Reload the page and press its button again."
        )
        if wants_json(request):
            return JsonResponse({"error": error}, status=400)
        messages.error(request, error)
        return redirect(lesson)
    completed = value == "1"
    try:
        lesson_set_completed(user=request.user, lesson=lesson, completed=completed)
    except IntegrityError as exc:  # deleted by an instructor at the same moment
        raise Http404("This lesson was just removed by your instructor.") from exc
    except ValidationError as exc:  # a required quiz not passed yet
        if wants_json(request):
            return JsonResponse({"error": exc.messages[0]}, status=400)
        # Tagged: the page's script takes it away once the quiz is passed (it stayed,
        # red, beside the green "Quiz passed": probe 109).
        messages.error(request, exc.messages[0], extra_tags="quiz-first")
        return redirect(lesson)
    if completed:
        text = f"“{lesson.title}” is marked as complete."
    else:
        text = f"“{lesson.title}” is no longer marked as complete."
    if wants_json(request):
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


@require_safe
@login_required
def attachment_download(
    request: HttpRequest, course_slug: str, lesson_slug: str, pk: int
) -> FileResponse:
    access = get_course_for_user(request, course_slug)
    lesson = _get_lesson(request, access.course, slug=lesson_slug)
    attachment = get_object_or_404(LessonAttachment, pk=pk, lesson=lesson)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("This file is missing; tell your instructor.") from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=download_type(attachment.filename),
    )


# Types a browser runs or renders when a page of ours asks for them: a script tag naming
# an attachment "evil.js" ran it as our own origin's, which the CSP allows (probe 104).
# As bytes (with nosniff) they are only ever downloaded.
_ACTIVE_TYPES = {
    "application/javascript",
    "application/xhtml+xml",
    "application/xml",
    "image/svg+xml",
    "text/css",
    "text/html",
    "text/javascript",
    "text/xml",
}


def download_type(filename: str) -> str:
    """The Content-Type to serve an uploaded FILENAME with: its own, but bytes for the
    types a browser would run or render."""
    guessed, _ = mimetypes.guess_type(filename)
    if guessed is None or guessed in _ACTIVE_TYPES:
        return "application/octet-stream"
    return guessed


@require_safe
@login_required
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = search_lessons(request.user, query) if query else []
    context = {"form": form, "query": query, "results": results}
    # Punctuation alone is no word to look for: said, not "no lesson matches".
    context["no_words"] = bool(query) and not query_terms(query)
    return render(request, "lessons/search.html", context)


# Enrollment -------------------------------------------------------------------
@page_with_form
@login_required
def enroll(request: HttpRequest) -> HttpResponse:
    guesser = subject_of_user(request.user)
    # Counted before the key is checked, and forgiven if it was no wrong guess: counted
    # after, the requests at the same moment were all checked against the limit.
    if request.method == "POST" and not enroll_throttle.allows(guesser):
        messages.error(
            request, f"Too many wrong keys: wait {enroll_throttle.wait}, then try again."
        )
        form = EnrollForm.showing(request.POST)
        return render(request, "lessons/enroll.html", {"form": form}, status=429)
    form = EnrollForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid() or form.has_error("key", code="unpublished"):
            # A right key, or a course's own key before it opens: no guess.
            enroll_throttle.forgive(guesser)
        if form.is_valid():
            course = form.course
            try:
                enrollment_create_with_key(user=request.user, course=course)
            except ValidationError as exc:
                if exc.code != "already_enrolled":
                    messages.error(request, exc.messages[0])
                    return render(request, "lessons/enroll.html", {"form": form})
                messages.info(request, f"You are already enrolled in {course.title}.")
                return redirect(course)
            messages.success(request, f"Welcome to {course.title}! You are enrolled as a student.")
            return redirect(course)
        # A course's own key before it opens: the field says to come back.
        if not form.has_error("key", code="unpublished"):
            messages.error(request, "You were not enrolled: please check the key below.")
    return render(request, "lessons/enroll.html", {"form": form})


@page_with_form
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        messages.info(request, "You already have an account: enroll with your key here.")
        return redirect("lessons:enroll")
    # Counted first, forgiven if the account is made (see enroll).
    if request.method == "POST" and not signup_throttle.allows(signup_throttle.subject(request)):
        messages.error(
            request,
            f"Too many sign-up attempts from your network: wait {signup_throttle.wait}, "
            "then try again. Nothing was saved.",
        )
        form = SignupForm.showing(request.POST)
        return render(request, "lessons/signup.html", {"form": form}, status=429)
    form = SignupForm(request.POST or None)
    network = signup_throttle.subject(request)
    form.taken_spent = request.method == "POST" and signup_taken_throttle.is_spent(network)
    form.count_taken = lambda: signup_taken_throttle.allows(network)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                enrollment, link_sent = user_signup_with_key(
                    username=data["username"],
                    email=data["email"],
                    password=data["password1"],
                    display_name=data["display_name"],
                    key=data["key"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                signup_throttle.forgive(signup_throttle.subject(request))
                login(request, enrollment.user, backend=LOGIN_BACKEND)
                link = (
                    f"We sent a link to {enrollment.user.email}: open it while logged in "
                    "here to confirm your address."
                    if link_sent
                    else f"No confirmation link was sent to {enrollment.user.email}: it had "
                    "several in the last hour. Ask for one from your dashboard later."
                )
                messages.success(
                    request,
                    f"Welcome, {enrollment.user}! Your account is ready and you are enrolled "
                    f"in {enrollment.course.title}. {link}",
                )
                return redirect(enrollment.course)
        messages.error(request, "Your account was not created: please correct the errors below.")
    return render(request, "lessons/signup.html", {"form": form})
