"""Grading pages, persona by persona: grader, instructor, student, outsider."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import GraderFactory, UserFactory
from grading import services
from grading.models import (
    GradeRelease,
    LineComment,
    MarkOverride,
    PeerRating,
    RegradeRequest,
    RegradeStatus,
    Review,
    ReviewStatus,
)
from lessons.tests.factories import CourseFactory, LessonFactory, ModuleFactory

from .factories import add_group, enroll, grading_world

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def complete(world):
    return services.review_save(
        review=world.review,
        by=world.review.grader,
        scores={
            world.correctness.pk: (Decimal("8"), "Works, mostly."),
            world.style.pk: (Decimal("4"), "Tidy code."),
        },
        overall_feedback="Great *teamwork*.",
        complete=True,
    )


def release(world, alice):
    complete(world)
    services.line_comment_add(
        review=world.review, by=world.review.grader, path="app.py", line=2, text="Nice docstring"
    )
    return services.grades_release(assignment=world.assignment, by=alice)


def review_url(world, **query):
    url = reverse("grading:review", kwargs={"pk": world.review.pk})
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return url


# The queue


def test_queue_requires_login(client, world):
    response = client.get(reverse("grading:grader_queue"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("persona", ["bob", "charlie"])
def test_queue_is_forbidden_to_students_and_outsiders(client, world, persona, request):
    login(client, request.getfixturevalue(persona))
    assert client.get(reverse("grading:grader_queue")).status_code == 403


def test_queue_lists_my_reviews_left_to_grade_first_with_filters_and_counts(client, world, grace):
    newer_group, _ = add_group(world.assignment, [UserFactory()], name="Newer")
    older_group, older_sub = add_group(world.assignment, [UserFactory()], name="Older")
    older_sub.submitted_at = world.submission.submitted_at.replace(year=2000)
    older_sub.is_late = True
    older_sub.save()
    services.grader_assign(group=newer_group, grader=grace)
    done = services.grader_assign(group=older_group, grader=grace)
    services.review_save(
        review=done,
        by=grace,
        scores={world.correctness.pk: (Decimal(1), ""), world.style.pk: (Decimal(1), "")},
        overall_feedback="",
        complete=True,
    )
    login(client, grace)

    response = client.get(reverse("grading:grader_queue"))
    assert response.status_code == 200
    labels = [row.label for row in response.context["rows"]]
    # What is left to grade first, oldest first; then what is done ("Older", the oldest,
    # is done: it used to fill the top of the list).
    assert labels[-1] == "Older"
    assert set(labels[:2]) == {"Team Rocket", "Newer"}
    # One wording for the version column (probe 95: "v1" beside "graded version 1").
    page = response.content.decode()
    assert ">version 1</span>" in page and ">graded version 1</span>" in page
    assert ">v1<" not in page
    counts = {key: count for key, _, count in response.context["filters"]}
    assert counts == {"": 3, "todo": 2, "draft": 0, "completed": 1, "late": 1}
    assert "Bob Student" in response.content.decode()

    response = client.get(reverse("grading:grader_queue") + "?status=completed")
    assert [row.label for row in response.context["rows"]] == ["Older"]
    response = client.get(reverse("grading:grader_queue") + "?status=late")
    assert [row.label for row in response.context["rows"]] == ["Older"]


def test_queue_shows_fifty_reviews_a_page_oldest_first(client, world, grace):
    from datetime import timedelta

    from django.utils import timezone

    from grading.queue import QUEUE_PAGE_SIZE

    start = timezone.now() - timedelta(days=2)
    for n in range(QUEUE_PAGE_SIZE + 5):
        group, submission = add_group(
            world.assignment,
            [enroll(UserFactory(), world.course)],
            name=f"Queue {n:02}",
            submitted_at=start + timedelta(minutes=n),
        )
        Review.objects.create(group=group, submission=submission, grader=grace)
    client.force_login(grace)
    first = client.get(reverse("grading:grader_queue"))
    assert len(first.context["rows"]) == QUEUE_PAGE_SIZE
    assert dict((key, count) for key, _, count in first.context["filters"])[""] == 56
    second = client.get(reverse("grading:grader_queue"), {"page": 2})
    labels = [row.label for row in second.context["rows"]]
    assert len(labels) == 6 and labels[-1] == f"Queue {QUEUE_PAGE_SIZE + 4:02}"
    # A page number out of range shows the last page rather than an error.
    assert client.get(reverse("grading:grader_queue"), {"page": "99"}).status_code == 200


def test_graders_see_only_their_own_reviews(client, world):
    gina = enroll(GraderFactory(username="gina"), world.course, Role.GRADER)
    login(client, gina)
    assert client.get(reverse("grading:grader_queue")).context["rows"] == []
    assert client.get(review_url(world)).status_code == 404


def test_one_compiled_queue_answers_each_grader_for_themselves(client, world, grace, alice):
    """The queue's queries are compiled once per set of roles (grading/queue.py): grace and
    gina grade the same course, so they share them, each with their own reviews; course
    B's instructor and a removed grader get nothing from what was compiled before."""
    from access import policy

    gina = enroll(GraderFactory(username="gina"), world.course, Role.GRADER)
    course_b = CourseFactory(slug="course-b")
    instructor_b = enroll(UserFactory(username="ib"), course_b, Role.INSTRUCTOR)
    assert policy.variant(grace) == policy.variant(gina)

    def queue(user, **query):
        login(client, user)
        response = client.get(reverse("grading:grader_queue"), query)
        counts = {key: count for key, _, count in response.context["filters"]}
        return [row.label for row in response.context["rows"]], counts

    assert queue(grace) == (
        ["Team Rocket"],
        {"": 1, "todo": 1, "draft": 0, "completed": 0, "late": 0},
    )
    assert queue(gina) == ([], {"": 0, "todo": 0, "draft": 0, "completed": 0, "late": 0})
    assert queue(gina, status="todo")[0] == []
    assert queue(grace, status="todo")[0] == ["Team Rocket"]
    assert queue(alice)[0] == ["Team Rocket"]  # the course's instructor sees it all
    assert queue(instructor_b) == ([], {"": 0, "todo": 0, "draft": 0, "completed": 0, "late": 0})
    world.course.enrollments.filter(user=grace).delete()
    login(client, grace)
    assert client.get(reverse("grading:grader_queue")).status_code == 403
    assert client.get(review_url(world)).status_code == 404


def test_graders_see_all_of_their_course_when_the_instructor_allows(client, world):
    world.rubric.graders_see_all = True
    world.rubric.save()
    gina = enroll(GraderFactory(username="gina"), world.course, Role.GRADER)
    login(client, gina)
    assert len(client.get(reverse("grading:grader_queue")).context["rows"]) == 1
    response = client.get(review_url(world))
    assert response.status_code == 200
    assert response.context["editable"] is False
    assert client.post(review_url(world), {"save": "1"}).status_code == 403
    # A grader of another course still sees nothing.
    outsider = GraderFactory(username="otto")
    login(client, outsider)
    assert client.get(review_url(world)).status_code == 404


# The review page


def test_the_review_page_lists_regrade_requests_once_there_are(client, world, alice, bob, grace):
    complete(world)
    services.grades_release(assignment=world.assignment, by=alice)
    login(client, grace)
    page = client.get(review_url(world))
    assert page.context["regrades"] == [] and "Regrade requests" not in page.content.decode()
    regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="We used black."
    )
    page = client.get(review_url(world))
    assert [r.pk for r in page.context["regrades"]] == [regrade.pk]
    html = page.content.decode()
    assert "Regrade requests" in html
    assert reverse("grading:regrade_answer", args=[regrade.pk]) in html
    assert page.context["released"] is True and page.context["editable"] is False


@pytest.mark.parametrize(("persona", "status"), [("grace", 200), ("alice", 200), ("bob", 404)])
def test_review_page_access(client, world, persona, status, request):
    login(client, request.getfixturevalue(persona))
    assert client.get(review_url(world)).status_code == status


def test_review_page_for_outsiders_is_404(client, world, charlie):
    login(client, charlie)
    assert client.get(review_url(world)).status_code == 404
    client.logout()
    assert client.get(review_url(world)).status_code == 302


def test_viewer_highlights_a_file_and_shows_line_comments(client, world, grace):
    LineComment.objects.create(review=world.review, path="app.py", line=2, text="Say more")
    login(client, grace)
    response = client.get(review_url(world, path="app.py"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="k">def</span>' in html  # Pygments, Python lexer by file name
    assert 'id="L5"' in html
    assert "Say more" in html
    assert response.context["viewer"].file.language == "Python"
    assert response.context["viewer"].file.lines[1].comments[0].text == "Say more"


def test_viewer_refuses_paths_not_in_the_archive(client, world, grace):
    login(client, grace)
    for path in ("../../etc/passwd", "/etc/passwd", "nope.py", ""):
        response = client.get(review_url(world, path=path))
        if path:
            assert response.status_code == 404
            assert "not in this archive" in response.content.decode()
        else:
            assert response.status_code == 200


def _patched_zip(files: dict[str, bytes], replace: list[tuple[bytes, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    data = buffer.getvalue()
    for old, new in replace:
        assert len(old) == len(new)
        data = data.replace(old, new)
    return data


def test_the_viewer_names_files_zipped_on_a_mac_as_their_students_do(client, world, grace):
    """Probe 53: UTF-8 names without the zip's UTF-8 mark (macOS's Archive Utility) were
    listed as CP437 reads them: "Привет.py" as "╨Я╤А╨╕╨▓╨╡╤В.py"."""
    name = "projet/Привет.py".encode()
    placeholder = b"Q" * len(name)
    data = _patched_zip({placeholder.decode(): b"print('privet')"}, [(placeholder, name)])
    world.submission.archive.save("mac.zip", ContentFile(data))
    login(client, grace)
    tree = client.get(review_url(world)).context["viewer"].tree
    assert "projet/Привет.py" in {row.path for row in tree}
    shown = client.get(review_url(world, path="projet/Привет.py"))
    assert shown.status_code == 200 and "privet" in shown.content.decode()


def test_a_malicious_zip_cannot_break_the_viewer(client, world, grace):
    deep = "/".join(["d"] * 400) + "/deep.py"
    data = _patched_zip(
        {
            "../evil.py": b"print('escape')",
            "ok/../../evil2.py": b"x",
            "huge.txt": b"a" * (3 * 1024 * 1024),
            "bin.dat": b"\x00\x01\x02" * 1000,
            "cafXY.py": b"print('latin')",
            deep: b"pass\n",
        },
        # Bytes that are not UTF-8 in a name without the UTF-8 flag (zipfile: cp437).
        [(b"cafXY.py", b"caf\xff\xfe.py")],
    )
    world.submission.archive.save("evil.zip", ContentFile(data))
    login(client, grace)

    response = client.get(review_url(world))
    assert response.status_code == 200
    tree = response.context["viewer"].tree
    paths = {row.path for row in tree}
    assert "../evil.py" not in paths and "ok/../../evil2.py" not in paths
    assert deep in paths
    odd_name = next(row.path for row in tree if row.path.startswith("caf"))

    assert client.get(review_url(world, path="../evil.py")).status_code == 404
    huge = client.get(review_url(world, path="huge.txt"))
    assert huge.status_code == 200
    assert huge.context["viewer"].file.truncated is True
    assert "only its beginning is shown" in huge.content.decode()
    binary = client.get(review_url(world, path="bin.dat"))
    assert 'id="binary-file"' in binary.content.decode()
    odd = client.get(review_url(world, path=odd_name))
    assert odd.status_code == 200
    assert "latin" in odd.content.decode()
    assert client.get(review_url(world, path=deep)).status_code == 200


def test_a_zip_with_undecodable_utf8_names_shows_a_message(client, world, grace):
    # The UTF-8 flag is set but the name is not UTF-8: zipfile refuses the archive.
    data = _patched_zip({"café.py": b"x"}, [("café".encode(), b"caf\xff\xfe")])
    world.submission.archive.save("bad.zip", ContentFile(data))
    login(client, grace)
    response = client.get(review_url(world, path="café.py"))
    assert response.status_code == 200
    assert "damaged" in response.content.decode()


def test_a_url_submission_shows_link_and_commit(client, world, grace):
    world.submission.archive = ""
    world.submission.repository_url = "https://git.example.org/team/blog"
    world.submission.commit = "abc1234"
    world.submission.save()
    login(client, grace)
    html = client.get(review_url(world)).content.decode()
    assert 'href="https://git.example.org/team/blog"' in html
    assert "abc1234" in html


def test_saving_a_draft_then_completing(client, world, grace):
    login(client, grace)
    c, s = world.correctness.pk, world.style.pk
    response = client.post(
        review_url(world),
        {f"score_{c}": "7", f"comment_{c}": "ok", f"score_{s}": "", "overall_feedback": "wip"},
        follow=True,
    )
    assert "Draft saved" in response.content.decode()
    assert "<title>Review" in response.content.decode()  # a success message is no error
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.DRAFT
    assert world.review.total == Decimal("7.00")

    response = client.post(
        review_url(world),
        {f"score_{c}": "7", f"score_{s}": "", "overall_feedback": "wip", "complete": "1"},
    )
    assert response.status_code == 400  # nothing was saved, as the other forms say
    assert "Missing: “Style”" in response.content.decode()
    # Said by a message, not by the form: the title says so all the same (probe 65).
    assert "<title>Error: Review" in response.content.decode()

    response = client.post(
        review_url(world),
        {f"score_{c}": "11", f"score_{s}": "3", "overall_feedback": "", "complete": "1"},
    )
    assert "Give 0 to 10 points for Correctness." in response.content.decode()
    response = client.post(
        review_url(world), {f"score_{c}": "-1", f"score_{s}": "1.234", "overall_feedback": ""}
    )
    html = response.content.decode()
    assert "Give 0 to 10 points for Correctness." in html
    assert "at most 2 decimals, such as 7.25" in html
    # Zeros ending the decimals say nothing: 0.330 is 0.33 (probe 64 was refused it).
    response = client.post(
        review_url(world), {f"score_{c}": "7.000", f"score_{s}": "0.330", "overall_feedback": ""}
    )
    assert response.status_code == 302
    world.review.refresh_from_db()
    assert world.review.total == Decimal("7.33")

    response = client.post(
        review_url(world),
        {f"score_{c}": "7", f"score_{s}": "3", "overall_feedback": "Done", "complete": "1"},
        follow=True,
    )
    assert "Review completed" in response.content.decode()
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.COMPLETED
    assert world.review.total == Decimal("10.00")


def test_line_comment_create_and_delete(client, world, grace, bob):
    url = reverse("grading:line_comment_create", kwargs={"pk": world.review.pk})
    login(client, bob)
    assert client.post(url, {"path": "app.py", "line": 1, "text": "x"}).status_code == 404
    login(client, grace)
    response = client.post(url, {"path": "app.py", "line": 3, "text": "Use f-strings"})
    assert response.status_code == 302
    # Back at the line commented on (probe 61: at the top of the page, the file's tree
    # and the members above it).
    assert response["Location"].endswith("?path=app.py#L3")
    comment = LineComment.objects.get()
    assert (comment.line, comment.author) == (3, grace)
    # Sent again (a double click, the form resent): one comment (probe 36: four of them).
    again = client.post(url, {"path": "app.py", "line": 3, "text": "Use f-strings"}, follow=True)
    assert "Comment added on line 3." in again.content.decode()
    assert LineComment.objects.get() == comment
    client.post(url, {"path": "app.py", "line": 4, "text": "Use f-strings"})  # another line
    assert LineComment.objects.count() == 2
    LineComment.objects.exclude(pk=comment.pk).delete()
    response = client.post(url, {"path": "../x", "line": 3, "text": "y"}, follow=True)
    assert "not in the submitted archive" in response.content.decode()
    delete = reverse("grading:line_comment_delete", kwargs={"pk": comment.pk})
    deleted = client.post(delete)
    assert deleted.status_code == 302 and deleted["Location"].endswith("?path=app.py#L3")
    assert not LineComment.objects.exists()


def test_late_submission_shows_the_penalty_to_the_grader(client, world, grace):
    from datetime import timedelta

    world.submission.submitted_at = world.assignment.due_at + timedelta(hours=30)
    world.submission.save()
    login(client, grace)
    html = client.get(review_url(world)).content.decode()
    assert "Late by 2 started days" in html and "20%" in html


# Anonymous grading


def test_anonymous_grading_hides_names_everywhere_a_grader_looks(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace, anonymous_grading=True)
    label = f"Group #{world.group.pk}"
    release(world, alice)
    regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="Please"
    )
    login(client, grace)
    pages = [
        reverse("grading:grader_queue"),
        review_url(world),
        review_url(world, path="app.py"),
        reverse("grading:regrade_list"),
        reverse("grading:regrade_answer", kwargs={"pk": regrade.pk}),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert label in html, url
        for secret in ("Bob Student", "Dave Student", "Team Rocket", "bob", "dave"):
            assert secret not in html.replace("bob@", ""), (url, secret)


# Release and the students' view


@pytest.mark.parametrize(("persona", "status"), [("grace", 403), ("bob", 403), ("charlie", 404)])
def test_release_page_is_for_instructors(client, world, persona, status, request):
    login(client, request.getfixturevalue(persona))
    url = reverse("grading:release_grades", kwargs={"pk": world.assignment.pk})
    assert client.get(url).status_code == status
    assert client.post(url, {"confirm": "on"}).status_code == status
    assert not GradeRelease.objects.exists()


def test_release_needs_confirmation_and_completed_reviews(client, world, alice, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    login(client, alice)
    url = reverse("grading:release_grades", kwargs={"pk": world.assignment.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, {"confirm": "on"}, follow=True)
    assert "no completed review yet: Team Rocket" in response.content.decode()
    complete(world)
    response = client.post(url, {})
    assert response.status_code == 200 and not GradeRelease.objects.exists()
    response = client.post(url, {"confirm": "on"}, follow=True)
    assert "released; students are being emailed" in response.content.decode()
    assert GradeRelease.objects.get().released_by == alice


def test_students_see_nothing_before_release(client, world, bob, alice):
    complete(world)
    services.line_comment_add(
        review=world.review, by=world.review.grader, path="app.py", line=2, text="Secret"
    )
    login(client, bob)
    url = reverse("grading:feedback", kwargs={"pk": world.submission.pk})
    assert client.get(url).status_code == 404
    assert client.get(url + "?path=app.py").status_code == 404
    listing = client.get(reverse("grading:feedback_list")).content.decode()
    assert "Blog engine" not in listing
    # The instructor may preview it, and is told it is not out yet; once released, that
    # the group reads it.
    login(client, alice)
    preview = client.get(url)
    assert preview.status_code == 200
    assert "Staff preview: the group can read this feedback once the grades are released." in (
        preview.content.decode()
    )
    services.grades_release(assignment=world.assignment, by=alice)
    view = client.get(url).content.decode()
    assert "Staff view: the grades are released, and the group can read this feedback." in view
    assert "preview" not in view.split('id="teacher-view"')[1].split("</div>")[0]


def test_students_see_their_feedback_after_release(client, world, bob, alice, charlie):
    release(world, alice)
    url = reverse("grading:feedback", kwargs={"pk": world.submission.pk})
    login(client, charlie)
    assert client.get(url).status_code == 404
    login(client, bob)
    listing = client.get(reverse("grading:feedback_list")).content.decode()
    assert "Blog engine" in listing
    # The mark stands beside the project, as on its feedback page.
    assert "Your mark: 80.00%" in listing
    response = client.get(url + "?path=app.py")
    html = response.content.decode()
    assert response.status_code == 200
    assert "12 / 15" in html
    assert "80.00%" in html
    assert "Works, mostly." in html
    assert "<em>teamwork</em>" in html
    assert "Nice docstring" in html
    assert "Remove" not in html  # students cannot delete comments


def test_the_queue_tells_its_grader_a_regrade_waits_and_nobody_of_another_course(
    client, world, bob, alice, grace
):
    release(world, alice)
    services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="We ran black."
    )
    other = CourseFactory(slug="other-course")
    other_grader = enroll(GraderFactory(username="olga"), other, Role.GRADER)
    queue = reverse("grading:grader_queue")

    for person in (grace, alice):  # its grader, and the course's instructor
        login(client, person)
        page = client.get(queue).content.decode()
        assert "1 regrade request waits for an answer." in page, person
    login(client, other_grader)
    assert 'id="regrades-waiting"' not in client.get(queue).content.decode()

    regrade = RegradeRequest.objects.get()
    login(client, grace)
    answer_url = reverse("grading:regrade_answer", kwargs={"pk": regrade.pk})
    client.post(answer_url, {"decision": "accept", "new_points": "5", "response": "Ok"})
    assert 'id="regrades-waiting"' not in client.get(queue).content.decode()


def test_regrade_request_answer_and_history(client, world, bob, alice, grace):
    release(world, alice)
    login(client, bob)
    url = reverse("grading:regrade_request", kwargs={"pk": world.submission.pk})
    data = {"criterion": world.style.pk, "reason": "We ran black."}
    response = client.post(url, data, follow=True)
    assert "Regrade requested" in response.content.decode()
    # A double click: the second is said as sent, not "Nothing was sent" (probe 98).
    again = unescape(client.post(url, data, follow=True).content.decode())
    assert "Your regrade request of “Style” was sent a moment ago" in again
    assert "Nothing was sent" not in again
    regrade = RegradeRequest.objects.get()
    answer_url = reverse("grading:regrade_answer", kwargs={"pk": regrade.pk})
    assert client.get(answer_url).status_code == 403  # bob sees his request, cannot answer it

    login(client, grace)
    assert regrade in [r for r, _ in client.get(reverse("grading:regrade_list")).context["rows"]]
    answer = {"decision": "accept", "new_points": "5", "response": "Ok"}
    response = client.post(answer_url, answer)
    assert response.status_code == 302
    again = unescape(client.post(answer_url, answer, follow=True).content.decode())
    assert "Your answer was sent a moment ago" in again and "Nothing was sent" not in again
    regrade.refresh_from_db()
    assert regrade.status == RegradeStatus.ACCEPTED

    login(client, bob)
    html = client.get(reverse("grading:feedback", kwargs={"pk": world.submission.pk})).content
    assert "13 / 15" in html.decode()
    assert "Accepted" in html.decode()


def test_a_regrade_refused_says_why_and_never_loses_the_reason(client, world, bob, alice):
    """Probe 27: a criterion a teammate had just asked about, and one of another rubric,
    got the same "already waiting, or not one of this project's"; once the window had
    closed, or every criterion was waiting, the reason typed was gone with the form."""
    release(world, alice)
    services.regrade_request_create(
        review=world.review, criterion=world.style, student=world.dave, reason="Dave asks."
    )
    login(client, bob)
    url = reverse("grading:regrade_request", kwargs={"pk": world.submission.pk})
    typed = "We ran black on every file: see the commit."
    response = client.post(url, {"criterion": world.style.pk, "reason": typed})
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "A regrade of “Style” is already waiting for an answer (asked by you or a teammate)" in (
        page
    )
    assert typed in page  # back in the form, which still offers Correctness
    response = client.post(url, {"criterion": "99999", "reason": typed})
    assert "That is not one of this project's criteria" in unescape(response.content.decode())
    # Every criterion waiting (a teammate asked the last one meanwhile): no form, the
    # reason shown to copy.
    services.regrade_request_create(
        review=world.review, criterion=world.correctness, student=world.dave, reason="Again."
    )
    response = client.post(url, {"criterion": world.correctness.pk, "reason": typed})
    page = response.content.decode()
    assert response.status_code == 400 and 'id="regrade-form"' not in page
    assert f"readonly>{typed}</textarea>" in page
    # The window closed meanwhile: the same.
    RegradeRequest.objects.all().delete()
    GradeRelease.objects.update(released_at=timezone.now() - timedelta(days=400))
    response = client.post(url, {"criterion": world.style.pk, "reason": typed})
    page = unescape(response.content.decode())
    assert "Nothing was sent. Regrade requests closed on" in page
    assert f"readonly>{typed}</textarea>" in page
    assert not RegradeRequest.objects.exists()


def test_peer_evaluation_page_and_students_see_only_their_factor(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    dave = world.dave
    url = reverse("grading:peer", kwargs={"pk": world.group.pk})
    login(client, bob)
    assert client.get(url).status_code == 200
    # Each refusal names the member it is about (its fields are made per member).
    refused = client.post(url, {f"score_{bob.pk}": "9", f"comment_{dave.pk}": "x" * 2001})
    page = refused.content.decode()
    assert "Choose one of the options offered for contribution of yourself." in page
    assert "Choose contribution of Dave Student." in page
    assert "Keep comment about Dave Student to 2000 characters or fewer" in page
    response = client.post(
        url,
        {f"score_{bob.pk}": "4", f"score_{dave.pk}": "2", f"comment_{dave.pk}": "Dave vanished"},
    )
    assert response.status_code == 302
    assert PeerRating.objects.filter(rater=bob).count() == 2
    login(client, dave)
    client.post(url, {f"score_{bob.pk}": "4", f"score_{dave.pk}": "2"})
    release(world, alice)

    # bob: 2 x 4/6 = 4/3 -> capped 1.20 -> 80 x 1.2 = 96; dave: 2 x 2/6 = 2/3 -> 53.33
    html = client.get(reverse("grading:feedback", kwargs={"pk": world.submission.pk})).content
    html = html.decode()
    assert "53.33%" in html
    assert "Your peer factor: 0.67" in html
    assert "Dave vanished" not in html and "96.00" not in html
    # The instructor sees both factors.
    login(client, alice)
    page = client.get(reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk}))
    html = page.content.decode()
    assert "96.00%" in html and "53.33%" in html and "1.33" in html
    # The release's moment as every page writes one: in the site's zone, named.
    assert "Released <time" in html
    # A status in a badge, not a faded disabled button (2.5:1 contrast: probe 121).
    assert 'id="released-badge">Released <time' in html and "btn-success disabled" not in html
    # Once released, a member is told why it is closed.
    login(client, bob)
    closed = client.get(url, follow=True).content.decode()
    assert "Peer evaluation closed when the grades were released." in closed
    # Outsiders cannot open the peer page.
    login(client, UserFactory())
    assert client.get(url).status_code == 404


def test_peer_evaluation_says_when_it_opens(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    world.assignment.due_at = timezone.now() + timedelta(days=2)
    world.assignment.save()
    login(client, bob)
    page = client.get(reverse("grading:peer", kwargs={"pk": world.group.pk}), follow=True)
    assert "Peer evaluation opens after your group&#39;s deadline, " in page.content.decode()


def test_override_from_the_assignment_page(client, world, alice, bob):
    complete(world)
    login(client, alice)
    url = reverse("grading:override_mark", kwargs={"pk": world.assignment.pk})
    page_url = reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk})

    def send(data: dict):
        """Post DATA from the page as it reads now, as the browser does."""
        seen = seen_for(client.get(page_url).content.decode(), bob)
        return client.post(url, {"student": bob.pk, "seen": seen, **data}, follow=True)

    response = send({"mark": "91", "reason": "Bonus"})
    # Written as the marks table writes it, two decimals.
    assert "mark is now 91.00%" in response.content.decode()
    response = send({"mark": "55.5", "reason": "Half"})
    assert "mark is now 55.50%" in response.content.decode()
    assert "<strong>55.50%</strong>" in response.content.decode()
    response = send({"mark": "1e2", "reason": "All"})
    assert "mark is now 100.00%" in response.content.decode()  # not "1E+2%"
    response = send({"mark": "91", "reason": ""})
    assert "Give the reason for the new mark." in response.content.decode()
    # Probe 27: a reason of zero-width characters was saved, and read as nothing.
    response = send({"mark": "91", "reason": "\u200b\u2060"})
    assert "Give the reason for overriding the mark." in response.content.decode()
    # Too long a reason: the message names the limit, and the row shows what was typed.
    reason = "Late medical certificate, accepted by the exam board. " * 40
    html = send({"mark": "75", "reason": reason}).content.decode()
    assert "Keep reason to 2000 characters or fewer" in html
    assert f'id="mark-{bob.pk}"' in html and 'value="75"' in html
    assert reason.strip()[:100] in html and "back in the form" in html
    assert "mark is now 75" not in html
    response = send({"mark": "101", "reason": "x"})
    assert "Give a mark between 0 and 100 (%)." in response.content.decode()
    # Probe 27: without the state the page showed, another teacher's mark set meanwhile
    # was replaced unseen.
    html = client.post(url, {"student": bob.pk, "mark": "20", "reason": "x"}, follow=True)
    assert "this form is out of date" in html.content.decode()
    assert MarkOverride.objects.get(student=bob).mark == 100
    response = send({"clear": "1"})
    assert "computed mark applies again" in response.content.decode()
    # Cleared already (another tab): said, not "applies again" as if it had been done.
    response = send({"clear": "1"})
    assert "has no override: the computed mark applies" in response.content.decode()
    assert not MarkOverride.objects.filter(student=bob).exists()


def test_a_student_in_no_group_gets_a_mark_by_override(client, world, alice, charlie, grace):
    """Probe 32: a student who left their group counted 0 on a project that counts missing
    work as 0, and no page, API or screen could give them a mark."""
    enroll(charlie, world.course)  # in no group of the project, whose deadline has passed
    world.assignment.missing_counts_as_zero = True
    world.assignment.save()
    outsider = UserFactory(username="olga")
    enroll(outsider, CourseFactory(slug="other"))
    login(client, alice)
    url = reverse("grading:override_mark", kwargs={"pk": world.assignment.pk})
    page_url = reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk})
    gradebook_csv = reverse("grading:gradebook_csv", kwargs={"slug": world.course.slug})

    def cell(username: str) -> tuple[str, str]:
        body = b"".join(client.get(gradebook_csv).streaming_content).decode("utf-8-sig")
        rows = csv.DictReader(io.StringIO(body))
        row = next(row for row in rows if row["Username"] == username)
        title = world.assignment.title
        return row[f"{title} (not released, %)"], row[f"{title} (state)"]

    assert cell("charlie") == ("0.00", "missing, counts as 0")
    page = unescape(client.get(page_url).content.decode())
    assert "Students in no group of this project" in page
    alone = page.split('id="no-group"')[1]
    assert str(charlie) in alone and str(world.dave) not in alone
    seen = seen_for(page, charlie)
    response = client.post(
        url, {"student": charlie.pk, "seen": seen, "mark": "70", "reason": "Left, solo work"}
    )
    assert response.status_code == 302
    assert "mark is now 70.00%" in unescape(client.get(page_url).content.decode())
    assert cell("charlie") == ("70.00", "set by hand")
    # Someone of another course is no one's to mark here; a grader has no such page.
    refused = client.post(
        url, {"student": outsider.pk, "seen": "none", "mark": "90", "reason": "x"}, follow=True
    )
    assert "That person is not a student of this project's course." in unescape(
        refused.content.decode()
    )
    assert not MarkOverride.objects.filter(student=outsider).exists()
    login(client, grace)
    assert client.post(url, {"student": charlie.pk, "mark": "99", "reason": "x"}).status_code == 403
    assert MarkOverride.objects.get(student=charlie).mark == 70


def seen_for(page: str, student) -> str:
    row = page.split(f'name="student" value="{student.pk}">')[1]
    return row.split('name="seen" value="')[1].split('"')[0]


def test_two_teachers_overriding_one_mark_are_not_both_told_success(world, alice, bob):
    """Both were told "mark is now ...", and the later silently replaced the earlier."""
    from django.test import Client

    ines = enroll(
        UserFactory(username="ines", display_name="Ines Teacher"), world.course, Role.INSTRUCTOR
    )
    complete(world)
    alices, ineses = Client(), Client()
    login(alices, alice)
    login(ineses, ines)
    page_url = reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk})
    url = reverse("grading:override_mark", kwargs={"pk": world.assignment.pk})
    shown_to_ines = seen_for(ineses.get(page_url).content.decode(), bob)
    assert shown_to_ines == "none"
    alice_seen = seen_for(alices.get(page_url).content.decode(), bob)
    sent = {"student": bob.pk, "mark": "70", "reason": "Exam board", "seen": alice_seen}
    assert "mark is now 70.00%" in alices.post(url, sent, follow=True).content.decode()
    mine = {"student": bob.pk, "mark": "60", "reason": "Late work", "seen": shown_to_ines}
    html = ineses.post(url, mine, follow=True).content.decode()
    assert "mark is now" not in html
    assert "mark changed since you read it: Alice" in html
    assert "set it to 70.00% at" in html and "Nothing was saved" in html
    assert 'value="Late work"' in html  # what Ines typed, back in her row
    assert MarkOverride.objects.get(student=bob).mark == Decimal("70")
    # Clearing what she never saw is refused the same way.
    cleared = ineses.post(url, {"student": bob.pk, "clear": "1", "seen": "none"}, follow=True)
    assert "mark changed since you read it" in cleared.content.decode()
    assert MarkOverride.objects.filter(student=bob).exists()
    # The page now shows Alice's mark: sent from it, Ines's mark is saved, knowingly.
    mine["seen"] = seen_for(html, bob)
    assert "mark is now 60.00%" in ineses.post(url, mine, follow=True).content.decode()
    # Alice's page is the stale one now.
    html = alices.post(url, {**sent, "mark": "75"}, follow=True).content.decode()
    assert "Ines Teacher set it to 60.00%" in html
    assert MarkOverride.objects.get(student=bob).mark == Decimal("60")


@pytest.mark.parametrize(("persona", "status"), [("grace", 403), ("bob", 403), ("charlie", 404)])
def test_instructor_pages_are_closed_to_others(client, world, persona, status, request):
    login(client, request.getfixturevalue(persona))
    for url in (
        reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk}),
        reverse("grading:gradebook", kwargs={"slug": world.course.slug}),
        reverse("grading:gradebook_csv", kwargs={"slug": world.course.slug}),
    ):
        assert client.get(url).status_code == status, url
    for url in (
        reverse("grading:assign_graders", kwargs={"pk": world.assignment.pk}),
        reverse("grading:override_mark", kwargs={"pk": world.assignment.pk}),
    ):
        assert client.post(url, {"student": 1, "mark": 1, "reason": "x"}).status_code == status


def test_assign_graders_button(client, world, alice):
    add_group(world.assignment, [UserFactory()], name="Fresh")
    login(client, alice)
    url = reverse("grading:assign_graders", kwargs={"pk": world.assignment.pk})
    response = client.post(url, follow=True)
    assert "1 submission(s) assigned" in response.content.decode()
    assert Review.objects.count() == 2


def test_assigning_graders_before_the_deadline_asks_first_for_it_closes_hand_in(
    client, world, alice
):
    """Probe 34: "Assign graders" two days before the deadline locked every group out of
    handing in (the project locks versions when grading starts), with no warning."""
    from projects.models import Extension

    world.assignment.due_at = timezone.now() + timedelta(days=2)
    world.assignment.save()
    Review.objects.all().delete()
    early, _ = add_group(world.assignment, [UserFactory()], name="Early")
    late, _ = add_group(world.assignment, [UserFactory()], name="Extended")
    Extension.objects.create(group=late, due_at=timezone.now() + timedelta(days=5))
    login(client, alice)
    page_url = reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk})
    url = reverse("grading:assign_graders", kwargs={"pk": world.assignment.pk})
    page = unescape(client.get(page_url).content.decode())
    assert "3 groups can still hand in before the deadline" in page

    refused = unescape(client.post(url, follow=True).content.decode())
    assert "Nothing was assigned: 3 groups can still hand in before their deadline" in refused
    assert not Review.objects.exists()
    assigned = unescape(client.post(url, {"close_open_groups": "1"}, follow=True).content.decode())
    assert "3 submission(s) assigned to graders." in assigned
    assert Review.objects.count() == 3
    # After the deadline nothing is asked: no group's hand-in is open to close.
    world.assignment.due_at = timezone.now() - timedelta(days=1)
    world.assignment.save()
    Review.objects.filter(group=early).delete()
    Extension.objects.filter(group=late).delete()
    Review.objects.filter(group=late).delete()
    assert "2 submission(s) assigned" in unescape(client.post(url, follow=True).content.decode())


def test_graders_are_not_assigned_to_a_rubric_without_criteria(client, world, alice):
    """Probe 34: the graders could not complete such a review, and the groups waited."""
    Review.objects.all().delete()
    world.rubric.criteria.all().delete()
    login(client, alice)
    url = reverse("grading:assign_graders", kwargs={"pk": world.assignment.pk})
    response = unescape(client.post(url, follow=True).content.decode())
    assert "Give the rubric its criteria first" in response
    assert not Review.objects.exists()


# The gradebook


def test_gradebook_page_and_csv_agree(client, world, alice, bob):
    module = ModuleFactory(course=world.course)
    lessons = [LessonFactory(module=module) for _ in range(4)]
    from lessons.models import LessonCompletion

    LessonCompletion.objects.create(user=bob, lesson=lessons[0])
    LessonCompletion.objects.create(user=bob, lesson=lessons[1])
    complete(world)
    enroll(UserFactory(username="zed", display_name="=HYPERLINK(1)"), world.course)
    login(client, alice)

    world.course.term = "2025-2026"
    world.course.save()
    response = client.get(reverse("grading:gradebook", kwargs={"slug": world.course.slug}))
    assert response.status_code == 200
    # Two runs of a course share its title: the heading names the term (probe 83).
    assert f"Gradebook of {world.course.title} (2025-2026)</h1>" in response.content.decode()
    book = response.context["book"]
    by_user = {row.username: row for row in book.rows}
    assert by_user["bob"].marks == [Decimal("80.00")]
    assert by_user["bob"].progress == Decimal("50.00")
    assert by_user["zed"].marks == [None]

    raw = client.get(reverse("grading:gradebook_csv", kwargs={"slug": world.course.slug}))
    assert raw["Content-Type"].startswith("text/csv")
    body = raw.getvalue().decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == [
        "Student",
        "Username",
        "Email",
        "Blog engine (not released, %)",  # as the page's heading says (probe 47)
        "Weighted total (%, marks not released included)",
        "Lesson progress (%)",
        "Blog engine (state)",
        "Blog engine (graded version)",
        "Blog engine (set by hand: reason)",
    ]
    page_rows = [
        [
            row.username,
            *[cell.number for cell in row.cells],
            "" if row.total is None else f"{row.total:.2f}",
            f"{row.progress:.2f}",
            *[cell.state_text for cell in row.cells],
        ]
        for row in book.rows
    ]
    assert [[r[1], *r[3:7]] for r in rows[1:]] == page_rows
    # The version each student's mark was graded on; none for a student without a review.
    assert {r[1]: r[7] for r in rows[1:]} == {"bob": "1", "dave": "1", "zed": ""}
    assert "'=HYPERLINK(1)" in body  # no formula injection in spreadsheets

    release(world, alice)
    raw = client.get(reverse("grading:gradebook_csv", kwargs={"slug": world.course.slug}))
    header = next(csv.reader(io.StringIO(raw.getvalue().decode("utf-8").removeprefix("\ufeff"))))
    assert header[3:5] == ["Blog engine (%)", "Weighted total (%)"]


def test_gradebook_sorts_by_a_project_column(client, world, alice):
    complete(world)
    add_group(
        world.assignment,
        [enroll(UserFactory(username="aaron", display_name="Aaron"), world.course)],
    )
    login(client, alice)
    url = reverse("grading:gradebook", kwargs={"slug": world.course.slug})
    names = [r.username for r in client.get(url).context["book"].rows]
    assert names == ["aaron", "bob", "dave"]
    sort = f"-p{world.assignment.pk}"
    names = [r.username for r in client.get(url + f"?sort={sort}").context["book"].rows]
    assert names[-1] == "aaron"  # no mark sorts last
    rows = client.get(url + "?sort=-progress").context["book"].rows
    assert len(rows) == 3


@pytest.mark.parametrize("sort", ["p²", "p", "-", "-p", "p99999999999999999999", "p-1", "x"])
def test_gradebook_sorts_by_name_when_the_sort_makes_no_sense(client, world, alice, sort):
    login(client, alice)
    for name in ("grading:gradebook", "grading:gradebook_csv"):
        url = reverse(name, kwargs={"slug": world.course.slug})
        assert client.get(url, {"sort": sort}).status_code == 200


def test_gradebook_shows_a_hundred_students_a_page_and_the_csv_all(client, world, alice):
    from grading.views import GRADEBOOK_PAGE_SIZE
    from lessons.tests.factories import EnrollmentFactory

    EnrollmentFactory.create_batch(GRADEBOOK_PAGE_SIZE, course=world.course, role=Role.STUDENT)
    login(client, alice)
    url = reverse("grading:gradebook", kwargs={"slug": world.course.slug})
    students = GRADEBOOK_PAGE_SIZE + 2  # bob and dave
    first = client.get(url, {"sort": "-progress"})
    assert len(first.context["page"].object_list) == GRADEBOOK_PAGE_SIZE
    assert f"of {students}" in first.content.decode()
    second = client.get(url, {"sort": "-progress", "page": 2})
    assert len(second.context["page"].object_list) == 2
    assert 'href="?sort=-progress&amp;page=1"' in second.content.decode()
    csv_url = reverse("grading:gradebook_csv", kwargs={"slug": world.course.slug})
    assert len(client.get(csv_url).getvalue().decode().splitlines()) == students + 1


def test_completed_review_is_read_only_after_release(client, world, alice, grace):
    release(world, alice)
    login(client, grace)
    response = client.get(review_url(world))
    assert response.context["editable"] is False
    assert client.post(review_url(world), {"complete": "1"}).status_code == 403
    assert world.review.status == ReviewStatus.COMPLETED


def test_every_grading_page_needs_login(client, world):
    pk = {"pk": world.review.pk}
    urls = [
        reverse("grading:grader_queue"),
        reverse("grading:review", kwargs=pk),
        reverse("grading:line_comment_create", kwargs=pk),
        reverse("grading:line_comment_delete", kwargs={"pk": 1}),
        reverse("grading:regrade_list"),
        reverse("grading:regrade_answer", kwargs={"pk": 1}),
        reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk}),
        reverse("grading:assign_graders", kwargs={"pk": world.assignment.pk}),
        reverse("grading:release_grades", kwargs={"pk": world.assignment.pk}),
        reverse("grading:override_mark", kwargs={"pk": world.assignment.pk}),
        reverse("grading:gradebook", kwargs={"slug": world.course.slug}),
        reverse("grading:gradebook_csv", kwargs={"slug": world.course.slug}),
        reverse("grading:feedback_list"),
        reverse("grading:feedback", kwargs={"pk": world.submission.pk}),
        reverse("grading:regrade_request", kwargs={"pk": world.submission.pk}),
        reverse("grading:peer", kwargs={"pk": world.group.pk}),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        if not response["Location"].startswith(reverse("accounts:login")):
            # A POST-only action: a GET goes to the page with its form (coursesite/formpages.py).
            response = client.post(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_the_queue_lists_the_courses_its_reader_teaches_and_no_other(client, world, alice, grace):
    """An instructor's queue links the gradebook and hub of each course they teach; the
    instructor of another course sees theirs only, a grader none."""
    other_course = CourseFactory()
    other_teacher = enroll(UserFactory(), other_course, Role.INSTRUCTOR)
    login(client, alice)
    page = client.get(reverse("grading:grader_queue")).content.decode()
    assert 'id="teaching"' in page
    assert reverse("grading:gradebook", args=[world.course.slug]) in page
    assert reverse("grading:assignment_grading", args=[world.assignment.pk]) in page
    assert reverse("grading:gradebook", args=[other_course.slug]) not in page
    login(client, other_teacher)
    page = client.get(reverse("grading:grader_queue")).content.decode()
    assert reverse("grading:gradebook", args=[other_course.slug]) in page
    assert reverse("grading:gradebook", args=[world.course.slug]) not in page
    login(client, grace)
    page = client.get(reverse("grading:grader_queue")).content.decode()
    assert 'id="teaching"' not in page and world.course.title in page


def test_a_refused_regrade_answer_marks_the_field_to_change_and_keeps_the_rest(
    client, world, alice, bob, grace
):
    release(world, alice)
    regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="Please"
    )
    login(client, grace)
    url = reverse("grading:regrade_answer", kwargs={"pk": regrade.pk})
    response = client.post(url, {"decision": "accept", "new_points": "9", "response": "Fair."})
    form = response.context["form"]
    assert form.errors["new_points"] == ["To accept, give a new score between 0 and 5."]
    assert 'value="9"' in response.content.decode() and "Fair." in response.content.decode()
    response = client.post(url, {"decision": "decline", "response": " "})
    assert response.context["form"].errors["response"] == ["Give the reason for declining."]
    # Said above the page as every refusal of the form is.
    assert "Nothing was sent. Give the reason for declining." in response.content.decode()
    # Probe 27: zero-width characters were taken, and the student read "Answer:" and nothing.
    for invisible in ("\u200b\u200b", "\u00a0\u2060\u200d"):
        response = client.post(url, {"decision": "decline", "response": invisible})
        assert response.context["form"].errors["response"] == ["Give the reason for declining."]
    regrade.refresh_from_db()
    assert regrade.status == RegradeStatus.OPEN
    # Another course's grader reaches none of it.
    login(client, GraderFactory())
    assert client.post(url, {"decision": "decline", "response": "No."}).status_code == 404


def test_a_regrade_answer_typed_as_the_session_ended_comes_back(client, world, alice, bob, grace):
    """README: nothing typed is lost. The grader's session ended while they answered."""
    from django.contrib.sessions.models import Session

    release(world, alice)
    regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="Please"
    )
    url = reverse("grading:regrade_answer", kwargs={"pk": regrade.pk})
    login(client, grace)
    client.get(url)  # the page with the form; the browser now names grace as its user
    Session.objects.all().delete()
    typed = {"decision": "decline", "response": "Style is 4/5: see the naming comments."}
    response = client.post(url, typed)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )
    login(client, grace)
    page = client.get(url)
    form = page.context["form"]
    assert form["response"].value() == typed["response"]
    assert form["decision"].value() == "decline"
    assert "What you typed is back in the form" in page.content.decode()
    assert RegradeRequest.objects.get(pk=regrade.pk).status == RegradeStatus.OPEN
    # Typed once, given back once.
    assert client.get(url).context["form"]["response"].value() in (None, "")


def test_a_kept_regrade_answer_goes_to_nobody_else(client, world, alice, bob, grace):
    """Another person who logs in on the same browser (another course's grader, or the
    course's instructor) does not get what grace typed."""
    from django.contrib.sessions.models import Session

    release(world, alice)
    regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="Please"
    )
    url = reverse("grading:regrade_answer", kwargs={"pk": regrade.pk})
    login(client, grace)
    client.get(url)
    Session.objects.all().delete()
    client.post(url, {"decision": "decline", "response": "Grace's secret answer."})
    login(client, GraderFactory())
    assert client.get(url).status_code == 404
    login(client, alice)
    page = client.get(url)
    assert page.status_code == 200
    assert "Grace&#x27;s secret answer." not in page.content.decode()
    assert "Grace's secret answer." not in page.content.decode()


def test_the_release_page_names_groups_whose_peer_evaluation_has_not_opened(
    client, alice, bob, grace
):
    from projects.models import Extension

    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    url = reverse("grading:release_grades", kwargs={"pk": world.assignment.pk})
    login(client, alice)
    assert "peer-not-open" not in client.get(url).content.decode()  # past its deadline
    Extension.objects.create(group=world.group, due_at=timezone.now() + timedelta(days=2))
    page = client.get(url).content.decode()
    assert "Peer evaluation has not opened yet for 1 group (Team Rocket)" in page
    assert "their deadline (or their extension) is still to come" in page


def test_a_member_removed_from_the_course_is_marked_on_the_grading_page(client, world, alice):
    # Still listed with the group's mark, with nothing to tell them apart.
    from lessons.models import Enrollment
    from lessons.services import enrollment_delete

    enrollment_delete(Enrollment.objects.get(user=world.dave, course=world.course))
    login(client, alice)
    page = client.get(reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk}))
    rows = {
        name: row
        for row in page.content.decode().split("<tr>")
        for name in ("Dave Student", "Bob")
        if name in row
    }
    assert "no longer a student of the course" in rows["Dave Student"]
    assert "no longer a student of the course" not in rows["Bob"]


def test_a_group_over_the_projects_size_after_a_return_is_flagged(client, world, alice):
    """Probe 36: dave removed, a newcomer took his seat, dave enrolled again: "(3 of at
    most 2)" on the students' page, and nothing on the instructor's."""
    from lessons.models import Enrollment
    from lessons.services import enrollment_delete
    from projects.models import ProjectAssignment

    ProjectAssignment.objects.filter(pk=world.assignment.pk).update(max_group_size=2)
    enrollment_delete(Enrollment.objects.get(user=world.dave, course=world.course))
    url = reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk})
    login(client, alice)
    assert "over-size" not in client.get(url).content.decode()  # 1 of 2: room again
    newcomer = enroll(UserFactory(username="erin"), world.course)
    world.group.memberships.create(student=newcomer, assignment=world.assignment)  # the seat
    assert "over-size" not in client.get(url).content.decode()
    enroll(world.dave, world.course)  # back
    page = client.get(url).content.decode()
    assert "3 members, more than the project's 2" in page
