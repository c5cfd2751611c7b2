// Project pages: an upload size check. (Times are rendered by the server, in the
// site's time zone with its abbreviation: one zone per page, never the browser's.)
// Loaded with `defer` by several partials, so every step is idempotent.
(function () {
  "use strict";

  function formatBytes(n, digits) {
    var units = ["bytes", "KB", "MB", "GB"], i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(digits || 1).replace(/\.0+$/, "")) + " " + units[i];
  }

  // Show the chosen file's size against the limit and stop an oversized upload
  // before it is sent (the server checks again).
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    if (input.dataset.sizeWatched) return;
    input.dataset.sizeWatched = "1";
    var form = input.form;
    var box = form && form.querySelector("#upload-size");
    var button = form && form.querySelector("[type=submit]");
    var limit = parseInt(input.dataset.maxBytes, 10);
    if (!box) return;
    var bar = box.querySelector(".progress-bar");
    var text = box.querySelector(".upload-size-text");
    var progress = box.querySelector(".progress");
    // A file too large marks the field (the message tied to it) and stops the sending
    // with the focus there. Submit was disabled instead: out of the tab order, with
    // nothing said to a keyboard's user, and "20 MB of at most 20 MB" (probe 39).
    text.id = text.id || "upload-size-text";
    var tooBig = false;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      tooBig = Boolean(file) && file.size > limit;
      if (tooBig) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", text.id);
      } else {
        input.removeAttribute("aria-invalid");
      }
      if (!file) { box.hidden = true; return; }
      var percent = Math.min(100, Math.round(file.size / limit * 100));
      var digits = formatBytes(file.size) === formatBytes(limit) ? 2 : 1;
      box.hidden = false;
      bar.style.width = percent + "%";
      bar.className = "progress-bar" + (tooBig ? " bg-danger" : "");
      progress.setAttribute("aria-valuenow", String(percent));
      text.textContent = file.name + ": " + formatBytes(file.size, digits) + " of at most " +
        formatBytes(limit, digits) +
        (tooBig ? ". This file is too large: remove build folders or dependencies and zip again." : ".");
      text.className = "upload-size-text" + (tooBig ? " text-danger fw-semibold" : "");
    });
    // In the capture phase: before site.js's data-once marks the form as sending.
    form.addEventListener("submit", function (event) {
      if (tooBig) {
        event.preventDefault();
        input.focus();
      }
    }, true);
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      if (button && input.files && input.files.length) {
        button.disabled = true;
        button.textContent = "Uploading…";
      }
    });
  });
})();
