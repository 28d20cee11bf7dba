/* Quiz attempt page: autosave and the countdown. The page works without this
 * script (plain form POSTs); the server is the authority on time: it closes
 * the attempt at the deadline whatever this clock says. */
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form) { return; }
  var statusLine = document.getElementById("quiz-save-status");
  var saveUrl = form.getAttribute("data-save-url");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var texts = {
    saving: form.getAttribute("data-text-saving") || "",
    saved: form.getAttribute("data-text-saved") || "",
    offline: form.getAttribute("data-text-offline") || "",
    timeUp: form.getAttribute("data-text-time-up") || ""
  };
  var dirty = false;
  var saving = false;
  var submitting = false;
  var debounce = null;
  var deadline = null;

  function say(text, isError) {
    if (!statusLine) { return; }
    statusLine.textContent = text;
    statusLine.classList.toggle("is-error", !!isError);
  }

  function collectAnswers() {
    var data = new FormData(form);
    var answers = {};
    data.forEach(function (value, key) {
      if (key.indexOf("q-") !== 0) { return; }
      var id = key.slice(2);
      (answers[id] = answers[id] || []).push(String(value));
    });
    return answers;
  }

  function save() {
    if (saving || submitting || !dirty) { return; }
    saving = true;
    dirty = false;
    say(texts.saving);
    fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify({ answers: collectAnswers() })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (reply) {
      if (reply.status === 409 && reply.body.result_url) {
        window.location.assign(reply.body.result_url);
        return;
      }
      if (!reply.body.saved) {
        say(reply.body.error || texts.offline, true);
        return;
      }
      say(texts.saved);
      if (typeof reply.body.remaining_seconds === "number") { setDeadline(reply.body.remaining_seconds); }
    }).catch(function () {
      dirty = true; // try again on the next change or tick
      say(texts.offline, true);
    }).then(function () { saving = false; });
  }

  function changed() {
    dirty = true;
    window.clearTimeout(debounce);
    debounce = window.setTimeout(save, 1200);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  form.addEventListener("submit", function () {
    submitting = true;
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
    }, 0);
  });
  window.setInterval(function () { if (dirty) { save(); } }, 20000);

  // --- countdown ---
  var timer = document.getElementById("quiz-timer");
  var timerValue = document.getElementById("quiz-timer-value");

  function setDeadline(seconds) { deadline = Date.now() + seconds * 1000; }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    timerValue.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
    timer.classList.toggle("is-low", left <= 60);
    if (left === 0 && !submitting) {
      submitting = true;
      say(texts.timeUp);
      form.submit(); // posts the answers on screen; the server accepts them within its grace period
    }
  }

  if (timer && timerValue) {
    setDeadline(parseInt(timer.getAttribute("data-remaining"), 10) || 0);
    tick();
    window.setInterval(tick, 1000);
  }
}());
