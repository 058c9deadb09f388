// Log in with a password.
import { api, setCsrf, urls } from '../api.js';
import { session } from '../app.js';
import { h } from '../dom.js';

export function render(page) {
  const user = h('input', { id: 'login-user', name: 'user', placeholder: 'user', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', placeholder: 'password', autocomplete: 'current-password', required: true });
  const message = h('p', { class: 'error', id: 'login-error' });
  const form = h('form', { class: 'login card' }, h('h2', {}, 'Log in to annotask'), user, password,
    h('button', { class: 'primary', type: 'submit', id: 'login-submit' }, 'Log in'), message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.textContent = '';
    try {
      const { data } = await api('POST', urls.session, { user: user.value, password: password.value });
      session.user = data.user;
      session.isAdmin = data.is_admin;
      setCsrf(data.csrf_token);
      location.hash = '#/';
    } catch (err) {
      message.textContent = err.message;
    }
  });
  page.append(form);
  user.focus();
}
