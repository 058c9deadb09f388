// The task browser: a paged grid of thumbnails with each item's objects drawn, and filters.
import { get, projectInfo, urls } from '../api.js';
import { crumbs, hashParams, showWho } from '../app.js';
import { clear, h } from '../dom.js';
import { classIndex, overlay } from '../shapes.js';

const PAGE = 48;
const SERVER_FILTERS = ['stage', 'last_pathway', 'status', 'failed', 'priority_min', 'priority_max', 'q'];

function field(label, input) { return h('label', {}, label, input); }

function select(name, options, value) {
  return h('select', { name, id: `f-${name}` }, h('option', { value: '' }, 'any'),
    ...options.map((o) => h('option', { value: o, selected: o === value }, o)));
}

function filterForm(params, workflow) {
  const pathways = [...new Set(workflow.stages.flatMap((st) => st.pathways.map((p) => p.name)))];
  const num = (name, step) => h('input', { type: 'number', name, id: `f-${name}`, min: 0, max: 1, step, value: params.get(name) || '' });
  return h('form', { class: 'filters', id: 'filters' },
    field('Stage', select('stage', workflow.stages.map((st) => st.name), params.get('stage'))),
    field('Last pathway', select('last_pathway', pathways, params.get('last_pathway'))),
    field('Status', select('status', ['new', 'assigned', 'failed', 'completed'], params.get('status'))),
    field('Failed', h('input', { type: 'checkbox', name: 'failed', id: 'f-failed', value: 'true', checked: params.get('failed') === 'true' })),
    field('Class', select('class', params.get('class') ? [params.get('class')] : [], params.get('class'))),
    field('Confidence ≥', num('conf_min', 0.05)), field('Confidence ≤', num('conf_max', 0.05)),
    field('Priority ≥', num('priority_min', 0.05)), field('Priority ≤', num('priority_max', 0.05)),
    field('Data title', h('input', { name: 'q', id: 'f-q', value: params.get('q') || '', placeholder: 'contains…' })),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'));
}

/** The object filter of the page: class and confidence range (drawn objects only). */
function objectFilter(params) {
  const cls = params.get('class');
  const lo = params.has('conf_min') ? Number(params.get('conf_min')) : 0;
  const hi = params.has('conf_max') ? Number(params.get('conf_max')) : 1;
  return (obj, entry) => (!cls || obj.name === cls) && (entry.confidence ?? 1) >= lo && (entry.confidence ?? 1) <= hi;
}

function tile(project, task, classes, keep, queue) {
  const thumb = h('a', { class: 'thumb', href: `#/p/${project}/t/${task.uuid}?${queue}` },
    h('img', { src: urls.thumbnail(project, task.data_hash), alt: task.data_title, loading: 'lazy' }));
  const card = h('div', { class: 'tile', 'data-task': task.uuid, 'data-title': task.data_title }, thumb,
    h('div', { class: 'meta' }, h('span', {}, task.data_title), h('span', { class: 'muted' }, `p ${task.priority.toFixed(2)}`)),
    h('div', { class: 'meta muted' }, h('span', {}, task.stage), h('span', { class: task.last_error ? 'error' : '' }, task.last_error ? 'failed' : task.status)));
  Promise.all([classes, get(urls.labelRow(project, task.data_hash))]).then(([classes, row]) => {
    if (!row.width || !row.height) { card.dataset.objects = '0'; return; }  // size unknown
    const svg = overlay(row.labels, 0, classes, row.width, row.height, keep, { labels: false });
    svg.setAttribute('class', 'boxes');
    svg.style.inset = '0';
    thumb.append(svg);
    const shown = svg.querySelectorAll('.obj').length;
    card.dataset.objects = shown;
    if (!shown && (hashParamsHasObjectFilter())) card.classList.add('dim');
  }).catch(() => {});
  return card;
}

function hashParamsHasObjectFilter() {
  const p = hashParams();
  return p.get('class') || p.get('conf_min') || p.get('conf_max');
}

export async function render(page, project) {
  const params = hashParams();
  const query = { limit: PAGE };
  for (const k of SERVER_FILTERS) if (params.get(k)) query[k] = params.get(k);
  let pending = get(urls.tasks(project, query));  // the first page, asked for with the rest
  // the project (title, role, ontology) comes with its counts, which take longest to make:
  // the tiles do not wait for it, only the labels drawn on them do
  const detail = projectInfo(project);
  const classes = detail.then((d) => classIndex(d.ontology));
  const workflow = await get(urls.workflow(project));
  const form = filterForm(params, workflow);
  detail.then((d) => {
    crumbs(['Projects', '#/'], [d.title, `#/p/${project}`], 'Tasks');
    showWho(d.role);
    const choose = form.querySelector('#f-class');
    const chosen = params.get('class');
    choose.replaceChildren(h('option', { value: '' }, 'any'),
      ...(d.ontology.objects || []).map((o) => h('option', { value: o.name, selected: o.name === chosen }, o.name)));
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v !== '') next.set(k, v);
    location.hash = `#/p/${project}/tasks?${next}`;
  });
  const grid = h('div', { class: 'grid', id: 'grid' });
  const info = h('span', { class: 'muted', id: 'page-info' });
  const prev = h('button', { id: 'prev-page' }, '← Previous');
  const next = h('button', { id: 'next-page' }, 'Next →');
  page.append(form, grid, h('div', { class: 'pager' }, prev, next, info));

  const keep = objectFilter(params);
  const queue = new URLSearchParams(params.get('stage') ? { queue: params.get('stage') } : {});
  const cursors = [null];
  let at = 0;
  let nextCursor = null;
  let ahead = null;  // the next page's tasks, asked for as soon as this page shows
  async function show() {
    const started = performance.now();
    const q = { ...query };
    if (cursors[at]) q.cursor = cursors[at];
    if (!pending && ahead && ahead.cursor === cursors[at]) pending = ahead.page;  // fetched ahead
    const result = await (pending || get(urls.tasks(project, q)));
    pending = null;
    nextCursor = result.next_cursor;
    clear(grid).append(...result.tasks.map((t) => tile(project, t, classes, keep, queue)));
    if (!result.tasks.length) grid.append(h('p', { class: 'muted' }, 'No tasks match.'));
    prev.disabled = at === 0;
    next.disabled = !nextCursor;
    ahead = nextCursor ? { cursor: nextCursor, page: get(urls.tasks(project, { ...query, cursor: nextCursor })) } : null;
    info.textContent = `page ${at + 1} · ${result.tasks.length} tasks · ${Math.round(performance.now() - started)} ms`;
    grid.dataset.page = String(at + 1);
  }
  prev.onclick = () => { if (at > 0) { at -= 1; show(); } };
  next.onclick = () => { if (nextCursor) { cursors[at + 1] = nextCursor; at += 1; show(); } };
  await show();
}
