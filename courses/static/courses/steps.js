/*
 * Keeps the module page's step list and next-step card current without a
 * reload. Any activity that reports a result on this page (H5P's host.js, a
 * lesson video…) dispatches `shixun:activity-status` on the document; then,
 * and when the learner comes back to the page (back button, another tab where
 * a quiz or an assignment was done), this asks the module's steps endpoint
 * (GET, records nothing) and updates the badges and the card from its answer.
 * The card's HTML is rendered by the server from the same template as the page.
 */
(function () {
  'use strict';
  var card = document.getElementById('next-step');
  var url = card && card.getAttribute('data-steps-url');
  if (!url || !window.fetch) {
    return;
  }
  var running = false;
  var again = false;

  function badgeFor(key) {
    var badges = document.querySelectorAll('[data-step-status]');
    for (var i = 0; i < badges.length; i++) {
      if (badges[i].getAttribute('data-step-status') === key) {
        return badges[i];
      }
    }
    return null;
  }

  function apply(data) {
    (data.steps || []).forEach(function (step) {
      var badge = badgeFor(step.key);
      if (!badge) {
        return;
      }
      badge.textContent = step.status_label;
      badge.classList.remove('ok', 'warn', 'bad');
      if (step.badge) {
        badge.classList.add(step.badge);
      }
    });
    if (typeof data.next_step_html === 'string') {
      var now = document.getElementById('next-step');
      if (now && now.innerHTML.trim() !== data.next_step_html.trim()) {
        now.innerHTML = data.next_step_html; // server-rendered, escaped by the template
        now.setAttribute('data-updated', String(Date.now()));
      }
    }
  }

  function refresh() {
    if (running) {
      again = true; // a report came in while asking: ask once more afterwards
      return;
    }
    running = true;
    fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}, cache: 'no-store'})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () { /* offline: the next visit shows the steps */ })
      .then(function () {
        running = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  document.addEventListener('shixun:activity-status', refresh);
  // Back to the page from a quiz or assignment: a page restored from the
  // back-forward cache still shows what it showed when the learner left.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) {
      refresh();
    }
  });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') {
      refresh();
    }
  });
})();
