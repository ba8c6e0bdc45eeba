// The ops console: session, hash router, header. Views live in view-*.js.
import { api, setCsrfToken, onUnauthorized, ApiError } from './api.js';
import { t, getLang, setLang, onLangChange } from './i18n.js';
import { h, replace, errorBox } from './dom.js';
import { createLoginView } from './view-login.js';
import { createListView } from './view-list.js';
import { createNewView } from './view-new.js';
import { createBatchView } from './view-batch.js';

const root = document.getElementById('app');

const state = {
  /** The answer of GET /api/session, or null when logged out. */
  session: null,
};

let view = null;
let headerSlot = null;

function setSession(session) {
  state.session = session;
  setCsrfToken(session ? session.csrfToken : null);
}

function canOperate() {
  const role = state.session && state.session.user && state.session.user.role;
  return role === 'operator' || role === 'admin';
}

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

const ctx = {
  get session() {
    return state.session;
  },
  canOperate,
  navigate,
};

function destroyView() {
  if (view && view.destroy) view.destroy();
  view = null;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/batches';
  const [path, queryText = ''] = raw.split('?');
  const query = Object.fromEntries(new URLSearchParams(queryText));
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'batches' && parts.length === 1) return { name: 'list', query };
  if (parts[0] === 'new' && parts.length === 1) return { name: 'new', query };
  if (parts[0] === 'batch' && parts.length === 2) {
    // A malformed escape (#/batch/%E0) is no batch: the list, not a blank page.
    let id;
    try {
      id = decodeURIComponent(parts[1]);
    } catch {
      return { name: 'unknown', query };
    }
    return { name: 'batch', id, query };
  }
  return { name: 'unknown', query };
}

function renderLogin() {
  destroyView();
  document.title = `${t('login.heading')} · ${t('app.title')}`;
  view = createLoginView({
    onLoggedIn: async () => {
      const session = await api.session();
      setSession(session);
      if (parseHash().name === 'unknown') location.replace('#/batches');
      route();
    },
    langSwitch: langSwitch(),
  });
  replace(root, view.el);
}

function langSwitch() {
  return h(
    'button',
    {
      type: 'button',
      class: 'btn btn-ghost lang-switch',
      testid: 'lang-switch',
      title: t('lang.switchTitle'),
      lang: getLang() === 'zh-CN' ? 'en' : 'zh-CN',
      on: { click: () => setLang(getLang() === 'zh-CN' ? 'en' : 'zh-CN') },
    },
    t('lang.switch'),
  );
}

function header() {
  const s = state.session;
  const role = s.user.role;
  const current = parseHash().name;
  return h(
    'header',
    { class: 'topbar' },
    h(
      'div',
      { class: 'topbar-inner' },
      h(
        'a',
        { class: 'brand', href: '#/batches' },
        h('img', { class: 'brand-mark', src: '/assets/favicon.svg', alt: '', width: '22', height: '22' }),
        h('span', { class: 'brand-name' }, t('app.title')),
      ),
      h(
        'nav',
        { class: 'topnav' },
        h(
          'a',
          { href: '#/batches', class: ['topnav-link', current === 'list' || current === 'batch' ? 'is-current' : null] },
          t('nav.batches'),
        ),
        // The queue dashboard exists only on the queue engine.
        role === 'admin' && s.engine && s.engine.kind === 'queue'
          ? h(
              'a',
              {
                href: '/admin/queues',
                class: 'topnav-link',
                testid: 'admin-link',
              },
              t('nav.admin'),
            )
          : null,
      ),
      h(
        'div',
        { class: 'topbar-right' },
        h(
          'span',
          { class: 'user' },
          h('span', { class: 'user-name', testid: 'user-name' }, s.user.name),
          h('span', { class: ['role', `role-${role}`], testid: 'user-role' }, t(`role.${role}`)),
        ),
        langSwitch(),
        h(
          'button',
          { type: 'button', class: 'btn btn-ghost', testid: 'logout', on: { click: logout } },
          t('nav.logout'),
        ),
      ),
    ),
  );
}

function banner() {
  const engine = state.session.engine;
  if (!engine || engine.kind !== 'local') return null;
  return h(
    'div',
    { class: 'banner banner-warn', role: 'note', testid: 'local-engine-banner' },
    h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
    h('span', null, t('banner.local')),
  );
}

async function logout() {
  try {
    await api.logout();
  } catch {
    /* the session ends on our side whatever the server says */
  }
  setSession(null);
  renderLogin();
}

function route() {
  if (!state.session) {
    renderLogin();
    return;
  }
  const target = parseHash();
  if (target.name === 'unknown') {
    location.replace('#/batches');
    return route();
  }
  destroyView();
  if (target.name === 'list') view = createListView(ctx, target.query);
  else if (target.name === 'new') view = createNewView(ctx);
  else view = createBatchView(ctx, target.id);
  headerSlot = h('div', { class: 'header-slot' }, header(), banner());
  replace(root, headerSlot, h('main', { class: 'main' }, view.el));
  document.title = `${view.title ? `${view.title()} · ` : ''}${t('app.title')}`;
}

onUnauthorized(() => {
  if (!state.session) return;
  setSession(null);
  renderLogin();
});

onLangChange(() => {
  if (!state.session) {
    // the login view keeps what was typed
    if (view && view.redraw) {
      view.redraw(langSwitch());
      document.title = `${t('login.heading')} · ${t('app.title')}`;
    } else renderLogin();
    return;
  }
  if (headerSlot) replace(headerSlot, header(), banner());
  if (view && view.redraw) view.redraw();
  document.title = `${view && view.title ? `${view.title()} · ` : ''}${t('app.title')}`;
});

async function boot() {
  try {
    setSession(await api.session());
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) {
      replace(
        root,
        h(
          'div',
          { class: 'boot-error' },
          errorBox(error, { testid: 'boot-error' }),
          h('button', { type: 'button', class: 'btn', on: { click: () => location.reload() } }, '↻'),
        ),
      );
      return;
    }
    setSession(null);
  }
  window.addEventListener('hashchange', route);
  route();
}

boot();
