/* Module page: the study clock. Sends a heartbeat while the page is visible
 * and the learner is active; the server measures the time (each heartbeat
 * credits at most the real time since the previous one), so a reload, a
 * second tab or a lost connection can never count twice. When the lesson is
 * done, the step list is refreshed in place. */
(function () {
  "use strict";
  var box = document.getElementById("study-clock");
  if (!box || box.getAttribute("data-done") === "1" || !window.fetch) { return; }
  var url = box.getAttribute("data-heartbeat-url");
  var interval = Math.max(1, parseFloat(box.getAttribute("data-interval")) || 30) * 1000;
  var idleAfter = Math.max(1, parseFloat(box.getAttribute("data-idle")) || 180) * 1000;
  var csrf = box.querySelector("input[name=csrfmiddlewaretoken]").value;
  var remaining = document.getElementById("study-remaining");
  var statusLine = document.getElementById("study-status");
  var idleBox = document.getElementById("study-idle");
  var resume = document.getElementById("study-resume");
  var texts = {
    offline: box.getAttribute("data-text-offline"),
    paused: box.getAttribute("data-text-paused"),
    idle: box.getAttribute("data-text-idle"),
    counting: box.getAttribute("data-text-counting")
  };
  var lastActive = Date.now();
  var idle = false;
  var stopped = false;
  var start = true;   // the next heartbeat (re)starts the clock: the time before it is not counted
  var inFlight = false;
  var timer = null;
  var retry = null;

  function say(text, isError) {
    if (!statusLine || !text) { return; }
    statusLine.textContent = text;
    statusLine.classList.toggle("is-error", !!isError);
  }

  function visible() { return document.visibilityState !== "hidden"; }

  function stop() {
    stopped = true;
    window.clearInterval(timer);
    window.clearTimeout(retry);
  }

  function mediaPlaying() {
    // Watching the lesson's video is study without input: a playing video keeps the learner active, and so
    // does an embedded player (YouTube, Vimeo) that video.js marks as playing from the player's own messages.
    if (document.querySelector("iframe[data-study-playing]")) { return true; }
    var media = document.querySelectorAll("video, audio");
    for (var i = 0; i < media.length; i++) {
      if (!media[i].paused && !media[i].ended) { return true; }
    }
    return false;
  }

  function goIdle() {
    idle = true;
    start = true;
    idleBox.hidden = false;
    say(texts.idle, false);
  }

  function refreshSteps() {
    // The lesson is done: show the new step list and next step without a reload (a GET records nothing new).
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["next-step", "study-clock", "module-steps"].forEach(function (id) {
          var now = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (now && next) { now.replaceWith(document.importNode(next, true)); }
        });
      })
      .catch(function () { /* the answer already said "done"; the next visit shows the steps */ });
  }

  function show(body) {
    remaining.textContent = body.text;
    if (body.lesson_done) {
      stop();
      refreshSteps();
    } else {
      say(texts.counting, false);
    }
  }

  function beat() {
    if (stopped || inFlight) { return; }
    if (!visible()) { start = true; say(texts.paused, false); return; }
    if (idle) { return; }
    if (mediaPlaying()) { active(); }
    if (Date.now() - lastActive > idleAfter) { goIdle(); return; }
    inFlight = true;
    var body = JSON.stringify({ start: start });
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: body
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, body: data }; });
    }).then(function (reply) {
      inFlight = false;
      if (reply.status === 200) {
        start = false;
        show(reply.body);
        return;
      }
      say(reply.body.error || texts.offline, true);
      if (reply.status === 403 || reply.status === 404) { stop(); }
    }).catch(function () {
      // Lost connection: try again soon; the server credits only real time, whatever the retries.
      inFlight = false;
      say(texts.offline, true);
      window.clearTimeout(retry);
      retry = window.setTimeout(beat, Math.min(interval, 5000));
    });
  }

  function active() {
    if (!idle) { lastActive = Date.now(); }
  }

  ["pointerdown", "keydown", "scroll", "touchstart", "wheel", "mousemove"].forEach(function (name) {
    window.addEventListener(name, active, { passive: true });
  });
  // Taps inside a frame (an H5P activity) never reach this window: the frame's host script says instead.
  document.addEventListener("shixun:study-active", active);
  document.addEventListener("visibilitychange", function () {
    if (visible()) {
      active();
      beat();
    } else {
      start = true;
    }
  });
  resume.addEventListener("click", function () {
    idle = false;
    idleBox.hidden = true;
    lastActive = Date.now();
    start = true;
    beat();
  });
  timer = window.setInterval(beat, interval);
  beat();
}());
