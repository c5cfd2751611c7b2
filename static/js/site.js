// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Copy buttons on code blocks.
  document.querySelectorAll(".lesson-body pre").forEach(function (pre) {
    if (!navigator.clipboard) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-secondary copy-code";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code to clipboard");
    button.addEventListener("click", function () {
      var code = pre.querySelector("code") || pre;
      navigator.clipboard.writeText(code.innerText).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      });
    });
    pre.appendChild(button);
  });
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
  if (first && !document.querySelector("[autofocus]")) {
    if (!first.matches("input, select, textarea, button, a")) first.setAttribute("tabindex", "-1");
    first.focus();
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
