// Draw a labels document's objects on one frame as SVG, in the item's pixel space.
import { s } from './dom.js';

/** A stable colour per object class. */
export function colour(featureHash) {
  let n = 0;
  for (const c of featureHash || '') n = (n * 31 + c.charCodeAt(0)) >>> 0;
  return `hsl(${n % 360} 80% 45%)`;
}

/** Ontology lookups: object classes by feature hash. */
export function classIndex(ontology) {
  return Object.fromEntries((ontology.objects || []).map((o) => [o.feature_hash, o]));
}

/** The objects of `doc` present on `frame`, as [object, frame entry] pairs. */
export function objectsOn(doc, frame) {
  const key = String(frame);
  return (doc.objects || []).filter((o) => o.frames && o.frames[key]).map((o) => [o, o.frames[key]]);
}

function bitmaskImage(c, W, H) {
  const canvas = document.createElement('canvas');
  canvas.width = c.width;
  canvas.height = c.height;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(c.width, c.height);
  let index = 0;
  c.counts.forEach((run, i) => {
    if (i % 2 === 1) {
      for (let k = index; k < index + run; k++) {
        const row = k % c.height;  // column-major (Fortran order)
        const col = Math.floor(k / c.height);
        const at = (row * c.width + col) * 4;
        img.data[at] = 255; img.data[at + 1] = 0; img.data[at + 2] = 128; img.data[at + 3] = 110;
      }
    }
    index += run;
  });
  ctx.putImageData(img, 0, 0);
  return s('image', { href: canvas.toDataURL(), x: 0, y: 0, width: W, height: H, preserveAspectRatio: 'none', class: 'mask' });
}

const pts = (points, W, H) => points.map(([x, y]) => `${x * W},${y * H}`).join(' ');

/** One SVG group drawing one object's shape on a frame (pixel space W×H). */
export function drawObject(obj, entry, cls, W, H, { labels = true, px = W / 600 } = {}) {
  const c = entry.coordinates;
  const shape = cls ? cls.shape : 'bounding_box';
  const stroke = colour(obj.feature_hash);
  const g = s('g', { class: 'obj', 'data-object-hash': obj.object_hash, 'data-name': obj.name, 'data-shape': shape, style: `stroke:${stroke};color:${stroke}` });
  let anchor = [0, 0];
  if (shape === 'bounding_box' || shape === 'rotatable_bounding_box') {
    const attrs = { class: 'shape', x: c.x * W, y: c.y * H, width: c.w * W, height: c.h * H, stroke };
    if (c.theta) attrs.transform = `rotate(${c.theta} ${(c.x + c.w / 2) * W} ${(c.y + c.h / 2) * H})`;
    g.append(s('rect', attrs));
    anchor = [c.x * W, c.y * H];
  } else if (shape === 'polygon' || shape === 'polyline') {
    g.append(s(shape, { class: shape === 'polyline' ? 'shape line' : 'shape', points: pts(c.points, W, H), stroke }));
    anchor = [c.points[0][0] * W, c.points[0][1] * H];
  } else if (shape === 'point') {
    g.append(s('circle', { class: 'shape', cx: c.x * W, cy: c.y * H, r: 4 * px, fill: stroke, stroke }));
    anchor = [c.x * W, c.y * H];
  } else if (shape === 'bitmask') {
    g.append(bitmaskImage(c, W, H));
  } else if (shape === 'skeleton') {
    const kp = c.keypoints || {};
    for (const [a, b] of (cls && cls.edges) || []) {
      if (kp[a] && kp[b]) g.append(s('line', { class: 'shape line', x1: kp[a].x * W, y1: kp[a].y * H, x2: kp[b].x * W, y2: kp[b].y * H, stroke }));
    }
    for (const [name, p] of Object.entries(kp)) {
      g.append(s('circle', { class: 'shape', cx: p.x * W, cy: p.y * H, r: 4 * px, fill: p.visible === false ? 'none' : stroke, stroke, 'data-keypoint': name }));
      anchor = anchor[0] ? anchor : [p.x * W, p.y * H];
    }
  }
  if (labels) {
    const conf = entry.confidence ?? 1;
    g.append(s('text', { class: 'tag', x: anchor[0] + 2, y: Math.max(13 * px, anchor[1] - 4 * px), fill: stroke, 'font-size': 13 * px }, `${obj.name} ${conf.toFixed(2)}`));
  }
  return g;
}

/** An SVG overlay (viewBox W×H, letterboxed like `object-fit: contain`) of a frame's objects. */
export function overlay(doc, frame, classes, W, H, filter = () => true, options = {}) {
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'xMidYMid meet', width: '100%', height: '100%' });
  for (const [obj, entry] of objectsOn(doc, frame)) {
    if (filter(obj, entry)) svg.append(drawObject(obj, entry, classes[obj.feature_hash], W, H, options));
  }
  return svg;
}

/** Whether an object entry was made by an agent (not by a person). */
export const byAgent = (entry) => entry.manual_annotation === false;
