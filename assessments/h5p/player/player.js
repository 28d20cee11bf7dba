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

  function reportHeight() {
    post({type: 'shixun-h5p:resize', height: Math.ceil(document.documentElement.scrollHeight)});
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
    reportHeight();
  }).catch(function (error) {
    loading.textContent = loading.dataset.failed || 'The activity could not be loaded.';
    post({type: 'shixun-h5p:error', message: String(error && error.message || error)});
  });

  if (window.ResizeObserver) {
    new ResizeObserver(reportHeight).observe(document.documentElement);
  }
  window.addEventListener('load', reportHeight);
})();
