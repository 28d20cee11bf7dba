/*
 * Runs on the content origin, inside the module page's sandboxed iframe.
 * Starts h5p-standalone and passes the player's xAPI statements and its
 * height up to the module page with postMessage, addressed to the site's
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

  function fitInnerFrame(frame) {
    var body = frame.contentDocument && frame.contentDocument.body;
    var height = body ? contentHeight(body) : 0;
    if (height > 0 && frame.style.height !== height + 'px') {
      frame.style.height = height + 'px';
    }
  }

  function watchInnerFrames() {
    var frames = container.querySelectorAll('iframe.h5p-iframe');
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      var innerWindow = frame.contentWindow;
      var body = innerWindow && innerWindow.document.body;
      if (frame.dataset.shixunWatched || !body || !innerWindow.ResizeObserver) {
        continue;
      }
      frame.dataset.shixunWatched = 'true';
      var observer = new innerWindow.ResizeObserver(fitInnerFrame.bind(null, frame));
      for (var child = body.firstElementChild; child; child = child.nextElementSibling) {
        observer.observe(child);
      }
      fitInnerFrame(frame);
    }
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
    watchInnerFrames();
    reportHeight();
  }).catch(function (error) {
    loading.textContent = loading.dataset.failed || 'The activity could not be loaded.';
    post({type: 'shixun-h5p:error', message: String(error && error.message || error)});
  });

  if (window.ResizeObserver) {
    new ResizeObserver(reportHeight).observe(document.body);
  }
  window.addEventListener('load', function () {
    watchInnerFrames();
    reportHeight();
  });
})();
