/*
 * Runs on the content origin, inside the module page's sandboxed iframe.
 * Starts h5p-standalone and passes the player's xAPI statements, its
 * height, the learner's input and playing media up to the module page with postMessage, addressed to the site's
 * origin only. This page has no session and cannot reach the site: the
 * module page decides what to do with what it receives.
 */
(function () {
  'use strict';

  var container = document.getElementById('h5p-container');
  var loading = document.getElementById('h5p-loading');
  var siteOrigin = container.dataset.siteOrigin;

  function post(message) {
    window.parent.postMessage(message, siteOrigin);
  }

  // The content's own height: the body's, not the window's, which is at
  // least the frame's current height and so could never shrink.
  function reportHeight() {
    post({type: 'shixun-h5p:resize', height: Math.ceil(document.body.getBoundingClientRect().height)});
  }

  // Content declared for the "iframe" embed type (most hub content) runs in
  // an inner iframe the player creates, 150 px tall until someone sizes it.
  // H5P core sizes it on the content's resize events, but only when its
  // start-up went through; here it follows the content's height whatever
  // happens. The inner body is styled 100% of the frame's height, so what is
  // measured is the bottom of what the body holds. Same origin as this page.
  function contentHeight(body) {
    var bottom = 0;
    for (var child = body.firstElementChild; child; child = child.nextElementSibling) {
      var margin = parseFloat(child.ownerDocument.defaultView.getComputedStyle(child).marginBottom) || 0;
      bottom = Math.max(bottom, child.getBoundingClientRect().bottom + margin);
    }
    return Math.ceil(bottom);
  }

  // The learner's own input in the activity (a tap, a key, the pointer moving over it) is told to the module
  // page, whose study clock cannot see into this frame (courses/static/courses/study.js). Only the browser's
  // own events (isTrusted: a person's input), so content that animates, advances or resizes itself tells
  // nothing; and at most one message every two seconds (the clock asks after minutes).
  var INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'touchstart', 'wheel'];
  var INPUT_EVERY_MS = 2000;
  var lastInput = -Infinity;

  function onInput(event) {
    var now = Date.now();
    if (!event.isTrusted || now - lastInput < INPUT_EVERY_MS) {
      return;
    }
    lastInput = now;
    post({type: 'shixun-h5p:input'});
  }

  function listenForInput(doc) {
    // Capture: content that stops an event's propagation still cannot hide the learner's input.
    INPUT_EVENTS.forEach(function (name) {
      doc.addEventListener(name, onInput, {capture: true, passive: true});
    });
  }

  listenForInput(document);

  // A video or audio playing in the activity (H5P Interactive Video, Audio) is study without input, as the
  // lesson's own video is on the module page (courses/static/courses/study.js counts a playing one): told to
  // the page while it plays, as often as input is.
  function mediaPlaying(doc) {
    var media = doc ? doc.querySelectorAll('video, audio') : [];
    for (var i = 0; i < media.length; i++) {
      if (!media[i].paused && !media[i].ended) {
        return true;
      }
    }
    return false;
  }

  window.setInterval(function () {
    var docs = [document];
    Array.prototype.forEach.call(document.querySelectorAll('iframe.h5p-iframe'), function (frame) {
      docs.push(frame.contentDocument);
    });
    if (docs.some(mediaPlaying)) {
      post({type: 'shixun-h5p:playing'});
    }
  }, INPUT_EVERY_MS);

  function fitInnerFrame(frame) {
    var body = frame.contentDocument && frame.contentDocument.body;
    var height = body ? contentHeight(body) : 0;
    if (height > 0 && frame.style.height !== height + 'px') {
      frame.style.height = height + 'px';
    }
  }

  // The player writes the inner document after creating the frame, and
  // document.open replaces its body and drops every listener on its window,
  // with no load event to tell. So a slow timer (cheap: a few measurements)
  // attaches the observers to whichever body is there, and fits the frame.
  var innerFrameChecks = [];

  function watchInnerFrame(frame) {
    var watchedBody = null;
    function watch() {
      var doc = frame.contentDocument;
      var view = doc && doc.defaultView;
      if (doc && doc.body && doc.body !== watchedBody) {
        // Where the learner taps and types (document.open dropped any earlier listener; adding the same one
        // twice adds nothing).
        listenForInput(doc);
      }
      if (doc && doc.body && doc.body !== watchedBody && view && view.ResizeObserver) {
        watchedBody = doc.body;
        var observer = new view.ResizeObserver(watch);
        observer.observe(doc.body);
        for (var child = doc.body.firstElementChild; child; child = child.nextElementSibling) {
          observer.observe(child);
        }
      }
      fitInnerFrame(frame);
    }
    frame.addEventListener('load', watch);
    innerFrameChecks.push(watch);
    watch();
  }

  window.setInterval(function () {
    innerFrameChecks.forEach(function (check) { check(); });
  }, 500);

  if (window.MutationObserver) {
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        Array.prototype.forEach.call(record.addedNodes, function (node) {
          var frames = node.nodeType === 1 ? node.querySelectorAll('iframe.h5p-iframe') : [];
          Array.prototype.forEach.call(frames, watchInnerFrame);
          if (node.nodeType === 1 && node.matches('iframe.h5p-iframe')) {
            watchInnerFrame(node);
          }
        });
      });
    }).observe(container, {childList: true, subtree: true});
  }

  var player = new H5PStandalone.H5P(container, {
    h5pJsonPath: container.dataset.h5pJsonPath,
    librariesPath: container.dataset.librariesPath,
    frameJs: container.dataset.frameJs,
    frameCss: container.dataset.frameCss,
    xAPIObjectIRI: container.dataset.objectIri,
    frame: false,
    copyright: false,
    export: false,
    embed: false,
    icon: false,
    fullScreen: false
  });

  player.then(function () {
    loading.hidden = true;
    H5P.externalDispatcher.on('xAPI', function (event) {
      // Plain JSON only: the statement object may hold references to H5P internals.
      post({type: 'shixun-h5p:xapi', statement: JSON.parse(JSON.stringify(event.data.statement))});
    });
    post({type: 'shixun-h5p:ready'});
    innerFrameChecks.forEach(function (check) { check(); });
    reportHeight();
  }).catch(function (error) {
    loading.textContent = loading.dataset.failed || 'The activity could not be loaded.';
    post({type: 'shixun-h5p:error', message: String(error && error.message || error)});
  });

  if (window.ResizeObserver) {
    new ResizeObserver(reportHeight).observe(document.body);
  }
  window.addEventListener('load', reportHeight);
})();
