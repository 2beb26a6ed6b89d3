// SSCard — KioskWeb
//
// The touch-screen page, embedded: no CDN, no file beside the binary. It
// shows the screen the server pushes (server-sent events), large Chinese
// labels with English beneath, and an on-screen PIN pad. PIN digits live in
// one variable only while a PIN screen is up: sent once with 确认, cleared
// at every new screen; never stored, never logged.

enum KioskPage {
    static let html = #"""
<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>社会保障卡自助终端 SSCard kiosk</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; background: #0b4f8a; color: #fff; }
  header { padding: 18px 32px; font-size: 28px; background: #083a66; display: flex; justify-content: space-between; }
  header small { font-size: 16px; opacity: .8; display: block; }
  main { max-width: 980px; margin: 24px auto; background: #fff; color: #102030; border-radius: 16px; padding: 32px; min-height: 560px; }
  h1 { font-size: 40px; margin: 0 0 4px; }
  h1 + .en, .en { font-size: 18px; color: #5a6b7b; }
  .note { background: #fff3cd; color: #6a4b00; border-radius: 10px; padding: 12px 18px; margin-bottom: 18px; font-size: 22px; }
  .lines { margin: 18px 0; font-size: 24px; line-height: 1.6; }
  .lines .en { font-size: 15px; margin-left: 8px; }
  .options { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; margin-top: 18px; }
  button { font: inherit; border: 0; border-radius: 14px; padding: 18px; background: #1f78c8; color: #fff; font-size: 26px; cursor: pointer; }
  button .en { color: #dbe9f7; font-size: 15px; display: block; }
  button.secondary { background: #8796a5; }
  .pin { display: flex; flex-direction: column; align-items: center; }
  .dots { font-size: 48px; letter-spacing: 12px; height: 64px; margin: 12px 0; }
  .pad { display: grid; grid-template-columns: repeat(3, 110px); gap: 14px; }
  .pad button { font-size: 36px; padding: 22px 0; }
  .slot { margin-top: 20px; display: flex; gap: 12px; justify-content: center; }
  .waiting { text-align: center; padding-top: 120px; }
  .waiting .card { width: 240px; height: 150px; margin: 30px auto; border-radius: 14px; background: linear-gradient(135deg, #d4a017, #f4d35e); }
</style>
</head>
<body>
<header><div>社会保障卡自助服务<small>Social security card self-service</small></div><div id="clock"></div></header>
<main id="screen"><p>连接中… connecting…</p></main>
<script>
"use strict";
let pin = "";          // the digits of the PIN screen now up, and nowhere else
let current = null;
const main = document.getElementById("screen");

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}
function bilingual(b, tag) {
  const zh = el(tag || "div", {}, b.zh);
  const en = el("div", { class: "en" }, b.en);
  return [zh, en];
}
async function post(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
  return r.ok;
}
function entry(text) { return post("/entry", { entry: text }); }

function render(s) {
  current = s;
  pin = "";
  main.replaceChildren();
  main.dataset.kind = s.kind;
  if (s.note) main.append(el("div", { class: "note", id: "note" }, s.note.zh + " — " + s.note.en));
  if (s.kind === "waiting") {
    const w = el("div", { class: "waiting" });
    w.append(...bilingual(s.title, "h1"), el("div", { class: "card" }));
    main.append(w);
  } else {
    main.append(...bilingual(s.title, "h1"));
  }
  const lines = el("div", { class: "lines", id: "lines" });
  for (const l of s.lines) {
    const row = el("div", {}, l.zh);
    if (l.en) row.append(el("span", { class: "en" }, l.en));
    lines.append(row);
  }
  main.append(lines);
  if (s.kind === "pin") {
    const box = el("div", { class: "pin" });
    box.append(...bilingual(s.prompt, "h2"));
    const dots = el("div", { class: "dots", id: "dots" });
    box.append(dots);
    const pad = el("div", { class: "pad" });
    const show = () => { dots.textContent = "●".repeat(pin.length); };
    for (const d of ["1","2","3","4","5","6","7","8","9"]) {
      const b = el("button", { "data-digit": d }, d);
      b.onclick = () => { if (pin.length < 16) { pin += d; show(); } };
      pad.append(b);
    }
    const clear = el("button", { class: "secondary", id: "clear" }, "⌫");
    clear.onclick = () => { pin = pin.slice(0, -1); show(); };
    const zero = el("button", { "data-digit": "0" }, "0");
    zero.onclick = () => { if (pin.length < 16) { pin += "0"; show(); } };
    const ok = el("button", { id: "ok" }, "确认");
    ok.onclick = () => { const p = pin; pin = ""; show(); entry(p); };
    pad.append(clear, zero, ok);
    box.append(pad);
    const cancel = el("button", { class: "secondary", id: "cancel" }, "取消", el("span", { class: "en" }, "Cancel"));
    cancel.onclick = () => { pin = ""; post("/cancel"); };
    box.append(el("div", { class: "slot" }, cancel));
    main.append(box);
  } else if (s.kind !== "waiting" && s.kind !== "eject") {
    const opts = el("div", { class: "options" });
    for (const o of s.options) {
      const b = el("button", { "data-key": o.key || "any" }, o.label.zh, el("span", { class: "en" }, o.label.en));
      b.onclick = () => entry(o.key || "ok");
      opts.append(b);
    }
    main.append(opts);
  }
  if (s.simulated_card) {
    const slot = el("div", { class: "slot" });
    if (s.kind === "waiting") {
      const b = el("button", { id: "insert", class: "secondary" }, "插卡", el("span", { class: "en" }, "Insert the virtual card"));
      b.onclick = () => post("/card", { action: "insert" });
      slot.append(b);
    } else {
      const b = el("button", { id: "remove", class: "secondary" }, "取卡", el("span", { class: "en" }, "Take the card out"));
      b.onclick = () => post("/card", { action: "remove" });
      slot.append(b);
    }
    main.append(slot);
  }
}

const events = new EventSource("/events");
events.onmessage = (m) => render(JSON.parse(m.data));
setInterval(() => { document.getElementById("clock").textContent = new Date().toLocaleTimeString("zh-CN"); }, 1000);
</script>
</body>
</html>
"""#
}
