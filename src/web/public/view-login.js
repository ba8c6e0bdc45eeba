// Login: name + password → POST /api/login.
import { api } from './api.js';
import { t, duration } from './i18n.js';
import { h, replace } from './dom.js';

export function createLoginView({ onLoggedIn, langSwitch }) {
  const el = h('div', { class: 'login-page' });
  const s = { name: '', password: '', busy: false, error: null, lockedUntil: 0 };
  let switchEl = langSwitch;
  let timer = null;

  function errorText() {
    const e = s.error;
    if (!e) return null;
    if (e === 'missing') return t('login.missing');
    if (e.code === 'RISKSCREEN_LOGIN_THROTTLED' || e.status === 429) {
      const left = Math.ceil((s.lockedUntil - Date.now()) / 1000);
      return left > 0 ? t('login.throttled', { wait: duration(left) }) : t('login.throttledNoTime');
    }
    if (e.code === 'RISKSCREEN_LOGIN_FAILED' || e.status === 401) return t('login.failed');
    if (e.code === 'NETWORK') return `${t('err.network')}。${t('err.networkMsg')}`;
    return [t(`err.${e.code}`), e.serverMessage].filter(Boolean).join(' — ');
  }

  async function submit(event) {
    event.preventDefault();
    if (s.busy) return;
    if (!s.name.trim() || !s.password) {
      s.error = 'missing';
      draw();
      return;
    }
    s.busy = true;
    s.error = null;
    draw();
    try {
      await api.login(s.name.trim(), s.password);
      s.password = '';
      await onLoggedIn();
    } catch (error) {
      s.busy = false;
      s.error = error;
      s.password = '';
      if (error.retryAfter) {
        s.lockedUntil = Date.now() + error.retryAfter * 1000;
        clearInterval(timer);
        // keep the "try again in …" words current
        timer = setInterval(() => {
          const msg = el.querySelector('[data-testid="login-error"] .login-error-text');
          if (msg) msg.textContent = errorText();
          if (Date.now() > s.lockedUntil) clearInterval(timer);
        }, 1000);
      }
      draw();
      const focus = el.querySelector(error.status === 429 ? 'button[type=submit]' : '#login-password');
      if (focus) focus.focus();
    }
  }

  function draw() {
    const name = h('input', {
      id: 'login-name',
      name: 'username',
      type: 'text',
      autocomplete: 'username',
      autocapitalize: 'off',
      spellcheck: 'false',
      required: true,
      value: s.name,
      testid: 'login-name',
      on: { input: (e) => (s.name = e.target.value) },
    });
    const password = h('input', {
      id: 'login-password',
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: true,
      value: s.password,
      testid: 'login-password',
      on: { input: (e) => (s.password = e.target.value) },
    });
    const message = errorText();
    replace(
      el,
      h('div', { class: 'login-lang' }, switchEl),
      h(
        'form',
        { class: 'login-card', method: 'post', action: '/api/login', novalidate: true, on: { submit } },
        h(
          'div',
          { class: 'login-brand' },
          h('img', { src: '/assets/favicon.svg', alt: '', width: '36', height: '36' }),
          h('div', null, h('h1', null, t('app.title')), h('div', { class: 'muted' }, t('login.subtitle'))),
        ),
        h('div', { class: 'field' }, h('label', { for: 'login-name', class: 'field-label' }, t('login.name')), name),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'login-password', class: 'field-label' }, t('login.password')),
          password,
        ),
        message
          ? h(
              'div',
              { class: 'alert alert-error', role: 'alert', testid: 'login-error' },
              h('span', { class: 'login-error-text' }, message),
            )
          : null,
        h(
          'button',
          { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit', disabled: s.busy },
          s.busy ? t('login.busy') : t('login.submit'),
        ),
      ),
    );
    if (!s.name) queueMicrotask(() => name.focus());
  }

  draw();
  return {
    el,
    redraw(nextSwitch) {
      if (nextSwitch) switchEl = nextSwitch;
      draw();
    },
    destroy() {
      clearInterval(timer);
    },
  };
}
