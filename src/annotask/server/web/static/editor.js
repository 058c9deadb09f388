// Editing a frame's objects on the SVG overlay: select, move, resize, draw boxes and polygons.
import { s } from './dom.js';
import { drawObject, objectsOn } from './shapes.js';

const clamp = (v) => Math.min(1, Math.max(0, v));

function newHash() {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The editor of one frame; `state` holds doc, frame, classes, W, H; `changed()` re-renders. */
export class FrameEditor {
  constructor(svg, state, changed) {
    this.svg = svg;
    this.state = state;
    this.changed = changed;
    this.tool = 'select';
    this.selected = null;
    this.drawing = null;
    this.editable = false;
    svg.addEventListener('pointerdown', (e) => this.down(e));
    svg.addEventListener('dblclick', () => this.finishPolygon());
  }

  /** Mouse position as fractions of the item. */
  at(event) {
    const m = this.svg.getScreenCTM().inverse();
    const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(m);
    return [clamp(p.x / this.state.W), clamp(p.y / this.state.H)];
  }

  entry(hash) {
    const obj = this.state.doc.objects.find((o) => o.object_hash === hash);
    return obj ? [obj, obj.frames[String(this.state.frame)]] : [null, null];
  }

  touch(entry) {
    entry.manual_annotation = true;
    entry.confidence = 1;
    this.state.dirty = true;
  }

  render() {
    const { W, H, doc, frame, classes } = this.state;
    this.svg.replaceChildren();
    this.svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const shown = this.svg.getBoundingClientRect().width;
    this.px = shown > 0 ? W / shown : W / 600;  // item pixels per screen pixel
    for (const [obj, entry] of objectsOn(doc, frame)) {
      const g = drawObject(obj, entry, classes[obj.feature_hash], W, H, { px: this.px });
      if (obj.object_hash === this.selected) {
        g.querySelector('.shape')?.classList.add('sel');
        if (this.editable) this.handles(g, obj, entry);
      }
      this.svg.append(g);
    }
    if (this.drawing && this.drawing.kind === 'polygon') {
      this.svg.append(s('polyline', { class: 'shape line', points: this.drawing.points.map(([x, y]) => `${x * W},${y * H}`).join(' '), stroke: '#111' }));
    }
  }

  handles(g, obj, entry) {
    const { W, H } = this.state;
    const c = entry.coordinates;
    const r = 5 * this.px;
    if ('w' in c && !c.theta) {
      for (const [cx, cy, corner] of [[c.x, c.y, 'nw'], [c.x + c.w, c.y, 'ne'], [c.x, c.y + c.h, 'sw'], [c.x + c.w, c.y + c.h, 'se']]) {
        g.append(s('rect', { class: 'handle', 'data-handle': corner, x: cx * W - r, y: cy * H - r, width: 2 * r, height: 2 * r }));
      }
    } else if (c.points) {
      c.points.forEach(([x, y], i) => g.append(s('rect', { class: 'handle', 'data-handle': `v${i}`, x: x * W - r, y: y * H - r, width: 2 * r, height: 2 * r })));
    }
  }

  down(event) {
    if (event.button !== 0) return;
    const [x, y] = this.at(event);
    if (this.tool === 'polygon' && this.editable) { this.addVertex(x, y); return; }
    if (this.tool === 'box' && this.editable) { this.startBox(x, y); event.preventDefault(); return; }
    const g = event.target.closest('.obj');
    if (!g) { this.select(null); return; }
    this.select(g.dataset.objectHash);
    if (!this.editable) return;
    const [, entry] = this.entry(this.selected);
    if (!entry) return;
    const handle = event.target.dataset.handle;
    const start = JSON.parse(JSON.stringify(entry.coordinates));
    event.preventDefault();
    this.drag(event, (dx, dy) => {
      const c = entry.coordinates;
      if (!handle) move(c, start, dx, dy);
      else if (handle.startsWith('v')) { const i = Number(handle.slice(1)); c.points[i] = [clamp(start.points[i][0] + dx), clamp(start.points[i][1] + dy)]; }
      else resize(c, start, handle, dx, dy);
      this.touch(entry);
    });
  }

  drag(event, apply) {
    const [x0, y0] = this.at(event);
    const moveTo = (e) => { const [x, y] = this.at(e); apply(x - x0, y - y0); this.render(); };
    const up = () => { window.removeEventListener('pointermove', moveTo); window.removeEventListener('pointerup', up); this.changed(); };
    window.addEventListener('pointermove', moveTo);
    window.addEventListener('pointerup', up);
  }

  select(hash) {
    this.selected = hash;
    this.render();
    this.changed();
  }

  /** A new instance of class `cls` on this frame with `coordinates`. */
  add(cls, coordinates) {
    const obj = { object_hash: newHash(), feature_hash: cls.feature_hash, name: cls.name, frames: {}, answers: {} };
    obj.frames[String(this.state.frame)] = { coordinates, confidence: 1, manual_annotation: true };
    this.state.doc.objects.push(obj);
    this.state.dirty = true;
    this.selected = obj.object_hash;
    return obj;
  }

  startBox(x, y) {
    const cls = this.state.drawClass('bounding_box');
    if (!cls) return;
    const obj = this.add(cls, { x, y, w: 0, h: 0 });
    const c = obj.frames[String(this.state.frame)].coordinates;
    const moveTo = (e) => { const [x1, y1] = this.at(e); Object.assign(c, { x: Math.min(x, x1), y: Math.min(y, y1), w: Math.abs(x1 - x), h: Math.abs(y1 - y) }); this.render(); };
    const up = () => {
      window.removeEventListener('pointermove', moveTo); window.removeEventListener('pointerup', up);
      if (c.w < 0.002 || c.h < 0.002) { this.remove(obj.object_hash); return; }
      this.tool = 'select';
      this.changed();
    };
    window.addEventListener('pointermove', moveTo);
    window.addEventListener('pointerup', up);
  }

  addVertex(x, y) {
    this.drawing = this.drawing || { kind: 'polygon', points: [] };
    this.drawing.points.push([x, y]);
    this.render();
  }

  finishPolygon() {
    if (!this.drawing) return;
    const points = this.drawing.points;
    this.drawing = null;
    const cls = this.state.drawClass('polygon');
    if (cls && points.length >= 3) this.add(cls, { points });
    this.tool = 'select';
    this.render();
    this.changed();
  }

  /** Delete an instance from this frame (the whole instance when it has no other frame). */
  remove(hash) {
    const doc = this.state.doc;
    const obj = doc.objects.find((o) => o.object_hash === hash);
    if (!obj) return;
    delete obj.frames[String(this.state.frame)];
    if (!Object.keys(obj.frames).length) doc.objects.splice(doc.objects.indexOf(obj), 1);
    if (this.selected === hash) this.selected = null;
    this.state.dirty = true;
    this.render();
    this.changed();
  }

  /** Move the selected instance by (dx, dy) fractions (keyboard nudges). */
  nudge(dx, dy) {
    const [, entry] = this.entry(this.selected);
    if (!entry || !this.editable) return;
    const start = JSON.parse(JSON.stringify(entry.coordinates));
    move(entry.coordinates, start, dx, dy);
    this.touch(entry);
    this.render();
    this.changed();
  }
}

function move(c, start, dx, dy) {
  if ('w' in start) {
    c.x = Math.min(1 - start.w, Math.max(0, start.x + dx));
    c.y = Math.min(1 - start.h, Math.max(0, start.y + dy));
  } else if (start.points) {
    c.points = start.points.map(([x, y]) => [clamp(x + dx), clamp(y + dy)]);
  } else if ('x' in start) {
    c.x = clamp(start.x + dx); c.y = clamp(start.y + dy);
  } else if (start.keypoints) {
    for (const [k, p] of Object.entries(start.keypoints)) c.keypoints[k] = { ...p, x: clamp(p.x + dx), y: clamp(p.y + dy) };
  }
}

function resize(c, start, corner, dx, dy) {
  let x0 = start.x; let y0 = start.y; let x1 = start.x + start.w; let y1 = start.y + start.h;
  if (corner.includes('w')) x0 = clamp(x0 + dx); else x1 = clamp(x1 + dx);
  if (corner.includes('n')) y0 = clamp(y0 + dy); else y1 = clamp(y1 + dy);
  Object.assign(c, { x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0) });
}
