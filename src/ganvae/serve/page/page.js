// The page of `ganvae serve`: one column per model that samples, a grid and its seed, redrawn on a click.
// Everything it loads comes from this server (no external scripts, styles or fonts).
"use strict";

const columns = document.getElementById("columns");
const status = document.getElementById("status");

function newSeed() {
  return Math.floor(Math.random() * 2147483647);
}

async function draw(column) {
  const n = document.getElementById("n").value || "16";
  const seed = newSeed();
  const query = new URLSearchParams({ model: column.dataset.model, n: n, seed: String(seed), format: "png" });
  const answer = await fetch("/api/sample?" + query.toString());
  if (!answer.ok) {
    const body = await answer.json().catch(() => ({ error: answer.statusText }));
    status.textContent = column.dataset.model + ": " + body.error;
    return;
  }
  status.textContent = "";
  const img = column.querySelector("img");
  const old = img.src;
  img.src = URL.createObjectURL(await answer.blob());
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
  column.querySelector(".seed").textContent = "seed " + seed;
}

function addColumn(model) {
  const column = document.createElement("section");
  column.className = "column";
  column.dataset.model = model.name;
  const title = document.createElement("h2");
  title.textContent = model.name + " (" + model.family + ")";
  const img = document.createElement("img");
  img.alt = "samples of " + model.name;
  const seed = document.createElement("p");
  seed.className = "seed";
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Redraw";
  button.addEventListener("click", () => draw(column));
  column.append(title, img, seed, button);
  columns.append(column);
  return column;
}

async function start() {
  const answer = await fetch("/api/models");
  const models = (await answer.json()).models.filter((m) => m.uses.includes("sample"));
  if (!models.length) {
    status.textContent = "none of the served models draws images";
    return;
  }
  const made = models.map(addColumn);
  document.getElementById("redraw-all").addEventListener("click", () => made.forEach(draw));
  for (const column of made) await draw(column);
}

start();
