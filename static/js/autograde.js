// The automated tests block of a project page, while its tests are queued or running:
// ask the server for the block every few seconds (a little less often as time goes
// by) and swap it in when the run's status changes, so results appear without a
// reload. The block stops carrying data-poll-url once the run has ended.
(() => {
  "use strict";

  const FIRST_DELAY = 2000;
  const LONGEST_DELAY = 15000;

  async function poll(section, delay) {
    let next = section;
    let ended = false;
    try {
      const response = await fetch(section.dataset.pollUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const data = await response.json();
        ended = !data.pending;
        if (data.html && data.status !== section.dataset.runStatus) {
          const template = document.createElement("template");
          template.innerHTML = data.html.trim();
          next = template.content.firstElementChild;
          section.replaceWith(next);
          const status = next.querySelector("[data-run-status]");
          const live = document.getElementById("autograde-live");
          if (live && status) live.textContent = `Automated tests: ${status.textContent}.`;
        }
      }
    } catch (error) {
      // The network or the server hiccuped: ask again later.
    }
    if (!ended && next.dataset.pollUrl) {
      window.setTimeout(() => poll(next, Math.min(delay * 1.5, LONGEST_DELAY)), delay);
    }
  }

  const section = document.querySelector("#autograde[data-poll-url]");
  if (section) {
    // Screen readers hear the new status: the block itself is replaced, not updated.
    const live = document.createElement("p");
    live.id = "autograde-live";
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    section.after(live);
    window.setTimeout(() => poll(section, FIRST_DELAY), FIRST_DELAY);
  }
})();
