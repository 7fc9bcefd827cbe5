/** Login screen (with the language switch: first thing a new user sees). */
import { getLang, setLang, t } from '../i18n.js';
import { login } from '../session.js';
import { errText, h } from '../ui.js';

export default {
  id: 'login', title: 'app.name', public: true,
  render(root, ctx) {
    const user = h('input', { name: 'username', autocomplete: 'username', autocapitalize: 'off', required: true, 'data-testid': 'username' });
    const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'password' });
    const msg = h('p', { class: 'err-text', role: 'alert' });
    const btn = h('button', { class: 'btn primary block', type: 'submit', 'data-testid': 'login-submit' }, t('login.submit'));
    const form = h('form', { class: 'card', onsubmit: async (e) => {
      e.preventDefault();
      msg.textContent = '';
      btn.disabled = true;
      try {
        await login(user.value.trim(), pass.value);
        ctx.nav('#/home');
      } catch (err) {
        msg.textContent = err.status === 401 ? t('login.bad') : err.status === 429 ? t('login.throttled') : errText(err);
      } finally { btn.disabled = false; }
    } },
    h('label', {}, t('login.username'), user), h('label', {}, t('login.password'), pass), msg, btn);
    const langs = h('div', { class: 'seg', role: 'group', 'aria-label': t('settings.language') },
      ['zh-CN', 'en'].map((l) => h('button', { type: 'button', class: getLang() === l ? 'on' : '', 'data-lang': l,
        onclick: () => setLang(l) }, l === 'en' ? 'English' : '中文')));
    root.append(h('div', { class: 'login' },
      h('div', { class: 'brand' }, h('img', { src: '/icons/icon-192.png', alt: '' }), h('h1', {}, t('app.name')),
        h('p', { class: 'muted' }, t('app.tagline'))),
      form, langs,
      !navigator.onLine ? h('p', { class: 'muted' }, t('login.offline')) : null));
    setTimeout(() => user.focus(), 0);
  },
};
