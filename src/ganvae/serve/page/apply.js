// An uploaded image's reconstruction and anomaly score in every model; a table model's rows (CSV); a
// recommender's top-k items.
"use strict";

// ---- your image ---------------------------------------------------------------------------------------------
function scoreText(answer) {
  const score = "score (" + answer.method + ") " + answer.score.toPrecision(4);
  if (answer.threshold === null) return [score + "; no threshold: the run was not calibrated (ganvae task anomaly)", ""];
  const verdict = answer.anomalous ? "anomalous" : "normal";
  return [score + " vs threshold " + answer.threshold.toPrecision(4) + " at FPR " + answer.fpr + ": ", verdict];
}

async function uploadOne(models, file, classes) {
  const fpr = document.getElementById("upload-fpr").value;
  const original = document.getElementById("upload-original");
  const old = original.querySelector("img").src;
  original.querySelector("img").src = URL.createObjectURL(file);
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
  for (const model of models) {
    const column = document.querySelector('#upload-columns .column[data-model="' + model.name + '"]');
    const labels = model.num_classes && classes ? classes.value : "";
    column.querySelector("img").removeAttribute("src");
    for (const p of column.querySelectorAll("p")) p.textContent = "";
    if (model.uses.includes("morph")) {
      const rec = await postForm("/api/reconstruct", { image: file, model: model.name, labels: labels });
      if (rec) {
        column.querySelector("img").src = pngSrc(rec.png);
        const how = model.family === "gan" ? " (latent inversion)" : "";
        column.querySelector(".time").textContent = "reconstructed in " + seconds(rec.seconds) + how + ", PSNR " + rec.psnr.toFixed(1) + " dB";
      }
    }
    if (model.uses.includes("score")) {
      const sc = await postForm("/api/score", { image: file, model: model.name, fpr: fpr });
      if (sc) {
        const [text, verdict] = scoreText(sc);
        const mark = element("span", { className: sc.anomalous ? "bad" : "good", textContent: verdict });
        column.querySelector(".score").replaceChildren(text, mark);
      }
    }
  }
}

function uploadPanel(models) {
  const able = models.filter((m) => m.uses.includes("morph") || m.uses.includes("score"));
  if (!able.length) return;
  document.getElementById("upload-panel").hidden = false;
  const classes = classSelect(able.filter((m) => m.uses.includes("morph")));
  if (classes) document.getElementById("upload-class").append(element("label", {}, "its class ", classes));
  const original = modelColumn({ name: "your image", family: "upload" }, [element("img", { alt: "your image" })]);
  original.id = "upload-original";
  delete original.dataset.model;
  const columns = able.map((m) =>
    modelColumn(m, [element("img", { alt: "reconstruction by " + m.name }), element("p", { className: "note time" }), element("p", { className: "score" })])
  );
  document.getElementById("upload-columns").replaceChildren(original, ...columns);
  const input = document.getElementById("upload-file");
  const again = () => input.files.length && uploadOne(able, input.files[0], classes);
  input.addEventListener("change", again);
  document.getElementById("upload-fpr").addEventListener("change", again);
}

ganvae.panels.push(uploadPanel);

// ---- table rows ----------------------------------------------------------------------------------------------
function parseConditions(text) {
  const out = {};
  for (const part of text.split(/[;\n]/)) {
    const at = part.indexOf("=");
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

// CSV text to rows of cells (quoted fields with commas, doubled quotes and line breaks)
function parseCsv(text) {
  const rows = [[]];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') [cell, i] = [cell + '"', i + 1];
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") [rows[rows.length - 1], cell] = [[...rows[rows.length - 1], cell], ""];
    else if (ch === "\n") {
      rows[rows.length - 1].push(cell);
      rows.push([]);
      cell = "";
    } else if (ch !== "\r") cell += ch;
  }
  if (cell !== "" || rows[rows.length - 1].length) rows[rows.length - 1].push(cell);
  return rows.filter((r) => r.length);
}

async function drawRows() {
  const body = {
    model: document.getElementById("table-model").value,
    n: Number(document.getElementById("table-n").value),
    seed: Number(document.getElementById("table-seed").value),
    conditions: parseConditions(document.getElementById("table-conditions").value),
  };
  const csv = await postJson("/api/synthesize", body);
  if (csv === null) return;
  const [head, ...rows] = parseCsv(csv);
  const table = element(
    "table",
    {},
    element("tr", {}, ...head.map((h) => element("th", { textContent: h }))),
    ...rows.slice(0, 50).map((r) => element("tr", {}, ...r.map((c) => element("td", { textContent: c }))))
  );
  const note = element("p", { className: "note", textContent: rows.length + " rows" + (rows.length > 50 ? " (the first 50 shown)" : "") });
  document.getElementById("table-preview").replaceChildren(note, table);
  const link = document.getElementById("table-download");
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
  link.hidden = false;
}

function tablePanel(models) {
  const able = models.filter((m) => m.uses.includes("synthesize"));
  if (!able.length) return;
  document.getElementById("table-panel").hidden = false;
  fillSelect(document.getElementById("table-model"), able);
  document.getElementById("table-draw").addEventListener("click", drawRows);
}

ganvae.panels.push(tablePanel);

// ---- recommendations -------------------------------------------------------------------------------------
async function recommend() {
  const user = document.getElementById("recommend-user").value.trim();
  const body = { model: document.getElementById("recommend-model").value, k: Number(document.getElementById("recommend-k").value) };
  if (user) body.user = user;
  else body.items = document.getElementById("recommend-items").value;
  const answer = await postJson("/api/recommend", body);
  if (!answer) return;
  const list = document.getElementById("recommend-list");
  list.replaceChildren(
    ...answer.items.map((row) =>
      element("li", {}, (row.title || "item " + row.item) + " ", element("span", { className: "note", textContent: "[item " + row.item + "] " + row.score.toFixed(3) }))
    )
  );
}

function recommendPanel(models) {
  const able = models.filter((m) => m.uses.includes("recommend"));
  if (!able.length) return;
  document.getElementById("recommend-panel").hidden = false;
  fillSelect(document.getElementById("recommend-model"), able);
  document.getElementById("recommend-run").addEventListener("click", recommend);
}

ganvae.panels.push(recommendPanel);
