// conv-arith's page: the form and the URL hold the configuration with the CLI's option names; the
// server (/api/explain) computes everything shown. This file only lays out what it receives: it knows
// no arithmetic, so the page cannot disagree with the operators.
'use strict';

const $ = (id) => document.getElementById(id);
const form = $('controls');
const fields = ['kind', 'i', 'k', 's', 'p', 'd', 'a'];

let data = null;      // the last answer of /api/explain
let current = 0;      // the output cell (row-major) whose window is shown
let hoveredInput = null;  // "y,x" of the input grid cell under the pointer
let feeds = new Map();    // "y,x" -> the outputs whose windows cover that cell
let inputIndex = new Map();  // "y,x" -> the input pixel drawn there (a column of the matrix)
let timer = null;

function el(tag, attrs = {}, text = '') {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

// ---- the configuration: form <-> query string ----

function formQuery() {
  const q = new URLSearchParams();
  for (const name of fields) {
    const v = form.elements[name].value.trim();
    if (v !== '' && !(name === 'kind' && v === 'conv')) q.set(name, v);
  }
  if (form.elements['ceil-mode'].checked) q.set('ceil-mode', '1');
  return q.toString();
}

function fillForm(query) {
  const q = new URLSearchParams(query);
  for (const name of fields) form.elements[name].value = q.get(name) ?? (name === 'kind' ? 'conv' : '');
  // The pools' stride defaults to the kernel size, as in PyTorch and the CLI.
  form.elements.s.placeholder = /pool/.test(form.elements.kind.value) ? 'k' : '1';
  form.elements['ceil-mode'].checked = q.has('ceil-mode');  // the server's query has it only when on
}

async function load(query, push) {
  stop();
  let answer;
  try {
    const response = await fetch('/api/explain?' + query);
    answer = await response.json();
  } catch (e) {
    answer = { error: 'the server did not answer: ' + e.message };
  }
  const shown = new URLSearchParams(query).has('figure') ? query : (answer.query ?? query);
  if (push) history.replaceState(null, '', shown ? '?' + shown : location.pathname);
  $('figure').value = answer.figure ?? '';
  if (answer.query) fillForm(answer.query);
  show(answer);
}

let debounce = null;
form.addEventListener('input', () => {
  clearTimeout(debounce);
  debounce = setTimeout(() => load(formQuery(), true), 250);
});
form.addEventListener('submit', (e) => e.preventDefault());
$('figure').addEventListener('change', () => {
  const id = $('figure').value;
  load(id ? 'figure=' + id : formQuery(), true);
});

// ---- rendering ----

const hw = (v) => (v[0] === v[1] ? String(v[0]) : v[0] + 'x' + v[1]);

function show(answer) {
  data = answer;
  $('error').hidden = !answer.error;
  $('error').textContent = answer.error ?? '';
  $('result').hidden = !!answer.error;
  document.body.dataset.state = answer.error ? 'error' : 'ok';
  if (answer.error) return;
  const figure = answer.figure ? 'Fig ' + answer.figure + '  ' : '';
  $('headline').textContent = figure + answer.headline.replace(' -> ', ' → ');
  $('operator').textContent = answer.operator;
  showRelations(answer);
  showTransposed(answer);
  showTrace(answer);
}

function showRelations(answer) {
  const box = $('relations');
  box.replaceChildren();
  const [h, w] = answer.axes;
  const same = JSON.stringify(h.lines) === JSON.stringify(w.lines);
  for (const [label, axis] of same ? [['', h]] : [['H', h], ['W', w]]) {
    const block = el('div', { class: 'relation', 'data-relation': axis.relation });
    const head = el('p', { class: 'relation-head' });
    if (label) head.append(el('span', { class: 'axis' }, label));
    head.append(el('span', { class: 'badge' }, String(axis.relation)));
    head.append(document.createTextNode(axis.lines[0].replace(/^relation \d+, /, '')));
    block.append(head);
    const pre = el('pre');
    pre.textContent = axis.lines.slice(1).join('\n');
    block.append(pre);
    box.append(block);
  }
}

function showTransposed(answer) {
  const transposed = answer.params.kind === 'transposed';
  $('transposed').hidden = !transposed;
  if (!transposed) return;
  const [h, w] = answer.axes;
  const rows = [
    ["k′ (kernel)", (a) => a.equivalent.kernel],
    ["s′ (stride)", (a) => a.equivalent.stride],
    ["p′ (padding)", (a) => a.equivalent.padding],
    ["zeros inserted (s − 1)", (a) => a.equivalent.zeros_inserted],
    ["ĩ′ (stretched input)", (a) => a.equivalent.stretched_size],
    ["a (output_padding)", (a) => a.equivalent.output_padding],
    ["o′ (output)", (a) => a.equivalent.output_size],
    ["output_padding allowed", (a) => '0 … ' + a.max_output_padding],
    ["output_size allowed", (a) => a.output_size_range[0] + ' … ' + a.output_size_range[1]],
  ];
  const table = $('equivalent');
  table.replaceChildren();
  const head = el('tr');
  head.append(el('th'), el('th', {}, 'H'), el('th', {}, 'W'));
  table.append(head);
  for (const [name, get] of rows) {
    const tr = el('tr');
    tr.append(el('th', {}, name), el('td', {}, String(get(h))), el('td', {}, String(get(w))));
    table.append(tr);
  }
}

function showTrace(answer) {
  const trace = answer.trace;
  $('trace-error').hidden = !trace.error;
  $('trace-error').textContent = trace.error ? trace.error + '. The sizes and the relation still hold.' : '';
  for (const id of ['player', 'grids', 'legend', 'matrix']) $(id).hidden = !!trace.error;
  const downloads = $('downloads');
  downloads.replaceChildren();
  if (trace.error) return;
  if (trace.picture.ok) {
    const query = new URLSearchParams(location.search).toString() || answer.query;
    downloads.append('Download what ', el('code', {}, 'conv-arith -o'), ' draws: ');
    downloads.append(el('a', { href: '/sheet.png?' + query, download: '' }, 'every kernel position (PNG)'), ' · ');
    downloads.append(el('a', { href: '/animation.gif?' + query, download: '' }, 'animation (GIF)'));
  } else {
    downloads.textContent = 'No PNG / GIF: ' + trace.picture.error + '.';
  }
  feeds = new Map();
  trace.windows.forEach((win, o) => {
    for (const [y, x] of [...win.taps, ...win.reads]) {
      const key = y + ',' + x;
      if (!feeds.has(key)) feeds.set(key, new Set());
      feeds.get(key).add(o);
    }
  });
  inputIndex = new Map(trace.inputs.map(([y, x], j) => [y + ',' + x, j]));
  current = 0;
  hoveredInput = null;
  buildGrids(answer);
  buildLegend(trace);
  drawMatrix();
  highlight();
}

// Cells as large as fit the column, within a legible range.
function cellSize(cols, rows) {
  const width = Math.min(640, $('pictures').clientWidth || 640) - 40;
  return Math.max(8, Math.min(40, Math.floor(width / cols), Math.floor(560 / rows)));
}

function buildGrids(answer) {
  const trace = answer.trace;
  const rows = trace.grid.length, cols = trace.grid[0].length;
  const [oh, ow] = answer.output;
  const c = cellSize(Math.max(cols, ow), rows + oh);
  const make = (grid, h, w, kindOf, prefix) => {
    grid.replaceChildren();
    grid.style.gridTemplateColumns = `repeat(${w}, ${c}px)`;
    grid.style.gridAutoRows = c + 'px';
    grid.dataset.rows = h;
    grid.dataset.cols = w;
    for (let y = 0; y < h; ++y)
      for (let x = 0; x < w; ++x) {
        const cell = el('div', { class: 'cell ' + kindOf(y, x), 'data-y': y, 'data-x': x });
        cell.id = prefix + y + '_' + x;
        grid.append(cell);
      }
  };
  make($('output-grid'), oh, ow, () => 'out', 'o');
  make($('input-grid'), rows, cols, (y, x) => 'k-' + trace.grid[y][x], 'i');
  const window = el('div', { class: 'window' });
  window.id = 'window';
  $('input-grid').append(window);
  $('output-caption').textContent = `output ${oh}×${ow}`;
  const [ih, iw] = answer.params.i;
  let input = `input ${ih}×${iw}`;
  if (rows !== ih || cols !== iw) input += `, drawn ${rows}×${cols}`;
  if (answer.params.kind === 'transposed') input += ' as the equivalent convolution sees it';
  $('input-caption').textContent = input;
}

function buildLegend(trace) {
  const legend = $('legend');
  legend.replaceChildren();
  const kinds = new Set(trace.grid.join(''));
  const item = (classes, name) => {
    const span = el('span', { class: 'item' });
    span.append(el('span', { class: 'swatch cell ' + classes }), name);
    legend.append(span);
  };
  for (const [letter, name] of Object.entries(trace.legend)) if (kinds.has(letter)) item('k-' + letter, name);
  item('k-i tap', 'under the kernel');
  item('out', 'output');
}

// The window of `current` on the input grid, its output cell, and the outputs an input cell feeds.
function highlight() {
  if (!data || data.error || data.trace.error) return;
  const trace = data.trace, win = trace.windows[current];
  const [oh, ow] = data.output;
  document.querySelectorAll('.grid .cell').forEach((c) =>
    c.classList.remove('tap', 'read', 'current', 'fed', 'hovered'));
  // Like the PNG: the operator's reads, plus the taps that land on padding or inserted zeros.
  for (const [y, x] of win.taps) {
    if (trace.grid[y][x] !== 'i') $('i' + y + '_' + x).classList.add('tap');
  }
  for (const [y, x] of win.reads) $('i' + y + '_' + x).classList.add('tap', 'read');
  $('o' + Math.floor(current / ow) + '_' + (current % ow)).classList.add('current');
  if (hoveredInput) {
    $('i' + hoveredInput.replace(',', '_')).classList.add('hovered');
    for (const o of feeds.get(hoveredInput) ?? []) $('o' + Math.floor(o / ow) + '_' + (o % ow)).classList.add('fed');
  }
  // The dilated kernel's extent, as one box.
  const first = win.taps[0], last = win.taps[win.taps.length - 1];
  const grid = $('input-grid'), c = parseInt(grid.style.gridAutoRows, 10);
  const box = $('window');
  box.style.top = first[0] * c + 'px';
  box.style.left = first[1] * c + 'px';
  box.style.height = (last[0] - first[0] + 1) * c + 'px';
  box.style.width = (last[1] - first[1] + 1) * c + 'px';
  const reads = win.reads.length;
  $('position').textContent = `output (${Math.floor(current / ow)}, ${current % ow}) of ${oh}×${ow} ` +
    `reads ${reads} input pixel${reads === 1 ? '' : 's'}`;
  drawMatrix();
}

function go(o) {
  const n = data.output[0] * data.output[1];
  current = ((o % n) + n) % n;
  highlight();
}

function stop() {
  clearInterval(timer);
  timer = null;
  $('play').textContent = 'play';
}

$('first').addEventListener('click', () => { stop(); go(0); });
$('prev').addEventListener('click', () => { stop(); go(current - 1); });
$('next').addEventListener('click', () => { stop(); go(current + 1); });
$('play').addEventListener('click', () => {
  if (timer) return stop();
  $('play').textContent = 'pause';
  timer = setInterval(() => go(current + 1), 700);
});

// ← and → step, space plays, when no form field has the keyboard.
document.addEventListener('keydown', (e) => {
  if (!data || data.error || data.trace.error || e.target.closest('input, select')) return;
  const button = { ArrowLeft: 'prev', ArrowRight: 'next', ' ': 'play' }[e.key];
  if (!button) return;
  e.preventDefault();
  $(button).click();
});

$('output-grid').addEventListener('mouseover', (e) => {
  const cell = e.target.closest('.cell');
  if (!cell) return;
  stop();
  go(Number(cell.dataset.y) * data.output[1] + Number(cell.dataset.x));
});
$('input-grid').addEventListener('mouseover', (e) => {
  const cell = e.target.closest('.cell');
  hoveredInput = cell ? cell.dataset.y + ',' + cell.dataset.x : null;
  highlight();
});
$('input-grid').addEventListener('mouseleave', () => { hoveredInput = null; highlight(); });

// ---- the matrix: rows are outputs, columns inputs; the current output's row highlighted ----

function matrixCell(m) {
  return Math.max(3, Math.min(30, Math.floor(760 / m.cols)));
}

function drawMatrix() {
  if (!data || data.error || data.trace.error) return;
  const m = data.trace.matrix, c = matrixCell(m);
  $('matrix-title').textContent = `${m.name} (${m.rows} × ${m.cols}): row = output cell, column = input cell`;
  $('matrix-note').textContent = m.note ? `${m.name} = ${m.note}.` : '';
  const canvas = $('matrix-canvas'), ratio = window.devicePixelRatio || 1;
  canvas.width = m.cols * c * ratio + 1;
  canvas.height = m.rows * c * ratio + 1;
  canvas.style.width = m.cols * c + 'px';
  canvas.style.height = m.rows * c + 'px';
  const g = canvas.getContext('2d');
  g.scale(ratio, ratio);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, m.cols * c, m.rows * c);
  g.fillStyle = '#fff4c2';
  g.fillRect(0, current * c, m.cols * c, c);
  const input = hoveredInput === null ? undefined : inputIndex.get(hoveredInput);
  if (input !== undefined) {
    g.fillStyle = 'rgba(255, 196, 0, 0.25)';
    g.fillRect(input * c, 0, c, m.rows * c);
  }
  if (c >= 6) {
    g.strokeStyle = '#e4e6ea';
    g.lineWidth = 1;
    g.beginPath();
    for (let r = 0; r <= m.rows; ++r) { g.moveTo(0, r * c + 0.5); g.lineTo(m.cols * c, r * c + 0.5); }
    for (let j = 0; j <= m.cols; ++j) { g.moveTo(j * c + 0.5, 0); g.lineTo(j * c + 0.5, m.rows * c); }
    g.stroke();
  }
  g.font = `${Math.min(11, Math.floor(c / 2.6))}px ui-monospace, monospace`;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  for (const [o, j, text] of m.entries) {
    g.fillStyle = o === current ? '#1e3c78' : '#6098d6';
    g.fillRect(j * c + 1, o * c + 1, c - 1, c - 1);
    if (c >= 22) {
      g.fillStyle = '#fff';
      g.fillText(text, j * c + c / 2, o * c + c / 2 + 0.5);
    }
  }
  g.strokeStyle = '#1e3c78';
  g.lineWidth = 2;
  g.strokeRect(1, current * c + 1, m.cols * c - 2, c - 1);
  // Keep the current row in view when the matrix scrolls.
  const scroll = $('matrix-scroll');
  if (current * c < scroll.scrollTop || (current + 1) * c > scroll.scrollTop + scroll.clientHeight - 12)
    scroll.scrollTop = Math.max(0, current * c - scroll.clientHeight / 2);
}

$('matrix-canvas').addEventListener('mousemove', (e) => {
  const m = data.trace.matrix, c = matrixCell(m);
  const rect = e.target.getBoundingClientRect();
  const row = Math.floor((e.clientY - rect.top) / c);
  if (row >= 0 && row < m.rows && row !== current) { stop(); go(row); }
});

// ---- start: the presets, then the configuration in the URL ----

(async () => {
  try {
    const figures = await (await fetch('/api/figures')).json();
    for (const f of figures) $('figure').append(el('option', { value: f.id, title: f.headline }, 'Fig ' + f.id));
  } catch (e) {
    // The presets are a convenience: the page works without them.
  }
  load(location.search.slice(1), false);
})();
