// "Mark as complete" without a page reload. The form still works without this
// script: it posts and the server redirects back with a message.
(function () {
  "use strict";

  function updateBar(key, progress) {
    var wrapper = document.querySelector('[data-progress="' + key + '"]');
    if (!wrapper) return;
    var bar = wrapper.querySelector('[role="progressbar"]');
    var fill = wrapper.querySelector(".progress-bar");
    var text = wrapper.querySelector(".progress-text");
    bar.setAttribute("aria-valuenow", progress.percent);
    bar.setAttribute("aria-valuetext", progress.done + " of " + progress.total + " lessons completed");
    fill.style.width = progress.percent + "%";
    fill.classList.toggle("bg-success", progress.total > 0 && progress.done >= progress.total);
    if (text) text.textContent = progress.done + "/" + progress.total + " · " + progress.percent + "%";
  }

  document.querySelectorAll("form.js-complete").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var field = form.querySelector('input[name="completed"]');
      var status = document.getElementById("complete-status");
      // aria-disabled, not disabled: a disabled button drops keyboard focus to <body>,
      // and the next Enter (to undo) would go nowhere.
      if (button.getAttribute("aria-disabled") === "true") return;
      button.setAttribute("aria-disabled", "true");
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),  // carries the csrfmiddlewaretoken of the form
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          field.value = data.completed ? "0" : "1";
          button.textContent = data.completed ? button.dataset.labelDone : button.dataset.labelTodo;
          button.classList.toggle("btn-success", data.completed);
          button.classList.toggle("btn-outline-success", !data.completed);
          updateBar("course", data.course);
          updateBar("module-" + data.module.id, data.module);
          var tick = document.querySelector('.course-outline [aria-current="page"] ~ .tick');
          if (tick) tick.classList.toggle("d-none", !data.completed);
          // "Quiz passed: … until you mark it" is done with once marked, back if undone.
          var passed = document.getElementById("quiz-passed");
          if (passed && data.completed) {
            passed.dataset.markedAway = passed.hidden ? "" : "1";
            passed.hidden = true;
          } else if (passed && passed.dataset.markedAway === "1") {
            passed.hidden = false;
          }
          if (status) status.textContent = data.message;
          button.removeAttribute("aria-disabled");
        })
        .catch(function () {
          // Anything unexpected (expired session, network): fall back to the plain form.
          form.submit();
        });
    });
  });
})();
