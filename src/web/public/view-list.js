// Batches list: newest first, status filter, pages; refreshed every 5 s while a shown
// batch is active (one list request, not one per row).
import { api } from './api.js';
import { t, num, dateTime } from './i18n.js';
import { h, replace, STATUSES, isActive, statusBadge, progressBar, levelChips, levelLegend, errorBox, selectEl } from './dom.js';

const PER_PAGE = 20;
const REFRESH_MS = 5000;

export function createListView(ctx, query) {
  const status = query.status === 'active' || STATUSES.includes(query.status) ? query.status : '';
  const page = Math.max(1, Number.parseInt(query.page, 10) || 1);
  const s = { data: null, error: null, loading: true };
  let timer = null;
  let controller = null;
  let destroyed = false;

  const el = h('section', { class: 'page page-list' });
  const dataSlot = h('div', { class: 'list-data' });

  function go(nextStatus, nextPage) {
    const params = new URLSearchParams();
    if (nextStatus) params.set('status', nextStatus);
    if (nextPage > 1) params.set('page', String(nextPage));
    const text = params.toString();
    ctx.navigate(`#/batches${text ? `?${text}` : ''}`);
  }

  async function load() {
    clearTimeout(timer);
    if (controller) controller.abort();
    controller = new AbortController();
    try {
      const data = await api.batches({ status: status || undefined, page, perPage: PER_PAGE }, controller.signal);
      if (destroyed) return;
      s.data = data;
      s.error = null;
    } catch (error) {
      if (destroyed || error.name === 'AbortError') return;
      s.error = error;
    }
    s.loading = false;
    drawData();
    const anyActive = s.data && s.data.batches.some((b) => isActive(b.status));
    // keep polling after a network error too, so the page recovers by itself
    if (!destroyed && (anyActive || (s.error && s.error.code === 'NETWORK'))) timer = setTimeout(load, REFRESH_MS);
  }

  function row(b) {
    const href = `#/batch/${encodeURIComponent(b.id)}`;
    const p = b.progress || {};
    let progress;
    if (p.total === null || p.total === undefined) {
      progress = isActive(b.status) ? progressBar(null, { small: true, label: t('list.reading') }) : h('span', { class: 'muted' }, '—');
    } else {
      progress = progressBar(typeof p.percent === 'number' ? p.percent : p.total ? (100 * p.done) / p.total : 0, {
        small: true,
      });
      progress.title = `${num(p.done)} / ${num(p.total)}`;
    }
    return h(
      'tr',
      {
        class: ['batch-row', isActive(b.status) ? 'is-active' : null],
        testid: 'batch-row',
        data: { batchId: b.id, status: b.status },
        on: {
          click: (event) => {
            if (event.target.closest('a')) return;
            ctx.navigate(href);
          },
        },
      },
      h(
        'td',
        { class: 'cell-name' },
        h('a', { href, class: 'batch-link' }, b.name || b.id),
        h('div', { class: 'mono muted small' }, b.id),
      ),
      h('td', null, b.submittedBy || '—'),
      h('td', { class: 'nowrap', title: b.created || '' }, dateTime(b.created)),
      h('td', { class: 'num' }, b.rows || !isActive(b.status) ? num(b.rows) : '—'),
      h(
        'td',
        { class: 'cell-status' },
        statusBadge(b.status),
        b.reason ? h('div', { class: 'reason small', title: b.reason }, b.reason) : null,
      ),
      h('td', { class: 'cell-progress' }, progress),
      h('td', { class: 'cell-levels' }, levelChips(b.levels)),
    );
  }

  function drawData() {
    if (s.loading && !s.data) {
      replace(dataSlot, h('div', { class: 'loading' }, t('app.loading')));
      return;
    }
    const data = s.data || { batches: [], page, perPage: PER_PAGE, total: 0 };
    const pages = Math.max(1, Math.ceil((data.total || 0) / (data.perPage || PER_PAGE)));
    const current = data.page || page;
    const anyActive = data.batches.some((b) => isActive(b.status));
    const table = h(
      'table',
      { class: 'table table-batches', testid: 'batches-table' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', null, t('list.col.name')),
          h('th', null, t('list.col.by')),
          h('th', null, t('list.col.created')),
          h('th', { class: 'num' }, t('list.col.rows')),
          h('th', null, t('list.col.status')),
          h('th', null, t('list.col.progress')),
          h('th', { class: 'th-levels' }, h('span', { class: 'visually-hidden' }, t('list.col.levels')), levelLegend()),
        ),
      ),
      h(
        'tbody',
        null,
        data.batches.length
          ? data.batches.map(row)
          : h('tr', null, h('td', { colspan: '7', class: 'empty' }, status ? t('list.emptyFiltered') : t('list.empty'))),
      ),
    );
    replace(
      dataSlot,
      s.error ? errorBox(s.error, { testid: 'list-error' }) : null,
      h('div', { class: 'table-wrap' }, table),
      h(
        'div',
        { class: 'pager' },
        h('span', { class: 'muted' }, t('list.total', { total: num(data.total || 0) })),
        anyActive ? h('span', { class: 'auto-refresh muted' }, h('span', { class: 'pulse' }), t('list.autoRefresh')) : null,
        h('span', { class: 'spacer' }),
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small',
            testid: 'page-prev',
            disabled: current <= 1,
            on: { click: () => go(status, current - 1) },
          },
          `‹ ${t('list.prev')}`,
        ),
        h('span', { class: 'page-of', testid: 'page-of' }, t('list.page', { page: num(current), pages: num(pages) })),
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small',
            testid: 'page-next',
            disabled: current >= pages,
            on: { click: () => go(status, current + 1) },
          },
          `${t('list.next')} ›`,
        ),
      ),
    );
  }

  function draw() {
    const filter = selectEl(
      [
        ['', t('status.all')],
        ['active', t('status.active')],
        ...STATUSES.map((st) => [st, t(`status.${st}`)]),
      ],
      status,
      { id: 'status-filter', testid: 'status-filter', on: { change: (e) => go(e.target.value, 1) } },
    );
    replace(
      el,
      h(
        'div',
        { class: 'page-head' },
        h('h1', null, t('list.heading')),
        h('span', { class: 'spacer' }),
        h('label', { for: 'status-filter', class: 'inline-label' }, t('list.filter')),
        filter,
        ctx.canOperate()
          ? h('a', { href: '#/new', class: 'btn btn-primary', testid: 'new-batch' }, `+ ${t('nav.new')}`)
          : null,
      ),
      dataSlot,
    );
    drawData();
  }

  draw();
  load();

  return {
    el,
    title: () => t('list.heading'),
    redraw: draw,
    destroy() {
      destroyed = true;
      clearTimeout(timer);
      if (controller) controller.abort();
    },
  };
}
