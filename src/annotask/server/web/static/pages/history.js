// A label row's versions: who saved each, when, in which stage; what changed; revert (admins).
import { api, can, get, urls } from '../api.js';
import { ago, clear, h } from '../dom.js';

/** Instances added, removed, moved (coordinates changed) and reclassified from `a` to `b`. */
export function diff(a, b) {
  const before = Object.fromEntries((a.objects || []).map((o) => [o.object_hash, o]));
  const after = Object.fromEntries((b.objects || []).map((o) => [o.object_hash, o]));
  const out = { added: [], removed: [], moved: [], reclassified: [] };
  for (const [hash, o] of Object.entries(after)) {
    const old = before[hash];
    if (!old) { out.added.push(o); continue; }
    if (old.feature_hash !== o.feature_hash) out.reclassified.push(o);
    const frames = (x) => JSON.stringify(Object.fromEntries(Object.entries(x.frames).map(([f, e]) => [f, e.coordinates])));
    if (frames(old) !== frames(o)) out.moved.push(o);
  }
  for (const [hash, o] of Object.entries(before)) if (!after[hash]) out.removed.push(o);
  return out;
}

/** The history card; `refresh()` reloads it. */
export function historyPanel(project, dataHash, role, getState, reload) {
  const list = h('tbody');
  const result = h('div', { id: 'diff' });
  const element = h('details', { class: 'card', id: 'history' }, h('summary', {}, 'History'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Saved by'), h('th', {}, 'When'), h('th', {}, 'Stage'), h('th', {}, ''))), list), result);
  async function compare(v) {
    const [a, b] = await Promise.all([
      v > 1 ? get(urls.version(project, dataHash, v - 1)) : { labels: { objects: [] } },
      get(urls.version(project, dataHash, v)),
    ]);
    const d = diff(a.labels, b.labels);
    const names = (xs) => xs.map((o) => `${o.name} ${o.object_hash.slice(0, 6)}`).join(', ') || 'none';
    clear(result).append(h('p', {}, h('b', {}, `Version ${v - 1} → ${v}: `),
      h('span', { class: 'added' }, `added ${names(d.added)}`), ' · ', h('span', { class: 'removed' }, `removed ${names(d.removed)}`), ' · ',
      h('span', { class: 'moved' }, `moved ${names(d.moved)}`), ' · ', `reclassified ${names(d.reclassified)}`));
  }
  async function revert(v) {
    await api('POST', urls.revert(project, dataHash), { version: v }, { 'If-Match': getState().etag });
    await reload();
    refresh();
  }
  async function refresh() {
    const { versions } = await get(urls.history(project, dataHash));
    clear(list).append(...versions.slice().reverse().map((v) => h('tr', { 'data-version': v.version },
      h('td', {}, v.version), h('td', {}, v.saved_by), h('td', {}, ago(v.saved_at)), h('td', {}, v.workflow_stage || ''),
      h('td', {}, h('button', { onclick: () => compare(v.version) }, 'what changed'),
        can(role, 'admin') && v.version !== getState().row.version ? h('button', { onclick: () => revert(v.version) }, 'revert to this') : ''))));
  }
  element.addEventListener('toggle', () => { if (element.open) refresh(); });
  return { element, refresh };
}
