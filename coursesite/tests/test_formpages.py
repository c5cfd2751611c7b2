"""A form posted after the session ended comes back filled in, never as a bare 405.

The session is ended the way it ends in real life: its row is deleted on the server
(expiry, or a logout in another tab) while the browser keeps its cookies, and the
client checks CSRF as a browser's form post would be checked.
"""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver, reverse

from access.tests.tenants import build_tenant
from access.tests.test_site_matrix import UNMATRIXED, routes
from accounts.tests.factories import UserFactory
from conftest import DEMO_PASSWORD
from coursesite import formpages
from grading.models import PeerRating, RegradeRequest, ReviewStatus
from lessons.models import LessonCompletion
from projects.models import Submission

pytestmark = pytest.mark.django_db

SITE_NAMESPACES = ("accounts", "lessons", "projects", "grading", "autograding", "practice")
TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _site_route_names() -> list[str]:
    resolver = get_resolver()
    names = []
    for namespace in SITE_NAMESPACES:
        _, sub = resolver.namespace_dict[namespace]
        names += sorted(f"{namespace}:{n}" for n in sub.reverse_dict if isinstance(n, str))
    return names


def _post_only_names() -> list[str]:
    """Every route whose view only receives a form (found by its decorator)."""
    resolver = get_resolver()
    names = []
    for namespace in SITE_NAMESPACES:
        _, sub = resolver.namespace_dict[namespace]
        for pattern in sub.url_patterns:
            if getattr(pattern.callback, "form_page", None) is not None:
                names.append(f"{namespace}:{pattern.name}")
    return sorted(names)


@pytest.fixture
def tenant(db):
    a, b = build_tenant("Apple"), build_tenant("Banana")
    return a, b


def _kwargs(name: str, a, b) -> dict:
    for route in routes(a, b):
        if route.name == name:
            return route.kwargs
    assert name in UNMATRIXED, name
    tokened = name.endswith("_confirm") or name in ("accounts:invitation", "accounts:confirm_email")
    return {"uidb64": "MQ", "token": "set-password"} if tokened else {}


def _token(response) -> str:
    return TOKEN_RE.search(response.content.decode()).group(1)


def _log_in_at(client: Client, user, page: str) -> None:
    """Log in through the real login form, as the person sent there does."""
    login = client.get(reverse("accounts:login") + f"?next={page}")
    response = client.post(
        reverse("accounts:login"),
        {
            "username": user.username,
            "password": DEMO_PASSWORD,
            "next": page,
            "csrfmiddlewaretoken": _token(login),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == page


def _post_after_expiry(user, page: str, action: str, data: dict) -> tuple[Client, object]:
    """Open PAGE as USER, lose the session, post DATA to ACTION; return the client and answer."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = _token(client.get(page))
    Session.objects.all().delete()  # expired, or ended in another tab
    response = client.post(action, {**data, "csrfmiddlewaretoken": token})
    return client, response


def _expect_back_on(client: Client, response, user, page: str) -> str:
    """Follow the login detour to PAGE and return that page's HTML."""
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=" + page.replace(
        "?", "%3F"
    ).replace("=", "%3D")
    before = client.cookies["sessionid"].value
    _log_in_at(client, user, page)
    # Django's login() gives the session a new key: what was kept survived the change.
    assert client.cookies["sessionid"].value != before
    shown = client.get(page)
    assert shown.status_code == 200
    text = html.unescape(shown.content.decode())
    assert formpages.KEPT in text
    return text


@pytest.mark.parametrize("name", _site_route_names())
def test_no_page_of_the_site_answers_405_to_a_get(tenant, name):
    a, b = tenant
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    url = reverse(name, kwargs=_kwargs(name, a, b))
    for client in (Client(), Client()):
        response = client.get(url)
        assert response.status_code != 405, url
        client.force_login(superuser)


@pytest.mark.parametrize("name", _post_only_names())
def test_a_get_on_a_post_only_action_goes_to_the_page_of_its_form(tenant, name):
    a, b = tenant
    client = Client()
    client.force_login(a.instructor)
    url = reverse(name, kwargs=_kwargs(name, a, b))
    response = client.get(url)
    assert response.status_code == 302
    page = response["Location"]
    assert page != url and not page.startswith(reverse("accounts:login"))
    shown = client.get(page, follow=True)
    assert shown.status_code == 200
    assert formpages.POST_ONLY in html.unescape(shown.content.decode())


def test_every_post_only_route_of_the_matrix_goes_to_its_form_page(tenant):
    a, b = tenant
    post_only = {route.name for route in routes(a, b) if route.get is None}
    assert post_only == set(_post_only_names())


def test_the_review_form_comes_back_with_scores_and_feedback(tenant):
    a, _ = tenant
    review = a.review_o
    page = reverse("grading:review", kwargs={"pk": review.pk})
    scores = {f"score_{c.pk}": "3.5" for c in a.grading.rubric.criteria.all()}
    client, response = _post_after_expiry(
        a.grader, page, page, {**scores, "overall_feedback": "Clear *structure*, kept."}
    )
    text = _expect_back_on(client, response, a.grader, page)
    assert "Clear *structure*, kept." in text
    assert 'value="3.5"' in text
    review.refresh_from_db()
    assert review.overall_feedback != "Clear *structure*, kept."  # nothing was saved
    assert review.status == ReviewStatus.DRAFT
    # Once: the next visit shows the saved review again.
    assert "Clear *structure*, kept." not in client.get(page).content.decode()


def test_the_regrade_request_comes_back_with_its_reason(tenant):
    a, _ = tenant
    page = reverse("grading:feedback", kwargs={"pk": a.submission_r.pk})
    action = reverse("grading:regrade_request", kwargs={"pk": a.submission_r.pk})
    reason = "The tests of part 2 pass on my machine; please look again."
    client, response = _post_after_expiry(
        a.student, page, action, {"criterion": str(a.other_criterion.pk), "reason": reason}
    )
    text = _expect_back_on(client, response, a.student, page)
    assert reason in text
    assert f'<option value="{a.other_criterion.pk}" selected>' in text
    assert not RegradeRequest.objects.filter(reason=reason).exists()


def test_the_peer_evaluation_comes_back_with_its_ratings(tenant):
    a, _ = tenant
    page = reverse("grading:peer", kwargs={"pk": a.group_o.pk})
    members = list(a.group_o.memberships.values_list("student_id", flat=True))
    data = {f"score_{pk}": "2" for pk in members}
    data |= {f"comment_{pk}": f"Kept comment {pk}" for pk in members}
    before = PeerRating.objects.count()
    client, response = _post_after_expiry(a.student, page, page, data)
    text = _expect_back_on(client, response, a.student, page)
    for pk in members:
        assert f"Kept comment {pk}" in text
        assert re.search(rf'name="score_{pk}" value="2"[^>]*checked', text)
    assert PeerRating.objects.count() == before


def test_an_upload_comes_back_to_the_project_page_with_fields_and_asks_for_the_file(tenant):
    a, _ = tenant
    project = {"course_slug": a.course.slug, "slug": a.grading.slug}
    page = reverse("projects:detail", kwargs=project)
    action = reverse("projects:submit", kwargs=project)
    archive = SimpleUploadedFile("project.zip", b"PK\x05\x06" + b"\0" * 18, "application/zip")
    before = Submission.objects.count()
    client, response = _post_after_expiry(
        a.student,
        page,
        action,
        {
            "archive": archive,
            "repository_url": "https://example.org/apple/kept.git",
            "note": "Part 3 is in the second folder.",
        },
    )
    text = _expect_back_on(client, response, a.student, page)
    assert "https://example.org/apple/kept.git" in text
    assert "Part 3 is in the second folder." in text
    assert formpages.FILE_AGAIN in text
    assert Submission.objects.count() == before


def test_marking_a_lesson_complete_after_expiry_returns_to_the_lesson(tenant):
    a, _ = tenant
    kwargs = {"course_slug": a.course.slug, "lesson_slug": a.lesson.slug}
    page = reverse("lessons:lesson", kwargs=kwargs)
    done = LessonCompletion.objects.filter(user=a.student, lesson=a.lesson).count()
    client, response = _post_after_expiry(
        a.student, page, reverse("lessons:complete", kwargs=kwargs), {"completed": "1"}
    )
    assert response.status_code == 302
    _log_in_at(client, a.student, page)
    assert client.get(page).status_code == 200
    assert LessonCompletion.objects.filter(user=a.student, lesson=a.lesson).count() == done


def test_a_post_without_a_valid_csrf_token_keeps_nothing(tenant):
    a, _ = tenant
    page = reverse("grading:feedback", kwargs={"pk": a.submission_r.pk})
    action = reverse("grading:regrade_request", kwargs={"pk": a.submission_r.pk})
    client = Client(enforce_csrf_checks=True)
    response = client.post(action, {"criterion": "1", "reason": "Planted by another site"})
    assert response.status_code == 403
    _log_in_at(client, a.student, page)
    assert "Planted by another site" not in client.get(page).content.decode()


def test_what_one_person_typed_never_reaches_the_next_person_on_the_same_browser(tenant):
    """A shared computer: the grader's session ended, the instructor logs in next."""
    a, _ = tenant
    review = a.review_o
    page = reverse("grading:review", kwargs={"pk": review.pk})
    client, response = _post_after_expiry(
        a.grader, page, page, {"overall_feedback": "Private draft of the grader."}
    )
    assert response.status_code == 302
    _log_in_at(client, a.instructor, page)
    shown = html.unescape(client.get(page).content.decode())
    assert "Private draft of the grader." not in shown
    assert formpages.KEPT not in shown
    # And not later either, once the grader logs in again on that browser.
    client.logout()
    _log_in_at(client, a.grader, page)
    assert "Private draft of the grader." not in client.get(page).content.decode()


def test_a_forged_owner_cookie_keeps_nothing(tenant):
    a, _ = tenant
    review = a.review_o
    page = reverse("grading:review", kwargs={"pk": review.pk})
    client = Client(enforce_csrf_checks=True)
    client.force_login(a.grader)
    token = _token(client.get(page))
    Session.objects.all().delete()
    client.cookies[formpages.OWNER_COOKIE] = f"{a.grader.pk}:forged"
    response = client.post(page, {"overall_feedback": "Typed.", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    _log_in_at(client, a.grader, page)
    assert "Typed." not in client.get(page).content.decode()


def test_what_an_ended_session_keeps_is_bounded_however_often_it_posts(tenant):
    """Each page address (its query string too) was kept apart, with no bound on their
    number: sixty posts of 199,000 characters grew the session row to 12 MB."""
    a, _ = tenant
    page = reverse("grading:review", kwargs={"pk": a.review_o.pk})
    client, _ = _post_after_expiry(a.grader, page, page, {"overall_feedback": "first"})
    token = client.cookies["csrftoken"].value
    for index in range(12):
        feedback = f"{index} " + "x" * 150_000
        client.post(
            f"{page}?k={index}", {"overall_feedback": feedback, "csrfmiddlewaretoken": token}
        )
    session = Session.objects.get(session_key=client.cookies["sessionid"].value)
    kept = session.get_decoded()[formpages.SESSION_KEY]
    assert len(kept) <= formpages.MAX_KEPT_FORMS
    assert formpages._kept_size(kept) <= formpages.MAX_KEPT_CHARS
    newest = kept[f"{page}?k=11"]["fields"]
    assert dict(newest)["overall_feedback"].startswith("11 ")  # the latest is the one kept


def test_forms_kept_while_signed_out_are_limited_per_address(tenant, settings):
    # Each one kept is a new session row of up to 200,000 characters, and the owner it
    # needs is any account's own: a script filled the session table at 8 MB a second.
    settings.SIGNED_OUT_KEPT_LIMIT = 2
    a, _ = tenant
    page = reverse("grading:review", kwargs={"pk": a.review_o.pk})
    for _ in range(2):
        client, response = _post_after_expiry(a.grader, page, page, {"overall_feedback": "x"})
        assert formpages.TOO_MANY_SIGNED_OUT not in _messages_of(client)
    refused_client, _ = _post_after_expiry(a.grader, page, page, {"overall_feedback": "lost"})
    assert formpages.TOO_MANY_SIGNED_OUT in _messages_of(refused_client)
    assert not any("lost" in str(session.get_decoded()) for session in Session.objects.all()), (
        "nothing of the refused form is kept"
    )
    # Another network's visitor still gets what they typed back.
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.7")
    client.force_login(a.grader)
    token = _token(client.get(page))
    Session.objects.all().delete()
    response = client.post(page, {"overall_feedback": "Kept.", "csrfmiddlewaretoken": token})
    assert "Kept." in _expect_back_on(client, response, a.grader, page)


def _messages_of(client: Client) -> str:
    """The messages waiting in CLIENT's session, as the next page would show them."""
    page = client.get(reverse("accounts:login"))
    return html.unescape(page.content.decode())


BACK_OFFICE_PAGES = [
    "admin:index",
    "admin:lessons_course_changelist",
    "admin:lessons_enrollment_add",
    "admin:projects_group_changelist",
    "admin:grading_rubric_changelist",
]


@pytest.mark.parametrize("name", _site_route_names() + BACK_OFFICE_PAGES)
def test_methods_no_page_takes_get_405_naming_what_it_takes_even_without_a_token(tenant, name):
    # They got the "form not sent" page (403): the CSRF check came first. Skipping it
    # for these methods is safe only while no view takes them: this asserts it.
    a, b = tenant
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    url = reverse(
        name, kwargs=_kwargs(name, a, b) if ":" in name and not name.startswith("admin:") else {}
    )
    for user in (None, a.instructor, superuser):
        client = Client(enforce_csrf_checks=True)
        if user is not None:
            client.force_login(user)
        for method in ("PUT", "PATCH", "DELETE", "PROPFIND"):
            response = client.generic(method, url, "x=1")
            assert response.status_code == 405, (method, url, response.status_code)
            assert response["Allow"] and method not in response["Allow"], (method, url)


def test_a_post_without_its_token_is_still_refused(tenant):
    # The check W003 is silenced for: the site's CSRF middleware is a subclass of Django's.
    a, _ = tenant
    client = Client(enforce_csrf_checks=True)
    client.force_login(a.instructor)
    response = client.post(reverse("accounts:profile"), {"display_name": "Changed"})
    assert response.status_code == 403
    a.instructor.refresh_from_db()
    assert a.instructor.display_name != "Changed"
