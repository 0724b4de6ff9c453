// bprop playground page. It draws what the server sends and never computes a gradient:
// every z, a, delta, dC/db, dC/dw and step shown is a number bprop computed in Python.
"use strict";

const $ = (id) => document.getElementById(id);
const DATASETS = {
  classification: [["circle", "circle"], ["xor", "XOR"], ["gauss", "two Gaussians"], ["spiral", "spiral"],
                   ["blobs3", "3 blobs"], ["blobs4", "4 blobs"], ["spiral3", "3 spirals"]],
  regression: [["plane", "plane"], ["multigauss", "multi-Gaussian"]],
};
const FEATURES = [["x1", "x₁"], ["x2", "x₂"], ["x1sq", "x₁²"], ["x2sq", "x₂²"], ["x1x2", "x₁x₂"], ["sinx1", "sin x₁"], ["sinx2", "sin x₂"]];
const CLASS_RGB = [[245, 147, 34], [8, 119, 189], [76, 160, 80], [156, 39, 176]];
const NUMERIC = ["noise", "train_ratio", "points", "data_seed", "eta", "reg_rate", "batch", "dropout",
                 "schedule_every", "stop_epochs", "stop_loss", "speed", "seed"];
const LISTS = ["features", "hidden"];

// Orange (negative / class 0) - white - blue (positive / class 1), as TensorFlow Playground.
const LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  const lo = [245, 147, 34], mid = [232, 234, 235], hi = [8, 119, 189];
  for (let i = 0; i < 256; i++) {
    const t = i / 255, [a, b, u] = t < 0.5 ? [lo, mid, t * 2] : [mid, hi, (t - 0.5) * 2];
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = a[c] + (b[c] - a[c]) * u;
  }
  return lut;
})();

const pg = window.pg = {
  ws: null, settings: null, defaults: null, state: null, frame: null, numbers: null,
  stats: { frames: 0, drawn: 0, lastStep: 0, drawMs: 0, started: performance.now() },
  hover: null, lastHoverMs: null, playing: false, selected: { set: "train", index: 0 },
  errorMs: 10000, closed: false,  // an error shows this long; the lost connection's, for good
};

// ---------------------------------------------------------------- numbers
function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e5) return String(Number(v.toPrecision(5)));
  return v.toExponential(4);
}
function f(v) { return v < 0 ? `(${fmt(v)})` : fmt(v); }
function num(v, key) { return `<span class="num" data-key="${key || ""}">${fmt(v)}</span>`; }
function b64bytes(text) {
  const raw = atob(text), out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

// ---------------------------------------------------------------- connection
function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  pg.ws = ws;
  ws.onmessage = (event) => receive(JSON.parse(event.data));
  ws.onclose = () => {
    pg.closed = true;
    setPlaying(false);
    showError(CLOSED);
  };
}
const CLOSED = "the connection to the playground server closed: nothing on this page trains or changes any more; restart 'bprop playground' and reload";
function send(message) {
  if (pg.ws && pg.ws.readyState === 1) pg.ws.send(JSON.stringify(message));
  else if (pg.closed) showError(CLOSED);
}
function receive(m) {
  switch (m.type) {
    case "hello":
      pg.defaults = m.defaults;
      pg.settings = Object.assign({}, m.defaults, settingsFromHash());
      if (pg.settings.dataset === "upload") pg.settings.dataset = DATASETS[pg.settings.problem === "regression" ? "regression" : "classification"][0][0];
      send({ type: "config", settings: pg.settings });
      break;
    case "state": onState(m); break;
    case "frame": onFrame(m); break;
    case "numbers": onNumbers(m); break;
    case "status": setPlaying(m.playing); break;
    case "stepped": pg.lastStepped = m; break;
    case "trace": showTrace(m); break;
    case "file": download(m); break;
    case "pong": if (pg.onPong) pg.onPong(m); break;
    case "error":
      showError(m.message);
      if (!pg.state && m.request === "config") {  // a bad link: start from the defaults instead
        pg.settings = Object.assign({}, pg.defaults);
        send({ type: "config", settings: pg.settings });
      } else if (pg.state && m.request === "config") showSettings(pg.settings);  // the inputs show what is in effect
      break;
  }
}
let errorTimer = null;
function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(errorTimer);
  if (!pg.closed) errorTimer = setTimeout(() => { box.hidden = true; }, pg.errorMs);
  pg.lastError = text;
}

// ---------------------------------------------------------------- settings and URL
function settingsFromHash() {
  const out = {}, params = new URLSearchParams(location.hash.slice(1));
  for (const [key, value] of params) {
    if (LISTS.includes(key)) out[key] = value === "" ? [] : value.split(",").map((v) => (key === "hidden" ? Number(v) : v));
    else if (NUMERIC.includes(key)) out[key] = Number(value);
    else out[key] = value;
  }
  return out;
}
function writeHash() {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(pg.settings)) params.set(key, Array.isArray(value) ? value.join(",") : value);
  history.replaceState(null, "", "#" + params.toString());
}
function change(patch) {
  const next = Object.assign({}, pg.settings, patch);
  send({ type: "config", settings: next });
}
function bindInputs() {
  for (const id of ["eta", "reg_rate", "batch", "dropout", "schedule_every", "stop_epochs", "stop_loss", "speed", "seed", "points"]) {
    $(id).addEventListener("change", () => change({ [id]: Number($(id).value) }));
  }
  for (const id of ["activation", "regularization", "head", "optimizer", "schedule"]) {
    $(id).addEventListener("change", () => change({ [id]: $(id).value }));
  }
  $("problem").addEventListener("change", () => {
    const problem = $("problem").value;
    change({ problem, dataset: DATASETS[problem][0][0] });
  });
  for (const id of ["noise", "train_ratio"]) {
    $(id).addEventListener("input", () => { $(id + "-v").textContent = $(id).value; });
    $(id).addEventListener("change", () => change({ [id]: Number($(id).value) }));
  }
  $("play").onclick = () => send({ type: pg.playing ? "pause" : "play" });
  $("step").onclick = () => send({ type: "step" });
  $("reset").onclick = () => send({ type: "reset" });
  $("regenerate").onclick = () => send({ type: "regenerate" });
  $("explain").onclick = () => send({ type: "explain" });
  $("export-npz").onclick = () => send({ type: "export", format: "npz" });
  $("export-json").onclick = () => send({ type: "export", format: "json" });
  $("add-layer").onclick = () => { if (pg.settings.hidden.length < 8) change({ hidden: pg.settings.hidden.concat([2]) }); };
  $("remove-layer").onclick = () => { if (pg.settings.hidden.length) change({ hidden: pg.settings.hidden.slice(0, -1) }); };
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => send({ type: "select", set: pg.selected.set, index: pg.selected.index, mode: radio.value }));
  }
  $("csv").addEventListener("change", () => {
    const file = $("csv").files[0];
    if (!file) return;
    if (file.size > 1000000) { showError("the CSV file is larger than 1 MB"); return; }
    file.text().then((text) => send({ type: "upload", csv: text }));
    $("csv").value = "";
  });
  $("modelfile").addEventListener("change", () => {
    const file = $("modelfile").files[0];
    if (!file) return;
    if (file.size > 2000000) { showError("the model file is larger than 2 MB"); return; }
    const format = file.name.toLowerCase().endsWith(".json") ? "json" : "npz";
    file.arrayBuffer().then((buffer) => {
      const bytes = new Uint8Array(buffer);
      let raw = "";
      for (let i = 0; i < bytes.length; i += 0x8000) raw += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      send({ type: "load", format, base64: btoa(raw) });
    });
    $("modelfile").value = "";
  });
  $("boundary").addEventListener("click", pickSample);
}
function showSettings(s) {
  for (const id of ["eta", "reg_rate", "batch", "dropout", "schedule_every", "stop_epochs", "stop_loss", "speed", "seed", "points",
                    "activation", "regularization", "head", "optimizer", "schedule", "problem", "noise", "train_ratio"]) {
    $(id).value = s[id];
  }
  $("noise-v").textContent = s.noise;
  $("train_ratio-v").textContent = s.train_ratio;
  $("head").disabled = s.problem === "regression";
  const chips = $("datasets");
  chips.innerHTML = "";
  const sets = DATASETS[s.problem].concat(pg.state && pg.state.has_upload ? [["upload", "uploaded CSV"]] : []);
  for (const [name, label] of sets) {
    const b = document.createElement("button");
    b.textContent = label;
    b.dataset.name = name;
    if (name === s.dataset) b.className = "on";
    b.onclick = () => change({ dataset: name });
    chips.appendChild(b);
  }
  $("layer-count").textContent = `${s.hidden.length} hidden layer${s.hidden.length === 1 ? "" : "s"}`;
}

// ---------------------------------------------------------------- state: data + network layout
function onState(m) {
  pg.state = m;
  pg.settings = m.settings;
  writeHash();
  showSettings(m.settings);
  const note = $("note");
  note.hidden = !m.note;
  note.textContent = m.note;
  pg.selected = { set: m.selected.set, index: m.selected.index };  // the server's: hover and explain use it
  $("selected").textContent = `Selected: ${pg.selected.set === "train" ? "training" : "test"} sample #${pg.selected.index}.`;
  buildNetwork();
}

const BOX = { w: 40, gap: 10, col: 130, top: 40, left: 70 };
function neuronPos(layer, j) {
  const count = pg.state.sizes[layer];
  const size = count > 12 ? 24 : BOX.w;
  const gap = count > 12 ? 4 : BOX.gap;
  return { x: BOX.left + layer * BOX.col, y: BOX.top + j * (size + gap), size };
}
function buildNetwork() {
  const net = $("network"), svg = $("links");
  for (const el of [...net.querySelectorAll(".neuron, .layer-head")]) el.remove();
  svg.innerHTML = "";
  const sizes = pg.state.sizes, L = sizes.length - 1;
  pg.canvases = [];
  let height = 0;
  for (let l = 0; l <= L; l++) {
    pg.canvases.push([]);
    const head = document.createElement("div");
    head.className = "layer-head";
    head.style.left = (BOX.left + l * BOX.col - 30) + "px";
    head.style.top = "0px";
    head.style.width = "100px";
    if (l === 0) head.textContent = "features";
    else if (l === L) head.textContent = `output (${pg.state.activations[l - 1]})`;
    else {
      head.innerHTML = `<button data-l="${l}" data-d="1" title="add a neuron">+</button> <button data-l="${l}" data-d="-1" title="remove a neuron">−</button><br>${sizes[l]} ${pg.state.activations[l - 1]}`;
      for (const b of head.querySelectorAll("button")) b.onclick = () => {
        const hidden = pg.settings.hidden.slice(), i = Number(b.dataset.l) - 1;
        hidden[i] = Math.min(32, Math.max(1, hidden[i] + Number(b.dataset.d)));
        change({ hidden });
      };
    }
    net.appendChild(head);
    for (let j = 0; j < sizes[l]; j++) {
      const p = neuronPos(l, j);
      const div = document.createElement("div");
      div.className = "neuron";
      div.id = `n-${l}-${j}`;
      div.dataset.l = l;
      div.dataset.j = j;
      Object.assign(div.style, { left: p.x + "px", top: p.y + "px", width: p.size + "px", height: p.size + "px" });
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = pg.state.grid;
      div.appendChild(canvas);
      if (l === 0) {
        const label = document.createElement("span");
        label.className = "feat";
        label.textContent = FEATURES.find((x) => x[0] === pg.settings.features[j])[1];
        div.appendChild(label);
      }
      if (l > 0) {
        div.addEventListener("mouseenter", (event) => hoverStart({ kind: "neuron", l, j }, div, event));
        div.addEventListener("mouseleave", hoverEnd);
      }
      net.appendChild(div);
      pg.canvases[l].push(canvas);
      height = Math.max(height, p.y + p.size);
    }
  }
  // Unused features, to switch on.
  const unused = FEATURES.filter((x) => !pg.settings.features.includes(x[0]));
  unused.forEach(([name, label], i) => {
    const div = document.createElement("div");
    div.className = "layer-head";
    div.style.left = "0px";
    div.style.top = (height + 14 + i * 18) + "px";
    div.style.textAlign = "left";
    div.innerHTML = `<button title="use this feature">+ ${label}</button>`;
    div.querySelector("button").onclick = () => change({ features: pg.settings.features.concat([name]) });
    net.appendChild(div);
  });
  // Features can be switched off by clicking them.
  pg.canvases[0].forEach((canvas, j) => {
    canvas.parentElement.title = "click to stop using this feature";
    canvas.parentElement.style.cursor = "pointer";
    canvas.parentElement.onclick = () => {
      if (pg.settings.features.length > 1) change({ features: pg.settings.features.filter((_, i) => i !== j) });
    };
  });
  height += 20 + unused.length * 18;
  const width = BOX.left + L * BOX.col + 60;
  net.style.height = (height + 10) + "px";
  svg.setAttribute("width", width);
  svg.setAttribute("height", height + 10);
  pg.links = [];
  for (let l = 1; l <= L; l++) {
    pg.links.push([]);
    for (let j = 0; j < sizes[l]; j++) {
      pg.links[l - 1].push([]);
      const to = neuronPos(l, j);
      for (let k = 0; k < sizes[l - 1]; k++) {
        const from = neuronPos(l - 1, k);
        const x1 = from.x + from.size, y1 = from.y + from.size / 2, x2 = to.x, y2 = to.y + to.size / 2;
        const d = `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`;
        const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
        path.setAttribute("d", d);
        path.setAttribute("class", "link");
        path.id = `w-${l}-${j}-${k}`;
        svg.appendChild(path);
        const hit = document.createElementNS("http://www.w3.org/2000/svg", "path");
        hit.setAttribute("d", d);
        hit.setAttribute("class", "hit");
        hit.id = `hit-${l}-${j}-${k}`;
        hit.addEventListener("mouseenter", (event) => { path.classList.add("hot"); hoverStart({ kind: "link", l, j, k }, hit, event); });
        hit.addEventListener("mouseleave", () => { path.classList.remove("hot"); hoverEnd(); });
        svg.appendChild(hit);
        pg.links[l - 1][j].push(path);
      }
    }
  }
}

// ---------------------------------------------------------------- frames
function onFrame(m) {
  const t0 = performance.now();
  pg.frame = m;
  pg.stats.frames++;
  $("stepcount").textContent = m.step;
  $("epochcount").textContent = m.epoch.toFixed(2);
  $("train-loss").textContent = fmt(m.train_loss);
  $("test-loss").textContent = fmt(m.test_loss);
  $("stopped").textContent = m.stopped || "";
  setPlaying(m.playing);  // the server's: a step, a stop condition or a divergence pauses it
  if (m.numbers) onNumbers(m.numbers);
  else if (m.numbers === null) {  // diverged: the last numbers are of weights that are gone
    pg.numbers = null;
    $("card").hidden = true;
  }
  if (!pg.state) return;
  drawHeatmaps(m);
  drawLinks(m);
  drawBoundary(m);
  drawLossCurve(m);
  drawConfusion(m);
  pg.stats.drawn++;
  pg.stats.drawMs += performance.now() - t0;
  pg.stats.lastStep = m.step;
}
function paint(canvas, bytes, colorOf) {
  const ctx = canvas.getContext("2d"), n = canvas.width;
  const image = ctx.createImageData(n, n), px = image.data;
  for (let i = 0; i < n * n; i++) {
    const [r, g, b] = colorOf(bytes, i);
    px[i * 4] = r; px[i * 4 + 1] = g; px[i * 4 + 2] = b; px[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}
const lutColor = (bytes, i) => { const v = bytes[i] * 3; return [LUT[v], LUT[v + 1], LUT[v + 2]]; };
function drawHeatmaps(m) {
  const L = pg.state.sizes.length - 1;
  m.heatmaps.forEach((layer, l) => {
    if (!pg.canvases[l]) return;
    layer.forEach((map, j) => {
      const canvas = pg.canvases[l][j];
      if (!canvas) return;
      if (l === L && pg.state.sizes[L] > 2 && !pg.state.regression) {
        // one softmax/sigmoid output per class: its own class color
        const rgb = CLASS_RGB[j % 4], bytes = b64bytes(map.data);
        paint(canvas, bytes, (b, i) => { const t = b[i] / 255; return rgb.map((c) => 255 - (255 - c) * t); });
      } else paint(canvas, b64bytes(map.data), lutColor);
    });
  });
}
function drawLinks(m) {
  m.weights.forEach((w, l) => w.forEach((row, j) => row.forEach((value, k) => {
    const path = pg.links[l] && pg.links[l][j] && pg.links[l][j][k];
    if (!path) return;
    const t = Math.max(0, Math.min(255, Math.round((Math.tanh(value) + 1) * 127.5))) * 3;
    path.setAttribute("stroke", `rgb(${LUT[t]},${LUT[t + 1]},${LUT[t + 2]})`);
    path.setAttribute("stroke-width", Math.min(6, 0.5 + Math.abs(value) * 1.5).toFixed(2));
  })));
}
const off = document.createElement("canvas");
function drawBoundary(m) {
  const canvas = $("boundary"), ctx = canvas.getContext("2d"), out = m.output, n = pg.state.grid;
  off.width = off.height = n;
  if (out.kind === "classes") {
    const classes = b64bytes(out.classes), conf = b64bytes(out.data);
    paint(off, conf, (b, i) => { const rgb = CLASS_RGB[classes[i] % 4], t = 0.25 + 0.6 * b[i] / 255; return rgb.map((c) => 255 - (255 - c) * t); });
  } else paint(off, b64bytes(out.data), lutColor);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  const R = pg.state.radius, W = canvas.width;
  const toPx = (x, y) => [(x + R) / (2 * R) * W, (R - y) / (2 * R) * W];
  const [lo, hi] = pg.state.regression ? [out.lo, out.hi] : [0, 1];  // the points on the output's scale
  for (const set of ["train", "test"]) {
    const pts = pg.state.points[set];
    ctx.lineWidth = 1;
    ctx.strokeStyle = set === "train" ? "#fff" : "#000";
    pts.xy.forEach(([x, y], i) => {
      const [px, py] = toPx(x, y), label = pts.label[i];
      let rgb;
      if (pg.state.regression) { const t = Math.round((label - lo) / (hi - lo) * 255) * 3; rgb = [LUT[t], LUT[t + 1], LUT[t + 2]]; }
      else rgb = CLASS_RGB[label % 4];
      ctx.fillStyle = `rgb(${rgb})`;
      ctx.beginPath();
      ctx.arc(px, py, 3, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    });
  }
  const sel = pg.state.points[pg.selected.set].xy[pg.selected.index];
  if (sel) {
    const [px, py] = toPx(sel[0], sel[1]);
    ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(px, py, 7, 0, 2 * Math.PI); ctx.stroke();
  }
}
function drawLossCurve(m) {
  const canvas = $("losscurve"), ctx = canvas.getContext("2d"), h = m.history;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (h.length < 2) return;
  let max = 0;
  for (const [, tr, te] of h) max = Math.max(max, tr || 0, te || 0);
  if (!(max > 0)) return;
  const s0 = h[0][0], s1 = h[h.length - 1][0] || 1;
  for (const [index, color] of [[1, "#999"], [2, "#000"]]) {
    ctx.strokeStyle = color; ctx.lineWidth = 1.5; ctx.beginPath();
    h.forEach((row, i) => {
      const x = (row[0] - s0) / Math.max(1, s1 - s0) * canvas.width, y = canvas.height - (row[index] || 0) / max * (canvas.height - 4);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}
function drawConfusion(m) {
  const box = $("confusion");
  if (!m.confusion) { box.innerHTML = ""; return; }
  let html = "";
  for (const set of ["train", "test"]) {
    const matrix = m.confusion[set];
    const unpredicted = m.confusion.unpredicted ? m.confusion.unpredicted[set] : 0;
    const missing = unpredicted ? ` (${unpredicted} with a NaN or infinite output, no prediction)` : "";
    html += `<table><caption>${set}: true ↓ / predicted →${missing}</caption><tr><th></th>${matrix.map((_, c) => `<th>${c}</th>`).join("")}</tr>`;
    matrix.forEach((row, r) => { html += `<tr><th>${r}</th>${row.map((v, c) => `<td style="${r === c ? "font-weight:bold" : ""}">${v}</td>`).join("")}</tr>`; });
    html += "</table>";
  }
  box.innerHTML = html;
}
function setPlaying(on) {
  pg.playing = on;
  $("play").innerHTML = on ? "&#x25a0; pause" : "&#x25b6; play";
}

// ---------------------------------------------------------------- selecting a sample
function pickSample(event) {
  const canvas = $("boundary"), rect = canvas.getBoundingClientRect(), R = pg.state.radius;
  const x = (event.clientX - rect.left) / rect.width * 2 * R - R, y = R - (event.clientY - rect.top) / rect.height * 2 * R;
  let best = null;
  for (const set of ["train", "test"]) {
    pg.state.points[set].xy.forEach(([px, py], i) => {
      const d = (px - x) ** 2 + (py - y) ** 2;
      if (!best || d < best.d) best = { d, set, index: i };
    });
  }
  if (!best) return;
  pg.selected = { set: best.set, index: best.index };
  $("selected").textContent = `Selected: ${best.set === "train" ? "training" : "test"} sample #${best.index}.`;
  const mode = document.querySelector("input[name=mode]:checked").value;
  send({ type: "select", set: best.set, index: best.index, mode });
  if (pg.frame) drawBoundary(pg.frame);
}

// ---------------------------------------------------------------- hover cards
// Latencies (for bench/playground.py): from the mouse event to the card showing numbers
// (pg.lastHoverMs), and, while playing, to the card showing numbers the server computed
// after the hover began (pg.hoverFreshMs).
function hoverStart(target, element, event) {
  pg.hoverStarted = event ? event.timeStamp : performance.now();
  pg.hoverFreshMs = null;
  // Fresh: numbers of the weights drawn when the hover began (or newer). Small networks get
  // them with every frame; bigger ones ask for them.
  const drawnStep = pg.frame ? pg.frame.step : 0;
  pg.hover = { target, element, fresh: false, drawnStep };
  if (pg.playing) send({ type: "inspect", on: true });
  renderCard();
  markFresh();
}
function markFresh() {
  const h = pg.hover;
  if (h && !h.fresh && pg.numbers && pg.numbers.step >= h.drawnStep && !$("card").hidden) {
    h.fresh = true;
    pg.hoverFreshMs = performance.now() - pg.hoverStarted;
  }
}
function hoverEnd() {
  pg.hover = null;
  $("card").hidden = true;
  if (pg.playing) send({ type: "inspect", on: false });
}
function onNumbers(m) {
  pg.numbers = m;
  if (pg.hover) {
    renderCard();
    markFresh();
  }
}
function renderCard() {
  const card = $("card"), n = pg.numbers, h = pg.hover;
  if (!h || !n) return;
  const { target } = h;
  if (!n.layers[target.l - 1]) return;
  card.innerHTML = target.kind === "neuron" ? neuronCard(n, target.l, target.j) : linkCard(n, target.l, target.j, target.k);
  card.dataset.step = n.step;
  card.hidden = false;
  const rect = h.element.getBoundingClientRect();
  card.style.left = Math.min(window.innerWidth - 530, rect.right + 12) + "px";
  card.style.top = Math.max(4, Math.min(window.innerHeight - card.offsetHeight - 4, rect.top - 10)) + "px";
  pg.lastHoverMs = performance.now() - pg.hoverStarted;
}
function sym(base, sup, sub) {
  return `<math><msubsup><mi>${base}</mi><mn>${sub}</mn><mn>${sup}</mn></msubsup></math>`;
}
function sampleLine(n) {
  return sampleText(n) + (n.dropout > 0 ? `<div class="muted">without dropout: training drops each hidden neuron with p = ${n.dropout} (random masks), so its steps differ</div>` : "");
}
function sampleText(n) {
  if (n.mode === "batch") return `<div class="muted">the next mini-batch (${n.batch.length} samples): z, a are batch means; ∂C/∂b, ∂C/∂w of the batch-mean cost</div>`;
  return `<div class="muted">${n.set === "train" ? "training" : "test"} sample #${n.index}: x = (${n.x.map(fmt).join(", ")}), y = (${n.y.map(fmt).join(", ")})</div>`;
}
function neuronCard(n, l, j) {
  const L = n.layers.length, layer = n.layers[l - 1], out = l === L;
  const delta = layer.db[j];
  let html = `<h3>neuron ${j + 1} of layer ${l} (${out ? "output" : "hidden"}, ${layer.activation})</h3>${sampleLine(n)}<table>`;
  html += `<tr><td>${sym("z", l, j + 1)}</td><td>${num(layer.z[j], "z")}</td><td>${sym("a", l, j + 1)}</td><td>${num(layer.a[j], "a")}</td></tr>`;
  html += `<tr><td>δ = ∂C/∂z</td><td>${num(delta, "delta")}</td><td>∂C/∂b</td><td>${num(layer.db[j], "db")}</td></tr></table>`;
  if (n.mode === "sample") {
    if (out) {
      if (n.rule === "fused") {
        html += `<div class="eq"><span class="tag">BP1</span>δ<sup>${l}</sup><sub>${j + 1}</sub> = a<sup>${l}</sup><sub>${j + 1}</sub> − y<sub>${j + 1}</sub> = ${f(layer.a[j])} − ${f(n.y[j])} = ${fmt(delta)}</div>`;
      } else if (n.rule === "elementwise") {
        html += `<div class="eq"><span class="tag">BP1</span>δ<sup>${l}</sup><sub>${j + 1}</sub> = ∂C/∂a<sup>${l}</sup><sub>${j + 1}</sub> · σ′(z<sup>${l}</sup><sub>${j + 1}</sub>) = ${f(n.grad_a_out[j])} × ${f(layer.sigma_prime[j])} = ${fmt(delta)}</div>`;
      } else {
        html += `<div class="eq"><span class="tag">BP1</span>δ<sup>${l}</sup><sub>${j + 1}</sub> = Σ<sub>i</sub> (∂a<sub>i</sub>/∂z<sub>${j + 1}</sub>) ∂C/∂a<sub>i</sub> (softmax Jacobian), ∂C/∂a = (${n.grad_a_out.map(fmt).join(", ")}) ⇒ ${fmt(delta)}</div>`;
      }
    } else {
      const above = n.layers[l], terms = above.db.map((d, k) => `${f(above.w[k][j])}·${f(d)}`);
      const shown = terms.length > 8 ? terms.slice(0, 8).join(" + ") + " + …" : terms.join(" + ");
      html += `<div class="eq"><span class="tag">BP2</span>δ<sup>${l}</sup><sub>${j + 1}</sub> = (Σ<sub>k</sub> w<sup>${l + 1}</sup><sub>k${j + 1}</sub> δ<sup>${l + 1}</sup><sub>k</sub>) σ′(z<sup>${l}</sup><sub>${j + 1}</sub>) = (${shown}) × ${f(layer.sigma_prime[j])} = ${fmt(delta)}</div>`;
    }
    html += `<div class="eq"><span class="tag">BP3</span>∂C/∂b<sup>${l}</sup><sub>${j + 1}</sub> = δ<sup>${l}</sup><sub>${j + 1}</sub> = ${fmt(layer.db[j])}</div>`;
  } else {
    html += `<div class="eq"><span class="tag">BP3</span>∂C/∂b<sup>${l}</sup><sub>${j + 1}</sub> = Σ<sub>x</sub> δ<sup>${l}</sup><sub>${j + 1},x</sub> = ${fmt(layer.db[j])} (the deltas carry the 1/m of the batch mean)</div>`;
  }
  html += `<div class="eq"><span class="tag">step</span>η ∂C/∂b = ${fmt(n.eta)} × ${f(layer.db[j])} = ${fmt(layer.bstep[j])}; b ← b − η ∂C/∂b</div>`;
  if (n.optimizer !== "sgd") html += `<div class="muted">(${n.optimizer} turns ∂C/∂b into its own step; η ∂C/∂b is the plain SGD step)</div>`;
  return html;
}
function linkCard(n, l, j, k) {
  const layer = n.layers[l - 1], w = layer.w[j][k], dw = layer.dw[j][k], step = layer.step[j][k];
  const prevA = l === 1 ? (n.x ? n.x[k] : null) : n.layers[l - 2].a[k];
  const aName = l === 1 ? `x<sub>${k + 1}</sub>` : `a<sup>${l - 1}</sup><sub>${k + 1}</sub>`;
  let html = `<h3>weight ${sym("w", l, `${j + 1}${k + 1}`)}: neuron ${k + 1} of layer ${l - 1} → neuron ${j + 1} of layer ${l}</h3>${sampleLine(n)}<table>`;
  html += `<tr><td>w</td><td>${num(w, "w")}</td><td>∂C/∂w</td><td>${num(dw, "dw")}</td><td>η ∂C/∂w</td><td>${num(step, "step")}</td></tr></table>`;
  const reg = n.regularizer ? ` + ${n.regularizer.name === "l2" ? "(λ/n) w" : "(λ/n) sgn(w)"}, λ = ${fmt(n.regularizer.lambda)}, n = ${n.regularizer.n}` : "";
  if (n.mode === "sample") {
    html += `<div class="eq"><span class="tag">BP4</span>∂C/∂w<sup>${l}</sup><sub>${j + 1}${k + 1}</sub> = ${aName} δ<sup>${l}</sup><sub>${j + 1}</sub>${reg} = ${f(prevA)} × ${f(layer.db[j])}${reg ? " + …" : ""} = ${fmt(dw)}</div>`;
  } else {
    html += `<div class="eq"><span class="tag">BP4</span>∂C/∂w<sup>${l}</sup><sub>${j + 1}${k + 1}</sub> = Σ<sub>x</sub> ${aName} δ<sup>${l}</sup><sub>${j + 1}</sub>${reg} = ${fmt(dw)}</div>`;
  }
  html += `<div class="eq"><span class="tag">step</span>η ∂C/∂w = ${fmt(n.eta)} × ${f(dw)} = ${fmt(step)}; w ← ${fmt(w)} − ${f(step)}</div>`;
  if (n.optimizer !== "sgd") html += `<div class="muted">(${n.optimizer} turns ∂C/∂w into its own step; η ∂C/∂w is the plain SGD step)</div>`;
  return html;
}

// ---------------------------------------------------------------- explain this step
function showTrace(m) {
  const panel = $("explain-panel"), body = $("explain-body");
  $("explain-title").textContent = `One SGD step on ${m.set === "train" ? "training" : "test"} sample #${m.index} (the trace of 'bprop explain')`;
  let html = m.note ? `<p class="note">${escapeHtml(m.note)}</p>` : "";
  for (const s of m.sections) {
    html += `<section><h3>${s.title} <span class="eqtag">[${escapeHtml(s.equation)}]</span></h3>`;
    if (s.formulas.length) html += `<ul>${s.formulas.map((x) => `<li>${x}</li>`).join("")}</ul>`;
    for (const note of s.notes) html += `<p class="hint">${note}</p>`;  // escaped by the server (mathml.text_html)
    if (s.lines.length) {
      html += "<table>";
      for (const line of s.lines) html += `<tr><td class="hint">${escapeHtml(line.equation)}</td><td>${line.symbol}</td><td>= ${line.expression}</td><td class="value">= ${fmt(line.value)}</td></tr>`;
      html += "</table>";
    }
    for (const matrix of s.matrices) {
      html += `<table><caption>${matrix.name}</caption>${matrix.rows.map((r) => `<tr>${r.map((v) => `<td class="value">${fmt(v)}</td>`).join("")}</tr>`).join("")}</table>`;
    }
    html += "</section>";
  }
  if (m.graph_svg) html += `<section><h3>The computational graph of this step <span class="eqtag">[bprop.graph: backprop a second way, one scalar at a time]</span></h3><img class="graph" alt="computational graph" src="data:image/svg+xml;base64,${m.graph_svg}"></section>`;
  body.innerHTML = html;
  panel.hidden = false;
  panel.scrollIntoView({ behavior: "smooth", block: "start" });
}
function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
}

// ---------------------------------------------------------------- files
function download(m) {
  const blob = new Blob([b64bytes(m.base64)], { type: m.mime });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = m.name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

bindInputs();
connect();
