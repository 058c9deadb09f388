// Frame navigation for video, image sequences and DICOM: play, pause, step, scrub, timeline.
import { h } from '../dom.js';
import { byAgent } from '../shapes.js';

/** Frames that hold an agent's objects (the frames the agent sampled). */
function agentFrames(doc) {
  const frames = new Set();
  for (const obj of doc.objects || []) {
    for (const [f, entry] of Object.entries(obj.frames || {})) if (byAgent(entry)) frames.add(Number(f));
  }
  return [...frames].sort((a, b) => a - b);
}

/** Controls over `row`'s frames; `show(i)` draws frame i. */
export function frameControls(row, doc, show) {
  const count = Math.max(1, row.number_of_frames);
  const fps = Math.min(row.fps || 10, 15);
  let frame = 0;
  let timer = null;
  const slider = h('input', { type: 'range', id: 'frame-slider', min: 0, max: count - 1, value: 0 });
  const label = h('span', { id: 'frame-label' }, `frame 1 / ${count}`);
  const play = h('button', { id: 'play' }, '▶');
  const cursor = h('div', { class: 'cursor' });
  const timeline = h('div', { class: 'timeline', id: 'timeline', title: 'marks: frames an agent labelled' },
    ...agentFrames(doc).map((f) => h('div', { class: 'tick', 'data-frame': f, style: `left:${(100 * f) / count}%` })), cursor);
  function go(i) {
    frame = Math.min(count - 1, Math.max(0, i));
    slider.value = frame;
    label.textContent = `frame ${frame + 1} / ${count}`;
    label.dataset.frame = String(frame);
    cursor.style.left = `${(100 * frame) / count}%`;
    show(frame);
  }
  function stop() { clearInterval(timer); timer = null; play.textContent = '▶'; }
  function toggle() {
    if (timer) { stop(); return; }
    play.textContent = '⏸';
    timer = setInterval(() => { if (frame >= count - 1) stop(); else go(frame + 1); }, 1000 / fps);
  }
  slider.oninput = () => go(Number(slider.value));
  play.onclick = toggle;
  timeline.onclick = (e) => { const r = timeline.getBoundingClientRect(); go(Math.floor(((e.clientX - r.left) / r.width) * count)); };
  const element = h('div', { class: 'card' }, timeline, h('div', { class: 'frames' },
    h('button', { id: 'frame-prev', onclick: () => go(frame - 1) }, '‹ frame ', h('kbd', {}, ',')), play,
    h('button', { id: 'frame-next', onclick: () => go(frame + 1) }, 'frame › ', h('kbd', {}, '.')), slider, label));
  return { element, step: (d) => go(frame + d), toggle, stop, go };
}
