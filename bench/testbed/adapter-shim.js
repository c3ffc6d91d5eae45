// janus.js only reads adapter.browserDetails; Debian ships no webrtc-adapter, and Chromium
// needs none of its shims.  Detect the browser ourselves (Chromium only in these tests).
(function () {
  var match = /Chrom(?:e|ium)\/(\d+)/.exec(navigator.userAgent);
  window.adapter = {
    browserDetails: {browser: match ? "chrome" : "unknown", version: match ? parseInt(match[1], 10) : null},
  };
})();
