// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Copy buttons on code blocks. The button's aria-label names it, so "Copied" is said
  // through a live region of its own. Exposed for HTML added later (practice.js swaps an
  // answered question in).
  var copied = null; // the live region, in the page before anything is said in it
  function announceCopied() {
    copied.textContent = "";
    // A change the reader notices even when the same words are said twice in a row.
    setTimeout(function () { copied.textContent = "Code copied to the clipboard."; }, 50);
  }
  function addCopyButtons(root) {
    if (!navigator.clipboard) return;
    // An exercise's task holds code too (probe 61: it had no Copy button, and a block
    // wider than a phone could not be scrolled from the keyboard).
    root.querySelectorAll(".lesson-body pre, .exercise-task pre").forEach(function (pre) {
      if (pre.querySelector(".copy-code")) return;
      if (!copied) {
        copied = document.createElement("div");
        copied.className = "visually-hidden";
        copied.setAttribute("role", "status");
        copied.id = "copy-status";
        document.body.appendChild(copied);
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-outline-secondary copy-code";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy code to clipboard");
      button.addEventListener("click", function () {
        var code = pre.querySelector("code") || pre;
        navigator.clipboard.writeText(code.innerText).then(function () {
          button.textContent = "Copied";
          announceCopied();
          setTimeout(function () { button.textContent = "Copy"; }, 1500);
        });
      });
      pre.appendChild(button);
    });
  }
  window.coursesite = { addCopyButtons: addCopyButtons };
  addCopyButtons(document);
  // A form sent back with errors: each invalid field is announced as such and tied to
  // its message (where the template did not), and focus goes to the first one, or to
  // the error summary, so keyboard and screen-reader users start where the problem is.
  var invalid = document.querySelectorAll("main .is-invalid");
  invalid.forEach(function (field, index) {
    if (!field.hasAttribute("aria-invalid")) field.setAttribute("aria-invalid", "true");
    var holder = field.closest(".mb-3, .input-group, td, li, div") || field.parentElement;
    var feedback = holder && holder.querySelector(".invalid-feedback");
    if (!feedback) return;
    if (!feedback.id) feedback.id = (field.id || "invalid-" + index) + "-error";
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(feedback.id) < 0) {
      described.push(feedback.id);
      field.setAttribute("aria-describedby", described.join(" "));
    }
  });
  var first = invalid[0] || document.querySelector("main form .alert-danger, main .alert-danger[role=alert]");
  if (first && first.matches("div.is-invalid")) {
    // crispy marks the wrapper of a file input invalid: the input itself takes the focus,
    // so a refused zip is replaced without first pressing Tab (probe 61).
    first = first.querySelector("input:not([type=hidden]), select, textarea") || first;
  }
  if (first && !document.querySelector("[autofocus]")) {
    if (!first.matches("input, select, textarea, button, a")) first.setAttribute("tabindex", "-1");
    first.focus();
  }
  // The message after an action ("Version 1 submitted.", the join code of a new group):
  // in the page when it loads, a screen reader does not read it out by itself (probe 87:
  // a student heard nothing after joining a group). The focus goes to it, as to an
  // error; where the page puts the focus or the view elsewhere (a field, an address's
  // #versions), its words are said in a live region added for them instead.
  var said = document.getElementById("messages");
  if (said && said.querySelector(".alert") && !first) {
    if (!location.hash && !document.querySelector("[autofocus]")) {
      said.setAttribute("tabindex", "-1");
      said.focus();
    } else {
      var echo = document.createElement("div");
      echo.className = "visually-hidden";
      echo.id = "messages-said";
      echo.setAttribute("role", "status");
      document.body.appendChild(echo);
      // Filled once the region is known to the screen reader: a change is what it says.
      setTimeout(function () { echo.textContent = said.innerText; }, 500);
    }
  }
  // Confirmation for dangerous forms: <form data-confirm="...">.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // After the confirmations (a cancelled one sends nothing). Forms that create
  // something, sent once: <form data-once="Submitting…">. A double
  // click on "Submit" made two versions of the same zip. Sent again after Back (the
  // page restored from the browser's cache), the button works again.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      if (form.dataset.sending) {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      form.setAttribute("aria-busy", "true");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.dataset.label = button.textContent;
        button.textContent = form.dataset.once;
      });
    });
  });
  // Escape closes the phone's open menu and gives the focus back to its button, as it
  // closes the account menu inside it (probe 39: the menu stayed open).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !window.bootstrap) return;
    var menu = document.querySelector(".navbar-collapse.show");
    if (!menu || document.querySelector(".navbar .dropdown-menu.show")) return;
    window.bootstrap.Collapse.getOrCreateInstance(menu, { toggle: false }).hide();
    var toggler = document.querySelector('[data-bs-target="#' + menu.id + '"]');
    if (toggler) toggler.focus();
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-once][data-sending]").forEach(function (form) {
      delete form.dataset.sending;
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        if (button.dataset.label) button.textContent = button.dataset.label;
        button.disabled = false; // a page's own script may have disabled it while sending
      });
    });
  });
})();
