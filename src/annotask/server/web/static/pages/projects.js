// The projects the user is a member of: counts per stage, last activity.
import { get, urls } from '../api.js';
import { crumbs } from '../app.js';
import { ago, h } from '../dom.js';

function countsCell(counts) {
  return Object.entries(counts).map(([stage, statuses]) => {
    const n = Object.values(statuses).reduce((a, b) => a + b, 0);
    return h('span', { class: 'stagecount', 'data-stage': stage }, `${stage}: `, h('b', {}, n), ' ');
  });
}

export async function render(page) {
  crumbs('Projects');
  const projects = await get(urls.projects);
  const body = h('tbody');
  page.append(h('h2', {}, 'Projects'),
    projects.length ? h('table', { id: 'projects' }, h('thead', {}, h('tr', {}, h('th', {}, 'Title'), h('th', {}, 'Your role'), h('th', {}, 'Tasks per stage'), h('th', {}, 'Last activity'))), body)
      : h('p', { class: 'muted', id: 'projects' }, 'You are not a member of any project yet.'));
  for (const p of projects) {
    const counts = h('td', {}, '…');
    const last = h('td', {}, '…');
    body.append(h('tr', {}, h('td', {}, h('a', { href: `#/p/${p.project_hash}` }, p.title)), h('td', {}, p.role), counts, last));
    get(urls.project(p.project_hash)).then((d) => counts.replaceChildren(...countsCell(d.counts)));
    get(`${urls.project(p.project_hash)}/activity`).then((a) => { last.textContent = ago(a.last_event_at); });
  }
}
