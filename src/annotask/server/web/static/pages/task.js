// The task view: the item large with its labels, editing, the stage's actions, history, frames.
import { api, ApiError, can, get, projectInfo, urls } from '../api.js';
import { crumbs, hashParams, session, showWho } from '../app.js';
import { ago, clear, h } from '../dom.js';
import { FrameEditor } from '../editor.js';
import { byAgent, classIndex, objectsOn } from '../shapes.js';
import { historyPanel } from './history.js';
import { frameControls } from './frames.js';

const ACTIONS = {
  annotation: [['assign', 'Assign to me', 'm', 'annotate'], ['submit', 'Submit', 's', 'annotate']],
  review: [['assign', 'Assign to me', 'm', 'review'], ['approve', 'Approve', 'a', 'review'], ['reject', 'Reject', 'r', 'review']],
};

const HELP = 'Keys: a approve · r reject · s submit · m assign to me · n / p next / previous task · '
  + 'Ctrl+S save · b box · g polygon (Enter closes) · Esc select · Del delete · arrows nudge · '
  + '[ ] previous / next instance · , . frame · space play';

export async function render(page, project, taskUuid) {
  const [detail, task] = await Promise.all([projectInfo(project), get(urls.task(project, taskUuid))]);
  const queueStage = hashParams().get('queue') || task.stage;
  crumbs(['Projects', '#/'], [detail.title, `#/p/${project}`], [`Tasks in ${queueStage}`, `#/p/${project}/tasks?stage=${encodeURIComponent(queueStage)}`], task.data_title);
  showWho(detail.role);
  const classes = classIndex(detail.ontology);
  const loaded = await api('GET', urls.labelRow(project, task.data_hash));
  const state = {
    row: loaded.data, etag: loaded.etag, doc: structuredClone(loaded.data.labels), frame: 0, dirty: false,
    classes, W: loaded.data.width || 1, H: loaded.data.height || 1,
    drawClass: (shape) => classFor(shape),
  };
  const canEdit = ['annotation', 'review'].includes(task.stage_type)
    && can(detail.role, task.stage_type === 'review' ? 'review' : 'annotate');
  const framed = state.row.data_type !== 'image';

  const banner = h('div', { id: 'banner' });
  const img = h('img', { id: 'item', alt: task.data_title, draggable: 'false' });
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.id = 'overlay';
  const box = h('div', { class: 'stagebox' }, img, svg);
  const side = h('div', { class: 'side', id: 'instances' });
  const drawSelect = h('select', { id: 'draw-class', title: 'class of new shapes' },
    ...(detail.ontology.objects || []).filter((o) => ['bounding_box', 'polygon'].includes(o.shape)).map((o) => h('option', { value: o.feature_hash }, `${o.name} (${o.shape === 'polygon' ? 'polygon' : 'box'})`)));
  const status = h('span', { id: 'save-state', class: 'muted' });
  const editor = new FrameEditor(svg, state, () => { renderSide(); status.textContent = state.dirty ? 'unsaved changes' : `version ${state.row.version}`; });
  editor.editable = canEdit;

  function classFor(shape) {
    const chosen = classes[drawSelect.value];
    if (chosen && chosen.shape === shape) return chosen;
    return (detail.ontology.objects || []).find((o) => o.shape === shape) || null;
  }

  function fit() {
    const room = box.parentElement ? box.parentElement.clientWidth : 800;
    const scale = Math.min(room / state.W, (0.72 * window.innerHeight) / state.H);
    img.style.width = `${Math.floor(state.W * scale)}px`;
    img.style.height = `${Math.floor(state.H * scale)}px`;
  }

  function showFrame(i) {
    state.frame = i;
    img.src = framed ? urls.frame(project, task.data_hash, i) : urls.media(project, task.data_hash);
    editor.render();
    renderSide();
  }

  function renderSide() {
    clear(side).append(h('h3', {}, 'Instances'));
    const here = objectsOn(state.doc, state.frame);
    if (!here.length) side.append(h('p', { class: 'muted' }, 'No objects on this frame.'));
    for (const [obj, entry] of here) side.append(instanceCard(obj, entry));
    const questions = detail.ontology.classifications || [];
    if (questions.length) side.append(h('h3', {}, 'Classifications'), ...questions.map(classificationCard));
  }

  function instanceCard(obj, entry) {
    const cls = classes[obj.feature_hash];
    const sameShape = (detail.ontology.objects || []).filter((o) => cls && o.shape === cls.shape);
    const classSelect = h('select', { class: 'inst-class', disabled: !canEdit }, ...sameShape.map((o) => h('option', { value: o.feature_hash, selected: o.feature_hash === obj.feature_hash }, o.name)));
    classSelect.onchange = () => { const to = classes[classSelect.value]; obj.feature_hash = to.feature_hash; obj.name = to.name; obj.answers = {}; state.dirty = true; editor.render(); editor.changed(); };
    const card = h('div', { class: `inst${obj.object_hash === editor.selected ? ' sel' : ''}`, 'data-object-hash': obj.object_hash, onclick: (e) => { if (e.target === card) editor.select(obj.object_hash); } },
      h('div', {}, classSelect, ' ', h('span', { class: 'conf' }, (entry.confidence ?? 1).toFixed(2)), ' ',
        h('span', { class: `badge ${byAgent(entry) ? 'agent' : 'person'}` }, byAgent(entry) ? 'agent' : 'person'),
        canEdit ? h('button', { class: 'del', title: 'Delete (Del)', onclick: () => editor.remove(obj.object_hash) }, '✕') : ''),
      ...((cls && cls.attributes) || []).map((a) => answerInput(a, obj.answers, () => { state.dirty = true; editor.changed(); })));
    return card;
  }

  function classificationCard(cl) {
    let inst = (state.doc.classifications || []).find((c) => c.feature_hash === cl.feature_hash && c.frames[String(state.frame)]);
    const answers = inst ? inst.answers : {};
    return h('div', { class: 'inst classification', 'data-classification': cl.name }, h('b', {}, cl.name),
      answerInput({ ...cl, name: '' }, answers, () => {
        if (!inst) {
          inst = { classification_hash: crypto.randomUUID().slice(0, 12), feature_hash: cl.feature_hash, name: cl.name, frames: { [String(state.frame)]: { confidence: 1, manual_annotation: true } }, answers };
          (state.doc.classifications = state.doc.classifications || []).push(inst);
        }
        state.dirty = true;
        editor.changed();
      }));
  }

  function answerInput(question, answers, changed) {
    const key = question.feature_hash;
    const label = question.name ? h('span', { class: 'muted' }, `${question.name}: `) : '';
    if (question.type === 'radio') {
      const sel = h('select', { disabled: !canEdit, 'data-question': key }, h('option', { value: '' }, '—'),
        ...question.options.map((o) => h('option', { value: o.feature_hash, selected: answers[key] === o.feature_hash }, o.name)));
      sel.onchange = () => { if (sel.value) answers[key] = sel.value; else delete answers[key]; changed(); };
      return h('div', {}, label, sel);
    }
    if (question.type === 'checklist') {
      const chosen = new Set(answers[key] || []);
      return h('div', {}, label, ...question.options.map((o) => {
        const box = h('input', { type: 'checkbox', disabled: !canEdit, checked: chosen.has(o.feature_hash) });
        box.onchange = () => { if (box.checked) chosen.add(o.feature_hash); else chosen.delete(o.feature_hash); answers[key] = [...chosen]; changed(); };
        return h('label', {}, box, o.name, ' ');
      }));
    }
    const input = h('input', { value: answers[key] ?? '', disabled: !canEdit, 'data-question': key, type: question.type === 'numeric' ? 'number' : 'text' });
    input.onchange = () => { answers[key] = question.type === 'numeric' ? Number(input.value) : input.value; changed(); };
    return h('div', {}, label, input);
  }

  function say(kind, ...text) { clear(banner).append(h('div', { class: `banner ${kind}` }, ...text)); }

  async function reload() {
    const fresh = await api('GET', urls.labelRow(project, task.data_hash));
    Object.assign(state, { row: fresh.data, etag: fresh.etag, doc: structuredClone(fresh.data.labels), dirty: false });
    clear(banner);
    editor.render();
    editor.changed();
  }

  async function save() {
    if (!state.dirty) return true;
    try {
      const saved = await api('PUT', urls.labelRow(project, task.data_hash), { labels: state.doc }, { 'If-Match': state.etag });
      Object.assign(state, { row: saved.data, etag: saved.etag, dirty: false });
      say('ok', `Saved as version ${saved.data.version}.`);
      editor.changed();
      history.refresh();
      return true;
    } catch (err) {
      if (!(err instanceof ApiError) || ![409, 412].includes(err.status)) { say('err', err.message); return false; }
      const versions = (await get(urls.history(project, task.data_hash))).versions;
      const newest = versions[versions.length - 1];
      say('conflict', h('b', {}, 'Not saved: '), `${newest.saved_by} saved version ${newest.version} ${ago(newest.saved_at)} while you were editing. `,
        'Your changes are still on screen and nothing was overwritten. ',
        h('button', { id: 'reload', onclick: reload }, 'Reload their version'));
      return false;
    }
  }

  async function queue() {
    const page = await get(urls.tasks(project, { stage: queueStage, limit: 500 }));
    return page.tasks.map((t) => t.uuid);
  }

  async function go(step) {
    const list = await queue();
    let at = list.indexOf(task.uuid);
    if (at < 0) at = Number(hashParams().get('at') || 0) - (step > 0 ? 1 : 0);
    const next = list[at + step];
    if (next) location.hash = `#/p/${project}/t/${next}?queue=${encodeURIComponent(queueStage)}&at=${at + step}`;
    else say('ok', step > 0 ? `No more tasks in ${queueStage}.` : 'This is the first task of the queue.');
  }

  async function act(name) {
    if (['submit', 'approve', 'reject'].includes(name) && !(await save())) return;
    const body = { stage: task.stage };
    if (name === 'assign') body.user = session.user;
    if (name === 'reject' && rejectComment.value.trim()) body.comment = rejectComment.value.trim();
    try {
      const moved = await get(urls.task(project, task.uuid));
      if (moved.stage !== task.stage) throw new Error(`the task is now in ${moved.stage}`);
      const done = (await api('POST', urls.action(project, task.uuid, name), body)).data;
      if (name === 'assign') { say('ok', `Assigned to ${done.assignee}.`); return; }
      const list = await queue();
      const at = Number(hashParams().get('at') || 0);
      const next = list[Math.min(at, list.length - 1)];
      if (next) location.hash = `#/p/${project}/t/${next}?queue=${encodeURIComponent(queueStage)}&at=${Math.min(at, list.length - 1)}`;
      else { say('ok', `Done: ${task.data_title} is now in ${done.stage}. The ${queueStage} queue is empty.`); actions.replaceChildren(); }
    } catch (err) {
      say('err', err.message);
    }
  }

  const actions = h('span', { id: 'actions' });
  // why a task is rejected, recorded on its event for the annotator (Esc leaves the field)
  const rejectComment = h('input', { id: 'reject-comment', type: 'text', placeholder: 'reject comment (optional)', size: 24,
    onkeydown: (e) => { if (e.key === 'Escape' || e.key === 'Enter') e.target.blur(); } });
  const allowed = [];
  for (const [name, text, key, needs] of ACTIONS[task.stage_type] || []) {
    if (!can(detail.role, needs)) continue;
    allowed.push([name, key]);
    actions.append(h('button', { id: `action-${name}`, class: name === 'approve' || name === 'submit' ? 'primary' : name === 'reject' ? 'danger' : '', onclick: () => act(name) }, text, ' ', h('kbd', {}, key)));
    if (name === 'reject') actions.append(rejectComment);
  }
  const tools = canEdit ? [
    h('button', { id: 'tool-box', onclick: () => { editor.tool = 'box'; } }, 'Box ', h('kbd', {}, 'b')),
    h('button', { id: 'tool-polygon', onclick: () => { editor.tool = 'polygon'; } }, 'Polygon ', h('kbd', {}, 'g')),
    drawSelect,
    h('button', { id: 'save', onclick: save }, 'Save ', h('kbd', {}, 'Ctrl+S')),
  ] : [h('span', { class: 'muted' }, 'read only')];
  const history = historyPanel(project, task.data_hash, detail.role, () => state, reload);
  const frames = framed ? frameControls(state.row, state.doc, showFrame) : null;
  page.append(banner,
    h('div', { class: 'toolbar' }, h('b', {}, task.data_title), h('span', { class: 'muted', id: 'task-stage' }, `${task.stage} · ${task.status}${task.assignee ? ` · ${task.assignee}` : ''}`),
      actions, h('button', { id: 'prev-task', onclick: () => go(-1) }, '← Prev ', h('kbd', {}, 'p')), h('button', { id: 'next-task', onclick: () => go(1) }, 'Next → ', h('kbd', {}, 'n')), ...tools, status),
    h('div', { class: 'taskview' }, h('div', {}, box, frames ? frames.element : '', h('p', { class: 'help' }, HELP), history.element), side));
  fit();
  showFrame(0);
  editor.changed();
  window.addEventListener('resize', fit);

  function onKey(e) {
    if (e.target.closest('input, select, textarea')) return;
    const key = e.key;
    if ((e.ctrlKey || e.metaKey) && key === 's') { e.preventDefault(); save(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const action = allowed.find(([, k]) => k === key);
    if (action) { e.preventDefault(); act(action[0]); return; }
    const here = objectsOn(state.doc, state.frame).map(([o]) => o.object_hash);
    const step = e.shiftKey ? 0.02 : 0.002;
    const keys = {
      n: () => go(1), p: () => go(-1), b: () => { if (canEdit) editor.tool = 'box'; }, g: () => { if (canEdit) editor.tool = 'polygon'; },
      Escape: () => { editor.tool = 'select'; editor.drawing = null; editor.select(null); }, Enter: () => editor.finishPolygon(),
      Delete: () => editor.selected && editor.remove(editor.selected), Backspace: () => editor.selected && editor.remove(editor.selected),
      ']': () => editor.select(here[(here.indexOf(editor.selected) + 1) % here.length]),
      '[': () => editor.select(here[(here.indexOf(editor.selected) - 1 + here.length) % here.length]),
      ArrowLeft: () => editor.nudge(-step, 0), ArrowRight: () => editor.nudge(step, 0), ArrowUp: () => editor.nudge(0, -step), ArrowDown: () => editor.nudge(0, step),
      ',': () => frames && frames.step(-1), '.': () => frames && frames.step(1), ' ': () => frames && frames.toggle(),
    };
    if (keys[key]) { e.preventDefault(); keys[key](); }
  }
  window.addEventListener('keydown', onKey);
  return () => { window.removeEventListener('keydown', onKey); window.removeEventListener('resize', fit); if (frames) frames.stop(); };
}
