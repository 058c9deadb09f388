// The JSON API as the pages use it: every URL the app calls is built here.
let csrf = null;

/** Remember the CSRF token the login (or GET /api/session) answered. */
export function setCsrf(token) { csrf = token; }

/** An API answer that was not 2xx: `status` and the problem-details `body`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Call the API; resolves to {data, etag}, rejects with ApiError. */
export async function api(method, path, body, headers = {}) {
  const sent = { ...headers };
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) sent['X-CSRF-Token'] = csrf;
  const answer = await fetch(path, {
    method, headers: sent, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  const data = text ? JSON.parse(text) : null;
  if (!answer.ok) throw new ApiError(answer.status, data || {});
  return { data, etag: answer.headers.get('ETag') };
}

export const get = async (path) => (await api('GET', path)).data;

const enc = encodeURIComponent;
const project = (p) => `/api/projects/${enc(p)}`;

export const urls = {
  session: '/api/session',
  projects: '/api/projects',
  project,
  workflow: (p) => `${project(p)}/workflow`,
  tasks: (p, params) => `${project(p)}/tasks?${new URLSearchParams(params)}`,
  task: (p, t) => `${project(p)}/tasks/${enc(t)}`,
  action: (p, t, name) => `${project(p)}/tasks/${enc(t)}/${name}`,
  events: (p, after, limit = 1000) => `${project(p)}/events?after=${after}&limit=${limit}`,
  stream: (p) => `${project(p)}/events/stream`,
  labelRow: (p, d) => `${project(p)}/label-rows/${enc(d)}`,
  history: (p, d) => `${project(p)}/label-rows/${enc(d)}/history`,
  version: (p, d, v) => `${project(p)}/label-rows/${enc(d)}/versions/${v}`,
  revert: (p, d) => `${project(p)}/label-rows/${enc(d)}/revert`,
  media: (p, d) => `${project(p)}/items/${enc(d)}/media`,
  thumbnail: (p, d, size = 256) => `${project(p)}/items/${enc(d)}/thumbnail?size=${size}`,
  frame: (p, d, i) => `${project(p)}/items/${enc(d)}/frames/${i}?format=jpeg`,
};

/** What each role may do (the server checks again on every request). */
const CAN = {
  owner: ['annotate', 'review', 'admin'],
  admin: ['annotate', 'review', 'admin'],
  annotator: ['annotate'],
  reviewer: ['review'],
  worker: [],
};

export const can = (role, what) => (CAN[role] || []).includes(what);

const known = new Map();

/** A project's title, role and ontology, asked for at most once a minute (its counts age). */
export function projectInfo(project) {
  const hit = known.get(project);
  if (hit && Date.now() - hit.at < 60_000) return hit.answer;
  const answer = get(urls.project(project));
  known.set(project, { at: Date.now(), answer });
  answer.catch(() => known.delete(project));
  return answer;
}
