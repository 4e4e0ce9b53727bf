// The latent map (test images' codes, PCA to 2-D; a click decodes the point in every model, sliders move it
// along the principal directions) and the morph (a slider along the path between two images' codes).
"use strict";

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const SVG = document.getElementById("map").namespaceURI; // the SVG namespace, taken from the page
const SIZE = 360;
const MARGIN = 12;

const explore = {
  map: null, // the /api/map answer of the model chosen
  index: 0, // the chosen point (a drawn test image)
  offsets: [],
  asked: {}, // model -> number of its latest decode request: older answers are dropped
  morphFrames: {}, // model -> base64 PNG frames of its morph
};

function colourOf(label) {
  return label === null || label === undefined ? "#555" : PALETTE[label % PALETTE.length];
}

// models whose codes can be drawn on the map: an encoder and a decoder, and data their run names
// (VAEs first: their encoder gives the codes at once, a GAN inverts every test image)
function mappable(models) {
  const able = models.filter((m) => m.uses.includes("morph") && m.data);
  return able.filter((m) => m.family === "vae").concat(able.filter((m) => m.family !== "vae"));
}

// ---- the map -----------------------------------------------------------------------------------------------
function drawMap(map) {
  const svg = document.getElementById("map");
  const xs = map.points.map((p) => p[0]);
  const ys = map.points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (SIZE - 2 * MARGIN) / (x1 - x0 || 1);
  const sy = (SIZE - 2 * MARGIN) / (y1 - y0 || 1);
  map.screen = map.points.map((p) => [MARGIN + (p[0] - x0) * sx, SIZE - MARGIN - (p[1] - y0) * sy]);
  const circles = map.screen.map(([cx, cy], i) => {
    const c = document.createElementNS(SVG, "circle");
    c.setAttribute("class", "point");
    c.setAttribute("cx", cx.toFixed(1));
    c.setAttribute("cy", cy.toFixed(1));
    c.setAttribute("r", "4");
    c.setAttribute("fill", colourOf(map.labels ? map.labels[i] : null));
    c.dataset.index = String(i);
    const label = map.labels && map.class_names ? map.class_names[map.labels[i]] : "";
    const title = document.createElementNS(SVG, "title");
    title.textContent = "test image " + map.test_index[i] + (label !== "" ? " (class " + label + ")" : "");
    c.append(title);
    return c;
  });
  const ring = document.createElementNS(SVG, "circle");
  ring.setAttribute("class", "chosen");
  ring.setAttribute("r", "7");
  ring.id = "map-chosen";
  svg.replaceChildren(...circles, ring);

  const legend = document.getElementById("map-legend");
  const names = map.class_names || [];
  legend.replaceChildren(
    ...names.map((name, k) => {
      const swatch = element("span", {});
      swatch.style.background = colourOf(k); // CSSOM, allowed by the page's policy (no inline style attribute)
      return element("li", {}, swatch, name);
    })
  );
  const variance = map.explained.map((e, j) => "PC" + (j + 1) + " " + Math.round(100 * e) + "%").join(", ");
  const how = map.approximate ? " by latent inversion" : "";
  document.getElementById("map-info").textContent =
    map.n + " test images of " + map.data + "; " + variance + " of the variance; codes" + how +
    " in " + seconds(map.seconds) + (map.note ? "; " + map.note : "");
}

function makeSliders(map) {
  explore.offsets = new Array(map.directions).fill(0);
  const bound = Math.min(3, map.max_offset);
  const sliders = [...Array(map.directions).keys()].map((j) => {
    const input = element("input", { type: "range", min: String(-bound), max: String(bound), step: "0.25", value: "0" });
    input.id = "map-pc" + (j + 1);
    const shown = element("span", { className: "note", textContent: "0 sd" });
    input.addEventListener("input", () => {
      explore.offsets[j] = Number(input.value);
      shown.textContent = input.value + " sd";
      decodeChosen();
    });
    return element("label", {}, "PC" + (j + 1) + " ", input, " ", shown);
  });
  document.getElementById("map-sliders").replaceChildren(...sliders);
}

function choose(index) {
  explore.index = index;
  const [cx, cy] = explore.map.screen[index];
  const ring = document.getElementById("map-chosen");
  ring.setAttribute("cx", cx.toFixed(1));
  ring.setAttribute("cy", cy.toFixed(1));
  decodeChosen();
}

// the chosen test image, and its (moved) code decoded in every model trained on the same data
async function decodeChosen() {
  const map = explore.map;
  const index = explore.index;
  const original = document.getElementById("map-original");
  api("/api/test-image?" + new URLSearchParams({ model: map.model, index: String(index) })).then((a) => {
    if (a && explore.index === index) {
      original.querySelector("img").src = pngSrc(a.png);
      original.querySelector(".note").textContent = "test image " + a.test_index + (a.label !== null ? ", class " + a.label : "");
    }
  });
  for (const column of document.querySelectorAll("#map-decoded .column[data-model]")) {
    const model = column.dataset.model;
    const ask = (explore.asked[model] || 0) + 1;
    explore.asked[model] = ask;
    const answer = await postJson("/api/map/decode", { model: model, index: index, offsets: explore.offsets });
    if (answer && explore.asked[model] === ask) column.querySelector("img").src = pngSrc(answer.png);
  }
}

async function loadMap(model) {
  document.getElementById("map-info").textContent = "computing the codes of the test images...";
  const map = await api("/api/map?" + new URLSearchParams({ model: model }));
  if (!map) return;
  explore.map = map;
  drawMap(map);
  makeSliders(map);
  const same = mappable(ganvae.models).filter((m) => m.data === map.data);
  const original = modelColumn({ name: "test image", family: map.data }, [element("img", { alt: "the test image" }), element("p", { className: "note" })]);
  original.id = "map-original";
  delete original.dataset.model;
  const columns = same.map((m) => modelColumn(m, [element("img", { alt: "decoded by " + m.name })]));
  document.getElementById("map-decoded").replaceChildren(original, ...columns);
  choose(Math.min(explore.index, map.n - 1));
}

function mapPanel(models) {
  const able = mappable(models);
  if (!able.length) return;
  document.getElementById("map-panel").hidden = false;
  const select = document.getElementById("map-model");
  fillSelect(select, able);
  select.addEventListener("change", () => loadMap(select.value));
  document.getElementById("map").addEventListener("click", (event) => {
    if (!explore.map) return;
    const box = event.currentTarget.getBoundingClientRect();
    const x = ((event.clientX - box.left) * SIZE) / box.width;
    const y = ((event.clientY - box.top) * SIZE) / box.height;
    let best = 0;
    let bestDistance = Infinity;
    explore.map.screen.forEach(([cx, cy], i) => {
      const d = (cx - x) ** 2 + (cy - y) ** 2;
      if (d < bestDistance) [best, bestDistance] = [i, d];
    });
    choose(best);
  });
  document.getElementById("map-reset").addEventListener("click", () => {
    document.querySelectorAll("#map-sliders input").forEach((input, j) => {
      input.value = "0";
      input.nextElementSibling.textContent = "0 sd";
      explore.offsets[j] = 0;
    });
    decodeChosen();
  });
  loadMap(able[0].name);
}

ganvae.panels.push(mapPanel);

// ---- the morph ---------------------------------------------------------------------------------------------
// one end: a test image index (with its thumbnail) or an uploaded file, which wins while it is chosen
function makeEnd(id, start, source) {
  const box = document.getElementById(id);
  const index = element("input", { type: "number", min: "0", value: String(start) });
  const file = element("input", { type: "file", accept: "image/*" });
  const img = element("img", { alt: "morph end " + id.slice(-1) });
  const clear = element("button", { type: "button", textContent: "use the test image", hidden: true });
  const end = { index, file, img };
  end.show = async () => {
    if (file.files.length) {
      const old = img.src;
      img.src = URL.createObjectURL(file.files[0]);
      if (old.startsWith("blob:")) URL.revokeObjectURL(old);
      return;
    }
    if (!source) return;
    const a = await api("/api/test-image?" + new URLSearchParams({ model: source.name, index: index.value }));
    if (a) img.src = pngSrc(a.png);
  };
  index.addEventListener("change", () => end.show());
  file.addEventListener("change", () => {
    clear.hidden = !file.files.length;
    index.disabled = file.files.length > 0;
    end.show();
  });
  clear.addEventListener("click", () => {
    file.value = "";
    index.disabled = false;
    clear.hidden = true;
    end.show();
  });
  const pickLabel = source ? [element("label", {}, "test image ", index), " "] : [];
  box.append(img, element("p", {}, ...pickLabel, element("label", {}, "or upload ", file), clear));
  if (!source) index.disabled = true;
  return end;
}

function showFrame() {
  const t = Number(document.getElementById("morph-slider").value);
  for (const column of document.querySelectorAll("#morph-columns .column")) {
    const frames = explore.morphFrames[column.dataset.model];
    if (frames && frames.length) column.querySelector("img").src = pngSrc(frames[Math.min(t, frames.length - 1)]);
  }
  const frames = Number(document.getElementById("morph-slider").max) + 1;
  document.getElementById("morph-position").textContent = "frame " + (t + 1) + " of " + frames;
}

async function runMorph(models, ends, classes) {
  const method = document.getElementById("morph-method").value;
  const frames = document.getElementById("morph-frames").value || "9";
  const slider = document.getElementById("morph-slider");
  for (const model of models) {
    const column = document.querySelector('#morph-columns .column[data-model="' + model.name + '"]');
    const uploads = ends.some((e) => e.file.files.length);
    let answer;
    if (uploads) {
      const fields = { model: model.name, method: method, frames: frames };
      ["a", "b"].forEach((k, i) => {
        fields[k] = ends[i].file.files.length ? ends[i].file.files[0] : ends[i].index.value;
      });
      if (model.num_classes && classes) fields.labels = classes.value;
      answer = await postForm("/api/morph", fields);
    } else {
      const body = { model: model.name, method: method, frames: Number(frames), a: Number(ends[0].index.value), b: Number(ends[1].index.value) };
      answer = await postJson("/api/morph", body);
    }
    if (!answer) continue;
    explore.morphFrames[model.name] = answer.frames;
    slider.max = String(answer.frames.length - 1);
    if (Number(slider.value) > Number(slider.max)) slider.value = slider.max;
    const how = answer.approximate ? " (both ends by latent inversion)" : "";
    column.querySelector(".note").textContent = "encoded and decoded in " + seconds(answer.seconds) + how;
    showFrame();
  }
}

function morphPanel(models) {
  const able = models.filter((m) => m.uses.includes("morph"));
  if (!able.length) return;
  document.getElementById("morph-panel").hidden = false;
  const source = mappable(able)[0]; // where the test images come from (none: uploads only)
  const ends = [makeEnd("end-a", 0, source), makeEnd("end-b", 1, source)];
  const classes = classSelect(able);
  if (classes) document.getElementById("end-b").append(element("p", {}, element("label", {}, "class of the uploads ", classes)));
  const columns = able.map((m) => modelColumn(m, [element("img", { alt: "morph by " + m.name }), element("p", { className: "note" })]));
  document.getElementById("morph-columns").replaceChildren(...columns);
  document.getElementById("morph-slider").addEventListener("input", showFrame);
  document.getElementById("morph-run").addEventListener("click", () => runMorph(able, ends, classes));
  document.getElementById("morph-method").addEventListener("change", () => runMorph(able, ends, classes));
  const random = document.getElementById("morph-random");
  random.hidden = !source;
  random.addEventListener("click", () => {
    const n = explore.map ? explore.map.n : 2;
    ends.forEach((e) => {
      e.index.value = String(Math.floor(Math.random() * n));
      e.show();
    });
    runMorph(able, ends, classes);
  });
  ends.forEach((e) => e.show());
  if (source) runMorph(able, ends, classes);
}

ganvae.panels.push(morphPanel);
