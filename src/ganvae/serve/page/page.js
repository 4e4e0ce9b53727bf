// The page of `ganvae serve`. page.js: helpers shared by every panel, and the sample grids; explore.js:
// the latent map and the morph; apply.js: an upload, table rows, recommendations. Plain scripts, no build
// step; everything they load comes from this server.
"use strict";

const ganvae = {
  models: [],
  panels: [], // functions called with the model list once it is known
  status: document.getElementById("status"),
};

// Every API call goes through here: body[data-pending] counts the calls in flight (0 when the page is
// idle: what the browser test waits for), and a refusal is shown in the status line, not thrown.
async function api(path, options) {
  const body = document.body;
  body.dataset.pending = String(Number(body.dataset.pending) + 1);
  try {
    const answer = await fetch(path, options);
    const kind = answer.headers.get("content-type") || "";
    const data = kind.startsWith("application/json") ? await answer.json() : await answer.text();
    if (!answer.ok) {
      const message = (data && data.error) || answer.statusText;
      ganvae.status.textContent = path.split("?")[0] + ": " + message;
      return null;
    }
    return data;
  } catch (err) {
    ganvae.status.textContent = path.split("?")[0] + ": " + err;
    return null;
  } finally {
    body.dataset.pending = String(Number(body.dataset.pending) - 1);
  }
}

function postJson(path, object) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(object) });
}

function postForm(path, fields) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value !== null && value !== undefined && value !== "") form.append(key, value);
  }
  return api(path, { method: "POST", body: form });
}

function pngSrc(base64) {
  return "data:image/png;base64," + base64;
}

function element(tag, props, ...children) {
  const el = document.createElement(tag);
  Object.assign(el, props || {});
  el.append(...children);
  return el;
}

// A column per model: its name and family, then whatever the panel puts in it.
function modelColumn(model, extra) {
  const title = element("h3", { textContent: model.name + " (" + model.family + ")" });
  const column = element("section", { className: "column" }, title, ...(extra || []));
  column.dataset.model = model.name;
  return column;
}

function fillSelect(select, models) {
  select.replaceChildren(...models.map((m) => element("option", { value: m.name, textContent: m.name })));
}

// Class-conditional models need an uploaded image's class: a select of their class names, or null.
function classSelect(models) {
  const conditional = models.find((m) => m.num_classes > 0);
  if (!conditional) return null;
  const names = conditional.class_names || [...Array(conditional.num_classes).keys()].map(String);
  const select = element("select", {});
  select.append(...names.map((name) => element("option", { value: name, textContent: name })));
  return select;
}

function seconds(s) {
  return s < 0.01 ? "under 0.01 s" : s.toFixed(2) + " s";
}

function newSeed() {
  return Math.floor(Math.random() * 2147483647);
}

// ---- samples: one grid per model that samples, redrawn with a fresh seed ----------------------------------
async function draw(column) {
  const n = document.getElementById("n").value || "16";
  const seed = newSeed();
  const answer = await api("/api/sample?" + new URLSearchParams({ model: column.dataset.model, n: n, seed: String(seed) }));
  if (!answer) return;
  column.querySelector("img").src = pngSrc(answer.png);
  column.querySelector(".seed").textContent = "seed " + answer.seed;
}

function samplesPanel(models) {
  const able = models.filter((m) => m.uses.includes("sample"));
  if (!able.length) {
    document.getElementById("samples-panel").hidden = true;
    return;
  }
  const made = able.map((model) => {
    const img = element("img", { alt: "samples of " + model.name });
    const button = element("button", { type: "button", textContent: "Redraw" });
    const column = modelColumn(model, [img, element("p", { className: "seed" }), button]);
    button.addEventListener("click", () => draw(column));
    document.getElementById("columns").append(column);
    return column;
  });
  document.getElementById("redraw-all").addEventListener("click", () => made.forEach(draw));
  made.forEach(draw);
}

ganvae.panels.push(samplesPanel);

async function start() {
  const answer = await api("/api/models");
  if (!answer) return;
  ganvae.models = answer.models;
  ganvae.limits = answer.limits;
  for (const panel of ganvae.panels) panel(ganvae.models);
}

// after every script of the page has added its panel
document.addEventListener("DOMContentLoaded", start);
