// DOM helpers: the page is built with createElement and textContent only (no innerHTML,
// no style attributes: the CSP allows neither).
import { t, num, bytes, duration, has } from './i18n.js';

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'open', 'multiple']);

/**
 * h('div', { class: 'card', testid: 'preview', on: { click: fn } }, 'text', child, [more])
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      else if (key === 'testid') el.dataset.testid = value;
      else if (key === 'data') Object.assign(el.dataset, value);
      else if (key === 'on') for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
      else if (key === 'style') throw new Error('no style attributes (CSP)');
      else if (PROPS.has(key)) el[key] = value;
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

export const ACTIVE_STATUSES = ['queued', 'ingesting', 'screening', 'reporting'];
export const STATUSES = [...ACTIVE_STATUSES, 'done', 'failed', 'cancelled', 'blocked'];
export const LEVELS = ['high', 'medium', 'low', 'unscored'];
export const APIS = ['status', 'tenure', 'tenureCmcc', 'resale', 'callDuration'];

export function isActive(status) {
  return ACTIVE_STATUSES.includes(status);
}

export function statusBadge(status, testid) {
  const known = STATUSES.includes(status);
  return h(
    'span',
    { class: ['badge', `badge-${known ? status : 'unknown'}`], testid, data: { status: status || '' } },
    isActive(status) ? h('span', { class: 'pulse', 'aria-hidden': 'true' }) : null,
    known ? t(`status.${status}`) : String(status ?? '—'),
  );
}

export function profileName(name) {
  return has(`profile.${name}`) && t(`profile.${name}`) !== name ? `${t(`profile.${name}`)} · ${name}` : name;
}

export function apiName(api) {
  return has(`api.${api}`) ? t(`api.${api}`) : api;
}

/** A bar with its percent; `percent` null shows an indeterminate stripe. */
export function progressBar(percent, { testid, label, small, quiet } = {}) {
  const fill = h('div', { class: 'bar-fill' });
  const known = typeof percent === 'number' && Number.isFinite(percent);
  const clamped = known ? Math.max(0, Math.min(100, percent)) : 0;
  if (known) fill.style.width = `${clamped}%`;
  const bar = h(
    'div',
    {
      class: ['bar', known ? null : 'bar-indeterminate', small ? 'bar-small' : null],
      role: 'progressbar',
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': known ? String(Math.round(clamped)) : undefined,
      'aria-label': label,
    },
    fill,
  );
  return h(
    'div',
    { class: ['progress', small ? 'progress-small' : null], testid },
    bar,
    h('span', { class: 'progress-text' }, known ? `${Math.round(clamped)}%` : quiet ? '' : (label ?? '')),
  );
}

/** Rows by level as four coloured counts (the table head carries the legend). */
export function levelChips(levels) {
  if (!levels) return h('span', { class: 'muted' }, '—');
  return h(
    'span',
    { class: 'level-chips' },
    LEVELS.map((level) =>
      h(
        'span',
        { class: ['chip', `chip-${level}`], data: { level }, title: `${t(`level.${level}`)}: ${num(levels[level] ?? 0)}` },
        num(levels[level] ?? 0),
      ),
    ),
  );
}

/** The legend for levelChips: coloured dots with the level names. */
export function levelLegend() {
  return h(
    'span',
    { class: 'level-legend' },
    LEVELS.map((level) => h('span', { class: 'legend-item' }, h('span', { class: ['dot', `dot-${level}`] }), t(`level.${level}`))),
  );
}

/**
 * The plain-words box for an API error: a translated headline, the server's message,
 * and for an unreadable list the file, line and problem.
 */
export function errorBox(error, { testid = 'error', extra } = {}) {
  const code = error && error.code ? error.code : 'RISKSCREEN_INTERNAL';
  const headline =
    code === 'NETWORK' ? t('err.network') : has(`err.${code}`) ? t(`err.${code}`) : t('err.headline');
  const d = (error && error.details) || {};
  const rows = [];
  if (code === 'RISKSCREEN_INPUT_UNREADABLE') {
    if (d.file) rows.push([t('err.file'), d.file]);
    if (d.line) {
      const where = [t('err.lineN', { line: num(d.line) })];
      if (d.column) where.push(t('err.columnN', { column: num(d.column) }));
      rows.push([t('err.line'), where.join(t('punct.comma'))]);
    }
    const problemWords = d.inputCode && has(`input.${d.inputCode}`) ? t(`input.${d.inputCode}`) : null;
    if (problemWords || d.problem) {
      rows.push([
        t('err.problem'),
        h(
          'span',
          null,
          problemWords ? h('strong', null, problemWords) : null,
          problemWords && d.problem ? h('br') : null,
          d.problem ? h('span', { class: 'muted' }, d.problem) : null,
        ),
      ]);
    }
  }
  if (d.field) rows.push([t('err.field'), String(d.field)]);
  if (code === 'RISKSCREEN_FORBIDDEN') {
    if (d.role) rows.push([t('err.role'), has(`role.${d.role}`) ? t(`role.${d.role}`) : String(d.role)]);
    if (d.needs) {
      const needs = Array.isArray(d.needs) ? d.needs : [d.needs];
      rows.push([t('err.needs'), needs.map((r) => (has(`role.${r}`) ? t(`role.${r}`) : String(r))).join(' / ')]);
    }
  }
  const message =
    code === 'NETWORK'
      ? t('err.networkMsg')
      : error && error.serverMessage
        ? error.serverMessage
        : error && !(error.code) && error.message
          ? error.message
          : '';
  return h(
    'div',
    { class: 'alert alert-error', role: 'alert', testid, data: { code } },
    h('div', { class: 'alert-title' }, headline),
    rows.length
      ? h(
          'dl',
          { class: 'alert-details' },
          rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
        )
      : null,
    message && code !== 'RISKSCREEN_INPUT_UNREADABLE'
      ? h('div', { class: 'alert-message' }, message)
      : null,
    message && code === 'RISKSCREEN_INPUT_UNREADABLE' && !d.problem
      ? h('div', { class: 'alert-message' }, message)
      : null,
    error && error.retryAfter ? h('div', { class: 'alert-message' }, t('err.retryAfter', { wait: duration(error.retryAfter) })) : null,
    extra || null,
  );
}

export function stat(label, value, { testid, hint, tone } = {}) {
  return h(
    'div',
    { class: ['stat', tone ? `stat-${tone}` : null] },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value', testid }, value),
    hint ? h('div', { class: 'stat-hint' }, hint) : null,
  );
}

export function selectEl(options, value, attrs = {}) {
  return h(
    'select',
    attrs,
    options.map(([v, label]) => h('option', { value: String(v), selected: String(v) === String(value) }, label)),
  );
}

export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id, class: 'field-label' }, label),
    control,
    hint ? h('div', { class: 'field-hint' }, hint) : null,
  );
}

export { bytes };
