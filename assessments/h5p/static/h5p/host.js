/*
 * Module page side of an H5P activity. The player runs in a sandboxed
 * iframe on the content origin and posts its xAPI statements here. A
 * message is believed only if it comes from that iframe's window AND from
 * the content origin; its statement is then forwarded to the site with the
 * page's CSRF token. The server decides what it is worth: it takes the
 * learner from the session and checks the signed token.
 */
(function () {
  'use strict';
  if (window.shixunH5PHost) {
    return; // several H5P blocks on one page load this file once each
  }
  window.shixunH5PHost = true;

  function feedbackFor(frame) {
    var section = frame.closest('.h5p-activity');
    return section ? section.querySelector('.h5p-feedback') : null;
  }

  function showFeedback(frame, kind) {
    var box = feedbackFor(frame);
    if (!box) {
      return;
    }
    box.textContent = box.dataset[kind] || '';
    box.hidden = false;
  }

  function updateBadge(frame, data) {
    var section = frame.closest('.h5p-activity');
    var badge = section && section.querySelector('[data-h5p-status-for]');
    var label = badge && badge.getAttribute('data-label-' + data.status);
    if (!label) {
      return;
    }
    badge.textContent = label;
    badge.classList.remove('ok', 'warn', 'bad');
    badge.classList.add(data.status === 'done' ? 'ok' : data.status === 'failed' ? 'bad' : 'warn');
  }

  function forward(frame, statement, retries) {
    var hasResult = statement && statement.result && typeof statement.result === 'object';
    retries = retries === undefined ? 3 : retries;
    fetch(frame.dataset.xapiUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRFToken': frame.dataset.csrfToken},
      body: JSON.stringify({token: frame.dataset.token, statement: statement})
    }).then(function (response) {
      // Over the per-user limit (429): send the statement again when the server says, so a
      // result that ends a burst of interactions is not lost (a refused statement was not stored).
      if (response.status === 429 && retries > 0) {
        var wait = parseInt(response.headers.get('Retry-After'), 10) || 5;
        setTimeout(function () { forward(frame, statement, retries - 1); }, Math.min(wait, 120) * 1000);
        return null;
      }
      return response.json().then(function (data) {
        if (!response.ok) {
          throw new Error(data && data.error || response.status);
        }
        return data;
      });
    }).then(function (data) {
      if (data === null) {
        return;
      }
      updateBadge(frame, data);
      // The module's step list (courses/static/courses/steps.js) follows every change of status
      // ("started" included) and every result; not each interaction that changes nothing.
      var changed = data.status !== frame.dataset.lastStatus;
      frame.dataset.lastStatus = data.status;
      if (hasResult || changed) {
        document.dispatchEvent(new CustomEvent('shixun:activity-status', {detail: data}));
      }
      if (!hasResult) {
        return;
      }
      showFeedback(frame, data.module_completed ? 'moduleDone' : data.status === 'done' ? 'done'
        : data.status === 'failed' ? 'failed' : 'saved');
    }).catch(function () {
      if (hasResult) {
        showFeedback(frame, 'error');
      }
    });
  }

  // The study clock (courses/static/courses/study.js) cannot see taps inside the frame, so the frame tells it
  // what the learner does there: their input (player.js posts only a person's own events), a video or audio
  // of the activity playing (as the lesson's own video counts) and the statements of the learner's acts.
  // Not the content's changes of size, nor the statements content makes by itself ("attempted" on loading):
  // an auto-advancing slideshow, an animation, a timer or a late font resizes the frame with nobody at the
  // screen, and counting that would credit study time for an open page (刷课).
  // A resize that follows a tap is not needed either: the tap itself was reported.
  var LEARNER_VERBS = ['answered', 'interacted', 'progressed'].map(function (verb) {
    return 'http://adlnet.gov/expapi/verbs/' + verb;
  });

  function learnerAct(statement) {
    return !!statement.verb && LEARNER_VERBS.indexOf(statement.verb.id) !== -1;
  }

  function studyActive() {
    document.dispatchEvent(new CustomEvent('shixun:study-active'));
  }

  window.addEventListener('message', function (event) {
    var frames = document.querySelectorAll('iframe[data-h5p-player]');
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (event.source !== frame.contentWindow || event.origin !== frame.dataset.contentOrigin) {
        continue;
      }
      var data = event.data;
      if (!data || typeof data !== 'object') {
        return;
      }
      if (data.type === 'shixun-h5p:xapi' && data.statement && typeof data.statement === 'object') {
        forward(frame, data.statement);
        if (learnerAct(data.statement)) {
          studyActive();
        }
      } else if (data.type === 'shixun-h5p:input' || data.type === 'shixun-h5p:playing') {
        studyActive();
      } else if (data.type === 'shixun-h5p:resize' && typeof data.height === 'number') {
        // Fit the content: no inner scrollbar on a phone, within reason.
        frame.style.height = Math.max(200, Math.min(data.height, 4000)) + 'px';
      }
      return;
    }
  });
})();
