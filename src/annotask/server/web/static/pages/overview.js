// A project's workflow as a graph with live task counts, and what each agent stage did.
import { get, urls } from '../api.js';
import { crumbs, showWho } from '../app.js';
import { ago, clear, h, s } from '../dom.js';

const W = 170;
const H = 74;
const GAP_X = 70;
const GAP_Y = 30;

/** Column of each stage: its distance from the start along pathways. */
function layout(workflow) {
  const byName = Object.fromEntries(workflow.stages.map((st) => [st.name, st]));
  const column = { [workflow.start_stage]: 0 };
  const queue = [workflow.start_stage];
  while (queue.length) {
    const name = queue.shift();
    for (const p of byName[name].pathways) {
      if (!(p.destination in column)) { column[p.destination] = column[name] + 1; queue.push(p.destination); }
    }
  }
  const rows = {};
  const place = {};
  for (const st of workflow.stages) {
    const c = column[st.name] ?? 0;
    const r = (rows[c] = (rows[c] ?? -1) + 1);
    place[st.name] = { x: 10 + c * (W + GAP_X), y: 30 + r * (H + GAP_Y) };
  }
  return place;
}

/** The path of an edge from box a to box b, and where its label goes. */
function edge(a, b) {
  if (b.x > a.x) {
    const [x1, y1, x2, y2] = [a.x + W, a.y + H / 2, b.x, b.y + H / 2];
    const mx = (x1 + x2) / 2;
    return [`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, mx, (y1 + y2) / 2 - 6];
  }
  if (b.x === a.x) {
    const up = b.y < a.y;
    const [x, y1, y2] = [a.x + W / 2, up ? a.y : a.y + H, up ? b.y + H : b.y];
    return [`M${x},${y1} L${x},${y2}`, x + 30, (y1 + y2) / 2 + 4];
  }
  const [x1, y1, x2, y2] = [a.x + W / 2, a.y + H, b.x + W / 2, b.y + H];
  const low = Math.max(y1, y2) + 40;
  return [`M${x1},${y1} C${x1},${low} ${x2},${low} ${x2},${y2}`, (x1 + x2) / 2, low - 4];
}

function total(statuses) { return Object.values(statuses || {}).reduce((a, b) => a + b, 0); }

function drawGraph(project, workflow, place) {
  const width = Math.max(...Object.values(place).map((p) => p.x)) + W + 20;
  const height = Math.max(...Object.values(place).map((p) => p.y)) + H + 50;
  const svg = s('svg', { class: 'graph', id: 'workflow-graph', width, height, viewBox: `0 0 ${width} ${height}` },
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
      s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#94a3b8' }))));
  for (const st of workflow.stages) {
    const a = place[st.name];
    for (const p of st.pathways) {
      const b = place[p.destination];
      const [d, lx, ly] = edge(a, b);
      svg.append(s('path', { class: 'edge', d }), s('text', { x: lx, y: ly, 'text-anchor': 'middle', class: 'muted' }, p.name));
    }
  }
  for (const st of workflow.stages) {
    const { x, y } = place[st.name];
    const link = s('a', { href: `#/p/${project}/tasks?stage=${encodeURIComponent(st.name)}` },
      s('rect', { x, y, width: W, height: H }),
      s('text', { x: x + 10, y: y + 20 }, st.name),
      s('text', { x: x + W - 10, y: y + 20, 'text-anchor': 'end', class: 'muted' }, st.type),
      s('text', { x: x + 10, y: y + 48, class: 'count', 'data-count': st.name }, '…'),
      s('text', { x: x + 10, y: y + 66, class: 'muted', 'data-status': st.name }, ''));
    svg.append(s('g', { class: `node ${st.type}`, 'data-stage': st.name }, link));
  }
  return svg;
}

function showCounts(root, counts) {
  for (const [stage, statuses] of Object.entries(counts)) {
    const count = root.querySelector(`[data-count="${CSS.escape(stage)}"]`);
    if (count) { const n = total(statuses); count.textContent = `${n} task${n === 1 ? "" : "s"}`; }
    const detail = root.querySelector(`[data-status="${CSS.escape(stage)}"]`);
    if (detail) detail.textContent = Object.entries(statuses).map(([k, v]) => `${k} ${v}`).join(' · ');
  }
}

async function agentPanels(project, workflow, box) {
  const activity = await get(`${urls.project(project)}/activity`);
  clear(box);
  for (const st of workflow.stages.filter((x) => x.type === 'agent')) {
    const act = activity.stages[st.name] || { moved: {}, last_hour: 0 };
    const failed = await get(urls.tasks(project, { stage: st.name, failed: true, limit: 20 }));
    box.append(h('div', { class: 'card agent-stage', 'data-stage': st.name },
      h('h3', {}, `Agent stage: ${st.name}`),
      h('p', {}, 'Done per pathway: ', ...st.pathways.map((p) => h('span', { class: 'moved', 'data-pathway': p.name }, `${p.name} `, h('b', {}, act.moved[p.name] || 0), '  '))),
      h('p', {}, 'Throughput, last hour: ', h('b', { class: 'throughput' }, act.last_hour), ' tasks'),
      failed.tasks.length
        ? h('table', { class: 'failures' }, h('tr', {}, h('th', {}, 'Failed task'), h('th', {}, 'Attempts'), h('th', {}, 'Last error')),
          ...failed.tasks.map((t) => h('tr', {}, h('td', {}, h('a', { href: `#/p/${project}/t/${t.uuid}` }, t.data_title)), h('td', {}, t.attempts), h('td', { class: 'error' }, t.last_error || ''))))
        : h('p', { class: 'muted' }, 'No failures.')));
  }
  return activity;
}

export async function render(page, project) {
  const [detail, workflow] = await Promise.all([get(urls.project(project)), get(urls.workflow(project))]);
  crumbs(['Projects', '#/'], detail.title);
  showWho(detail.role);
  const place = layout(workflow);
  const graph = drawGraph(project, workflow, place);
  const last = h('span', { id: 'last-activity' }, '');
  const panels = h('div', { id: 'agent-stages' });
  page.append(h('h2', {}, detail.title),
    h('p', {}, h('a', { href: `#/p/${project}/tasks`, id: 'browse-tasks' }, 'Browse tasks'), ' · last activity ', last, ' · ', h('span', { id: 'live', class: 'muted' }, 'connecting…')),
    graph, h('h3', {}, 'Agents'), panels);
  showCounts(graph, detail.counts);
  const refreshActivity = () => agentPanels(project, workflow, panels).then((a) => { last.textContent = ago(a.last_event_at); });
  await refreshActivity();

  let timer = null;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const fresh = await get(urls.project(project));
      showCounts(graph, fresh.counts);
      refreshActivity();
    }, 250);
  };
  const stream = new EventSource(urls.stream(project));
  const live = page.querySelector('#live');
  stream.onopen = () => { live.textContent = 'live'; };
  stream.onerror = () => { live.textContent = 'reconnecting…'; };
  stream.addEventListener('task', refresh);
  return () => { stream.close(); clearTimeout(timer); };
}
