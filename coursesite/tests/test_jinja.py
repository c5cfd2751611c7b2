"""The site's pages render with Jinja2 (coursesite/jinja2.py); the admin stays on Django's."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import jinja2
import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.conf import settings
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    _get_new_csrf_string,
    _unmask_cipher_token,
)
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse

from accounts.forms import ProfileForm
from coursesite.jinja2 import Jinja2Backend, crispy_field, masked_csrf_token
from coursesite.tests.test_site import run_python
from lessons.tests.factories import CourseFactory


def render(source: str, **context) -> str:
    return engines["jinja2"].from_string(source).render(context)


@pytest.mark.django_db
def test_pages_render_with_jinja_and_the_test_client_still_sees_their_context(client, bob):
    client.force_login(bob)
    response = client.get(reverse("lessons:dashboard"))

    assert response.status_code == 200
    page = response.templates[0]
    assert page.name == "lessons/dashboard.html"
    assert isinstance(page.backend, Jinja2Backend)
    assert response.context["enrollments"] == []
    assert response.context["user"] == bob  # the context processors' names too
    assert 'id="no-courses"' in response.content.decode()


@pytest.mark.django_db
def test_the_admin_still_renders_with_django_templates(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "admin/index.html" in [t.name for t in response.templates]
    backends = [getattr(t, "backend", None) for t in response.templates]
    assert not any(isinstance(backend, Jinja2Backend) for backend in backends)


def test_every_page_template_compiles():
    env = engines["jinja2"].env
    names = env.list_templates(extensions=["html"])

    assert "base.html" in names and "lessons/lesson_detail.html" in names
    for name in names:
        env.get_template(name)  # raises on a syntax error


def test_a_misspelt_variable_fails_the_tests_instead_of_rendering_empty():
    lesson = {"title": "Routing"}

    assert render("{{ lesson.title }}", lesson=lesson) == "Routing"
    for source in ["{{ lesson.titel }}", "{{ lessn.title }}", "{% if lessn %}x{% endif %}"]:
        with pytest.raises(jinja2.UndefinedError):
            render(source, lesson=lesson)
    # A template that takes an optional name says so, and then it is fine.
    assert render("[{{ extra|default('') }}{% if key is defined %}k{% endif %}]") == "[]"


def test_the_site_renders_a_missing_variable_empty_as_django_templates_did():
    # A fresh interpreter without pytest: the production setting.
    code = (
        "import django; django.setup()\n"
        "from django.template import engines\n"
        "t = engines['jinja2'].from_string("
        "'[{{ missing }}|{{ missing.a.b }}|{% if missing %}x{% endif %}|{{ course.titel }}]')\n"
        "print(t.render({'course': object()}))\n"
    )
    result = run_python(code, {})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[|||]"


def test_a_method_printed_without_its_call_fails_the_tests():
    # Django templates called methods themselves; Jinja prints "<bound method ...>".
    course = CourseFactory.build(slug="web")

    assert render("{{ course.get_absolute_url() }}", course=course) == "/courses/web/"
    with pytest.raises(TypeError, match="call it"):
        render("{{ course.get_absolute_url }}", course=course)


def test_dates_are_shown_in_the_site_time_zone_as_before():
    late_evening_utc = datetime(2025, 1, 31, 23, 30, tzinfo=UTC)

    assert settings.TIME_ZONE == "Europe/Brussels"
    assert render('{{ when|date("Y-m-d H:i") }}', when=late_evening_utc) == "2025-02-01 00:30"


def test_times_name_the_site_time_zone_in_one_filter():
    # One rule on every page: the site's zone, with its abbreviation, winter and summer.
    winter = datetime(2025, 1, 31, 13, 0, tzinfo=UTC)
    summer = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)

    assert render("{{ when|local_time }}", when=winter).endswith(
        ">Fri 31 Jan 2025, 14:00 CET</time>"
    )
    assert render("{{ when|local_time }}", when=summer).endswith(
        ">Tue 1 Jul 2025, 14:00 CEST</time>"
    )
    assert render("{{ local_time(when) }}", when=summer) == render(
        "{{ when|local_time }}", when=summer
    )
    assert render("{{ when|local_time }}", when=None) == ""


def test_django_filters_keep_their_output():
    assert render('{{ 12.50|floatformat("-2") }} {{ 3|floatformat(2) }}') == "12.50 3.00"
    assert render("{{ 1|pluralize }}{{ 2|pluralize }} {{ true|yesno('on,off') }}") == "s on"
    assert render("{{ text|linebreaksbr }}", text="<b>a\nb") == "&lt;b&gt;a<br>b"
    assert render("{{ url('lessons:course', 'web') }}") == "/courses/web/"


def test_floatformat_writes_marks_and_points_as_djangos_does():
    """The direct path for Decimals and ints (coursesite/jinja2.py) gives Django's text."""
    from decimal import Decimal

    from django.template import defaultfilters
    from django.utils import translation

    from coursesite.jinja2 import floatformat

    values = [0, 7, 100, -3, 10**30, Decimal("-0.001"), Decimal("0.005"), Decimal("2.675")]
    values += [Decimal("1.005"), Decimal("-1.005"), Decimal("12.5"), Decimal("12.50")]
    values += [Decimal("99.999"), Decimal("1E+3"), Decimal("1E-10"), Decimal("-0"), Decimal("8")]
    values += [Decimal("123456789.125"), Decimal("0.00"), Decimal("4.10"), Decimal("NaN")]
    values += [Decimal("Infinity"), 2.5, None, "", "abc", "3.145"]  # Django's own path
    for arg in (-2, "-2", "-2u", 1, "1", 2, "2", "-3", "2g"):
        for value in values:
            expected = defaultfilters.floatformat(value, arg)
            # As a page calls it (its separator read once) and as a bare template does.
            assert floatformat({"_decimal_separator": "."}, value, arg) == expected, (value, arg)
            assert floatformat({}, value, arg) == expected, (value, arg)
    assert render('{{ m|floatformat("-2") }}/{{ m|floatformat(2) }}', m=Decimal("8")) == "8/8.00"
    with translation.override("de"):  # a comma language: Django's localised text
        assert floatformat({}, Decimal("12.5"), 2) == "12,50"
        page = '{{ m|floatformat(2) }} {{ m|floatformat("-2u") }}'
        assert render(page, m=Decimal("12.5")) == "12,50 12.50"


@pytest.mark.django_db
def test_the_login_page_names_the_site_like_every_other_page(client):
    # Django's LoginView passes site_name (the host, without the sites framework); our
    # navigation context processor wins under Jinja2, so the brand no longer changes here.
    html = client.get(reverse("accounts:login")).content.decode()

    assert f"<title>Log in · {settings.SITE_NAME}</title>" in html
    assert f'href="/">{settings.SITE_NAME}</a>' in html


@pytest.mark.django_db
def test_the_benchmark_floor_renders_with_the_pages_engine(client, settings):
    settings.BENCH_FLOOR = True
    response = client.get(reverse("bench_floor"))

    assert response.status_code == 200
    assert "Benchmark floor" in response.content.decode()
    assert isinstance(response.templates[0].backend, Jinja2Backend)


@pytest.mark.django_db
def test_remembered_form_fields_are_crispys_and_never_another_persons(client, alice, bob):
    """Unbound fields are rendered once per process (coursesite/jinja2.py crispy_field):
    the same HTML as crispy's, each person's own values, and a form sent back with its
    errors rendered afresh."""
    alice.display_name, bob.display_name = "Alice Archer", "Bob Baker"
    for person in (alice, bob):
        person.save()
        field = ProfileForm(instance=person)["display_name"]
        assert crispy_field(field) == as_crispy_field(field)
        assert crispy_field(ProfileForm(instance=person)["display_name"]) == as_crispy_field(field)
    for person, other in ((alice, bob), (bob, alice)):
        client.force_login(person)
        page = client.get(reverse("accounts:profile")).content.decode()
        assert f'value="{person.display_name}"' in page
        assert other.display_name not in page
    sent = ProfileForm({"display_name": "x" * 500, "email": "not an address"}, instance=bob)
    assert not sent.is_valid()
    html = crispy_field(sent["email"])
    assert "is-invalid" in html and 'value="not an address"' in html


def test_invisible_characters_in_file_names_show_as_their_code_points():
    """A grader reads "rtl‮gpj.py" as "rtlyp.jpg" unless the override shows."""
    html = render("{{ name|show_invisible }}", name="rtl\u202egpj.py<b>")
    assert html == (
        'rtl<span class="badge text-bg-warning" title="An invisible character">U+202E</span>'
        "gpj.py&lt;b&gt;"
    )
    assert render("{{ name|show_invisible }}", name="app.py") == "app.py"
    assert "U+200B" in render("{{ name|show_invisible }}", name="a\u200bb")
    assert render("{{ name|show_invisible }}", name="<i>") == "&lt;i&gt;"


def test_the_csrf_token_is_djangos_masked_with_a_fresh_uniform_mask():
    # Django's middleware unmasks it back to the secret; each page's mask is new, and
    # every character of the alphabet is about as likely in every place of the mask (a
    # biased mask would leak the secret over many responses, the attack masking stops).
    secret = _get_new_csrf_string()
    tokens = []
    for _ in range(2000):
        request = RequestFactory().get("/")
        request.META["CSRF_COOKIE"] = secret
        tokens.append(masked_csrf_token(request))
        assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # the cookie is renewed
    assert all(len(token) == 64 and _unmask_cipher_token(token) == secret for token in tokens)
    assert len(set(tokens)) == len(tokens)
    counts = Counter(char for token in tokens for char in token[:32])
    expected = 2000 * 32 / len(CSRF_ALLOWED_CHARS)
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert all(0.85 * expected < count < 1.15 * expected for count in counts.values())


def test_a_request_without_a_csrf_secret_gets_a_new_one():
    request = RequestFactory().get("/")
    token = masked_csrf_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]


def test_points_read_the_same_on_every_page_with_no_trailing_zero():
    from decimal import Decimal

    from django.utils import translation

    page = "{{ p|points }} / {{ m|points }}"
    for points, shown in [
        (Decimal("17.50"), "17.5 / 25"),
        (Decimal("64.15"), "64.15 / 25"),
        (Decimal("79.00"), "79 / 25"),
        (Decimal("19"), "19 / 25"),
        (Decimal("0.005"), "0.01 / 25"),  # rounded half up, as marks are
        (Decimal("100"), "100 / 25"),  # an integer keeps its zeros
        (None, " / 25"),
    ]:
        assert render(page, p=points, m=Decimal("25.00")) == shown, points
    with translation.override("de"):
        assert render("{{ p|points }}", p=Decimal("17.50")) == "17,5"
