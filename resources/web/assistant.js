// Bridgecast assistant page: plain JS, no build step, no external URLs.
// The token comes from the URL fragment (#token=..., never sent to the server) or the form,
// and is kept in sessionStorage for this tab only.
"use strict";
const $ = (sel) => document.querySelector(sel);
let token = "";
let socket = null;
let state = {};
const TEXT = window.BRIDGECAST_TEXT || {};
const t = (english) => TEXT[english] || english;
for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.textContent);
for (const node of document.querySelectorAll("[data-tp]")) node.placeholder = t(node.placeholder);
document.title = t(document.title);

function api(method, path, body) {
  const init = { method, headers: { Authorization: "Bearer " + token } };
  if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  return fetch(path, init).then(async (r) => {
    if (r.status === 401) { sessionStorage.removeItem("bridgecast-token"); showPairing(t("This pairing code does not work any more (the token was changed, or mistyped). Pair again: scan the code in “Pair a tablet…” on the studio computer.")); throw new Error("401"); }
    const ct = r.headers.get("Content-Type") || "";
    const data = ct.includes("json") ? await r.json() : await r.blob();
    if (!r.ok) { $("#status").textContent = (data && data.error) || r.status; throw new Error(r.status); }
    return data;
  });
}

// Without a valid token the page explains how to pair; the controls stay hidden (they could do nothing).
function showPairing(message) {
  $("#pairing").hidden = false; $("#app").hidden = true; $("#next-segment").hidden = true;
  const problem = $("#pairing-problem");
  problem.textContent = message || ""; problem.hidden = !message;
  $("#status").textContent = t("not connected");
}

// "3:39" rather than "219 s"; hours when a countdown runs that long ("1:02:05").
function clock(seconds) {
  const total = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  Object.assign(node, attrs || {});
  return node;
}

// kind: "go" (puts something on screen or starts it), "stop" (ends or bans), "primary", "neutral".
function button(label, onclick, attrs, kind) { return el("button", label, Object.assign({ type: "button", onclick, className: kind || "neutral" }, attrs || {})); }

function renderProducts(products) {
  const body = $("#products tbody"); body.replaceChildren();
  const select = $("#flash-sku"); select.replaceChildren();
  for (const p of products) {
    const row = el("tr"); row.dataset.sku = p.sku;
    const stock = p.stock === 0 ? el("td", t("Sold out"), { className: "soldout" }) : el("td", p.stock === null || p.stock === undefined ? "" : String(p.stock));
    row.append(el("td", p.sku), el("td", p.titles[""] || Object.values(p.titles)[0] || ""), el("td", p.price + " " + p.currency), stock);
    const cell = el("td");
    cell.append(button(t("Pin"), () => api("POST", "/api/v1/products/" + encodeURIComponent(p.sku) + "/pin"), { id: "pin-" + p.sku }, "go pin"));
    row.append(cell); body.append(row);
    select.append(el("option", p.sku, { value: p.sku }));
  }
  markPinned();
}

function markPinned() {
  for (const row of document.querySelectorAll("#products tr")) row.classList.toggle("pinned", row.dataset.sku === state.pinned_sku);
}

function renderState(s) {
  state = s; markPinned();
  const seg = s.segment;
  $("#segment").textContent = seg ? `${seg.name} · ${clock(Math.floor(seg.elapsed_s))} / ${clock(seg.planned_s)}${seg.is_overtime ? " ⚠" : ""}` : "";
  const coupons = $("#coupons"); coupons.replaceChildren();
  for (const c of s.coupons || []) {
    const li = el("li", `${c.code} ${c.kind} ${c.value} · ${c.claimed}${c.quantity ? "/" + c.quantity : ""} `);
    li.append(c.is_shown ? button(t("Hide"), () => api("POST", "/api/v1/coupons/hide"), {}, "neutral") : button(t("Show"), () => api("POST", `/api/v1/coupons/${encodeURIComponent(c.code)}/show`), {}, "go"));
    coupons.append(li);
  }
  const f = s.flash_sale;
  $("#flash").textContent = f ? `${f.sku}: ${t(f.phase)} ${clock(f.countdown_s)} · ${f.remaining}/${f.stock} ${t("left")}` : "";
  const g = s.giveaway;
  $("#giveaway").textContent = g ? `“${g.keyword}” · ${g.entry_count} · #${g.commitment.slice(0, 16)}… ${g.winners.join(", ")}` : "";
}

async function refreshComments() {
  const q = $("#questions-only").checked ? "?questions=1" : "";
  const data = await api("GET", "/api/v1/comments" + q);
  const list = $("#comments"); list.replaceChildren();
  for (const c of data.comments.slice(-50).reverse()) {
    const li = el("li", `${c.user}: ${c.text} `, { className: (c.is_question ? "q " : "") + (c.highlights.length ? "hl" : "") });
    li.append(button(t("Question"), () => api("POST", `/api/v1/comments/${encodeURIComponent(c.id)}`, { is_question: !c.is_question }), {}, "neutral"));
    li.append(button(t("Answer"), () => { const a = prompt(c.text); if (a) api("POST", `/api/v1/comments/${encodeURIComponent(c.id)}/answer`, { answer: a }); }, {}, "primary"));
    li.append(button(t("Hide"), () => api("POST", `/api/v1/comments/${encodeURIComponent(c.id)}`, { is_hidden: true }), {}, "neutral"));
    li.append(button(t("Block"), () => api("POST", `/api/v1/users/${encodeURIComponent(c.user)}/block`, { is_blocked: true }), {}, "stop"));
    list.append(li);
  }
}

let commentTimer = null;
function onEvent(event) {
  if (event.type === "state") { renderState(event.data); return; }
  // A replaced catalog or a new show changes the product list and empties the comments.
  if (event.type === "catalog.loaded" || event.type === "show.new") api("GET", "/api/v1/products").then(renderProducts);
  if (event.type === "show.new") refreshComments();
  if (event.type.startsWith("comment") || event.type.startsWith("answer") || event.type.startsWith("user")) {
    if (!commentTimer) commentTimer = setTimeout(() => { commentTimer = null; refreshComments(); }, 500);
  }
  scheduleState();
}

let stateTimer = null;
function scheduleState() {
  if (!stateTimer) stateTimer = setTimeout(() => { stateTimer = null; api("GET", "/api/v1/state").then(renderState); }, 100);
}

async function refreshProgram() {
  try {
    const blob = await api("GET", "/api/v1/program.jpg");
    const img = $("#program"); const old = img.src; img.src = URL.createObjectURL(blob);
    if (old.startsWith("blob:")) URL.revokeObjectURL(old);
  } catch (e) { /* no frame yet */ }
}

let timersStarted = false;
async function connect(candidate) {
  token = candidate;
  try {
    const products = await api("GET", "/api/v1/products");
    sessionStorage.setItem("bridgecast-token", token);
    $("#pairing").hidden = true; $("#app").hidden = false; $("#next-segment").hidden = false;
    renderProducts(products);
    renderState(await api("GET", "/api/v1/state"));
    refreshComments();
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/api/v1/events", ["bridgecast.v1", "bearer." + token]);
    socket.onopen = () => {
      $("#status").textContent = t("connected");
      // What changed between the first reads and the socket's opening came as no event: read again.
      api("GET", "/api/v1/products").then(renderProducts);
      scheduleState();
      refreshComments();
      document.body.dataset.ready = "1";
    };
    socket.onclose = () => { $("#status").textContent = t("disconnected"); setTimeout(() => connect(token), 2000); };
    socket.onmessage = (m) => onEvent(JSON.parse(m.data));
    if (!timersStarted) { timersStarted = true; setInterval(refreshProgram, 1000); setInterval(scheduleState, 1000); }
  } catch (e) {
    if (String(e.message) !== "401") showPairing(t("The studio did not answer. Check that the tablet is on the same network and that the Bridgecast app is running, then reload this page."));
  }
}

function formJson(form) {
  const out = {};
  for (const [k, v] of new FormData(form)) if (v !== "") out[k] = form.elements[k].type === "checkbox" ? true : (/^\d+(\.\d+)?$/.test(v) && k !== "code" && k !== "keyword" && k !== "sku" ? Number(v) : v);
  return out;
}

$("#login").addEventListener("submit", (e) => { e.preventDefault(); connect($("#token").value.trim()); });
$("#unpin").onclick = () => api("POST", "/api/v1/products/unpin");
$("#next-segment").onclick = () => api("POST", "/api/v1/segments/next");
$("#flash-stop").onclick = () => api("POST", "/api/v1/flash-sale/stop");
$("#giveaway-draw").onclick = () => api("POST", "/api/v1/giveaway/draw", {});
$("#questions-only").onchange = refreshComments;
$("#coupon-form").addEventListener("submit", (e) => { e.preventDefault(); api("POST", "/api/v1/coupons", formJson(e.target)); });
$("#flash-form").addEventListener("submit", (e) => { e.preventDefault(); api("POST", "/api/v1/flash-sale", formJson(e.target)); });
$("#giveaway-form").addEventListener("submit", (e) => { e.preventDefault(); api("POST", "/api/v1/giveaway", formJson(e.target)); });

const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromHash) history.replaceState(null, "", location.pathname);
const saved = fromHash || sessionStorage.getItem("bridgecast-token");
if (saved) { connect(saved); } else { showPairing(""); }
document.body.dataset.started = "1";
