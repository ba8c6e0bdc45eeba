// Batch page: live progress over server-sent events, cancel, result counts, downloads.
import { api, eventsUrl, fileUrl } from './api.js';
import { t, num, decimal, dateTime, hms, bytes, getLang } from './i18n.js';
import {
  h,
  replace,
  isActive,
  statusBadge,
  progressBar,
  errorBox,
  stat,
  selectEl,
  apiName,
  profileName,
  LEVELS,
} from './dom.js';

const ROW_STATUSES = ['screened', 'partial', 'not_screened', 'invalid'];
const FILE_KINDS = ['result', 'masked', 'high', 'medium', 'low', 'unscored', 'manifest'];
const RETRY_MS = 5000;

/**
 * The download choices, Excel first (what most people want): `xlsx`, then a CSV per
 * encoding (`csv:utf8-bom`, `csv:gb18030`), then the formats for data platforms.
 */
function downloadChoices(session) {
  const formats = session.formats && session.formats.length ? session.formats : ['csv'];
  const encodings = session.encodings && session.encodings.length ? session.encodings : ['utf8-bom', 'gb18030'];
  const choices = formats.includes('xlsx') ? ['xlsx'] : [];
  if (formats.includes('csv')) for (const e of encodings) choices.push(`csv:${e}`);
  for (const f of formats) if (f !== 'xlsx' && f !== 'csv') choices.push(f);
  return choices;
}

/** A choice as the files route's query: the format, a CSV's encoding, the page's language (a workbook's sheet names). */
function choiceQuery(choice) {
  const [format, encoding] = choice.split(':');
  return { format, encoding, lang: getLang() === 'en' ? 'en' : 'zh' };
}

function finished(b) {
  return b && !isActive(b.status);
}

export function createBatchView(ctx, id) {
  const session = ctx.session;
  const choices = downloadChoices(session);
  const s = {
    batch: null,
    loadError: null,
    reconnecting: false,
    compare: null, // null: not loaded; [] none
    compareError: null,
    compareId: '',
    choice: choices[0],
    cancelling: false,
    cancelError: null,
    actionError: null,
  };
  let es = null;
  let retryTimer = null;
  let destroyed = false;
  let resultKey = null;

  const el = h('section', { class: 'page page-batch' });
  const liveSlot = h('div', { class: 'live' });
  const resultSlot = h('div', { class: 'result-slot' });
  const dialog = h('dialog', { class: 'dialog', testid: 'cancel-dialog', 'aria-labelledby': 'cancel-title' });

  // ---- data ---------------------------------------------------------------------

  async function load() {
    clearTimeout(retryTimer);
    try {
      const batch = await api.batch(id);
      if (destroyed) return;
      s.batch = batch;
      s.loadError = null;
    } catch (error) {
      if (destroyed) return;
      if (error.status === 401) return; // app.js shows the login view
      if (!s.batch || error.status === 404) {
        s.loadError = error;
        draw();
      }
      if (error.status !== 404) retryTimer = setTimeout(load, RETRY_MS);
      return;
    }
    update();
    if (!streamDone(s.batch)) openStream();
  }

  /** Nothing more will change: finished, and the result written (or never to be). */
  function streamDone(b) {
    return finished(b) && (b.result !== null || b.status === 'failed');
  }

  function closeStream() {
    if (es) {
      es.close();
      es = null;
    }
  }

  function openStream() {
    closeStream();
    if (destroyed) return;
    const source = new EventSource(eventsUrl(id));
    es = source;
    source.addEventListener('open', () => {
      if (s.reconnecting) {
        s.reconnecting = false;
        drawLive();
      }
    });
    source.addEventListener('batch', (event) => {
      let batch;
      try {
        batch = JSON.parse(event.data);
      } catch {
        return;
      }
      s.batch = batch;
      s.reconnecting = false;
      update();
    });
    source.addEventListener('end', () => {
      closeStream();
      s.reconnecting = false;
      update();
    });
    source.addEventListener('error', () => {
      if (destroyed || es !== source) return;
      s.reconnecting = true;
      drawLive();
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (an answer that is not a stream: 401, 404, 5xx). Ask once
        // plainly (a 401 goes to the login view), then open the stream again.
        closeStream();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(load, RETRY_MS);
      }
    });
  }

  async function loadCompare() {
    if (s.compare !== null || !ctx.canOperate()) return;
    s.compare = [];
    try {
      const answer = await api.batches({ status: 'done', perPage: 100 });
      if (destroyed) return;
      s.compare = (answer.batches || []).filter((b) => b.id !== id);
    } catch (error) {
      if (destroyed) return;
      s.compareError = error;
    }
    resultKey = null;
    drawResult();
  }

  async function confirmCancel() {
    if (s.cancelling) return;
    s.cancelling = true;
    s.cancelError = null;
    drawDialog();
    try {
      const answer = await api.cancel(id);
      if (destroyed) return;
      if (answer && answer.id) s.batch = answer;
      s.cancelling = false;
      dialog.close();
      update();
      if (!es && !streamDone(s.batch)) openStream();
    } catch (error) {
      if (destroyed) return;
      s.cancelling = false;
      if (error.code === 'RISKSCREEN_BATCH_FINISHED') {
        dialog.close();
        s.actionError = error;
        load();
        return;
      }
      s.cancelError = error;
      drawDialog();
    }
  }

  // ---- drawing ------------------------------------------------------------------

  function update() {
    drawLive();
    drawResult();
  }

  function head(b) {
    const canCancel = ctx.canOperate() && b && isActive(b.status);
    return h(
      'div',
      { class: 'page-head batch-head' },
      h('a', { href: '#/batches', class: 'back' }, t('batch.back')),
      h(
        'div',
        { class: 'batch-title' },
        h('h1', null, b ? b.name || b.id : id),
        b ? statusBadge(b.status, 'batch-status') : null,
        h('span', { class: 'mono muted small' }, id),
      ),
      h('span', { class: 'spacer' }),
      s.reconnecting
        ? h('span', { class: 'reconnecting', testid: 'batch-reconnecting' }, h('span', { class: 'spinner' }), t('batch.reconnecting'))
        : es
          ? h('span', { class: 'live-dot muted small' }, h('span', { class: 'pulse' }), t('batch.live'))
          : null,
      canCancel
        ? h(
            'button',
            { type: 'button', class: 'btn btn-danger', testid: 'cancel', on: { click: openDialog } },
            t('batch.cancel'),
          )
        : null,
    );
  }

  function progressCard(b) {
    const p = b.progress || {};
    const c = b.counts || {};
    const rate = b.rate || {};
    const reading = p.total === null || p.total === undefined;
    let percent = null;
    if (!reading) percent = typeof p.percent === 'number' ? p.percent : p.total ? (100 * p.done) / p.total : 100;
    return h(
      'div',
      { class: 'card card-progress' },
      h(
        'div',
        { class: 'progress-head' },
        h('h2', null, t('batch.progress')),
        reading
          ? h('span', { class: 'progress-count', testid: 'batch-rows-done' }, t('batch.readingList'))
          : h(
              'span',
              { class: 'progress-count' },
              typeof p.rowsDone === 'number'
                ? [
                    h('strong', { testid: 'batch-rows-done' }, t('batch.rowsDone', { done: num(p.rowsDone), total: num(b.rows) })),
                    h('span', { class: 'muted' }, ` ${t('batch.rowsDoneUnit')} · ${t('batch.questionsOf', { done: num(p.done), total: num(p.total) })}`),
                  ]
                : [
                    h('strong', { testid: 'batch-rows-done' }, t('batch.progressOf', { done: num(p.done), total: num(p.total) })),
                    ` ${t('batch.progressUnit')}`,
                  ],
            ),
      ),
      progressBar(percent, { testid: 'batch-progress', label: reading ? t('batch.readingList') : undefined, quiet: true }),
      h(
        'div',
        { class: 'stats stats-5' },
        stat(t('batch.rows'), reading && !b.rows ? '—' : num(b.rows), { testid: 'batch-rows' }),
        stat(t('batch.billed'), num(c.billed), { testid: 'batch-billed', tone: 'strong' }),
        stat(t('batch.fromCache'), num(c.cacheHits), { testid: 'batch-cache' }),
        stat(
          t('batch.rate'),
          typeof rate.callsPerSecond === 'number' ? t('batch.rateUnit', { n: decimal(rate.callsPerSecond, 1) }) : '—',
          { testid: 'batch-rate' },
        ),
        typeof rate.etaSeconds === 'number'
          ? stat(t('batch.eta'), hms(rate.etaSeconds), { testid: 'batch-eta' })
          : stat(t('batch.eta'), isActive(b.status) ? t('batch.etaUnknown') : '—'),
      ),
      h(
        'div',
        { class: 'counts-line muted small' },
        [
          [t('batch.answered'), c.answered],
          [t('batch.noRecord'), c.noRecord],
          [t('batch.failedQ'), c.failed],
          [t('batch.skipped'), c.skipped],
          [t('batch.maybeBilled'), c.maybeBilled],
          [t('batch.decided'), (b.options || {}).plan === 'staged' ? c.decided : undefined],
        ]
          .filter(([, v]) => v !== undefined && v !== null)
          .map(([k, v]) => h('span', null, `${k} ${num(v)}`)),
      ),
    );
  }

  function errorsCard(b) {
    const errors = b.errors || [];
    const lang = getLang();
    return h(
      'div',
      { class: 'card' },
      h('h2', null, t('batch.errors')),
      errors.length
        ? h(
            'table',
            { class: 'table table-compact', testid: 'batch-errors' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                h('th', null, t('batch.errorCode')),
                h('th', { class: 'num' }, t('batch.errorCount')),
                h('th', null, t('batch.errorMeaning')),
              ),
            ),
            h(
              'tbody',
              null,
              errors.map((e) =>
                h(
                  'tr',
                  { data: { code: String(e.code) } },
                  h('td', { class: 'mono' }, String(e.code)),
                  h('td', { class: 'num' }, num(e.count)),
                  h('td', null, (lang === 'en' ? e.meaning : e.meaningZh || e.meaning) || '—'),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted small', testid: 'batch-errors' }, t('batch.noErrors')),
    );
  }

  function waitsCard(b) {
    const waits = b.waits || [];
    if (!waits.length && !b.stuck) return null;
    return h(
      'div',
      { class: ['alert', b.stuck ? 'alert-warn' : 'alert-info'], testid: 'batch-waits' },
      h('div', { class: 'alert-title' }, t('batch.waits')),
      b.stuck ? h('div', { class: 'alert-message' }, t('batch.stuck')) : null,
      waits.length ? h('ul', null, waits.map((w) => h('li', null, String(w)))) : null,
    );
  }

  function detailsCard(b) {
    const o = b.options || {};
    const input = b.input || {};
    const times = b.times || {};
    const kv = (k, v, testid) => [h('dt', null, k), h('dd', { testid }, v)];
    return h(
      'div',
      { class: 'card' },
      h('h2', null, t('batch.details')),
      h(
        'dl',
        { class: 'kv' },
        kv(
          t('batch.input'),
          h(
            'span',
            null,
            input.name || b.name || '—',
            input.bytes !== undefined ? h('span', { class: 'muted' }, ` · ${bytes(input.bytes)}`) : null,
            input.sha256 ? h('div', { class: 'mono muted small break', title: 'sha256' }, `sha256 ${input.sha256}`) : null,
          ),
          'batch-input',
        ),
        kv(t('batch.submittedBy'), b.submittedBy || '—'),
        kv(t('batch.profile'), profileName(o.profile || b.profile || '—'), 'batch-profile'),
        o.plan ? kv(t('batch.plan'), `${t(`batch.plan.${o.plan}`)} · ${o.plan}`, 'batch-plan') : null,
        o.plan === 'staged' ? kv(t('batch.saved'), savedByStaging(b), 'batch-saved') : null,
        o.apis ? kv(t('batch.apis'), o.apis.map(apiName).join(t('list.sep'))) : null,
        kv(t('batch.maxCalls'), o.maxCalls === null || o.maxCalls === undefined ? t('batch.noMaxCalls') : num(o.maxCalls)),
        o.rubric ? kv(t('batch.rubric'), o.rubric) : null,
        kv(t('batch.created'), dateTime(times.created || b.created, true)),
        times.screeningStarted ? kv(t('batch.screeningStarted'), dateTime(times.screeningStarted, true)) : null,
        times.finished ? kv(t('batch.finished'), dateTime(times.finished, true)) : null,
        b.counts
          ? [
              h('dt', { class: 'kv-sep' }, t('new.valid')),
              h('dd', { class: 'kv-sep' }, num(b.counts.valid)),
              kv(t('new.invalid'), num(b.counts.invalid)),
              kv(t('new.duplicates'), num(b.counts.duplicates)),
              kv(t('new.unique'), num(b.counts.unique)),
            ]
          : null,
      ),
    );
  }

  /** The calls the staged plan saved: the total, then each API that saved any, on its own line. */
  function savedByStaging(b) {
    const calls = (b.calls || []).filter((c) => c.saved > 0);
    const total = calls.reduce((sum, c) => sum + c.saved, 0);
    return h(
      'span',
      { title: t('batch.savedHint') },
      h('strong', null, t('batch.savedCalls', { n: num(total) })),
      calls.map((c) => h('div', { class: 'muted small', data: { api: c.api } }, `${apiName(c.api)} ${num(c.saved)}`)),
    );
  }

  function drawLive() {
    const b = s.batch;
    if (!b) {
      replace(
        liveSlot,
        head(null),
        s.loadError
          ? s.loadError.status === 404
            ? h('div', { class: 'alert alert-error', testid: 'batch-not-found' }, t('batch.notFound', { id }))
            : errorBox(s.loadError, { testid: 'batch-error' })
          : h('div', { class: 'card loading' }, h('span', { class: 'spinner' }), t('batch.loading')),
      );
      return;
    }
    replace(
      liveSlot,
      head(b),
      b.reason
        ? h(
            'div',
            {
              class: [
                'alert',
                b.status === 'failed' || b.status === 'blocked' ? 'alert-error' : b.status === 'done' || b.status === 'cancelled' ? 'alert-warn' : 'alert-info',
                'reason-box',
              ],
            },
            h('span', { class: 'alert-title' }, `${t(`status.${b.status}`)}${t('punct.colon')}`),
            h('span', { testid: 'batch-reason' }, b.reason),
          )
        : null,
      s.actionError ? errorBox(s.actionError, { testid: 'action-error' }) : null,
      h(
        'div',
        { class: 'batch-grid' },
        b.result
          ? h('div', { class: 'batch-main' }, resultSlot, progressCard(b), waitsCard(b), errorsCard(b))
          : h('div', { class: 'batch-main' }, progressCard(b), waitsCard(b), errorsCard(b), resultSlot),
        h('div', { class: 'batch-side' }, detailsCard(b)),
      ),
    );
  }

  function levelTable(rows) {
    const bsl = rows.by_status_and_level || {};
    const byStatus = rows.by_status || {};
    const byLevel = rows.by_level || {};
    const cell = (v, cls) => h('td', { class: ['num', cls] }, num(v ?? 0));
    return h(
      'table',
      { class: 'table table-levels', testid: 'level-table' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', null, ''),
          LEVELS.map((l) => h('th', { class: ['num', `th-${l}`] }, h('span', { class: ['dot', `dot-${l}`] }), t(`level.${l}`))),
          h('th', { class: 'num' }, t('level.total')),
        ),
      ),
      h(
        'tbody',
        null,
        ROW_STATUSES.map((st) =>
          h(
            'tr',
            { data: { status: st } },
            h('th', { scope: 'row' }, t(`rowstatus.${st}`)),
            LEVELS.map((l) => cell(bsl[st] ? bsl[st][l] : 0)),
            cell(byStatus[st], 'strong'),
          ),
        ),
      ),
      h(
        'tfoot',
        null,
        h(
          'tr',
          { data: { status: 'all' } },
          h('th', { scope: 'row' }, t('rowstatus.all')),
          LEVELS.map((l) => cell(byLevel[l], 'strong')),
          cell(rows.total, 'strong'),
        ),
      ),
    );
  }

  function levelTiles(rows) {
    const byLevel = rows.by_level || {};
    const total = rows.total || 0;
    return h(
      'div',
      { class: 'level-tiles' },
      LEVELS.map((l) =>
        h(
          'div',
          { class: ['level-tile', `level-tile-${l}`], data: { level: l } },
          h('div', { class: 'level-tile-label' }, t(l === 'unscored' ? 'level.unscored' : `level.${l}Long`)),
          h('div', { class: 'level-tile-value' }, num(byLevel[l] ?? 0)),
          h('div', { class: 'level-tile-pct' }, total ? `${decimal((100 * (byLevel[l] || 0)) / total, 1)}%` : '—'),
        ),
      ),
    );
  }

  function setLink(a, href) {
    if (href) {
      a.setAttribute('href', href);
      a.removeAttribute('aria-disabled');
      a.classList.remove('is-disabled');
    } else {
      a.removeAttribute('href');
      a.setAttribute('aria-disabled', 'true');
      a.classList.add('is-disabled');
    }
  }

  function downloads() {
    if (!ctx.canOperate()) {
      return h(
        'div',
        { class: 'alert alert-info', testid: 'no-download-note' },
        t('batch.noDownload', { role: t(`role.${session.user.role}`) }),
      );
    }
    const links = [];
    const hrefFor = (kind) => (kind === 'manifest' ? fileUrl(id, kind) : fileUrl(id, kind, choiceQuery(s.choice)));
    const changesHref = () => (s.compareId ? fileUrl(id, 'changes', { compare: s.compareId, ...choiceQuery(s.choice) }) : null);
    const link = (kind, hint) => {
      const a = h(
        'a',
        { class: ['download', `download-${kind}`], testid: `download-${kind}`, href: hrefFor(kind), download: '' },
        h('span', { class: 'download-icon', 'aria-hidden': 'true' }, '↓'),
        h('span', { class: 'download-text' }, h('span', { class: 'download-name' }, t(`file.${kind}`)), hint ? h('span', { class: 'download-hint' }, hint) : null),
      );
      links.push([a, () => hrefFor(kind)]);
      return a;
    };
    const changes = h(
      'a',
      { class: ['download', 'download-changes'], testid: 'download-changes', download: '' },
      h('span', { class: 'download-icon', 'aria-hidden': 'true' }, '↓'),
      h('span', { class: 'download-text' }, h('span', { class: 'download-name' }, t('file.changes'))),
    );
    setLink(changes, changesHref());
    links.push([changes, changesHref]);
    const formatHint = h('p', { class: 'download-format-hint', testid: 'file-format-hint' }, t(`fmtHint.${s.choice}`));
    const refresh = () => {
      links.forEach(([a, fn]) => setLink(a, fn()));
      formatHint.textContent = t(`fmtHint.${s.choice}`);
    };

    const compare = s.compare || [];
    const compareSelect = selectEl(
      [['', compare.length ? t('batch.compareChoose') : t('batch.compareNone')], ...compare.map((b) => [b.id, `${b.name || b.id} · ${dateTime(b.created)} · ${b.id}`])],
      s.compareId,
      {
        id: 'compare-with',
        testid: 'compare-with',
        disabled: !compare.length,
        on: {
          change: (e) => {
            s.compareId = e.target.value;
            refresh();
          },
        },
      },
    );
    return h(
      'div',
      { class: 'downloads', testid: 'downloads' },
      h(
        'div',
        { class: 'downloads-head' },
        h('h3', null, t('batch.downloads')),
        h('span', { class: 'spacer' }),
        h('label', { for: 'file-format', class: 'inline-label' }, t('batch.formatLabel')),
        selectEl(
          choices.map((c) => [c, t(`fmt.${c}`) === `fmt.${c}` ? c : t(`fmt.${c}`)]),
          s.choice,
          {
            id: 'file-format',
            testid: 'file-format',
            on: {
              change: (e) => {
                s.choice = e.target.value;
                refresh();
              },
            },
          },
        ),
      ),
      formatHint,
      h(
        'div',
        { class: 'download-grid' },
        link('result', t('file.resultHint')),
        link('masked', t('file.maskedHint')),
        link('high', t('file.levelHint')),
        link('medium', t('file.levelHint')),
        link('low', t('file.levelHint')),
        link('unscored', t('file.levelHint')),
        link('manifest', null),
      ),
      h(
        'div',
        { class: 'changes-row' },
        h('label', { for: 'compare-with', class: 'inline-label' }, t('batch.changesHeading')),
        compareSelect,
        changes,
      ),
      s.compareError ? errorBox(s.compareError, { testid: 'compare-error' }) : null,
    );
  }

  function drawResult() {
    const b = s.batch;
    const key = b ? `${getLang()}|${b.result ? 'r' : finished(b) ? 'f' : 'a'}` : 'none';
    if (key === resultKey) return; // keep open selects and chosen options as they are
    resultKey = key;
    if (!b) {
      replace(resultSlot);
      return;
    }
    if (!b.result) {
      replace(
        resultSlot,
        h(
          'div',
          { class: 'card' },
          h('h2', null, t('batch.result')),
          h('p', { class: 'muted' }, finished(b) && b.status === 'failed' ? t('batch.noResultFinished') : t('batch.noResultYet')),
        ),
      );
      return;
    }
    const rows = b.result.rows || {};
    replace(
      resultSlot,
      h(
        'div',
        { class: 'card card-result' },
        h('h2', null, t('batch.result')),
        levelTiles(rows),
        h('h3', null, t('batch.levelTable')),
        levelTable(rows),
        downloads(),
      ),
    );
    loadCompare();
  }

  function drawDialog() {
    replace(
      dialog,
      h(
        'form',
        {
          method: 'dialog',
          class: 'dialog-body',
          on: {
            submit: (e) => {
              e.preventDefault();
            },
          },
        },
        h('h2', { id: 'cancel-title' }, t('batch.cancelTitle')),
        h('p', null, t('batch.cancelConfirmText')),
        s.cancelError ? errorBox(s.cancelError, { testid: 'cancel-error' }) : null,
        h(
          'div',
          { class: 'actions actions-end' },
          h(
            'button',
            { type: 'button', class: 'btn', autofocus: true, testid: 'cancel-dismiss', on: { click: () => dialog.close() } },
            t('batch.cancelNo'),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-danger',
              testid: 'cancel-confirm',
              disabled: s.cancelling,
              on: { click: confirmCancel },
            },
            s.cancelling ? t('batch.cancelling') : t('batch.cancelYes'),
          ),
        ),
      ),
    );
  }

  function openDialog() {
    s.cancelError = null;
    s.actionError = null;
    drawDialog();
    if (!dialog.open) dialog.showModal();
  }

  function draw() {
    resultKey = null;
    drawLive();
    drawResult();
    if (dialog.open) drawDialog();
  }

  replace(el, liveSlot, dialog);
  drawLive();
  load();

  return {
    el,
    title: () => (s.batch ? s.batch.name || id : t('batch.heading', { id })),
    redraw: draw,
    destroy() {
      destroyed = true;
      clearTimeout(retryTimer);
      closeStream();
      if (dialog.open) dialog.close();
    },
  };
}
