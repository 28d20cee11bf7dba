/*
 * Lesson videos: report what the learner has played (video.played, the
 * browser's own union of played ranges: seeking adds nothing to it) to the
 * server, which credits it as covered parts of the timeline (at most 2× real
 * time, courses/video_watching.py). Each report holds everything played since
 * the page opened, so a lost or refused report loses nothing. Reports go on
 * "play" (it starts the server's clock), every 15 s while playing, and on
 * pause, end and when the page is hidden. A file, not an inline script
 * (Content-Security-Policy).
 */
(function () {
  'use strict';
  if (window.shixunVideoReports) {
    return; // several videos on one page load this file once each
  }
  window.shixunVideoReports = true;

  var EVERY_MS = 15000;

  function csrfToken() {
    var field = document.querySelector('input[name=csrfmiddlewaretoken]');
    if (field) {
      return field.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : '';
  }

  function playedRanges(video) {
    var ranges = [];
    for (var i = 0; i < video.played.length && ranges.length < 200; i++) {
      ranges.push([video.played.start(i), video.played.end(i)]);
    }
    return ranges;
  }

  function show(video, data) {
    var figure = video.closest('figure');
    var badge = figure && figure.querySelector('[data-video-percent]');
    var message = figure && figure.querySelector('[data-video-message]');
    if (badge) {
      badge.textContent = video.dataset.labelWatched.replace('{percent}', data.percent);
      badge.classList.toggle('ok', data.watched);
    }
    if (message) {
      message.textContent = data.module_completed ? video.dataset.labelModuleDone
        : data.watched ? video.dataset.labelDone : '';
    }
    var step = document.querySelector('[data-step-status="' + video.dataset.stepKey + '"]');
    if (step && data.status_label) {
      step.textContent = data.status_label;
      step.classList.remove('ok', 'warn', 'bad');
      step.classList.add(data.status === 'done' ? 'ok' : 'warn');
    }
    var next = document.getElementById('next-step');
    if (data.module_completed && next && !next.dataset.done) {
      // The "next step" card pointed at this video: say instead that the module is complete.
      next.dataset.done = '1';
      var done = document.createElement('p');
      var badge2 = document.createElement('span');
      badge2.className = 'badge ok';
      badge2.textContent = video.dataset.labelModuleDone;
      done.appendChild(badge2);
      next.replaceChildren(done);
    }
    if (data.module_completed) {
      document.dispatchEvent(new CustomEvent('shixun:activity-status', {detail: data}));
    }
  }

  function showError(video, text) {
    var figure = video.closest('figure');
    var message = figure && figure.querySelector('[data-video-message]');
    if (message) {
      message.textContent = text || video.dataset.labelError;
    }
  }

  function track(video) {
    var sending = false;
    var again = false;
    var timer = null;

    function report(leaving) {
      if (!isFinite(video.duration) || video.duration <= 0) {
        return;
      }
      if (sending && !leaving) {
        again = true;
        return;
      }
      sending = true;
      fetch(video.dataset.videoReport, {
        method: 'POST',
        credentials: 'same-origin',
        keepalive: !!leaving,
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrfToken(), 'Accept': 'application/json'},
        body: JSON.stringify({duration: video.duration, ranges: playedRanges(video), rate: video.playbackRate})
      }).then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) {
            throw new Error(data && data.error || '');
          }
          return data;
        });
      }).then(function (data) {
        show(video, data);
      }).catch(function (error) {
        showError(video, error && error.message);
      }).then(function () {
        sending = false;
        if (again) {
          again = false;
          report(false);
        }
      });
    }

    video.addEventListener('play', function () {
      report(false);
      if (timer === null) {
        timer = window.setInterval(function () {
          if (!video.paused) {
            report(false);
          }
        }, EVERY_MS);
      }
    });
    video.addEventListener('pause', function () { report(false); });
    video.addEventListener('ended', function () { report(false); });
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden' && video.played.length) {
        report(true);
      }
    });
  }

  function start() {
    var videos = document.querySelectorAll('video[data-video-report]');
    for (var i = 0; i < videos.length; i++) {
      track(videos[i]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
