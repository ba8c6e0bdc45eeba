// New batch: upload (XMLHttpRequest, with progress) → preview (nothing queued or paid
// for) → run options → POST /api/batches.
import { api, uploadFile } from './api.js';
import { t, num, bytes, has } from './i18n.js';
import { h, replace, errorBox, stat, selectEl, field, apiName, profileName, APIS } from './dom.js';

const ACCEPT = ['.csv', '.txt', '.xlsx'];
const COLUMN_ERRORS = ['INPUT_NO_PHONE_COLUMN', 'INPUT_AMBIGUOUS_PHONE_COLUMN', 'INPUT_COLUMN_NOT_FOUND'];
/** Text encodings offered (the API takes any iconv-lite name; these are the usual ones). */
const ENCODINGS = ['utf-8', 'gb18030', 'gbk', 'utf-16le', 'utf-16be'];
/** The API's delimiter words, and the character the preview reports for each. */
const DELIMITERS = [
  ['comma', ','],
  ['tab', '\t'],
  ['semicolon', ';'],
  ['pipe', '|'],
  ['none', 'none'],
];
/** How the list is read, and which columns: what the operator chose ('' = detected). */
const READ_KEYS = ['encoding', 'delimiter', 'header', 'sheet', 'column', 'dateColumn'];
/** The plans a batch can be asked with (POST /api/batches `plan`), the default first. */
const PLANS = ['staged', 'all'];

function delimiterWord(d) {
  const found = DELIMITERS.find(([, char]) => char === d);
  return found ? found[0] : '';
}

function columnLabel(c) {
  const name = c.name === null || c.name === undefined || c.name === '' ? null : String(c.name);
  return name ? `${c.number} · ${name}` : t('err.columnN', { column: c.number });
}

function toYmd(isoDate) {
  return /^\d{4}-\d{2}-\d{2}$/.test(isoDate) ? isoDate.replace(/-/g, '') : null;
}

export function createNewView(ctx) {
  const session = ctx.session;
  const profiles = session.profiles || [];
  const rubrics = session.rubrics || [];
  const maxBytes = session.limits && session.limits.maxUploadBytes;

  const s = {
    phase: 'pick', // pick | uploading | preview
    file: null,
    loaded: 0,
    total: 0,
    fileError: null, // ApiError or { local: text }
    upload: null,
    preview: null,
    previewing: false,
    previewError: null,
    opts: {
      // Read options: '' means "not chosen" (the preview's detection applies and nothing
      // is sent); dateColumn 'none' is "no date column" even where a header names one.
      encoding: '',
      delimiter: '',
      header: '',
      sheet: '',
      column: '',
      dateColumn: '',
      profile: profiles[0] ? profiles[0].name : '',
      since: '',
      maxCalls: '',
      rubric: rubrics[0] ? rubrics[0].id : '',
      plan: '', // '' = the server's default (the preview says which)
    },
    retryColumn: '',
    lastGood: null, // the read options of the last preview that could be read
    format: null, // 'text' | 'xlsx' from the last preview (else guessed from the file name)
    starting: false,
    startError: null,
    dragging: false,
  };
  let xhr = null;
  let previewController = null;
  let previewSeq = 0;
  let destroyed = false;
  let capEl = null;

  const el = h('section', { class: 'page page-new' });
  // Redraws replace the controls: remember which one had the focus to give it back.
  let lastFocusId = null;
  el.addEventListener('focusin', (e) => {
    lastFocusId = e.target && e.target.id ? e.target.id : null;
  });
  el.addEventListener('focusout', (e) => {
    if (e.relatedTarget && !el.contains(e.relatedTarget)) lastFocusId = null;
  });

  // Keep a file dropped next to the zone from replacing the page.
  const stopDrop = (event) => {
    if (event.dataTransfer && [...(event.dataTransfer.types || [])].includes('Files')) event.preventDefault();
  };
  window.addEventListener('dragover', stopDrop);
  window.addEventListener('drop', stopDrop);

  function reset() {
    s.phase = 'pick';
    s.file = null;
    s.upload = null;
    s.preview = null;
    s.previewError = null;
    s.fileError = null;
    s.startError = null;
    for (const key of READ_KEYS) s.opts[key] = '';
    s.retryColumn = '';
    s.lastGood = null;
    s.format = null;
  }

  /** The read options the operator chose, as the API's query/body fields (unset ones left out). */
  function readFields() {
    const o = s.opts;
    const format = fileFormat();
    return {
      encoding: format === 'text' && o.encoding ? o.encoding : undefined,
      delimiter: format === 'text' && o.delimiter ? o.delimiter : undefined,
      header: o.header || undefined,
      sheet: format === 'xlsx' && String(o.sheet).trim() ? String(o.sheet).trim() : undefined,
    };
  }

  function fileFormat() {
    if (s.format) return s.format;
    const name = (s.upload && s.upload.name) || (s.file && s.file.name) || '';
    return name.toLowerCase().endsWith('.xlsx') ? 'xlsx' : 'text';
  }

  /** Sets one read option; a change re-runs the preview (the same value only redraws). */
  function setOption(key, value) {
    if (s.opts[key] === value) {
      draw(); // put the control back to what is in effect
      return;
    }
    s.opts[key] = value;
    runPreview();
  }

  function chooseFile(file) {
    if (!file || s.phase === 'uploading') return;
    reset();
    s.file = { name: file.name, size: file.size };
    const lower = file.name.toLowerCase();
    if (!ACCEPT.some((ext) => lower.endsWith(ext))) {
      s.fileError = { local: t('new.badType', { name: file.name }) , code: 'RISKSCREEN_UNSUPPORTED_MEDIA' };
      draw();
      return;
    }
    if (maxBytes && file.size > maxBytes) {
      s.fileError = {
        local: t('new.tooLarge', { name: file.name, size: bytes(file.size), limit: bytes(maxBytes) }),
        code: 'RISKSCREEN_UPLOAD_TOO_LARGE',
      };
      draw();
      return;
    }
    s.phase = 'uploading';
    s.loaded = 0;
    s.total = file.size;
    draw();
    const job = uploadFile(file, (loaded, total) => {
      s.loaded = loaded;
      s.total = total || file.size;
      updateUploadProgress();
    });
    xhr = job;
    job.promise.then(
      (upload) => {
        xhr = null;
        if (destroyed) {
          // the page was left during the upload: do not keep a file nobody will start
          api.discard(upload.id).catch(() => {});
          return;
        }
        s.upload = upload;
        s.phase = 'preview';
        runPreview();
      },
      (error) => {
        xhr = null;
        if (destroyed) return;
        s.phase = 'pick';
        if (error.name !== 'AbortError') s.fileError = error;
        draw();
      },
    );
  }

  async function runPreview() {
    const seq = ++previewSeq;
    if (previewController) previewController.abort();
    previewController = new AbortController();
    s.previewing = true;
    s.startError = null;
    draw();
    const o = s.opts;
    const query = {
      ...readFields(),
      column: o.column || undefined,
      dateColumn: o.dateColumn || undefined,
      since: toYmd(o.since) || undefined,
      profile: o.profile || undefined,
      // The rubric says which line statuses decide the level: the staged figure depends on it.
      rubric: o.rubric || undefined,
    };
    try {
      const preview = await api.preview(s.upload.id, query, previewController.signal);
      if (destroyed || seq !== previewSeq) return;
      s.preview = preview;
      s.previewError = null;
      const layout = preview.layout || {};
      if (layout.format === 'text' || layout.format === 'xlsx') s.format = layout.format;
      s.lastGood = Object.fromEntries(READ_KEYS.map((key) => [key, s.opts[key]]));
      if (preview.profile) s.opts.profile = preview.profile;
    } catch (error) {
      if (destroyed || seq !== previewSeq || error.name === 'AbortError') return;
      s.preview = null;
      s.previewError = error;
    }
    s.previewing = false;
    draw();
  }

  async function discard(thenGo) {
    if (xhr) xhr.abort();
    const upload = s.upload;
    if (upload) {
      try {
        await api.discard(upload.id);
      } catch (error) {
        if (error.status !== 404) {
          s.startError = error;
          draw();
          return;
        }
      }
    }
    if (thenGo) ctx.navigate('#/batches');
    else {
      reset();
      draw();
    }
  }

  /** The plan chosen, else the server's default as the preview gave it. */
  function planValue() {
    if (s.opts.plan) return s.opts.plan;
    return s.preview && PLANS.includes(s.preview.plan) ? s.preview.plan : 'staged';
  }

  function maxCallsValue() {
    const text = String(s.opts.maxCalls).trim().replace(/[,，\s]/g, '');
    if (text === '') return { ok: true, value: null };
    if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) return { ok: false };
    return { ok: true, value: Number(text) };
  }

  async function start() {
    if (!canStart()) return;
    const cap = maxCallsValue();
    if (!cap.ok) {
      s.startError = { local: t('new.maxCallsBad'), code: 'RISKSCREEN_BAD_OPTION' };
      draw();
      return;
    }
    const layout = s.preview.layout || {};
    // The batch reads the list as the preview did: its read options, and the columns
    // the preview used, by number.
    const body = {
      uploadId: s.upload.id,
      ...readFields(),
      profile: s.opts.profile || s.preview.profile,
      column: layout.phoneColumn ? String(layout.phoneColumn.number) : s.opts.column || null,
      dateColumn: s.opts.dateColumn === 'none' ? 'none' : layout.dateColumn ? String(layout.dateColumn.number) : null,
      since: toYmd(s.opts.since),
      maxCalls: cap.value,
      rubric: s.opts.rubric || null,
      plan: planValue(),
    };
    s.starting = true;
    s.startError = null;
    draw();
    try {
      const answer = await api.start(body);
      if (destroyed) return;
      s.upload = null; // started: it is the batch's now
      ctx.navigate(`#/batch/${encodeURIComponent(answer.id)}`);
    } catch (error) {
      if (destroyed) return;
      s.starting = false;
      s.startError = error;
      draw();
    }
  }

  function canStart() {
    return (
      s.phase === 'preview' &&
      s.preview &&
      !s.previewing &&
      !s.previewError &&
      !s.starting &&
      (s.preview.counts ? s.preview.counts.valid > 0 : true)
    );
  }

  // ---- drawing -----------------------------------------------------------------

  function updateUploadProgress() {
    const box = el.querySelector('[data-testid="upload-progress"]');
    if (!box) return;
    const pct = s.total ? Math.min(100, (100 * s.loaded) / s.total) : 0;
    const fill = box.querySelector('.bar-fill');
    if (fill) fill.style.width = `${pct}%`;
    const bar = box.querySelector('.bar');
    if (bar) bar.setAttribute('aria-valuenow', String(Math.round(pct)));
    const text = box.querySelector('.upload-text');
    if (text) text.textContent = uploadText();
  }

  function mb(n) {
    return `${(n / 1048576).toLocaleString(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} MB`;
  }

  function uploadText() {
    const pct = s.total ? Math.min(100, Math.floor((100 * s.loaded) / s.total)) : 0;
    return `${pct}% · ${mb(s.loaded)} / ${mb(s.total)}`;
  }

  function dropZone() {
    const input = h('input', {
      id: 'file-input',
      type: 'file',
      accept: '.csv,.txt,.xlsx,text/csv,text/plain,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      class: 'visually-hidden',
      testid: 'file-input',
      on: {
        change: (e) => {
          const file = e.target.files && e.target.files[0];
          e.target.value = '';
          chooseFile(file);
        },
      },
    });
    const zone = h(
      'label',
      {
        for: 'file-input',
        class: ['drop-zone', s.dragging ? 'is-dragging' : null],
        testid: 'drop-zone',
        tabindex: '0',
        role: 'button',
        on: {
          keydown: (e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              input.click();
            }
          },
          dragenter: (e) => {
            e.preventDefault();
            zone.classList.add('is-dragging');
          },
          dragover: (e) => {
            e.preventDefault();
            if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
            zone.classList.add('is-dragging');
          },
          dragleave: (e) => {
            if (!zone.contains(e.relatedTarget)) zone.classList.remove('is-dragging');
          },
          drop: (e) => {
            e.preventDefault();
            zone.classList.remove('is-dragging');
            const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
            chooseFile(file);
          },
        },
      },
      h('span', { class: 'drop-icon', 'aria-hidden': 'true' }, '⇪'),
      h('span', { class: 'drop-title' }, t('new.drop')),
      h('span', { class: 'drop-hint' }, t('new.dropHint', { size: maxBytes ? bytes(maxBytes) : '—' })),
    );
    return [zone, input];
  }

  function fileErrorBox() {
    const e = s.fileError;
    if (!e) return null;
    if (e.local) {
      return h(
        'div',
        { class: 'alert alert-error', role: 'alert', testid: 'input-error', data: { code: e.code } },
        h('div', { class: 'alert-title' }, t(`err.${e.code}`)),
        h('div', { class: 'alert-message' }, e.local),
      );
    }
    return errorBox(e, { testid: 'input-error' });
  }

  function uploadingCard() {
    const pct = s.total ? Math.min(100, (100 * s.loaded) / s.total) : 0;
    const fill = h('div', { class: 'bar-fill' });
    fill.style.width = `${pct}%`;
    return h(
      'div',
      { class: 'card upload-card' },
      h('div', { class: 'upload-name' }, t('new.uploading', { name: s.file.name })),
      h(
        'div',
        { class: 'progress', testid: 'upload-progress' },
        h(
          'div',
          { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(pct)) },
          fill,
        ),
        h('span', { class: 'progress-text upload-text' }, uploadText()),
      ),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'btn', on: { click: () => xhr && xhr.abort() } }, t('new.uploadAbort')),
      ),
    );
  }

  function fileCard() {
    const up = s.upload;
    return h(
      'div',
      { class: 'card file-card' },
      h('span', { class: 'file-icon', 'aria-hidden': 'true' }, '▤'),
      h(
        'div',
        { class: 'file-meta' },
        h('div', { class: 'file-name', testid: 'upload-name' }, up.name),
        h(
          'div',
          { class: 'muted small' },
          `${bytes(up.bytes)} · ${t('new.uploaded')} ✓`,
          up.sha256 ? h('span', { class: 'mono', title: `sha256 ${up.sha256}` }, ` · sha256 ${String(up.sha256).slice(0, 12)}…`) : null,
        ),
      ),
      h('span', { class: 'spacer' }),
      h(
        'button',
        { type: 'button', class: 'btn', on: { click: () => discard(false) }, disabled: s.starting },
        t('new.chooseOther'),
      ),
      h(
        'button',
        { type: 'button', class: 'btn btn-danger-ghost', testid: 'discard', on: { click: () => discard(true) }, disabled: s.starting },
        t('new.discard'),
      ),
    );
  }

  function columnSelect(testid, value, columns, withNone, onChange) {
    const options = columns.map((c) => [String(c.number), columnLabel(c)]);
    if (withNone) options.unshift(['none', t('new.noDateColumn')]);
    if (!options.some(([v]) => v === value)) options.unshift([value || '', value ? value : '—']);
    return selectEl(options, value, {
      id: testid,
      testid,
      disabled: s.previewing || s.starting,
      on: { change: (e) => onChange(e.target.value) },
    });
  }

  function sourceWords(found) {
    if (!found || !found.source) return null;
    const key = `new.columnSource.${found.source}`;
    return has(key) ? t(key) : found.source;
  }

  /** "detected" or "chosen", for a read option ('' = not chosen). */
  function choiceWords(key) {
    return s.opts[key] ? t('new.columnSource.option') : t('new.detected');
  }

  /**
   * A select for one read option, showing what is in effect: the operator's choice, else
   * what the preview detected (`detected`, '' when not known). Its first option, "auto",
   * is the empty value: nothing is sent.
   */
  function optionSelect(key, testid, choices, detected) {
    const value = s.opts[key] || detected || '';
    const options = [['', t('new.auto')], ...choices];
    if (value && !options.some(([v]) => v === value)) options.push([value, String(value).toUpperCase()]);
    return selectEl(options, value, {
      id: testid,
      testid,
      disabled: s.previewing || s.starting,
      on: { change: (e) => setOption(key, e.target.value) },
    });
  }

  function encodingField(l) {
    const detected = l && l.encoding ? String(l.encoding).toLowerCase() : '';
    const alt = l && l.encodingAlternative ? String(l.encodingAlternative).toLowerCase() : null;
    const select = optionSelect('encoding', 'read-encoding', ENCODINGS.map((e) => [e, e.toUpperCase()]), detected);
    let hint = choiceWords('encoding');
    if (alt) {
      hint = h(
        'span',
        { class: 'hint-attention', testid: 'encoding-alternative' },
        t('new.encodingAltHint', { alt: alt.toUpperCase() }),
        ' ',
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small',
            testid: 'use-encoding-alternative',
            disabled: s.previewing || s.starting,
            on: { click: () => setOption('encoding', alt) },
          },
          t('new.encodingUse', { alt: alt.toUpperCase() }),
        ),
      );
    }
    const box = field(t('new.encoding'), select, hint);
    if (alt) box.classList.add('field-attention');
    return box;
  }

  function delimiterField(l) {
    const detected = l ? delimiterWord(l.delimiter) : '';
    return field(
      t('new.delimiter'),
      optionSelect('delimiter', 'read-delimiter', DELIMITERS.map(([word]) => [word, t(`delim.${word}`)]), detected),
      choiceWords('delimiter'),
    );
  }

  function headerField(l) {
    const detected = l ? (l.headerLine ? 'yes' : 'no') : '';
    const where = l ? (l.headerLine ? t('new.headerLineN', { line: num(l.headerLine) }) : t('new.noHeader')) : null;
    return field(
      t('new.headerLine'),
      optionSelect('header', 'read-header', [
        ['yes', t('new.headerYes')],
        ['no', t('new.headerNo')],
      ], detected),
      where ? `${choiceWords('header')} · ${where}` : choiceWords('header'),
    );
  }

  function sheetField(l) {
    const commit = (value) => setOption('sheet', String(value).trim());
    const input = h('input', {
      type: 'text',
      id: 'read-sheet',
      testid: 'read-sheet',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: t('new.sheetPlaceholder'),
      value: s.opts.sheet,
      disabled: s.previewing || s.starting,
      on: {
        change: (e) => commit(e.target.value),
        keydown: (e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit(e.target.value);
          }
        },
      },
    });
    const sheet = l && l.sheet;
    const read = sheet ? t('new.sheetRead', { position: num(sheet.position), name: sheet.name ?? '' }) : null;
    return field(t('new.sheet'), input, read ? `${choiceWords('sheet')} · ${read}` : choiceWords('sheet'));
  }

  /** The read options of this format: encoding, delimiter (text) or sheet (xlsx); header. */
  function readRow(format, l) {
    return h(
      'div',
      { class: 'read-row', testid: 'read-options' },
      format === 'xlsx' ? sheetField(l) : [encodingField(l), delimiterField(l)],
      headerField(l),
    );
  }

  function layoutCard(p) {
    const l = p.layout || {};
    const columns = l.columns || [];
    const kv = (k, v, testid) => [h('dt', null, k), h('dd', { testid }, v)];
    const dateValue = s.opts.dateColumn === 'none' ? 'none' : l.dateColumn ? String(l.dateColumn.number) : 'none';
    const dateHint =
      s.opts.dateColumn === 'none'
        ? t('new.columnSource.option')
        : l.dateColumn
          ? sourceWords(l.dateColumn)
          : t('new.noDateColumnFound');
    return h(
      'div',
      { class: 'card' },
      h('h2', null, t('new.step2')),
      h(
        'dl',
        { class: 'kv kv-grid' },
        kv(t('new.file'), p.upload ? p.upload.name : s.upload.name, 'preview-file'),
        kv(t('new.size'), bytes(p.upload ? p.upload.bytes : s.upload.bytes)),
        kv(t('new.format'), has(`format.${l.format}`) ? t(`format.${l.format}`) : l.format || '—', 'preview-format'),
      ),
      h(
        'div',
        { class: 'read-grid' },
        readRow(l.format === 'xlsx' ? 'xlsx' : 'text', l),
        h(
          'div',
          { class: 'read-row' },
          field(
            t('new.phoneColumn'),
            columnSelect('phone-column', l.phoneColumn ? String(l.phoneColumn.number) : s.opts.column, columns, false, (v) =>
              setOption('column', v),
            ),
            sourceWords(l.phoneColumn),
          ),
          field(
            t('new.dateColumn'),
            columnSelect('date-column', dateValue, columns, true, (v) => setOption('dateColumn', v)),
            dateHint,
          ),
        ),
      ),
    );
  }

  function countsCard(p) {
    const c = p.counts || {};
    return h(
      'div',
      { class: 'card' },
      h('h2', null, t('new.counts')),
      h(
        'div',
        { class: 'stats stats-5' },
        stat(t('new.rows'), num(c.rows), { testid: 'preview-rows' }),
        stat(t('new.valid'), num(c.valid), { testid: 'preview-valid', tone: 'good' }),
        stat(t('new.invalid'), num(c.invalid), { testid: 'preview-invalid', tone: c.invalid ? 'bad' : null }),
        stat(t('new.duplicates'), num(c.duplicates), { testid: 'preview-duplicates' }),
        stat(t('new.unique'), num(c.unique), { testid: 'preview-unique', tone: 'strong' }),
      ),
      c.blankLines || c.dateWarnings
        ? h(
            'div',
            { class: 'muted small counts-extra' },
            c.blankLines ? `${t('new.blankLines')} ${num(c.blankLines)}` : null,
            c.blankLines && c.dateWarnings ? ' · ' : null,
            c.dateWarnings ? `${t('new.dateWarnings')} ${num(c.dateWarnings)}` : null,
          )
        : null,
      carriers(c.byCarrier),
      invalidTable(p.invalid || []),
    );
  }

  function carriers(byCarrier) {
    if (!byCarrier) return null;
    const entries = Object.entries(byCarrier);
    if (!entries.length) return null;
    return h(
      'div',
      { class: 'carriers small', testid: 'preview-carriers' },
      h('span', { class: 'muted' }, `${t('new.byCarrier')}${t('punct.colon')}`),
      entries.map(([k, v], i) => [
        i ? h('span', { class: 'muted' }, ' · ') : null,
        `${has(`carrier.${k}`) ? t(`carrier.${k}`) : k} `,
        h('strong', null, num(v)),
      ]),
    );
  }

  function invalidTable(invalid) {
    if (!invalid.length) return h('p', { class: 'muted small', testid: 'preview-invalid-reasons' }, t('new.noInvalid'));
    return h(
      'div',
      { class: 'subsection' },
      h('h3', null, t('new.invalidByReason')),
      h(
        'table',
        { class: 'table table-compact', testid: 'preview-invalid-reasons' },
        h(
          'thead',
          null,
          h('tr', null, h('th', null, t('new.reason')), h('th', { class: 'num' }, t('new.count')), h('th', null, t('new.examples'))),
        ),
        h(
          'tbody',
          null,
          invalid.map((r) =>
            h(
              'tr',
              { data: { reason: r.reason } },
              h(
                'td',
                null,
                has(`reason.${r.reason}`) ? t(`reason.${r.reason}`) : r.reason,
                h('span', { class: 'mono muted small code-tag' }, r.reason),
              ),
              h('td', { class: 'num' }, num(r.count)),
              h(
                'td',
                { class: 'examples' },
                (r.examples || []).map((ex) =>
                  h(
                    'span',
                    { class: 'example' },
                    h(
                      'span',
                      { class: 'mono' },
                      ex.value === '' || ex.value === null || ex.value === undefined || ex.value === '(empty)'
                        ? t('new.emptyValue')
                        : String(ex.value),
                    ),
                    h('span', { class: 'muted' }, ` · ${t('err.lineN', { line: num(ex.line) })}`),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  function warningsCard(p) {
    const warnings = p.warnings || [];
    if (!warnings.length) return null;
    return h(
      'div',
      { class: 'alert alert-warn', testid: 'preview-warnings' },
      h('div', { class: 'alert-title' }, t('new.warnings')),
      h(
        'ul',
        null,
        warnings.map((w) =>
          h('li', null, typeof w === 'string' ? w : w && (w.message || w.problem) ? w.message || w.problem : JSON.stringify(w)),
        ),
      ),
    );
  }

  function capText() {
    const cap = maxCallsValue();
    return cap.ok && cap.value !== null ? t('new.billableCap', { cap: num(cap.value) }) : '';
  }

  function billableCard(p) {
    const questions = p.questions || {};
    const cached = p.cached;
    const apis = [...APIS, ...Object.keys(questions).filter((k) => !APIS.includes(k))].filter((k) => k in questions);
    const total = apis.reduce((sum, k) => sum + (questions[k] || 0), 0);
    capEl = h('div', { class: 'billable-cap', testid: 'preview-cap' }, capText());
    return h(
      'div',
      { class: 'card card-billable' },
      h('div', { class: 'billable-label' }, t('new.billable')),
      h('div', { class: 'billable-value', testid: 'preview-billable' }, num(p.billableUpperBound)),
      capEl,
      h('div', { class: 'billable-note' }, t('new.billableNote')),
      h(
        'div',
        { class: ['cache-line', p.cacheSaves === null || p.cacheSaves === undefined ? 'muted' : p.cacheSaves > 0 ? 'good' : null], testid: 'preview-cache' },
        p.cacheSaves === null || p.cacheSaves === undefined
          ? t('new.cacheNull')
          : t('new.cacheSaves', { n: num(p.cacheSaves) }),
      ),
      plansTable(p),
      h('h3', null, t('new.questions')),
      h(
        'table',
        { class: 'table table-compact', testid: 'preview-questions' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, t('new.api')),
            h('th', { class: 'num' }, t('new.questionsCol')),
            h('th', { class: 'num' }, t('new.cachedCol')),
          ),
        ),
        h(
          'tbody',
          null,
          apis.map((k) =>
            h(
              'tr',
              { class: questions[k] ? null : 'dim', data: { api: k } },
              h('td', null, apiName(k)),
              h('td', { class: 'num' }, num(questions[k])),
              h('td', { class: 'num' }, cached ? num(cached[k] ?? 0) : '—'),
            ),
          ),
        ),
        h(
          'tfoot',
          null,
          h(
            'tr',
            null,
            h('td', null, t('level.total')),
            h('td', { class: 'num' }, num(total)),
            h('td', { class: 'num' }, cached ? num(Object.values(cached).reduce((a, b) => a + (b || 0), 0)) : '—'),
          ),
        ),
      ),
    );
  }

  /** Both plans: the same upper bound, and the bill expected from what the cache knows. */
  function plansTable(p) {
    const plans = p.plans;
    if (!plans) return null;
    const chosen = planValue();
    const st = p.staging || {};
    const basis =
      !st.decidingValues || st.decidingValues.length === 0
        ? t('new.stagingNone', { rubric: st.rubric || '' })
        : p.cached === null || p.cached === undefined
          ? t('new.stagingUnknown')
          : !st.known
            ? t('new.stagingNothingKnown')
            : t('new.stagingKnown', { known: num(st.known), numbers: num(st.numbers), deciding: num(st.deciding), saved: num(st.savedTotal) });
    return [
      h('h3', null, t('new.plans')),
      h(
        'table',
        { class: 'table table-compact', testid: 'preview-plans' },
        h(
          'thead',
          null,
          h('tr', null, h('th', null, t('new.plan')), h('th', { class: 'num' }, t('new.atMost')), h('th', { class: 'num' }, t('new.expected'))),
        ),
        h(
          'tbody',
          null,
          PLANS.filter((plan) => plans[plan]).map((plan) => {
            const name = t(`batch.plan.${plan}`);
            return h(
              'tr',
              { data: { plan } },
              h('td', null, plan === chosen ? h('strong', null, name) : name),
              h('td', { class: 'num' }, num(plans[plan].upperBound)),
              h('td', { class: 'num', testid: `preview-expected-${plan}` }, plan === chosen ? h('strong', null, num(plans[plan].expected)) : num(plans[plan].expected)),
            );
          }),
        ),
      ),
      h('div', { class: 'muted small', testid: 'preview-staging' }, basis),
    ];
  }

  function optionsCard(p) {
    const profile = profiles.find((x) => x.name === s.opts.profile);
    const busy = s.previewing || s.starting;
    const sinceInput = h('input', {
      type: 'date',
      id: 'since',
      testid: 'since',
      value: s.opts.since,
      min: '1900-01-01',
      max: '2099-12-31',
      disabled: busy,
      on: {
        change: (e) => {
          s.opts.since = e.target.value;
          runPreview();
        },
      },
    });
    const maxCalls = h('input', {
      type: 'text',
      inputmode: 'numeric',
      pattern: '[0-9]*',
      id: 'max-calls',
      testid: 'max-calls',
      autocomplete: 'off',
      placeholder: t('batch.noMaxCalls'),
      value: s.opts.maxCalls,
      disabled: s.starting,
      on: {
        input: (e) => {
          s.opts.maxCalls = e.target.value;
          if (capEl) capEl.textContent = capText();
        },
      },
    });
    return h(
      'div',
      { class: 'card' },
      h('h2', null, t('new.step3')),
      field(
        t('new.profile'),
        selectEl(
          profiles.map((x) => [x.name, profileName(x.name)]),
          s.opts.profile,
          {
            id: 'profile',
            testid: 'profile',
            disabled: busy,
            on: {
              change: (e) => {
                s.opts.profile = e.target.value;
                runPreview();
              },
            },
          },
        ),
        profile ? t('new.profileApis', { apis: (profile.apis || []).map(apiName).join(t('list.sep')) }) : null,
      ),
      field(
        t('new.plan'),
        selectEl(
          PLANS.map((plan) => [plan, t(`batch.plan.${plan}`)]),
          planValue(),
          {
            id: 'plan',
            testid: 'plan',
            disabled: s.starting,
            on: {
              change: (e) => {
                s.opts.plan = e.target.value;
                draw();
              },
            },
          },
        ),
        t(`new.planHint.${planValue()}`),
      ),
      field(t('new.since'), sinceInput, t('new.sinceHint')),
      field(t('new.maxCalls'), maxCalls, t('new.maxCallsHint')),
      field(
        t('new.rubric'),
        selectEl(
          rubrics.map((r) => [r.id, r.name && r.name !== r.id ? `${r.name} (${r.id})` : r.id]),
          s.opts.rubric,
          {
            id: 'rubric',
            testid: 'rubric',
            disabled: busy,
            on: {
              change: (e) => {
                s.opts.rubric = e.target.value;
                runPreview();
              },
            },
          },
        ),
      ),
      s.startError
        ? s.startError.local
          ? h(
              'div',
              { class: 'alert alert-error', role: 'alert', testid: 'start-error' },
              h('div', { class: 'alert-title' }, t(`err.${s.startError.code}`)),
              h('div', { class: 'alert-message' }, s.startError.local),
            )
          : errorBox(s.startError, { testid: 'start-error' })
        : null,
      p.counts && p.counts.valid === 0 ? h('div', { class: 'alert alert-warn' }, t('new.nothingValid')) : null,
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-primary btn-block btn-large',
          testid: 'start',
          disabled: !canStart(),
          on: { click: start },
        },
        s.starting ? t('new.starting') : `${t('new.start')} →`,
      ),
    );
  }

  function previewError() {
    const e = s.previewError;
    const code = e.details && e.details.inputCode;
    let extra = null;
    if (COLUMN_ERRORS.includes(code)) {
      const input = h('input', {
        type: 'text',
        id: 'retry-column',
        testid: 'retry-column',
        value: s.retryColumn,
        on: { input: (ev) => (s.retryColumn = ev.target.value) },
      });
      extra = h(
        'form',
        {
          class: 'retry-column',
          on: {
            submit: (ev) => {
              ev.preventDefault();
              if (!s.retryColumn.trim()) return;
              s.opts.column = s.retryColumn.trim();
              runPreview();
            },
          },
        },
        field(t('new.retryColumn'), input),
        h('button', { type: 'submit', class: 'btn' }, t('new.retry')),
      );
    }
    // A list read with the wrong options (or one they cannot read): the read options
    // stay at hand, with a way back to the last ones that worked.
    const readable = e.code === 'RISKSCREEN_INPUT_UNREADABLE' || e.code === 'RISKSCREEN_BAD_OPTION';
    const chosen = READ_KEYS.some((key) => s.opts[key]);
    const canUndo = s.lastGood && READ_KEYS.some((key) => s.lastGood[key] !== s.opts[key]);
    return h(
      'div',
      { class: 'preview-failed' },
      errorBox(e, { testid: 'input-error', extra }),
      readable
        ? h(
            'div',
            { class: 'card' },
            h('h2', null, t('new.readOptions')),
            h('div', { class: 'read-grid read-grid-bare' }, readRow(fileFormat(), null)),
            canUndo
              ? h(
                  'div',
                  { class: 'actions' },
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn',
                      testid: 'undo-options',
                      disabled: s.previewing,
                      on: {
                        click: () => {
                          Object.assign(s.opts, s.lastGood);
                          runPreview();
                        },
                      },
                    },
                    t('new.undoOptions'),
                  ),
                )
              : null,
          )
        : null,
      e.code === 'RISKSCREEN_INPUT_UNREADABLE'
        ? h('p', { class: 'muted' }, chosen ? t('new.cannotStartOptions') : t('new.cannotStart'))
        : h(
            'div',
            { class: 'actions' },
            h('button', { type: 'button', class: 'btn', on: { click: runPreview } }, t('new.retry')),
          ),
    );
  }

  // Removing a focused control fires its blur/change while the page is being replaced:
  // a redraw asked for then is done once this one is finished.
  let drawing = false;
  let drawAgain = false;
  function draw() {
    if (drawing) {
      drawAgain = true;
      return;
    }
    drawing = true;
    try {
      drawNow();
    } finally {
      drawing = false;
    }
    if (drawAgain) {
      drawAgain = false;
      draw();
    }
  }

  function drawNow() {
    const focusedId = lastFocusId;
    capEl = null;
    const head = h(
      'div',
      { class: 'page-head' },
      h('a', { href: '#/batches', class: 'back' }, t('batch.back')),
      h('h1', null, t('new.heading')),
    );
    if (!ctx.canOperate()) {
      replace(el, head, h('div', { class: 'alert alert-warn', testid: 'new-forbidden' }, t('new.forbidden', { role: t(`role.${session.user.role}`) })));
      return;
    }
    let body;
    if (s.phase === 'pick') {
      body = h('div', { class: 'card' }, h('h2', null, t('new.step1')), dropZone(), fileErrorBox());
    } else if (s.phase === 'uploading') {
      body = uploadingCard();
    } else {
      const p = s.preview;
      let content;
      if (s.previewError) content = previewError();
      else if (!p) content = h('div', { class: 'card loading' }, h('span', { class: 'spinner' }), t('new.previewing'));
      else {
        content = h(
          'div',
          { class: ['preview', s.previewing ? 'is-refreshing' : null], testid: 'preview' },
          h('div', { class: 'alert alert-info preview-note' }, t('new.previewNote')),
          s.previewing ? h('div', { class: 'refreshing' }, h('span', { class: 'spinner' }), t('new.refreshing')) : null,
          h(
            'div',
            { class: 'preview-grid' },
            h('div', { class: 'preview-main' }, warningsCard(p), layoutCard(p), countsCard(p)),
            h('div', { class: 'preview-side' }, billableCard(p), optionsCard(p)),
          ),
        );
      }
      body = h('div', null, fileCard(), content);
    }
    replace(el, head, body);
    if (focusedId) {
      const again = el.querySelector(`#${CSS.escape(focusedId)}`);
      if (again && !again.disabled) again.focus();
    }
  }

  draw();

  return {
    el,
    title: () => t('new.heading'),
    redraw: draw,
    destroy() {
      destroyed = true;
      if (xhr) xhr.abort();
      if (previewController) previewController.abort();
      window.removeEventListener('dragover', stopDrop);
      window.removeEventListener('drop', stopDrop);
    },
  };
}
