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
  // A second subscription to this substream (e.g. 2, the top layer) read only for its latency
  // (bench network --browser): the time-code strip of every painted frame, beside the plan's watch.
  const LATENCY_SUBSTREAM = params.has("latency_substream") ? parseInt(params.get("latency_substream"), 10) : null;
  // ... joined this long after the first subscription plays (a viewer who joins a link that
  // already has its delay, rather than one whose jitter buffer lived through the delay's onset).
  const LATENCY_JOIN_MS = parseInt(params.get("latency_join_ms") || "0", 10);
  const TWO32 = 4294967296;

  const results = window.results = {
    done: false, error: null, with_audio: WITH_AUDIO, plan: PLAN, user_agent: navigator.userAgent,
    events: [], latency: [], stats: [], phases: [], undecoded_frames: 0, painted_frames: 0,
    paint_ms: [],  // wall-clock ms of every painted frame (for frozen-time measurements)
    // The second subscription's frames: [wall-clock ms, latency ms (null: strip unreadable), width].
    latency_substream: LATENCY_SUBSTREAM, second_latency: [], second_stats: [],
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

  // studio/timecode.py read_strip, in JS: a strip drawn with c = round(W/48) on a canvas whose width
  // is no multiple of 48 (1280) drifts against the contract's W'/48 grid by the last cells, so the
  // grids such a drawing can have after scaling are tried too; the clearest (largest margin from
  // mid-grey over the 34 cells) wins, the contract's own grid first.
  function sampleCells(data, w, h, c) {
    const means = new Array(34);
    const cy0 = Math.round(c + c / 4), cy1 = Math.round(c + 3 * c / 4);
    if (cy1 <= cy0 || cy1 > h) return null;
    for (let i = 0; i < 34; i++) {
      const x0 = c + i * c;
      const cx0 = Math.round(x0 + c / 4), cx1 = Math.round(x0 + 3 * c / 4);
      if (cx1 <= cx0 || cx1 > w) return null;
      let sum = 0;
      for (let y = cy0; y < cy1; y++) {
        for (let x = cx0; x < cx1; x++) {
          const k = (y * w + x) * 4;
          sum += 0.299 * data[k] + 0.587 * data[k + 1] + 0.114 * data[k + 2];
        }
      }
      means[i] = sum / ((cy1 - cy0) * (cx1 - cx0));
    }
    return means;
  }

  function stripGrids(width) {
    const exact = width / 48;
    const grids = [exact];
    for (const c of [Math.round(exact), Math.round(width * 2 / 48) / 2, Math.round(width * 3 / 48) / 3,
                     Math.round(width * 4 / 48) / 4]) {
      if (grids.indexOf(c) < 0) grids.push(c);
    }
    return grids;
  }

  // The pixels a strip reader needs: the strip's rows from the top-left corner (never the whole frame).
  function stripArea(width, height) {
    const c = Math.max(...stripGrids(width));
    return {w: Math.min(width, Math.ceil(36 * c) + 2), h: Math.min(height, Math.ceil(2 * c) + 2)};
  }

  function readStripFrom(context, width, height) {
    const area = stripArea(width, height);
    const data = context.getImageData(0, 0, area.w, area.h).data;
    let best = null;
    for (const c of stripGrids(width)) {
      const means = sampleCells(data, area.w, area.h, c);
      if (means === null) continue;
      const margin = Math.min(...means.map((m) => Math.abs(m - 128)));
      if (best === null || margin > best.margin + 1e-6) best = {margin: margin, means: means};
    }
    if (best === null) return null;
    const bits = best.means.map((m) => (m > 128 ? 1 : 0));
    if (bits[0] !== 1 || bits[33] !== 0) return null;
    let value = 0;
    for (let i = 1; i <= 32; i++) value = value * 2 + bits[i];
    return value;
  }

  function readStrip(width, height) {
    return readStripFrom(ctx, width, height);
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

  // -------------------------------------------------------------- the latency subscription
  // Its own handle and PeerConnection on LATENCY_SUBSTREAM, video only; on every painted frame only
  // the strip's corner is drawn to a small canvas and read, and Date.now() - T recorded (the page
  // and the publisher share the machine's clock).
  const topVideo = document.getElementById("top");
  const topCanvas = document.getElementById("topgrab");
  const topCtx = topCanvas.getContext("2d", {willReadFrequently: true});
  const topStream = new MediaStream();
  let topHandle = null, topPc = null, topMid = null;

  function onTopFrame(now, meta) {
    const wallMs = Date.now();
    const width = (meta && meta.width) || topVideo.videoWidth, height = (meta && meta.height) || topVideo.videoHeight;
    if (width && height) {
      const area = stripArea(width, height);
      if (topCanvas.width !== area.w || topCanvas.height !== area.h) { topCanvas.width = area.w; topCanvas.height = area.h; }
      topCtx.drawImage(topVideo, 0, 0, area.w, area.h, 0, 0, area.w, area.h);
      const stamp = readStripFrom(topCtx, width, height);
      let latency = null;
      if (stamp !== null) {
        latency = ((wallMs % TWO32) - stamp + TWO32) % TWO32;
        if (latency >= 10000) latency = null;  // a misread strip, not a latency
      }
      // receiveTime (the frame's last packet in) is on the performance clock, as `now` is: the
      // latency split into the way to this browser and the browser's own part (jitter buffer,
      // decode, paint).
      const receiveToPaint = meta && meta.receiveTime ? Math.round(now - meta.receiveTime) : null;
      if (results.second_latency.length < 200000) results.second_latency.push([wallMs, latency, width, receiveToPaint]);
    }
    scheduleTop();
  }
  function scheduleTop() {
    if (finished) return;
    if (topVideo.requestVideoFrameCallback) topVideo.requestVideoFrameCallback(onTopFrame);
    else requestAnimationFrame(function (now) { onTopFrame(now, null); });
  }

  async function subscribeTop(pub) {
    const videoStreams = (pub.streams || []).filter((s) => !s.disabled && s.type === "video");
    let answered = false;
    topHandle = await attach({
      onmessage: function (msg, jsep) {
        if (msg.error) log("janus (latency subscription): " + msg.error);
        if (msg.streams) {
          for (const s of msg.streams) if (s.type === "video" && topMid === null) topMid = s.mid;
        }
        if (jsep) {
          topHandle.createAnswer({
            jsep: jsep, tracks: [],
            success: function (answer) {
              topHandle.send({message: {request: "start", room: ROOM}, jsep: answer});
              answered = true;
            },
            error: function (e) { log("latency subscription answer: " + JSON.stringify(e)); },
          });
        }
      },
      onremotetrack: function (track, mid, on) {
        if (!on || track.kind !== "video") return;
        if (!topStream.getTracks().includes(track)) topStream.addTrack(track);
        if (topVideo.srcObject !== topStream) topVideo.srcObject = topStream;
        topVideo.play().catch(function (e) { log("play() (latency subscription): " + e); });
      },
    });
    topHandle.send({message: {
      request: "join", ptype: "subscriber", room: ROOM,
      streams: videoStreams.map((s) => ({feed: pub.id, mid: s.mid})),
    }});
    for (let i = 0; i < 200 && !answered; i++) await sleep(50);
    if (!answered) throw new Error("no answer sent for the latency subscription");
    topPc = topHandle.webrtcStuff.pc;
    const body = {request: "configure", substream: LATENCY_SUBSTREAM};
    if (topMid !== null) { delete body.substream; body.streams = [{mid: topMid, substream: LATENCY_SUBSTREAM}]; }
    topHandle.send({message: body});
    for (let i = 0; i < 300 && !(topVideo.videoWidth > 0 && topVideo.currentTime > 0); i++) await sleep(50);
    if (!(topVideo.videoWidth > 0)) throw new Error("no video on the latency subscription after 15 s");
    log("latency subscription playing substream " + LATENCY_SUBSTREAM + " at " + topVideo.videoWidth + "x" +
        topVideo.videoHeight);
    scheduleTop();
  }

  async function sampleTopStats() {
    if (!topPc) return;
    const report = await topPc.getStats();
    report.forEach(function (s) {
      if (s.type !== "inbound-rtp" || s.kind !== "video") return;
      results.second_stats.push({
        wall_ms: Date.now(), framesDecoded: s.framesDecoded, frameWidth: s.frameWidth,
        freezeCount: s.freezeCount, totalFreezesDuration: s.totalFreezesDuration,
        jitterBufferDelay: s.jitterBufferDelay, jitterBufferEmittedCount: s.jitterBufferEmittedCount,
        jitterBufferTargetDelay: s.jitterBufferTargetDelay, nackCount: s.nackCount, packetsLost: s.packetsLost,
      });
    });
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
    if (LATENCY_SUBSTREAM !== null) {
      // Beside the plan's watch; its failure is reported (results.second_error) without ending it.
      setTimeout(function () {
        subscribeTop(pub).catch(function (e) { results.second_error = String(e && e.message || e); log(results.second_error); });
      }, LATENCY_JOIN_MS);
    }
    const statsTimer = setInterval(function () { sampleStats().catch(function (e) { log("getStats: " + e); }); }, 250);
    const topStatsTimer = setInterval(function () { sampleTopStats().catch(function (e) { log("getStats (latency): " + e); }); }, 1000);
    for (const step of PLAN) {
      const start = since();
      await configure(step.substream);
      log("configure substream " + step.substream);
      await sleep(step.ms);
      results.phases.push({substream: step.substream, start: start, end: since()});
    }
    clearInterval(statsTimer);
    clearInterval(topStatsTimer);
    await sampleStats();
    await sampleTopStats();
    results.audio_element = {muted: video.muted, paused: video.paused, volume: video.volume};
    try { if (topHandle) topHandle.hangup(); handle.hangup(); janus.destroy({}); } catch (e) { /* closing */ }
    finish();
  }
  window.addEventListener("load", function () { main().catch(fail); });
})();
