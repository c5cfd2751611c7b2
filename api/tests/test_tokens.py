"""Personal access tokens, throttling and problem details: what a script relies on."""

from __future__ import annotations

import html
import os
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from api.models import PersonalAccessToken
from api.tokens import digest_of, token_create
from projects.models import Submission
from projects.tests.factories import make_zip

from .conftest import token_client

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_a_token_is_shown_once_and_stored_hashed(world):
    a, _, _ = world
    client = Client()
    client.force_login(a.grader)
    response = client.post(
        reverse("accounts:token_create"),
        {"name": "marks export", "scope": "read", "lifetime": 30},
        follow=True,  # shown on the profile page it redirects to (accounts.views.token_create)
    )
    assert response.status_code == 200
    token = PersonalAccessToken.objects.get(user=a.grader, name="marks export")
    expected_end = timezone.now() + timedelta(days=30)
    assert abs(token.expires_at - expected_end) < timedelta(minutes=1)
    page = response.content.decode()
    secret = page.split('<code class="user-select-all">')[1].split("<")[0]
    assert secret.startswith(token.prefix) and len(secret) > 40
    # No browser or proxy keeps the page that shows it.
    assert "no-store" in response["Cache-Control"]
    # Only its SHA-256 is kept, and the token works.
    assert token.digest == digest_of(secret)
    assert secret not in str(PersonalAccessToken.objects.values_list())
    assert bearer(secret).get(ME).json()["username"] == a.grader.username
    # The profile page lists it by its prefix, and never shows the secret again.
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert token.prefix in profile and secret not in profile


def test_an_expired_token_is_refused_with_its_date_and_listed_as_expired(world):
    a, _, _ = world
    token, secret = token_create(user=a.grader, name="sync", scope="read", lifetime=30)
    assert bearer(secret).get(ME).status_code == 200
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = bearer(secret).get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"].startswith("This token expired on ")
    assert "profile page" in response.json()["detail"]
    browser = Client()
    browser.force_login(a.grader)
    row = browser.get(reverse("accounts:profile")).content.decode().split(token.prefix)[1]
    assert "expired" in row.split("</tr>")[0]
    # Another user's expired token says nothing more than a wrong one: only the owner's own.
    assert bearer(secret + "x").get(ME).json()["detail"].startswith("This token is not valid")


@pytest.mark.parametrize("lifetime", ["", "0", "3650", "-30", "90 days", "9" * 30])
def test_a_token_works_only_for_an_offered_lifetime(world, lifetime):
    a, _, _ = world
    client = Client()
    client.force_login(a.grader)
    response = client.post(
        reverse("accounts:token_create"), {"name": "sync", "scope": "read", "lifetime": lifetime}
    )
    assert response.status_code == 400
    assert not PersonalAccessToken.objects.filter(user=a.grader).exists()
    page = response.content.decode()
    assert 'value="sync"' in page  # the name typed is kept
    assert "Choose how long the token works: 30 days, 90 days or 1 year." in page


def test_a_token_needs_a_name(world):
    a, _, _ = world
    client = Client()
    client.force_login(a.grader)
    response = client.post(reverse("accounts:token_create"), {"name": "  ", "scope": "write"})
    assert response.status_code == 400
    assert not PersonalAccessToken.objects.filter(user=a.grader).exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a\u202eb", "Remove the invisible text-direction characters"),
        ("\u200b\u200b", "Give a name with at least one visible letter"),
        ("sync\u200bscript", "Remove the invisible character from the name"),
    ],
    ids=["direction-override", "invisible-only", "zero-width-inside"],
)
def test_a_token_name_is_checked_as_other_names_are(world, name, message):
    """Probe 29: "a\u202eb" was taken and shown reversed on the profile page."""
    a, _, _ = world
    client = Client()
    client.force_login(a.grader)
    response = client.post(
        reverse("accounts:token_create"), {"name": name, "scope": "read", "lifetime": 30}
    )
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert not PersonalAccessToken.objects.filter(user=a.grader).exists()


def test_a_revoked_token_is_refused_at_once(world):
    a, _, _ = world
    _, secret = token_create(user=a.grader, name="sync", scope="write")
    client = bearer(secret)
    assert client.get(ME).status_code == 200
    browser = Client()
    browser.force_login(a.grader)
    token = PersonalAccessToken.objects.get(user=a.grader)
    browser.post(reverse("accounts:token_revoke", args=[token.pk]))
    response = client.get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == "application/problem+json"
    assert "revoked" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer cpt_made-up", "Bearer two words", "Bearer cpt_\u00e9t\u00e9"],
)
def test_bad_tokens_are_refused(world, header):
    response = Client(headers={"Authorization": header}).get(ME)
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_an_inactive_account_s_tokens_are_refused(world):
    a, _, _ = world
    _, secret = token_create(user=a.grader, name="sync", scope="write")
    # Closed without a save (a bulk update): the token is refused as its account's.
    type(a.grader).objects.filter(pk=a.grader.pk).update(is_active=False)
    response = bearer(secret).get(ME)
    assert response.status_code == 401
    # Not "create a new one on your profile page": its owner cannot log in.
    assert response.json()["detail"].startswith("This token's account is closed")


def test_closing_an_account_revokes_its_tokens_for_good(world):
    """Probe 110: an account closed and reopened had its old tokens working again,
    though the refusal said "none of its tokens work"; closing revokes them, as a new
    password does. Saving a closed account, or reopening it, revokes nothing new."""
    a, b, _ = world
    _, secret = token_create(user=a.grader, name="sync", scope="write")
    _, other = token_create(user=b.grader, name="sync", scope="read")
    a.grader.is_active = False
    a.grader.save()
    assert bearer(secret).get(ME).status_code == 401
    a.grader.is_active = True
    a.grader.save()
    assert bearer(secret).get(ME).status_code == 401
    _, fresh = token_create(user=a.grader, name="after", scope="read")
    a.grader.first_name = "Renamed"
    a.grader.save()
    assert bearer(fresh).get(ME).status_code == 200
    assert bearer(other).get(ME).status_code == 200  # another account's stay


def test_drfs_token_scheme_is_answered_with_the_one_to_use(world):
    a, _, _ = world
    _, secret = token_create(user=a.grader, name="sync", scope="read")
    response = Client(headers={"Authorization": f"Token {secret}"}).get(ME)
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "Send the token as “Authorization: Bearer <token>”, not “Token <token>”."
    )


@pytest.mark.parametrize("header", [None, "Basic Zm9vOmJhcg==", "Digest x=1"])
def test_a_request_without_a_token_is_told_how_to_send_one(db, header):
    """Probe 26: "Basic …" (or no header) was told only "Authentication credentials were
    not provided."; a session of the site, even beside a Basic header (a proxy's), works."""
    headers = {"Authorization": header} if header else {}
    response = Client(headers=headers).get(ME)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    # A 401 says how to authenticate (RFC 9110), as a bad token's does (probe 33).
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"] == (
        "Send a personal access token as “Authorization: Bearer <token>” (make one on "
        "your profile page), or log in to the site."
    )
    logged_in = Client(headers=headers)
    logged_in.force_login(UserFactory())
    assert logged_in.get(ME).status_code == 200


def test_a_record_not_there_is_said_of_records_not_pages(world):
    a, b, _ = world
    client = bearer(token_create(user=a.grader, name="sync", scope="read")[1])
    for path in ("/api/v1/reviews/999999/", f"/api/v1/reviews/{b.review_o.pk}/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["detail"] == (
            "Not found: it does not exist, or it is outside your courses (the two look the same)."
        )


def test_last_used_is_written_at_most_once_a_minute(world, django_assert_num_queries):
    a, _, _ = world
    token, secret = token_create(user=a.grader, name="sync", scope="read")
    client = bearer(secret)
    client.get(ME)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(ME)
    token.refresh_from_db()
    assert token.last_used_at == first
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now() - timedelta(minutes=2)
    )
    client.get(ME)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_each_token_has_its_own_budget_and_the_user_one_over_all(world, settings):
    a, _, _ = world
    # Refused requests count for the user (the 4th below): 6 make the user's budget.
    settings.API_THROTTLE_RATES = {"token": "3/min", "user": "6/min", "anon": "3/min"}
    first, second = token_client(a.grader), token_client(a.grader)
    assert [first.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    response = first.get(ME)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0
    # In the site's words, with the wait (DRF's "Request was throttled." said no more).
    wait = response["Retry-After"]
    assert response.json()["detail"] == (
        f"Too many requests: wait {wait} second{'' if wait == '1' else 's'}, then send this "
        "one again."
    )
    # Another token of the same user still has its budget, until the user's runs out.
    assert [second.get(ME).status_code for _ in range(3)] == [200, 200, 429]
    # Someone else is not slowed down.
    assert token_client(a.instructor).get(ME).status_code == 200


def test_anonymous_requests_have_the_anon_rate(db, settings):
    """API_ANON_RATE was never read: anonymous requests had the user's rate."""
    settings.API_THROTTLE_RATES = {"token": "5/min", "user": "5/min", "anon": "2/min"}
    anonymous = Client()
    assert [anonymous.get("/api/v1/docs/").status_code for _ in range(3)] == [200, 200, 429]
    assert anonymous.get("/api/v1/docs/")["Content-Type"] == "application/problem+json"


def test_a_made_up_forwarded_address_does_not_escape_the_anonymous_rate(db, settings):
    # DRF read X-Forwarded-For as sent: a new made-up address each time was never limited.
    settings.API_THROTTLE_RATES = {"token": "5/min", "user": "5/min", "anon": "2/min"}
    codes = [
        Client().get("/api/v1/docs/", HTTP_X_FORWARDED_FOR=f"10.9.0.{n}").status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]


def test_invalid_input_is_a_problem_detail_with_field_errors(world):
    a, _, _ = world
    client = token_client(a.instructor)
    response = client.post(
        f"/api/v1/courses/{a.course.pk}/modules/", {"order": -1}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and problem["title"] == "Bad Request"
    assert set(problem["errors"]) == {"title", "order"}
    # The services' own messages come through as they are.
    response = client.post(
        f"/api/v1/courses/{a.course.pk}/enrollments/",
        {"email": a.student.email},
        content_type="application/json",
    )
    assert response.status_code == 409  # with the enrollment's id: test_enrollments.py
    message = response.json()["detail"]
    assert f"{a.student} is already enrolled" in message and "You" not in message


def test_a_json_roster_gets_the_csv_import_s_report(world):
    a, _, _ = world
    rows = [
        {"email": "Ann@Example.org", "name": "Ann", "role": "student"},
        {"email": "ann@example.org", "name": "Ann again", "role": "student"},
        {"email": "bea@example.org", "name": "Bea", "role": "teacher"},
        {"email": a.student.email, "name": "Already here", "role": "grader"},
    ]
    response = token_client(a.instructor).post(
        f"/api/v1/courses/{a.course.pk}/roster/", {"rows": rows}, content_type="application/json"
    )
    assert response.status_code == 200
    report = response.json()
    assert (report["accepted"], report["rejected"]) == (2, 2)
    details = [(row["outcome"], row["detail"]) for row in report["rows"]]
    assert details[0][0] == "created account and enrolled"
    assert details[1] == ("rejected", "duplicate of line 2 in this file")
    assert details[2][0] == "rejected" and "unknown role" in details[2][1]
    assert details[3][0] == "already enrolled" and "role left unchanged" in details[3][1]


def test_a_csv_roster_is_read_in_the_charset_its_content_type_names(world):
    """Probe 53: sent as charset=windows-1252 or utf-16, a roster was refused as "not
    UTF-8", with advice about spreadsheets to a script that had said its encoding."""
    a, b, _ = world
    client = token_client(a.instructor)
    url = f"/api/v1/courses/{a.course.pk}/roster/"
    roster = "email,name,role\nzoe@example.org,Zoë Müller,student\n"
    for charset in ("windows-1252", "utf-16", "UTF-8"):
        # generic() sends the bytes as they are (post() would encode them again).
        response = client.generic(
            "POST", url, roster.encode(charset), content_type=f"text/csv; charset={charset}"
        )
        assert response.status_code == 200, (charset, response.content)
        assert response.json()["rows"][0]["name"] == "Zoë Müller", charset
    # No charset: UTF-8, as before.
    plain = client.post(url, roster.encode(), content_type="text/csv")
    assert plain.json()["rows"][0]["name"] == "Zoë Müller"
    refused = client.generic("POST", url, roster.encode(), content_type="text/csv; charset=klingon")
    assert refused.status_code == 400
    assert "Unknown charset “klingon”" in refused.content.decode()
    # Python's codecs that transform text are no file's charset (probe 56: "undefined"
    # was a 500, "utf-7" and "punycode" were read).
    for odd in ("undefined", "utf-7", "punycode", "idna", "rot13", "unicode_escape", "hex"):
        answer = client.generic(
            "POST", url, roster.encode(), content_type=f"text/csv; charset={odd}"
        )
        assert answer.status_code == 400 and "Unknown charset" in answer.content.decode(), odd
    wrong = client.generic(
        "POST", url, roster.encode("utf-16"), content_type="text/csv; charset=ascii"
    )
    assert wrong.status_code == 400 and "is not ascii text" in wrong.content.decode()
    # Another course's instructor imports nothing here, whatever the charset.
    other = token_client(b.instructor).generic(
        "POST", url, roster.encode("utf-16"), content_type="text/csv; charset=utf-16"
    )
    assert other.status_code in (403, 404)
    assert User.objects.filter(email="zoe@example.org").count() == 1


def test_an_oversized_zip_is_refused_and_nothing_is_kept(world, settings):
    a, _, _ = world
    a.grading.max_upload_mb = 1
    a.grading.save()
    versions = Submission.objects.count()
    media = settings.MEDIA_ROOT / "submissions"
    files = set(media.rglob("*"))
    payload = make_zip({"data.bin": os.urandom(2 * 1024 * 1024)})
    response = token_client(a.student).post(
        f"/api/v1/assignments/{a.grading.pk}/submissions/",
        {"archive": SimpleUploadedFile("big.zip", payload, content_type="application/zip")},
    )
    assert response.status_code == 400
    assert "limit for this project is 1" in response.json()["errors"]["archive"][0]
    assert Submission.objects.count() == versions
    assert set(media.rglob("*")) == files


def test_the_schema_and_its_page_are_served_without_cdn(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "/static/" in html
    # Nothing inline the site's CSP refuses (probe 94: its <style> block was blocked).
    assert "<style" not in html and "style-src 'self'" in page["Content-Security-Policy"]
    assert "/static/css/swagger" in html


def test_the_schema_in_a_type_nobody_writes_is_refused_in_json(client):
    """The schema is YAML unless JSON is asked for; what it cannot write is refused in
    a problem document a client can read (it came as YAML, under a JSON type)."""
    for accept in ("text/html", "application/xml"):
        refused = client.get("/api/v1/schema/", HTTP_ACCEPT=accept)
        assert refused.status_code == 406, accept
        assert refused["Content-Type"] == "application/problem+json"
        assert refused.json()["title"] == "Not Acceptable"
        assert "Accept header" in refused.json()["detail"]
    default = client.get("/api/v1/schema/", HTTP_ACCEPT="*/*")
    assert default.status_code == 200
    assert default.content.startswith(b"openapi: 3.")


def test_options_is_not_served(world):
    """The schema describes every operation; OPTIONS would only repeat it, differently."""
    a, _, _ = world
    client = token_client(a.instructor)
    for path in ("/api/v1/courses/", "/api/v1/me/", "/api/v1/me/progress/", "/api/v1/schema/"):
        refused = client.options(path)
        assert refused.status_code == 405, path
        # Nor is it offered: Allow named OPTIONS on every answer, this one included.
        for response in (refused, client.get(path)):
            assert "OPTIONS" not in response["Allow"], path
            assert "GET" in response["Allow"], path


def test_a_new_password_revokes_the_accounts_tokens_and_says_so(world, password):
    a, b, _ = world
    a.grader.set_password(password)
    a.grader.save()
    _, mine = token_create(user=a.grader, name="sync", scope="write")
    _, theirs = token_create(user=b.grader, name="sync", scope="write")
    browser = Client()
    browser.force_login(a.grader)
    # Saving the profile keeps them; a new password (whoever stole a token) does not.
    a.grader.display_name = "Renamed"
    a.grader.save()
    assert bearer(mine).get(ME).status_code == 200
    response = browser.post(
        reverse("accounts:password_change"),
        {
            "old_password": password,
            "new_password1": "A-new-pass-phrase-42",
            "new_password2": "A-new-pass-phrase-42",
        },
        follow=True,
    )
    assert "your API tokens were revoked" in response.content.decode()
    assert bearer(mine).get(ME).status_code == 401
    assert bearer(theirs).get(ME).status_code == 200  # another person's stay
    assert not PersonalAccessToken.objects.filter(user=a.grader).exists()


def test_a_login_that_rehashes_the_same_password_keeps_the_tokens(world, password, settings):
    """Django stores a password anew with the preferred hasher when its owner logs in
    after an upgrade (here from scrypt): the same password, and every token was revoked."""
    from django.contrib.auth.hashers import make_password

    a, _, _ = world
    preferred = settings.PASSWORD_HASHERS[0]  # the tests' fast one
    settings.PASSWORD_HASHERS = [preferred, "django.contrib.auth.hashers.ScryptPasswordHasher"]
    User.objects.filter(pk=a.grader.pk).update(password=make_password(password, hasher="scrypt"))
    _, secret = token_create(user=a.grader, name="sync", scope="write")
    response = Client().post(
        reverse("accounts:login"), {"username": a.grader.username, "password": password}
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=a.grader.pk).password.startswith("scrypt")  # re-hashed
    assert bearer(secret).get(ME).status_code == 200


def test_disabling_password_login_in_the_back_office_revokes_the_tokens(world):
    # How an administrator locks a compromised account out: its tokens go with it.
    a, _, _ = world
    _, secret = token_create(user=a.grader, name="sync", scope="write")
    admin = Client()
    admin.force_login(
        User.objects.create_superuser("tokens-root", "tokens-root@example.org", "x-Long-pass-42")
    )
    url = reverse("admin:auth_user_password_change", args=[a.grader.pk])
    response = admin.post(url, {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302
    a.grader.refresh_from_db()
    assert not a.grader.has_usable_password()
    assert bearer(secret).get(ME).status_code == 401
