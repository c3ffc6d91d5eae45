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
    if (r.status === 401) { showLogin(t("wrong token")); throw new Error("401"); }
    const ct = r.headers.get("Content-Type") || "";
    const data = ct.includes("json") ? await r.json() : await r.blob();
    if (!r.ok) { $("#status").textContent = (data && data.error) || r.status; throw new Error(r.status); }
    return data;
  });
}

function showLogin(message) {
  $("#login").hidden = false; $("#app").hidden = true; $("#login-error").textContent = message || "";
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  Object.assign(node, attrs || {});
  return node;
}

function button(label, onclick, attrs) { return el("button", label, Object.assign({ type: "button", onclick }, attrs || {})); }

function renderProducts(products) {
  const body = $("#products tbody"); body.replaceChildren();
  const select = $("#flash-sku"); select.replaceChildren();
  for (const p of products) {
    const row = el("tr"); row.dataset.sku = p.sku;
    row.append(el("td", p.sku), el("td", p.titles[""] || Object.values(p.titles)[0] || ""), el("td", p.price + " " + p.currency));
    const cell = el("td");
    cell.append(button(t("Pin"), () => api("POST", "/api/v1/products/" + encodeURIComponent(p.sku) + "/pin"), { className: "pin", id: "pin-" + p.sku }));
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
  $("#segment").textContent = seg ? `${seg.name} · ${Math.floor(seg.elapsed_s / 60)}:${String(Math.floor(seg.elapsed_s % 60)).padStart(2, "0")} / ${Math.round(seg.planned_s / 60)} min${seg.is_overtime ? " ⚠" : ""}` : "";
  const coupons = $("#coupons"); coupons.replaceChildren();
  for (const c of s.coupons || []) {
    const li = el("li", `${c.code} ${c.kind} ${c.value} · ${c.claimed}${c.quantity ? "/" + c.quantity : ""} `);
    li.append(c.is_shown ? button(t("Hide"), () => api("POST", "/api/v1/coupons/hide")) : button(t("Show"), () => api("POST", `/api/v1/coupons/${c.code}/show`)));
    coupons.append(li);
  }
  const f = s.flash_sale;
  $("#flash").textContent = f ? `${f.sku}: ${t(f.phase)} ${Math.ceil(f.countdown_s)} s · ${f.remaining}/${f.stock}` : "";
  const g = s.giveaway;
  $("#giveaway").textContent = g ? `“${g.keyword}” · ${g.entry_count} · #${g.commitment.slice(0, 16)}… ${g.winners.join(", ")}` : "";
}

async function refreshComments() {
  const q = $("#questions-only").checked ? "?questions=1" : "";
  const data = await api("GET", "/api/v1/comments" + q);
  const list = $("#comments"); list.replaceChildren();
  for (const c of data.comments.slice(-50).reverse()) {
    const li = el("li", `${c.user}: ${c.text} `, { className: (c.is_question ? "q " : "") + (c.highlights.length ? "hl" : "") });
    li.append(button(t("Question"), () => api("POST", `/api/v1/comments/${encodeURIComponent(c.id)}`, { is_question: !c.is_question })));
    li.append(button(t("Answer"), () => { const a = prompt(c.text); if (a) api("POST", `/api/v1/comments/${encodeURIComponent(c.id)}/answer`, { answer: a }); }));
    li.append(button(t("Hide"), () => api("POST", `/api/v1/comments/${encodeURIComponent(c.id)}`, { is_hidden: true })));
    li.append(button(t("Block"), () => api("POST", `/api/v1/users/${encodeURIComponent(c.user)}/block`, { is_blocked: true })));
    list.append(li);
  }
}

let commentTimer = null;
function onEvent(event) {
  if (event.type === "state") { renderState(event.data); return; }
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

async function connect(candidate) {
  token = candidate;
  try {
    const products = await api("GET", "/api/v1/products");
    sessionStorage.setItem("bridgecast-token", token);
    $("#login").hidden = true; $("#app").hidden = false;
    renderProducts(products);
    renderState(await api("GET", "/api/v1/state"));
    refreshComments();
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/api/v1/events", ["bridgecast.v1", "bearer." + token]);
    socket.onopen = () => { $("#status").textContent = t("connected"); };
    socket.onclose = () => { $("#status").textContent = t("disconnected"); setTimeout(() => connect(token), 2000); };
    socket.onmessage = (m) => onEvent(JSON.parse(m.data));
    setInterval(refreshProgram, 1000);
    setInterval(scheduleState, 1000);
    document.body.dataset.ready = "1";
  } catch (e) { if (String(e.message) !== "401") showLogin(String(e)); }
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
if (saved) { $("#token").value = saved; connect(saved); }
