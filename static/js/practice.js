// Answer a lesson's questions without a page reload. Without this script the forms
// still work: they post, and the server sends the page back to the question.
(function () {
  "use strict";

  function updateQuizBar(quiz) {
    var wrapper = document.querySelector('[data-progress="quiz"]');
    if (!wrapper) return;
    var bar = wrapper.querySelector('[role="progressbar"]');
    var fill = wrapper.querySelector(".progress-bar");
    var text = wrapper.querySelector(".progress-text");
    bar.setAttribute("aria-valuenow", quiz.percent);
    bar.setAttribute("aria-valuetext", quiz.done + " of " + quiz.total + " questions right");
    fill.style.width = quiz.percent + "%";
    fill.classList.toggle("bg-success", quiz.total > 0 && quiz.done >= quiz.total);
    if (text) text.textContent = quiz.done + "/" + quiz.total + " · " + quiz.percent + "%";
  }

  function bind(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var error = form.querySelector(".answer-error");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form), // carries the form's csrfmiddlewaretoken
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          if (response.status === 400) {
            return response.json().then(function (data) {
              // A message for the student (no choice picked, not a number): the answer
              // stays in the form to correct.
              if (error) error.textContent = data.error;
              button.disabled = false;
              // The fields are marked and tied to the message, and the focus goes back
              // to the first one (the disabled button had dropped it).
              var fields = form.querySelectorAll("input[type=radio], input[type=checkbox], input[type=text], textarea");
              fields.forEach(function (field) {
                field.setAttribute("aria-invalid", "true");
                if (!error || !error.id) return;
                // The message first, then what the field had (the question's prompt).
                var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
                  return id && id !== error.id;
                });
                field.setAttribute("aria-describedby", [error.id].concat(described).join(" "));
              });
              if (fields.length) fields[0].focus();
              return null;
            });
          }
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json().then(function (data) {
            var section = form.closest(".practice-question");
            var holder = document.createElement("div");
            holder.innerHTML = data.html.trim();
            var fresh = holder.firstElementChild;
            section.replaceWith(fresh);
            if (window.coursesite) window.coursesite.addCopyButtons(fresh);
            var newForm = fresh.querySelector("form.js-answer");
            if (newForm) bind(newForm);
            updateQuizBar(data.quiz);
            // "Pass this lesson's quiz first: you have 0 of 2 right", from marking it too
            // early, is out of date once a question is answered: the bar says where the
            // quiz stands (probe 114: it kept its count until the quiz was passed).
            document.querySelectorAll('[data-message~="quiz-first"]').forEach(function (alert) { alert.remove(); });
            // A required quiz no answer can pass any more: said where the quiz is.
            var lost = document.getElementById("quiz-lost");
            if (lost && data.quiz.lost) { lost.textContent = data.quiz.lost; lost.hidden = false; }
            // Passed with this answer: the lesson is still to be marked complete. Said
            // where the focus is too (the notice is above the quiz, out of sight, and a
            // screen reader heard only "Right!": probe 109).
            var passed = document.getElementById("quiz-passed");
            if (passed) {
              var newly = passed.hidden && data.quiz.passed;
              passed.hidden = !data.quiz.passed;
              var status = document.getElementById("complete-status");
              if (newly && status) status.textContent = passed.textContent.trim();
            }
            var result = fresh.querySelector(".answer-result");
            if (result) {
              result.setAttribute("tabindex", "-1");
              result.focus();
            }
            return null;
          });
        })
        .catch(function () {
          // Anything unexpected (expired session, network): fall back to the plain form.
          form.submit();
        });
    });
  }

  document.querySelectorAll("form.js-answer").forEach(bind);
})();
