"""The project starts: Django's checks pass, the migrations match the models, / opens."""

import pytest
from django.core.management import call_command


def test_django_checks_pass():
    # Raises SystemCheckError, listing the problems, if any check reports an error.
    call_command("check", fail_level="ERROR")


@pytest.mark.django_db
def test_the_migrations_match_the_models():
    try:
        call_command("makemigrations", check=True, dry_run=True, verbosity=0)
    except SystemExit:
        pytest.fail(
            "Some models changed without a migration: run `python manage.py makemigrations` "
            "and commit the new files."
        )


@pytest.mark.django_db
def test_the_home_page_opens(client):
    response = client.get("/", follow=True)
    assert response.status_code == 200, f"/ answered {response.status_code}"
