"""Helpers shared by the browser tests of every app."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the real form of the live server at BASE_URL."""
    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.click("#login-btn")
    expect(page.locator("#who")).to_have_text(username)


# Accessibility ------------------------------------------------------------------
# axe-core runs inside the page (axe-playwright-python bundles axe.min.js: no network).
WIDTHS = {"desktop": 1280, "phone": 375}
BLOCKING = {"serious", "critical"}  # WCAG 2.1 AA: none of these is acceptable


def axe_violations(page: Page) -> list[str]:
    """Return axe-core's serious and critical WCAG 2.1 AA violations on PAGE, described."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "resultTypes": ["violations"],
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        },
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:6])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def assert_accessible(page: Page) -> None:
    """Fail if axe-core finds any serious or critical violation on PAGE (WCAG 2.1 AA)."""
    violations = axe_violations(page)
    assert not violations, f"{page.url}:\n" + "\n".join(violations)


# The innermost elements sticking out past the right edge of the viewport, to name them.
WIDEST_JS = """() => {
  const width = document.documentElement.clientWidth, out = [];
  const sticksOut = (el) => el.getBoundingClientRect().right > width + 1;
  for (const el of document.querySelectorAll("body *")) {
    if (sticksOut(el) && ![...el.children].some(sticksOut)) {
      const id = el.id ? "#" + el.id : "";
      out.push(el.tagName.toLowerCase() + id + "." + [...el.classList].join("."));
    }
    if (out.length >= 5) break;
  }
  return out;
}"""


def _width_problems(page: Page, label: str, width: int) -> list[str]:
    """Return axe's blocking violations on PAGE and any sideways scroll, at WIDTH."""
    problems = [f"{label} at {width}px: {v}" for v in axe_violations(page)]
    # Wide content scrolls inside its own box (tables), never the whole page.
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        problems.append(
            f"{label} at {width}px scrolls sideways by {overflow}px: "
            + ", ".join(page.evaluate(WIDEST_JS))
        )
    return problems


def check_pages(page: Page, base_url: str, paths: dict[str, str], artifacts) -> None:
    """Open each of PATHS at desktop and phone widths: axe-clean, no sideways scroll, a shot.

    PATHS maps a screenshot name to a path of the site. Every page is checked before
    the test fails, so one run lists every problem.
    """
    problems = []
    for width_name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in paths.items():
            response = page.goto(f"{base_url}{path}")
            assert response is not None and response.status < 400, (path, response)
            page.screenshot(path=artifacts / f"a11y-{name}-{width_name}.png", full_page=True)
            problems += _width_problems(page, path, width)
    assert not problems, "\n".join(problems)


def check_here(page: Page, name: str, artifacts) -> None:
    """Check the page PAGE shows now, as it is, at desktop then phone width, with a shot each.

    Nothing is reloaded: a page reached by a form (a report, a message shown once) is
    checked in the state its user sees. The viewport goes back to desktop width after.
    """
    problems = []
    for width_name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=artifacts / f"week-{name}-{width_name}.png", full_page=True)
        problems += _width_problems(page, f"{name} ({page.url})", width)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
    assert not problems, "\n".join(problems)


def visit(page: Page, url: str, name: str, artifacts) -> None:
    """Open URL on PAGE and check it as ``check_here`` does (axe, no sideways scroll, shots)."""
    response = page.goto(url)
    assert response is not None and response.status < 400, (url, response)
    check_here(page, name, artifacts)
