// The viewer page's logic (see viewer.html for the parameters).
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const JANUS_URL = params.get("janus");
  const ROOM = parseInt(params.get("room") || "1234", 10);
  const DISPLAY = params.get("display");          // the publisher's display name in the room
  const WITH_AUDIO = params.get("audio") !== "0";
  const SETTLE_MS = parseInt(params.get("settle") || "1000", 10); // after a switch, before sampling
  const PLAN = (params.get("plan") || "2:6000,0:4000,1:4000").split(",").map(function (part) {
    const [substream, ms] = part.split(":");
    return {substream: parseInt(substream, 10), ms: parseInt(ms, 10)};
  });
  const TWO32 = 4294967296;

  const results = window.results = {
    done: false, error: null, with_audio: WITH_AUDIO, plan: PLAN, user_agent: navigator.userAgent,
    events: [], latency: [], stats: [], phases: [], undecoded_frames: 0, painted_frames: 0,
    paint_ms: [],  // wall-clock ms of every painted frame (for frozen-time measurements)
  };
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);

  function post(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
      .catch(function () {});
  }
  function log(text) {
    results.events.push([since(), text]);
    post("log", {t: since(), text: text});
  }
  function fail(what) {
    const text = (what && what.message) ? what.message : (typeof what === "string" ? what : JSON.stringify(what));
    log("error: " + text);
    if (!results.error) results.error = text;
    finish();
  }
  let finished = false;
  function finish() {
    if (finished) return;
    finished = true;
    results.done = true;
    post("results", results);
  }
  window.addEventListener("error", function (ev) { fail("page error: " + ev.message); });

  // -------------------------------------------------------------- the time-code strip
  const video = document.getElementById("remote");
  const canvas = document.getElementById("grab");
  const ctx = canvas.getContext("2d", {willReadFrequently: true});

  function readStrip(width, height) {
    // CONTRACTS.md: 34 cells of c = W/48 px from (c, c); mean luma of each cell's central half.
    const c = width / 48;
    const x0 = Math.floor(c), y0 = Math.floor(c);
    const w = Math.min(width - x0, Math.ceil(35 * c)), h = Math.min(height - y0, Math.ceil(c) + 1);
    if (w <= 0 || h <= 0) return null;
    const data = ctx.getImageData(x0, y0, w, h).data;
    const bits = [];
    for (let i = 0; i < 34; i++) {
      const left = c * (i + 1) + c / 4 - x0, top = c + c / 4 - y0;
      const xa = Math.round(left), xb = Math.max(xa + 1, Math.round(left + c / 2));
      const ya = Math.round(top), yb = Math.max(ya + 1, Math.round(top + c / 2));
      let sum = 0, n = 0;
      for (let y = ya; y < yb && y < h; y++) {
        for (let x = xa; x < xb && x < w; x++) {
          const k = (y * w + x) * 4;
          sum += 0.299 * data[k] + 0.587 * data[k + 1] + 0.114 * data[k + 2];
          n++;
        }
      }
      if (!n) return null;
      bits.push(sum / n > 128 ? 1 : 0);
    }
    if (bits[0] !== 1 || bits[33] !== 0) return null;
    let value = 0;
    for (let i = 1; i <= 32; i++) value = value * 2 + bits[i];
    return value;
  }

  let currentSubstream = null;
  let phaseStart = 0;
  function onFrame(now, meta) {
    const wallMs = Date.now();
    const width = (meta && meta.width) || video.videoWidth, height = (meta && meta.height) || video.videoHeight;
    if (width && height) {
      if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
      ctx.drawImage(video, 0, 0, width, height);
      const stamp = readStrip(width, height);
      results.painted_frames++;
      if (results.paint_ms.length < 200000) results.paint_ms.push(wallMs);
      if (stamp === null) {
        results.undecoded_frames++;
      } else {
        const latency = ((wallMs % TWO32) - stamp + TWO32) % TWO32;
        if (latency < 10000) {
          results.latency.push({
            t: since(), ms: latency, width: width, height: height, substream: currentSubstream,
            settled: performance.now() - phaseStart >= SETTLE_MS,
            // receiveTime/expectedDisplayTime are on the performance clock: where the time went.
            receive_to_paint_ms: meta && meta.receiveTime ? Math.round(now - meta.receiveTime) : null,
          });
        }
      }
    }
    schedule();
  }
  function schedule() {
    if (finished) return;
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(onFrame);
    else requestAnimationFrame(function (now) { onFrame(now, null); });
  }

  // -------------------------------------------------------------- getStats()
  let pc = null;
  async function sampleStats() {
    if (!pc) return;
    const report = await pc.getStats();
    const row = {t: since(), wall_ms: Date.now(), substream: currentSubstream, video: null, audio: null};
    report.forEach(function (s) {
      if (s.type !== "inbound-rtp") return;
      const pick = {
        ssrc: s.ssrc, packetsReceived: s.packetsReceived, packetsLost: s.packetsLost,
        jitterBufferDelay: s.jitterBufferDelay, jitterBufferTargetDelay: s.jitterBufferTargetDelay,
        jitterBufferMinimumDelay: s.jitterBufferMinimumDelay, jitterBufferEmittedCount: s.jitterBufferEmittedCount,
        jitter: s.jitter, estimatedPlayoutTimestamp: s.estimatedPlayoutTimestamp,
      };
      if (s.kind === "video") {
        Object.assign(pick, {
          framesDecoded: s.framesDecoded, framesReceived: s.framesReceived, framesDropped: s.framesDropped,
          frameWidth: s.frameWidth, frameHeight: s.frameHeight, keyFramesDecoded: s.keyFramesDecoded,
          totalDecodeTime: s.totalDecodeTime, totalProcessingDelay: s.totalProcessingDelay,
          totalAssemblyTime: s.totalAssemblyTime, pliCount: s.pliCount, decoderImplementation: s.decoderImplementation,
          nackCount: s.nackCount, freezeCount: s.freezeCount, totalFreezesDuration: s.totalFreezesDuration,
          pauseCount: s.pauseCount, totalPausesDuration: s.totalPausesDuration,
        });
        row.video = pick;
      } else if (s.kind === "audio") {
        Object.assign(pick, {
          totalSamplesReceived: s.totalSamplesReceived, concealedSamples: s.concealedSamples,
          totalSamplesDuration: s.totalSamplesDuration, audioLevel: s.audioLevel,
          insertedSamplesForDeceleration: s.insertedSamplesForDeceleration,
          removedSamplesForAcceleration: s.removedSamplesForAcceleration,
        });
        row.audio = pick;
      }
    });
    results.stats.push(row);
  }

  // -------------------------------------------------------------- Janus
  let janus = null, handle = null, videoMid = null;
  const stream = new MediaStream();
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function request(h, message) {
    return new Promise(function (resolve, reject) {
      h.send({message: message, success: resolve, error: reject});
    });
  }

  function attach(callbacks) {
    return new Promise(function (resolve, reject) {
      janus.attach(Object.assign({
        plugin: "janus.plugin.videoroom",
        opaqueId: "bridgecast-browser-test",
        success: resolve,
        error: reject,
      }, callbacks));
    });
  }

  async function findFeed() {
    // A publisher-type handle that joins without publishing sees the publishers and their streams.
    let joined = null;
    const probe = await attach({
      onmessage: function (msg) { if (msg.videoroom === "joined") joined = msg; },
    });
    probe.send({message: {request: "join", ptype: "publisher", room: ROOM, display: "browser-probe"}});
    for (let i = 0; i < 100 && !joined; i++) await sleep(50);
    probe.send({message: {request: "leave"}});
    probe.detach();
    if (!joined) throw new Error("could not join room " + ROOM);
    const pub = (joined.publishers || []).find((p) => !DISPLAY || p.display === DISPLAY);
    if (!pub) throw new Error("no publisher " + DISPLAY + " in " + JSON.stringify(joined.publishers));
    return pub;
  }

  async function subscribe(pub) {
    const streams = (pub.streams || []).filter((s) => !s.disabled && (WITH_AUDIO || s.type === "video"));
    log("publisher " + pub.id + " streams " + JSON.stringify(pub.streams));
    let answered = null;
    handle = await attach({
      onmessage: function (msg, jsep) {
        if (msg.error) fail("janus: " + msg.error);
        if (msg.substream !== undefined) log("event substream " + msg.substream);
        if (msg.streams) {
          for (const s of msg.streams) if (s.type === "video" && videoMid === null) videoMid = s.mid;
        }
        if (jsep) {
          handle.createAnswer({
            jsep: jsep, tracks: [],
            success: function (answer) {
              handle.send({message: {request: "start", room: ROOM}, jsep: answer});
              answered = true;
            },
            error: fail,
          });
        }
      },
      onremotetrack: function (track, mid, on) {
        log("remote track " + track.kind + " mid " + mid + " " + (on ? "added" : "removed"));
        if (!on) return;
        if (!stream.getTracks().includes(track)) stream.addTrack(track);
        if (video.srcObject !== stream) video.srcObject = stream;
        video.play().catch(function (e) { log("play(): " + e); });
      },
      webrtcState: function (up, reason) { log("webrtc " + (up ? "up" : "down " + reason)); },
      iceState: function (state) { log("ice " + state); },
      slowLink: function (uplink, lost) { log("slowlink uplink=" + uplink + " lost=" + lost); },
    });
    handle.send({message: {
      request: "join", ptype: "subscriber", room: ROOM,
      streams: streams.map((s) => ({feed: pub.id, mid: s.mid})),
    }});
    for (let i = 0; i < 200 && !answered; i++) await sleep(50);
    if (!answered) throw new Error("no answer sent");
    pc = handle.webrtcStuff.pc;
    // Browsers sync the audio and video receivers that share a stream id (a=msid).
    const sdp = (pc.remoteDescription && pc.remoteDescription.sdp) || "";
    results.remote_msid = sdp.split("\r\n").filter((line) => line.startsWith("a=msid:") || line.startsWith("m="));
  }

  async function configure(substream) {
    const body = {request: "configure", substream: substream};
    if (videoMid !== null) { delete body.substream; body.streams = [{mid: videoMid, substream: substream}]; }
    handle.send({message: body});
    currentSubstream = substream;
    phaseStart = performance.now();
  }

  async function main() {
    if (!window.Janus) throw new Error("janus.js not loaded");
    await new Promise(function (resolve) {
      Janus.init({debug: false, dependencies: Janus.useDefaultDependencies({adapter: window.adapter}), callback: resolve});
    });
    await new Promise(function (resolve, reject) {
      janus = new Janus({server: JANUS_URL, success: resolve, error: reject, destroyed: function () {}});
    });
    const pub = await findFeed();
    await subscribe(pub);
    // Wait for the first painted frame.
    for (let i = 0; i < 300 && !(video.videoWidth > 0 && video.currentTime > 0); i++) await sleep(50);
    if (!(video.videoWidth > 0)) throw new Error("no video after 15 s");
    log("playing " + video.videoWidth + "x" + video.videoHeight + " tracks " +
        stream.getTracks().map((t) => t.kind + ":" + t.readyState).join(","));
    schedule();
    const statsTimer = setInterval(function () { sampleStats().catch(function (e) { log("getStats: " + e); }); }, 250);
    for (const step of PLAN) {
      const start = since();
      await configure(step.substream);
      log("configure substream " + step.substream);
      await sleep(step.ms);
      results.phases.push({substream: step.substream, start: start, end: since()});
    }
    clearInterval(statsTimer);
    await sampleStats();
    results.audio_element = {muted: video.muted, paused: video.paused, volume: video.volume};
    try { handle.hangup(); janus.destroy({}); } catch (e) { /* closing */ }
    finish();
  }
  window.addEventListener("load", function () { main().catch(fail); });
})();
