"""The cached course outline: what each role sees, and every kind of change shows at once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from access import policy
from lessons.models import Lesson, LessonCompletion, Module
from lessons.outline import course_outline

pytestmark = pytest.mark.django_db


def outline_titles(client, course) -> str:
    return client.get(course.get_absolute_url()).content.decode()


@pytest.mark.parametrize("persona", ["bob", "grace", "alice"])
def test_the_outline_lists_what_the_policy_lets_each_role_see(pyweb, persona, request):
    user = request.getfixturevalue(persona)
    course = pyweb.course
    for _ in range(2):  # built, then from the cache: the same answer
        listed = {lesson.pk for lesson in course_outline(user, course).lessons}
        visible = policy.scope(user, policy.VIEW, Lesson.objects.filter(module__course=course))
        assert listed == set(visible.values_list("pk", flat=True))
    assert (pyweb.draft_lesson.pk in listed) == (persona == "alice")


def test_a_lesson_edited_shows_on_the_next_visit(client, pyweb, bob):
    client.force_login(bob)
    assert "Lesson 1.1" in outline_titles(client, pyweb.course)
    lesson = pyweb.lessons[0]
    lesson.title = "Routing, revised"
    lesson.save()
    page = outline_titles(client, pyweb.course)
    assert "Routing, revised" in page and "Lesson 1.1" not in page


def test_publishing_in_the_back_office_shows_at_once(client, pyweb, alice, bob):
    student, teacher = client, type(client)()
    student.force_login(bob)
    teacher.force_login(alice)
    assert "Draft lesson" not in outline_titles(student, pyweb.course)
    teacher.post(
        reverse("admin:lessons_lesson_changelist"),
        {"action": "publish", "_selected_action": [pyweb.draft_lesson.pk]},
    )
    assert "Draft lesson" in outline_titles(student, pyweb.course)
    teacher.post(
        reverse("admin:lessons_module_changelist"),
        {"action": "unpublish", "_selected_action": [pyweb.modules[0].pk]},
    )
    assert "Lesson 1.1" not in outline_titles(student, pyweb.course)


def test_deleting_and_reordering_show_at_once(client, pyweb, alice, bob):
    teacher = type(client)()
    teacher.force_login(alice)
    client.force_login(bob)
    assert "Lesson 1.2" in outline_titles(client, pyweb.course)
    teacher.post(
        reverse("admin:lessons_lesson_changelist"),
        {"action": "delete_selected", "_selected_action": [pyweb.lessons[1].pk], "post": "yes"},
    )
    assert not Lesson.objects.filter(pk=pyweb.lessons[1].pk).exists()
    assert "Lesson 1.2" not in outline_titles(client, pyweb.course)
    teacher.post(
        reverse("admin:lessons_module_changelist"),
        {"action": "move_down", "_selected_action": [pyweb.modules[0].pk]},
    )
    assert Module.objects.get(pk=pyweb.modules[0].pk).order == 2
    page = outline_titles(client, pyweb.course)
    assert page.index("Module 2") < page.index("Module 1")


def sidebar(client, lesson) -> str:
    page = client.get(lesson.get_absolute_url()).content.decode()
    start = page.index('<ol class="list-unstyled mb-0 course-outline">')
    return page[start : page.index("</ol>", start)]


def test_the_lesson_sidebar_shows_each_persons_own_ticks_and_current_lesson(
    client, pyweb, alice, bob
):
    """The sidebar's pieces are shared by everyone who sees the same outline
    (lessons/fragments.py); the ticks, the current lesson and drafts stay each person's."""
    first, second = pyweb.lessons[0], pyweb.lessons[1]
    LessonCompletion.objects.create(user=bob, lesson=first)
    teacher = type(client)()
    teacher.force_login(alice)
    client.force_login(bob)
    for _ in range(2):  # built, then from the kept pieces: the same answer
        mine = sidebar(client, second)
        assert f'data-lesson="{first.pk}"><a href="{first.get_absolute_url()}">' in mine
        assert f'data-lesson="{second.pk}"><span aria-current="page"' in mine
        assert mine.count('class="tick text-success"') == 1  # the one bob completed
        # Said in words to screen readers (an aria-label on a plain span is not read).
        tick = mine.split('class="tick text-success"', 1)[1].split("</li>", 1)[0]
        assert '<span class="visually-hidden">completed</span>' in tick
        assert "Draft lesson" not in mine
        theirs = sidebar(teacher, first)
        assert 'class="tick text-success"' not in theirs  # alice completed nothing
        assert f'data-lesson="{first.pk}"><span aria-current="page"' in theirs
        assert "Draft lesson" in theirs


def test_the_sidebar_escapes_titles_and_follows_every_change(client, pyweb, bob):
    client.force_login(bob)
    first, second = pyweb.lessons[0], pyweb.lessons[1]
    assert "Lesson 1.1" in sidebar(client, second)
    first.title = '<script>alert("x")</script> & more'
    first.save()
    html = sidebar(client, second)
    assert "<script>" not in html and "Lesson 1.1" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in html


def ticks_and_bars(client, course) -> tuple[int, list[str]]:
    page = client.get(course.get_absolute_url()).content.decode()
    start = page.index('id="modules-heading"')
    modules = page[start : page.index("</section>", start)]
    bars = re.findall(r'data-progress="module-\d+">\s*<div [^>]*aria-valuetext="([^"]+)"', modules)
    return modules.count('class="badge text-bg-success rounded-pill tick"'), bars


def test_the_course_page_modules_show_each_persons_own_progress(client, pyweb, alice, bob):
    """The modules are rendered once per outline (lessons/fragments.py course_modules);
    each person's progress bars and ticks are their own, drafts only the teacher's."""
    LessonCompletion.objects.create(user=bob, lesson=pyweb.lessons[0])
    teacher = type(client)()
    teacher.force_login(alice)
    client.force_login(bob)
    for _ in range(2):  # rendered, then from the kept parts: the same answer
        ticks, bars = ticks_and_bars(client, pyweb.course)
        assert ticks == 1 and bars[0].startswith("1 of ")
        assert all(bar.startswith("0 of ") for bar in bars[1:])
        ticks, bars = ticks_and_bars(teacher, pyweb.course)
        assert ticks == 0 and all(bar.startswith("0 of ") for bar in bars)
    assert "Draft lesson" in teacher.get(pyweb.course.get_absolute_url()).content.decode()
    assert "Draft lesson" not in client.get(pyweb.course.get_absolute_url()).content.decode()


def test_titles_and_summaries_cannot_forge_a_tick_or_a_bar(client, pyweb, bob):
    client.force_login(bob)
    module, lesson = pyweb.modules[0], pyweb.lessons[1]
    module.title = f"<!--slot:t{lesson.pk}--> Routing"
    module.summary = f"Intro <!--slot:t{lesson.pk}--> and <!--slot:p{module.pk}-->"
    module.save()
    ticks, bars = ticks_and_bars(client, pyweb.course)
    assert ticks == 0 and len(bars) == len(course_outline(bob, pyweb.course).modules)
    page = client.get(pyweb.course.get_absolute_url()).content.decode()
    assert f"&lt;!--slot:t{lesson.pk}--&gt; Routing" in page


def test_a_module_without_lessons_says_so_outside_the_numbered_list(client, pyweb, alice):
    """Probe 44: "No lessons yet." was an item of the numbered list, read as lesson "1."."""
    module = Module.objects.create(course=pyweb.course, title="Week 9: Graphs", order=9)
    client.force_login(alice)
    page = client.get(pyweb.course.get_absolute_url()).content.decode()
    card = page[page.index(f'id="module-{module.pk}"') :]
    card = card[: card.index("</article>")]
    assert "No lessons yet." in card
    assert "<ol" not in card and "<li" not in card
