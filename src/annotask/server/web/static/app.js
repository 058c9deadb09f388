// The page shell: who is logged in, and which page the URL's #hash names.
import { api, ApiError, get, setCsrf, urls } from './api.js';
import { h, clear } from './dom.js';

const routes = [
  [/^#\/login$/, () => import('./pages/login.js')],
  [/^#\/p\/([^/?]+)\/t\/([^/?]+)/, () => import('./pages/task.js')],
  [/^#\/p\/([^/?]+)\/tasks/, () => import('./pages/browser.js')],
  [/^#\/p\/([^/?]+)$/, () => import('./pages/overview.js')],
  [/^(#\/?)?$/, () => import('./pages/projects.js')],
];

export const session = { user: null, isAdmin: false };
let leaving = () => {};

/** The query parameters of the #hash. */
export function hashParams() {
  const q = location.hash.split('?')[1] || '';
  return new URLSearchParams(q);
}

/** Show `parts` (links and text) as the breadcrumbs. */
export function crumbs(...parts) {
  const nav = document.getElementById('crumbs');
  clear(nav).append(...parts.map((p) => (Array.isArray(p) ? h('a', { href: p[1] }, p[0]) : h('span', {}, p))));
}

/** Show the user (and their role on the open project) in the bar. */
export function showWho(role) {
  const who = document.getElementById('who');
  clear(who);
  if (!session.user) return;
  who.append(h('span', { id: 'current-user' }, session.user),
    role ? h('span', { id: 'current-role', class: 'muted' }, ` (${role})`) : '',
    h('button', { id: 'logout', onclick: logout }, 'Log out'));
}

async function logout() {
  await api('DELETE', urls.session).catch(() => {});
  session.user = null;
  setCsrf(null);
  location.hash = '#/login';
}

async function whoAmI() {
  try {
    const me = await get(urls.session);
    session.user = me.user;
    session.isAdmin = me.is_admin;
    setCsrf(me.csrf_token);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return false;
    throw err;
  }
}

async function route() {
  leaving();
  leaving = () => {};
  const page = document.getElementById('page');
  if (!session.user && location.hash !== '#/login' && !(await whoAmI())) {
    location.hash = '#/login';
    return;
  }
  const hash = location.hash.split('?')[0];
  for (const [pattern, load] of routes) {
    const match = hash.match(pattern);
    if (!match) continue;
    const module = await load();
    clear(page);
    showWho();
    crumbs();
    try {
      leaving = (await module.render(page, ...match.slice(1).map(decodeURIComponent))) || (() => {});
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) { session.user = null; location.hash = '#/login'; return; }
      page.append(h('p', { class: 'error' }, String(err.message || err)));
    }
    return;
  }
  clear(page).append(h('p', { class: 'error' }, `no page at ${location.hash}`));
}

window.addEventListener('hashchange', route);
route();
