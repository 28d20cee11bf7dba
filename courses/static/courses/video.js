/*
 * Lesson videos: report what the learner has played (video.played, the
 * browser's own union of played ranges: seeking adds nothing to it) to the
 * server, which credits it as covered parts of the timeline (at most 2× real
 * time, courses/video_watching.py). Each report holds everything played since
 * the page opened, so a lost or refused report loses nothing. Reports go on
 * "play" (it starts the server's clock), every 15 s while playing, and on
 * pause, end and when the page is hidden. A file, not an inline script
 * (Content-Security-Policy). Embedded YouTube and Vimeo players report
 * through the same code (embeddedPlayer below).
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
    // The step list and the "next step" card follow (steps.js): when the module is complete, and when this
    // video's step has just turned done while other steps remain (the card must not still say "watch it").
    var stepJustDone = data.status === 'done' && !video.dataset.stepDone;
    if (data.status === 'done') {
      video.dataset.stepDone = '1';
    }
    if (data.module_completed || stepJustDone) {
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

  /*
   * Embedded players (YouTube, Vimeo; courses/video_embeds.py): an object
   * that looks to track() like a <video> (duration, paused, played,
   * playbackRate, play/pause/ended events), fed by the player's postMessage
   * events. Only messages from this iframe's window AND the player's origin
   * are read, and our messages go to that origin only. played is built like
   * the browser's own: a time that follows the previous one at the speed of
   * real time extends the current range, any other time (a seek) starts a
   * new one. The server clamps whatever comes (2 x real time, the trainer's
   * length), so this is bookkeeping, not a defence.
   */
  function embeddedPlayer(iframe) {
    var events = document.createElement('span');
    var origin = iframe.dataset.playerOrigin;
    var provider = iframe.dataset.embedPlayer;
    var ranges = [];
    var last = null; // {time, at}: the previous sample while playing
    var position = null; // the player's last reported time, playing or not
    var heard = false;
    var player = {
      dataset: iframe.dataset,
      duration: NaN,
      paused: true,
      playbackRate: 1,
      played: {
        get length() { return ranges.length; },
        start: function (i) { return ranges[i][0]; },
        end: function (i) { return ranges[i][1]; }
      },
      closest: function (selector) { return iframe.closest(selector); },
      addEventListener: function (name, handler) { events.addEventListener(name, handler); }
    };

    function fire(name) {
      events.dispatchEvent(new Event(name));
    }

    function setPlaying(playing) {
      if (playing === !player.paused) {
        return;
      }
      player.paused = !playing;
      // The study clock (study.js) cannot see into the frame: a playing player keeps the learner active.
      if (playing) {
        iframe.dataset.studyPlaying = '1';
      } else {
        delete iframe.dataset.studyPlaying;
      }
      if (!playing) {
        last = null;
      } else if (position !== null) {
        sample(position); // playing starts where the player stood, not at its next time report
      }
      fire(playing ? 'play' : 'pause');
    }

    function sample(time) {
      if (typeof time !== 'number' || !isFinite(time) || time < 0) {
        return;
      }
      position = time;
      if (player.paused) {
        return;
      }
      var now = Date.now();
      var slack = last ? (now - last.at) / 1000 * Math.max(player.playbackRate, 1) + 1.5 : 0;
      if (last && time >= last.time && time - last.time <= slack && ranges.length) {
        var range = ranges[ranges.length - 1];
        range[1] = Math.max(range[1], time);
      } else if (ranges.length < 200) {
        ranges.push([time, time]);
      }
      last = {time: time, at: now};
    }

    function setDuration(value) {
      if (typeof value === 'number' && isFinite(value) && value > 0) {
        player.duration = value;
      }
    }

    function send(message) {
      if (iframe.contentWindow) {
        iframe.contentWindow.postMessage(provider === 'youtube' ? JSON.stringify(message) : message, origin);
      }
    }

    function hello() {
      if (provider === 'youtube') {
        // The IFrame API's handshake: after "listening" the player posts infoDelivery and onStateChange.
        send({event: 'listening', id: iframe.id || 'shixun-video', channel: 'widget'});
        send({event: 'command', func: 'addEventListener', args: ['onStateChange'], id: iframe.id || 'shixun-video',
          channel: 'widget'});
      } else {
        ['play', 'pause', 'ended', 'timeupdate', 'playbackratechange'].forEach(function (name) {
          send({method: 'addEventListener', value: name});
        });
        send({method: 'getDuration'});
      }
    }

    function onYoutube(data) {
      var info = data.info;
      if (data.event === 'onStateChange' && typeof info === 'number') {
        info = {playerState: info};
      }
      if (!info || typeof info !== 'object') {
        return;
      }
      setDuration(info.duration);
      if (typeof info.playbackRate === 'number' && info.playbackRate > 0) {
        player.playbackRate = info.playbackRate;
      }
      var state = info.playerState;
      if (state === 1) {
        setPlaying(true);
      }
      sample(info.currentTime);
      if (state === 2) {
        setPlaying(false);
      } else if (state === 0) {
        setPlaying(false);
        fire('ended');
      }
    }

    function onVimeo(data) {
      var value = data.data || {};
      if (data.event === 'ready') {
        hello();
      } else if (data.method === 'getDuration') {
        setDuration(data.value);
      } else if (data.event === 'timeupdate' || data.event === 'playProgress') {
        setDuration(value.duration);
        setPlaying(true);
        sample(value.seconds);
      } else if (data.event === 'play') {
        setPlaying(true);
      } else if (data.event === 'pause') {
        sample(value.seconds);
        setPlaying(false);
      } else if (data.event === 'ended' || data.event === 'finish') {
        sample(value.seconds);
        setPlaying(false);
        fire('ended');
      } else if (data.event === 'playbackratechange' && value.playbackRate > 0) {
        player.playbackRate = value.playbackRate;
      }
    }

    window.addEventListener('message', function (event) {
      if (event.origin !== origin || event.source !== iframe.contentWindow) {
        return; // another frame, another site, or a page pretending to be the player
      }
      var data = event.data;
      if (typeof data === 'string') {
        try {
          data = JSON.parse(data);
        } catch (error) {
          return;
        }
      }
      if (!data || typeof data !== 'object') {
        return;
      }
      heard = true;
      if (provider === 'youtube') {
        onYoutube(data);
      } else {
        onVimeo(data);
      }
    });

    // The player may load before or after this script: greet it on load, and again until it answers.
    var tries = 0;
    var greeting = window.setInterval(function () {
      if (heard || tries++ > 40) {
        window.clearInterval(greeting);
        return;
      }
      hello();
    }, 500);
    iframe.addEventListener('load', hello);
    return player;
  }

  function start() {
    var videos = document.querySelectorAll('video[data-video-report]');
    for (var i = 0; i < videos.length; i++) {
      track(videos[i]);
    }
    var players = document.querySelectorAll('iframe[data-embed-player][data-video-report]');
    for (var j = 0; j < players.length; j++) {
      track(embeddedPlayer(players[j]));
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
