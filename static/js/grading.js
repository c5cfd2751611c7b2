// Grading pages: level buttons fill the score, line numbers fill the comment form.
(function () {
  "use strict";
  // Level buttons are toggle buttons: the one matching the score is announced as pressed
  // (aria-pressed), whether it was clicked, chosen with Enter/Space, or typed.
  var levels = document.querySelectorAll("[data-level-points]");
  function showPressed(input) {
    levels.forEach(function (button) {
      if (button.dataset.target !== input.id) return;
      var pressed = input.value !== "" && Number(input.value) === Number(button.dataset.levelPoints);
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      button.classList.toggle("active", pressed);
    });
  }
  levels.forEach(function (button) {
    var input = document.getElementById(button.dataset.target);
    if (!input) return;
    button.addEventListener("click", function () {
      if (input.disabled) return;
      input.value = button.dataset.levelPoints;
      input.dispatchEvent(new Event("change"));
    });
    if (!input.dataset.levelsWatched) {
      input.dataset.levelsWatched = "1";
      input.addEventListener("change", function () { showPressed(input); });
      input.addEventListener("input", function () { showPressed(input); });
    }
    showPressed(input);
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
