// Grading pages: rubric levels fill the score, a live total, drafts saved while the
// grader types, and line numbers that fill the comment form. Without this script
// every form still posts as usual.
(function () {
  "use strict";

  var form = document.getElementById("rubric-form");

  // Rubric levels are radio buttons: picking one copies its points into the score,
  // and typing a score checks the level worth exactly that much (or none).
  function syncLevels(input) {
    document.querySelectorAll('[data-target="' + input.id + '"]').forEach(function (radio) {
      radio.checked = input.value !== "" && parseFloat(radio.dataset.levelPoints) === parseFloat(input.value);
    });
  }
  document.querySelectorAll("input[data-level-points]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      var input = document.getElementById(radio.dataset.target);
      if (!input || input.disabled || !radio.checked) return;
      input.value = radio.dataset.levelPoints;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // The total while scoring; the server computes the real one when it saves. A score it
  // would refuse (below 0, over its maximum, more than 2 decimals, not a number) is left
  // out, and the line says so: 30 points of 25 were added in (probe 95).
  var live = document.getElementById("live-total");
  function invalid(input) {
    // The field's own min, max and step (0.01 from 0): the server's rules.
    var v = input.validity;
    return v.badInput || v.rangeUnderflow || v.rangeOverflow || v.stepMismatch;
  }
  function updateTotal() {
    if (!live || !form) return;
    var total = 0;
    var left = 0;
    form.querySelectorAll("input.score").forEach(function (input) {
      if (invalid(input)) { left += 1; return; }
      var value = parseFloat(input.value);
      if (!isNaN(value)) total += value;
    });
    total = Math.round(total * 100) / 100;
    document.getElementById("live-total-value").textContent = String(total);
    var note = document.getElementById("live-total-invalid");
    note.hidden = left === 0;
    note.textContent = left === 0 ? "" : ", not counting " + (left === 1 ? "1 score that is" : left + " scores that are") +
      " not valid (points go from 0 to the criterion’s maximum, with at most 2 decimals)";
    // Shown while it differs from the saved total above it, or leaves a score out. Past
    // the maximum it cannot go: no score counted is over its criterion's.
    var saved = document.getElementById("total");
    live.hidden = Boolean(saved) && parseFloat(saved.dataset.saved) === total && left === 0;
  }
  if (form) {
    form.querySelectorAll("input.score").forEach(function (input) {
      input.addEventListener("input", function () { syncLevels(input); updateTotal(); });
    });
    updateTotal();
  }

  // Drafts: a few seconds after typing stops, what the form holds is saved. Only for
  // reviews in progress: a completed review changes when its grader completes it again.
  var status = document.getElementById("draft-status");
  var DELAY = 2000;
  var timer = null;
  var dirty = false;
  var saving = false;
  var stopped = false; // the review is no longer this grader's: nothing more is sent
  var pressed = null; // {button}: pressed while a draft was being saved
  var leaving = null; // the address of a link followed while a draft was pending
  var sending = null; // {form, button}: another form sent while a draft was pending
  // Changes the server has not stored: typed since the last draft saved, or in a draft
  // it refused. Leaving the page then asks first (probe 95: a score of 30 of 25
  // refused every draft, and a closed tab lost all the feedback typed since).
  var unsaved = false;
  function say(text) { if (status) status.textContent = text; }

  function save(keepalive) {
    timer = null;
    if (stopped) return;
    if (saving) { timer = setTimeout(save, DELAY); return; }
    dirty = false;
    saving = true;
    // Carries the form's csrfmiddlewaretoken, and the version of the review this page
    // last saved or showed: the server refuses it if another tab saved since.
    var body = new FormData(form);
    say("Saving draft…");
    fetch(form.dataset.draftUrl, {
      method: "POST",
      body: body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      keepalive: !!keepalive,
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          // The login page, or an error page: the session ended or access changed.
          throw new Error("signed out");
        }
        return response.json();
      })
      .then(function (data) {
        if (data.saved) {
          form.elements.version.value = data.version; // "Save draft" sends it too
          if (form.elements.shown_marks) form.elements.shown_marks.value = JSON.stringify(data.shown);
          // Another grader's change made meanwhile, kept with this draft: shown here, so
          // the next draft keeps it too.
          Object.keys(data.merged || {}).forEach(function (name) {
            var field = form.elements[name];
            if (field) { field.value = data.merged[name]; if (field.classList.contains("score")) { syncLevels(field); updateTotal(); } }
          });
          // The saved total above the form is the draft's now (it kept the page's first).
          var saved = document.getElementById("total");
          if (saved && data.total !== undefined) {
            var total = Math.round(parseFloat(data.total) * 100) / 100;
            saved.dataset.saved = String(total);
            document.getElementById("saved-total").textContent = String(total);
            updateTotal();
          }
          say("Draft saved " + data.at + (data.note ? ". " + data.note : ""));
          unsaved = dirty; // typed while this draft was on its way: not in it
          return true;
        } else if (data.gone) {
          // Handed to another grader, deleted, or a role changed: every later draft
          // would be refused the same way. The text stays in the form to copy, and
          // "Save draft" shows it back on a page of its own.
          stopped = true;
          say("Draft not saved: " + data.errors.join(" ") + " What you typed is still on this page: copy it before you leave.");
        } else {
          say("Draft not saved: " + data.errors.join(" "));
        }
      })
      .catch(function () {
        say("Draft not saved: you may be signed out. Press “Save draft”: what you typed is kept while you log in again.");
      })
      .then(function (saved) {
        saving = false;
        // A link followed meanwhile (another file of the tree): opened now that the
        // draft is stored, so its page shows it. Not if it was refused: what was typed
        // stays here, with the message, to keep.
        if (leaving) {
          var href = leaving;
          leaving = null;
          if (saved === true && !dirty) { window.location.assign(href); return; }
          if (saved === true) { save(); leaving = href; return; }
        }
        // Another form sent meanwhile (a line comment): sent now that the draft is stored;
        // refused, it stays here with what was typed in it.
        if (sending) {
          var next = sending;
          sending = null;
          if (saved === true && !dirty) {
            if (next.button) next.form.requestSubmit(next.button); else next.form.requestSubmit();
            return;
          }
          if (saved === true) { sending = next; save(); return; }
          say(status.textContent + " Nothing else was sent: send it again once the draft is saved.");
        }
        // A button pressed while this draft was on its way: sent now, with its version.
        if (pressed) {
          var button = pressed.button;
          pressed = null;
          if (button) form.requestSubmit(button); else form.requestSubmit();
        }
      });
  }

  if (form && form.dataset.draftUrl) {
    if (form.dataset.autosave === "on") {
      var changed = function () {
        unsaved = true;
        if (stopped) return;
        dirty = true;
        if (timer) clearTimeout(timer);
        timer = setTimeout(save, DELAY);
      };
      form.addEventListener("input", changed);
      form.addEventListener("change", changed);
      form.addEventListener("submit", function (event) {
        if (timer) clearTimeout(timer);
        if (saving) {
          // Sent now, it would carry the version from before this draft, and be refused.
          event.preventDefault();
          pressed = { button: event.submitter || null };
          return;
        }
        dirty = false; // the form itself saves now
        unsaved = false;
      });
      // Following a link of this site (another file of the tree) with a draft not yet
      // stored: the next page was built before the draft arrived, showed the old marks,
      // and took the draft for another tab's (probe 37). It opens once the draft is in.
      document.addEventListener("click", function (event) {
        var link = event.target.closest ? event.target.closest("a[href]") : null;
        if (!link || !(dirty || saving) || stopped || event.defaultPrevented) return;
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        if ((link.target && link.target !== "_self") || link.hasAttribute("download")) return;
        if (link.origin !== window.location.origin) return;
        if (link.pathname === window.location.pathname && link.search === window.location.search) return;
        event.preventDefault();
        leaving = link.href;
        say("Saving draft before opening the page…");
        if (timer) { clearTimeout(timer); timer = null; }
        if (!saving) save();
      });
      // Another form of the page (a line comment) sent likewise: the page it leads to
      // showed the marks from before the draft, and the next draft was refused as
      // "another tab or window" (probe 44). Captured before the form's own listeners
      // (data-once), so it is sent, once, when the draft is in. Held back too after a
      // refused draft: its page would drop what that draft held, and a "leave?" answered
      // "stay" left its button saying "Adding…".
      document.addEventListener("submit", function (event) {
        var other = event.target;
        if (other === form || !(unsaved || saving) || stopped || event.defaultPrevented) return;
        event.preventDefault();
        sending = { form: other, button: event.submitter || null };
        say("Saving draft before sending…");
        if (timer) { clearTimeout(timer); timer = null; }
        if (!saving) save();
      }, true);
      // Leaving the page otherwise with changes not yet saved: sent on the way out.
      window.addEventListener("pagehide", function () { if (dirty) save(true); });
    } else {
      say("This review is completed: changes are saved when you press “Complete review” (or “Save draft” to reopen it).");
      // Nothing saves a completed review by itself: leaving with changes asks first
      // (probe 37: a score changed, a file of the tree clicked, the change gone).
      var mark = function () { unsaved = true; };
      form.addEventListener("input", mark);
      form.addEventListener("change", mark);
      form.addEventListener("submit", function () { unsaved = false; });
    }
    window.addEventListener("beforeunload", function (event) {
      if (!unsaved) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  var lineInput = document.getElementById("id_line");
  document.querySelectorAll(".code-table td.ln a").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!lineInput) return;
      // Following href="#L3" would move the focus to the row, away from the comment box;
      // the address still names the line, and the row is marked as :target would.
      event.preventDefault();
      history.replaceState(null, "", link.hash);
      document.querySelectorAll(".code-table tr.picked").forEach(function (row) {
        row.classList.remove("picked");
      });
      link.closest("tr").classList.add("picked");
      // The line the page opened at (#L2) stays :target, which replaceState does not
      // move: the table says a line is picked, and the CSS then marks that one only.
      link.closest(".code-table").classList.add("has-picked");
      lineInput.value = link.dataset.line;
      var text = document.getElementById("id_text");
      if (text) text.focus();
    });
  });
})();
