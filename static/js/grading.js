// Grading pages: level buttons fill the score, line numbers fill the comment form.
(function () {
  "use strict";
  document.querySelectorAll("[data-level-points]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.target);
      if (!input || input.disabled) return;
      input.value = button.dataset.levelPoints;
      input.dispatchEvent(new Event("change"));
    });
  });
  var lineInput = document.getElementById("id_line");
  document.querySelectorAll(".code-table td.ln a").forEach(function (link) {
    link.addEventListener("click", function () {
      if (!lineInput) return;
      lineInput.value = link.dataset.line;
      var text = document.getElementById("id_text");
      if (text) text.focus();
    });
  });
})();
