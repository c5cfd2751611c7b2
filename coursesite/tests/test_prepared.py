"""Prepared querysets (coursesite/prepared.py) give what the ORM gives, for whoever asks.

Compiled once, they must still answer each call with that call's values: a query first
run for one student and then for another returns the other's rows, never the first's.
"""

from __future__ import annotations

import gc
import threading
import weakref
from datetime import timedelta

import pytest
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connection, connections
from django.db.models import Count, OuterRef, Subquery
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access import policy
from accounts.models import Role
from accounts.tests.factories import UserFactory
from coursesite.prepared import prepared, prepared_update
from grading.selectors import feedback_of
from grading.tests.factories import enroll, released_feedback
from lessons.models import Course, Enrollment, Lesson, LessonCompletion
from lessons.tests.factories import CourseFactory, EnrollmentFactory, LessonFactory

pytestmark = pytest.mark.django_db


@prepared
def completed_ids(user_id: int, course_id: int):
    return LessonCompletion.objects.filter(
        user_id=user_id, lesson__module__course_id=course_id
    ).values_list("lesson_id", flat=True)


@prepared
def enrollment_rows(user_id: int):
    return (
        Enrollment.objects.filter(user_id=user_id)
        .order_by("course__slug")
        .values("course__slug", "role", "created_at")
    )


@prepared
def named_rows(slug: str):
    return Course.objects.filter(slug=slug).values_list("pk", "is_published", named=True)


@prepared
def lesson_of(course_slug: str, lesson_slug: str):
    return (
        Lesson.objects.filter(module__course__slug=course_slug, slug=lesson_slug)
        .select_related("module__course")
        .only("title", "module__title", "module__course__slug", "module__course__is_published")
    )


@prepared
def courses_with_students(slug: str):
    newest = Enrollment.objects.filter(course=OuterRef("pk")).order_by("-created_at")
    return Course.objects.filter(slug=slug).annotate(
        people=Count("enrollments"), newest=Subquery(newest.values("created_at")[:1])
    )


@prepared
def completions_of(user_ids: list[int], course_id: int):
    return (
        LessonCompletion.objects.filter(user_id__in=user_ids, lesson__module__course_id=course_id)
        .order_by("user_id", "lesson_id")
        .values_list("user_id", "lesson_id")
    )


@pytest.fixture
def two_students():
    first, second = UserFactory(), UserFactory()
    course = CourseFactory(slug="web")
    lessons = [LessonFactory(module__course=course) for _ in range(3)]
    LessonCompletion.objects.create(user=first, lesson=lessons[0])
    for lesson in lessons[1:]:
        LessonCompletion.objects.create(user=second, lesson=lesson)
    return course, lessons, first, second


def test_each_call_answers_for_its_own_values(two_students):
    course, lessons, first, second = two_students
    assert completed_ids(user_id=first.pk, course_id=course.pk) == [lessons[0].pk]
    assert sorted(completed_ids(user_id=second.pk, course_id=course.pk)) == [
        lessons[1].pk,
        lessons[2].pk,
    ]
    assert completed_ids(user_id=first.pk, course_id=course.pk + 1000) == []


def test_rows_are_what_the_orm_returns_converted_alike(two_students):
    course, _lessons, first, _second = two_students
    other = CourseFactory(slug="apis", is_published=False)
    EnrollmentFactory(user=first, course=course)
    EnrollmentFactory(user=first, course=other)
    orm = list(enrollment_rows.build(user_id=first.pk))
    rows = enrollment_rows(user_id=first.pk)
    assert rows == orm and [row["course__slug"] for row in rows] == ["apis", "web"]
    assert rows[0]["created_at"].tzinfo is not None  # a datetime, not SQLite's text
    [row] = named_rows(slug="apis")
    assert (row.pk, row.is_published) == (other.pk, False)  # a bool, not SQLite's 0


def test_instances_load_their_relations_deferred_fields_and_annotations(
    two_students, django_assert_num_queries
):
    course, lessons, _first, _second = two_students
    Enrollment.objects.create(user=UserFactory(), course=course)
    later = EnrollmentFactory(course=course)
    later.created_at = timezone.now() + timedelta(days=1)
    later.save()
    with django_assert_num_queries(2):
        [lesson] = lesson_of(course_slug="web", lesson_slug=lessons[1].slug)
        [annotated] = courses_with_students(slug="web")
        assert lesson.pk == lessons[1].pk and lesson.title == lessons[1].title
        assert lesson.module.course.slug == "web" and lesson.module.course.is_published
        assert not lesson._state.adding and lesson._state.db == "default"
        assert annotated.people == 2 and annotated.newest == later.created_at
    assert "body" in lesson.get_deferred_fields()
    assert lesson.body == lessons[1].body  # deferred fields load on access, as usual


def test_a_list_of_ids_answers_for_its_own_ids_whatever_its_length(two_students):
    course, lessons, first, second = two_students
    both = [(first.pk, lessons[0].pk), (second.pk, lessons[1].pk), (second.pk, lessons[2].pk)]
    assert completions_of(user_ids=[first.pk], course_id=course.pk) == both[:1]
    assert completions_of(user_ids=[second.pk, first.pk], course_id=course.pk) == both
    assert completions_of(user_ids=[second.pk], course_id=course.pk) == both[1:]
    # Repeats count once (as the ORM's __in), whatever the length compiled before.
    assert completions_of(user_ids=[first.pk, first.pk], course_id=course.pk) == both[:1]
    assert completions_of(user_ids=(second.pk, 0, first.pk), course_id=course.pk) == both
    assert completions_of(user_ids=[], course_id=course.pk) == []
    # A page of students (one array parameter on PostgreSQL, coursesite/lookups.py).
    page = [*range(10**6, 10**6 + 150), second.pk]
    assert completions_of(user_ids=page, course_id=course.pk) == both[1:]
    assert completions_of(user_ids=[first.pk, *page[1:]], course_id=course.pk) == both
    assert completions_of(user_ids=[first.pk], course_id=course.pk + 1) == []
    with pytest.raises(TypeError, match="user_ids must be a list of ints"):
        completions_of(user_ids=[first.pk, "1) OR (1=1"], course_id=course.pk)
    with pytest.raises(TypeError, match="user_ids must be a list of ints"):
        completions_of(user_ids=str(first.pk), course_id=course.pk)


def test_pages_are_the_querysets_slices(two_students):
    course, _lessons, first, second = two_students
    everyone = [first.pk, second.pk]
    orm = list(completions_of.build(user_ids=everyone, course_id=course.pk))
    for offset in range(4):
        for limit in (1, 2, 5):
            page = completions_of.page(
                offset=offset, limit=limit, user_ids=everyone, course_id=course.pk
            )
            assert page == orm[offset : offset + limit]
    assert completions_of(user_ids=everyone, course_id=course.pk) == orm  # whole again
    with pytest.raises(TypeError, match="offset must be an int >= 0"):
        completions_of.page(offset=-1, limit=2, user_ids=everyone, course_id=course.pk)
    with pytest.raises(TypeError, match="limit must be an int >= 0"):
        completions_of.page(offset=0, limit="2; --", user_ids=everyone, course_id=course.pk)

    @prepared
    def first_completion(user_id: int):
        return LessonCompletion.objects.filter(user_id=user_id).values_list("pk")[:1]

    with pytest.raises(ImproperlyConfigured, match="a sliced queryset has no pages"):
        first_completion.page(offset=0, limit=1, user_id=first.pk)


def test_values_are_parameters_never_sql(two_students):
    hostile = "web' OR '1'='1"
    assert named_rows(slug=hostile) == []
    assert named_rows(slug="%s; DROP TABLE lessons_course; --") == []
    assert lesson_of(course_slug="web", lesson_slug="' OR 1=1 --") == []
    assert Course.objects.filter(slug="web").exists()


def test_wrong_values_are_refused_before_any_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        with pytest.raises(TypeError, match="user_id must be int"):
            completed_ids(user_id="1 OR 1=1", course_id=1)
        with pytest.raises(TypeError, match="user_id must be int"):
            completed_ids(user_id=True, course_id=1)
        with pytest.raises(TypeError, match="takes user_id, course_id"):
            completed_ids(user_id=1)


def test_queries_that_cannot_be_prepared_fail_when_compiled():
    @prepared
    def titles_containing(text: str):
        return Lesson.objects.filter(title__contains=text).values_list("pk", flat=True)

    with pytest.raises(ImproperlyConfigured, match="text do not reach the SQL unchanged"):
        titles_containing(text="flask")
    with pytest.raises(ImproperlyConfigured, match="must be annotated int, str or list"):

        @prepared
        def untyped(slug):
            return Course.objects.filter(slug=slug)

    @prepared
    def with_prefetch(slug: str):
        return Course.objects.filter(slug=slug).prefetch_related("modules")

    with pytest.raises(ImproperlyConfigured, match="prefetch_related"):
        with_prefetch(slug="web")


# Queries the access policy writes per viewer (prepared_per(policy.variant)) -------------
def test_a_policy_query_compiled_for_one_student_answers_each_student_for_themselves():
    """grading.selectors.feedback_of is compiled once for the students of a course (the
    same variant) with each one's id put in: never another student's feedback, nothing
    for the course's grader or a student of another course, nothing once removed."""
    course, other_course = CourseFactory(), CourseFactory()
    grader = enroll(UserFactory(), course, Role.GRADER)
    first, second = enroll(UserFactory(), course), enroll(UserFactory(), course)
    elsewhere = enroll(UserFactory(), other_course)
    mine = released_feedback(first, course, grader=grader, answered_regrade=False)
    theirs = released_feedback(second, course, grader=grader, answered_regrade=False)
    assert policy.variant(first) == policy.variant(second)
    assert feedback_of(user=first) == [mine]
    assert feedback_of(user=second) == [theirs]
    assert feedback_of(user=first) == [mine]  # and back: each call its own id
    assert feedback_of(user=grader) == []  # staff read feedback through the review pages
    assert feedback_of(user=elsewhere) == []
    Enrollment.objects.filter(user=second).delete()
    second = type(second).objects.get(pk=second.pk)  # a new request: roles read afresh
    assert feedback_of(user=second) == []


def test_a_policy_query_refuses_values_that_are_not_saved_instances():
    with pytest.raises(TypeError, match="user must be a saved model instance"):
        feedback_of(user=7)
    with pytest.raises(TypeError, match="user must be a saved model instance"):
        feedback_of(user=UserFactory.build())


# Prepared UPDATEs ---------------------------------------------------------------------
@prepared_update
def set_last_lesson(user_id: int, course_id: int, lesson_id: int):
    return Enrollment.objects.filter(user_id=user_id, course_id=course_id), {
        "last_lesson_id": lesson_id
    }


@prepared_update
def rename_courses(ids: list[int], title: str):
    return Course.objects.filter(pk__in=ids), {"title": title}


def test_a_prepared_update_changes_each_calls_rows_only(two_students, django_assert_num_queries):
    course, lessons, first, second = two_students
    other = CourseFactory(slug="apis")
    mine = EnrollmentFactory(user=first, course=course)
    elsewhere = EnrollmentFactory(user=first, course=other)
    theirs = EnrollmentFactory(user=second, course=course)
    with django_assert_num_queries(1):
        assert set_last_lesson(user_id=first.pk, course_id=course.pk, lesson_id=lessons[1].pk) == 1
    assert set_last_lesson(user_id=second.pk, course_id=course.pk, lesson_id=lessons[2].pk) == 1
    assert set_last_lesson(user_id=second.pk, course_id=other.pk, lesson_id=lessons[0].pk) == 0
    last = dict(Enrollment.objects.values_list("pk", "last_lesson_id"))
    assert last == {mine.pk: lessons[1].pk, elsewhere.pk: None, theirs.pk: lessons[2].pk}

    hostile = "x', is_published = false; --"
    assert rename_courses(ids=[course.pk, other.pk], title=hostile) == 2
    assert rename_courses(ids=[], title="nothing") == 0
    assert set(Course.objects.values_list("title", "is_published")) == {(hostile, True)}
    with django_assert_num_queries(0):
        with pytest.raises(TypeError, match="lesson_id must be int"):
            set_last_lesson(user_id=first.pk, course_id=course.pk, lesson_id="1; --")
        with pytest.raises(TypeError, match="no pages"):
            set_last_lesson.page(offset=0, limit=1, user_id=1, course_id=1, lesson_id=1)


def test_updates_that_cannot_be_prepared_fail_when_compiled():
    @prepared_update
    def sliced(course_id: int):
        return Enrollment.objects.filter(course_id=course_id)[:1], {"role": "grader"}

    with pytest.raises(ImproperlyConfigured, match="refuses this queryset"):
        sliced(course_id=1)

    @prepared_update
    def across_tables(course_id: int, title: str):
        return Lesson.objects.filter(module__course_id=course_id), {"module__title": title}

    with pytest.raises(FieldDoesNotExist):  # as Enrollment...update() would
        across_tables(course_id=1, title="x")


def test_postgresql_plans_each_prepared_statement_once_for_any_values(two_students):
    """settings.py: on PostgreSQL a statement run five times on a connection is prepared,
    and planned once for any values. Left to itself PostgreSQL kept re-planning the
    grader queue's page on every call (3-5 ms each); SQLite has no such plans."""
    course, lessons, first, second = two_students
    if connection.vendor != "postgresql":
        assert "options" not in connection.settings_dict["OPTIONS"]
        return
    for _ in range(4):
        for student in (first, second):
            assert completed_ids(user_id=student.pk, course_id=course.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%%lessons_lessoncompletion%%'"
        )
        plans = cursor.fetchall()
    assert plans and all(generic > 0 and custom == 0 for generic, custom in plans)


@pytest.mark.django_db(transaction=True)
def test_a_request_threads_connection_is_freed_with_the_queries_compiled_for_it():
    """The development server answers each request on a new thread, which opens a
    connection of its own; when the thread ends, the connection and the queries
    compiled for it must go. Kept in a cache outside the connection, they kept every
    connection and its open files alive: `make run` answered 500 ("Too many open
    files") after a few thousand requests."""
    student = UserFactory()
    EnrollmentFactory(user=student, course=CourseFactory(slug="web"))
    answered = []

    def one_request() -> None:
        client = Client()
        client.force_login(student)
        response = client.get(reverse("lessons:dashboard"))
        assert completed_ids(user_id=student.pk, course_id=0) == []  # compiled here too
        answered.append((response.status_code, weakref.ref(connections["default"])))
        connections["default"].close()

    thread = threading.Thread(target=one_request)
    thread.start()
    thread.join()
    gc.collect()
    ((status, its_connection),) = answered
    assert status == 200  # a page that ran the session, user and page queries prepared
    assert its_connection() is None
    # This thread's own connection still runs the same compiled query.
    assert completed_ids(user_id=student.pk, course_id=0) == []


@pytest.mark.django_db
def test_postgresql_compiles_no_query_to_machine_code():
    """settings.py: JIT off. On a small database not analyzed yet, PostgreSQL's guessed
    row counts crossed JIT's thresholds and the feedback page took 3.2 s, 1.4-1.9 s of
    compiling for each of two 0.5 ms queries (probe 58). SQLite has no JIT."""
    options = connection.settings_dict["OPTIONS"]
    if connection.vendor != "postgresql":
        assert "options" not in options
        return
    if "prepare_threshold" not in options:
        # DJANGO_PG_PREPARE=0, behind PgBouncer: no startup option, which it refuses
        # (probe 60); the README sets jit on the database instead.
        assert "options" not in options
        return
    assert "-c jit=off" in options["options"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
