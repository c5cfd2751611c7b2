// Names each autocomplete box of the back office for screen readers. select2 draws a
// combobox labelled only by the value it shows, so the box of a new inline row (no value
// yet) had no name at all (axe: aria-input-field-name). Its field's label, or its
// column's heading in a table of rows, is put first in the box's aria-labelledby.
(function () {
  "use strict";
  let made = 0;

  function labelOf(select) {
    const label = select.id && document.querySelector('label[for="' + select.id + '"]');
    if (label && label.textContent.trim()) return label.textContent.trim();
    const cell = select.closest("td");
    const table = cell && cell.closest("table");
    if (!table) return "";
    const index = Array.prototype.indexOf.call(cell.parentElement.children, cell);
    const heading = table.querySelectorAll("thead th")[index];
    return heading ? heading.textContent.trim() : "";
  }

  function name(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const next = select.nextElementSibling;
      const box = next && next.querySelector(".select2-selection");
      if (!box || box.dataset.named) return;
      const text = labelOf(select);
      if (!text) return;
      const hidden = document.createElement("span");
      hidden.id = "autocomplete-name-" + ++made;
      hidden.hidden = true;
      hidden.textContent = text;
      next.appendChild(hidden);
      const current = box.getAttribute("aria-labelledby");
      box.setAttribute("aria-labelledby", hidden.id + (current ? " " + current : ""));
      // The box's text holder is a read-only textbox of its own: named alike.
      const shown = box.querySelector(".select2-selection__rendered");
      if (shown) shown.setAttribute("aria-labelledby", hidden.id);
      box.dataset.named = "1";
    });
  }

  // After Django's autocomplete.js has drawn the boxes: on jQuery's ready, whose handlers
  // run in turn after the load event at times (this file comes after autocomplete.js, so
  // its handler runs after Django's), and for each row added.
  function later() { setTimeout(function () { name(document); }, 0); }
  if (window.django && window.django.jQuery) window.django.jQuery(later);
  window.addEventListener("load", later);
  document.addEventListener("formset:added", function (event) {
    setTimeout(function () { name(event.target); }, 0);
  });
})();
