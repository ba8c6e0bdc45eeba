/**
 * The console in a real headless Chromium (Debian's, driven by playwright-core; no
 * browser is downloaded): an operator logs in, uploads the sample list, reads the
 * preview's counts, starts, sees the progress reach done, downloads the result and its
 * rows are all there; a bad file shows its plain-words error; a viewer sees no upload
 * and no download; logout ends the session. The page must raise no error and break
 * no CSP rule. With SCREENSHOTS=docs the list, preview and batch page are saved to
 * docs/screenshots/ (the README shows them); otherwise to a temp dir.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, multipart, PASSWORD, startTestConsole, waitForResult, type TestConsole } from '../../support/console.js';

const SAMPLE_PATH = new URL('../../../examples/sample-list.csv', import.meta.url).pathname;
const CHROMIUM = '/usr/bin/chromium';
const PLAYWRIGHT_VERSION = (JSON.parse(readFileSync(new URL('../../../node_modules/playwright-core/package.json', import.meta.url), 'utf8')) as { version: string }).version;

const shotsDir = process.env.SCREENSHOTS === 'docs' ? new URL('../../../docs/screenshots/', import.meta.url).pathname : mkdtempSync(join(tmpdir(), 'riskscreen-shots-'));
let running: TestConsole;
let url: string;
let browser: Browser;
const problems: string[] = [];

beforeAll(async () => {
  running = await startTestConsole({ env: { RISKSCREEN_RATES: 'status=1500,tenure=1500,tenureCmcc=1500,resale=1500,callDuration=1500' } });
  await running.app.listen({ host: '127.0.0.1', port: 0 });
  const address = running.app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // Printed so a failure after a security update of chromium (a new major) is plain to see.
  process.stderr.write(`console browser tests: Chromium ${browser.version()} (${CHROMIUM}), playwright-core ${PLAYWRIGHT_VERSION}\n`);
  mkdirSync(shotsDir, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await running?.close();
  if (process.env.SCREENSHOTS !== 'docs') rmSync(shotsDir, { recursive: true, force: true });
});

async function newPage(locale = 'zh-CN'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of (40[139]|422)/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return page;
}

async function logIn(page: Page, name: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('login-name').fill(name);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-name').waitFor();
}

const text = async (page: Page, testid: string) => ((await page.getByTestId(testid).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();

describe('the console in Chromium', () => {
  let batchId: string;

  it('an operator uploads the sample list, reads the preview, starts, watches it finish and downloads the result', async () => {
    const page = await newPage();
    await logIn(page, 'otto');
    await page.getByTestId('new-batch').click();
    await page.getByTestId('file-input').setInputFiles(SAMPLE_PATH);
    await page.getByTestId('preview').waitFor({ timeout: 30_000 });
    await page.getByTestId('preview-billable').waitFor();
    expect(await text(page, 'preview-rows')).toContain('3,000');
    expect(await text(page, 'preview-valid')).toContain('2,810');
    expect(await text(page, 'preview-invalid')).toContain('190');
    expect(await text(page, 'preview-duplicates')).toContain('173');
    expect(await text(page, 'preview-unique')).toContain('2,637');
    expect(await text(page, 'preview-billable')).toMatch(/\d,\d{3}/);
    const previewText = (await page.getByTestId('preview').textContent()) ?? '';
    expect(previewText).not.toMatch(/(?<!\d)1[3-9]\d{9}(?!\d)/);
    // Both plans, the same upper bound; nothing cached yet, so staged expects it too.
    expect(await page.getByTestId('plan').inputValue()).toBe('staged');
    expect(await text(page, 'preview-expected-staged')).toBe(await text(page, 'preview-billable'));
    expect(await text(page, 'preview-expected-all')).toBe(await text(page, 'preview-billable'));
    expect(await text(page, 'preview-staging')).toMatch(/缓存中还没有这些号码的在网状态：两种计划都按上限预计/);
    await page.screenshot({ path: join(shotsDir, 'preview.png'), fullPage: false });

    const [startRequest] = await Promise.all([
      page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith('/api/batches')),
      page.getByTestId('start').click(),
    ]);
    expect(JSON.parse(startRequest.postData() ?? '{}')).toMatchObject({ plan: 'staged', rubric: 'default' });
    await page.waitForURL(/#\/batch\/b\d{8}-\d{6}-[0-9a-z]{4}$/);
    batchId = /#\/batch\/(.+)$/.exec(page.url())![1]!;
    await page.getByTestId('batch-progress').waitFor();
    await page.getByTestId('level-table').waitFor({ timeout: 90_000 });
    expect(await text(page, 'batch-status')).toContain('已完成');
    expect(await text(page, 'batch-rows')).toContain('3,000');
    // The plan, and what it saved: the sample list has lines not in service.
    expect(await text(page, 'batch-plan')).toBe('分步：先查空号 · staged');
    expect(await text(page, 'batch-saved')).toMatch(/^[1-9][\d,]* 次查询在网时长 [1-9]/);
    await page.screenshot({ path: join(shotsDir, 'batch.png'), fullPage: false });

    // Excel is offered first, in the page's language; a CSV is one choice away.
    const choices = await page.getByTestId('file-format').locator('option').evaluateAll((options) => options.map((option) => option.getAttribute('value')));
    expect(choices).toEqual(['xlsx', 'csv:utf8-bom', 'csv:gb18030', 'jsonl', 'parquet']);
    expect(await page.getByTestId('download-result').getAttribute('href')).toBe(`/api/batches/${batchId}/files/result?format=xlsx&lang=zh`);
    expect(await page.getByTestId('download-manifest').getAttribute('href')).toBe(`/api/batches/${batchId}/files/manifest`);
    expect(await text(page, 'file-format-hint')).toContain('Excel');
    await page.getByTestId('file-format').selectOption('csv:gb18030');
    expect(await page.getByTestId('download-high').getAttribute('href')).toBe(`/api/batches/${batchId}/files/high?format=csv&encoding=gb18030&lang=zh`);
    await page.getByTestId('file-format').selectOption('csv:utf8-bom');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-result').click()]);
    expect(download.suggestedFilename()).toBe(`${batchId}.csv`);
    const rows = parse(readFileSync((await download.path())!), { bom: true, columns: true, relax_column_count: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(3000);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['手机号', 'risk_level', 'row_status']));
    expect(new Set(rows.map((row) => row.row_status))).toEqual(new Set(['screened', 'invalid']));

    // A second batch, cancelled at once, so the list shows more than one status.
    const api = await login(running.app, 'otto');
    const second = await api.request({ method: 'POST', url: '/api/batches', ...multipart({ name: '二月名单.csv', body: readFileSync(SAMPLE_PATH) }) });
    await api.request({ method: 'POST', url: `/api/batches/${second.json().id}/cancel` });
    await waitForResult(api, second.json().id);
    await page.goto(`${url}/#/batches`);
    await page.getByTestId('batch-row').nth(1).waitFor();
    expect(await page.getByTestId('batch-row').count()).toBe(2);
    await page.screenshot({ path: join(shotsDir, 'batches.png'), fullPage: false });

    await page.getByTestId('logout').click();
    await page.getByTestId('login-name').waitFor();
    const after = await page.evaluate("fetch('/api/session').then((response) => response.status)");
    expect(after).toBe(401);
    await page.context().close();
  }, 150_000);

  it('a file that cannot be read shows the problem in plain words, with the file name and line, and cannot be started', async () => {
    const page = await newPage();
    await logIn(page, 'otto');
    await page.getByTestId('new-batch').click();
    await page.getByTestId('file-input').setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('手机号,姓名\n13800138000,"张三\n13900139000,李四\n') });
    await page.getByTestId('input-error').waitFor({ timeout: 30_000 });
    const error = await text(page, 'input-error');
    expect(error).toContain('broken.csv');
    expect(error).toMatch(/第 ?2 ?行/);
    expect(await page.getByTestId('start').count()).toBe(0);
    await page.context().close();
  }, 60_000);

  it('the preview follows the operator: no date column drops the resale questions from the bill, a header of "no" counts the first line as a row', async () => {
    const page = await newPage();
    await logIn(page, 'otto');
    await page.getByTestId('new-batch').click();
    await page.getByTestId('file-input').setInputFiles(SAMPLE_PATH);
    await page.getByTestId('preview-billable').waitFor({ timeout: 30_000 });
    expect(await text(page, 'preview-billable')).toContain('8,513');
    // The first test's batch screened this list: the cache knows every line status, and
    // staged expects less than all.
    const expected = async (plan: string) => Number((await text(page, `preview-expected-${plan}`)).replace(/,/g, ''));
    expect(await text(page, 'preview-staging')).toMatch(/缓存已知 2,637 \/ 2,637 个号码的在网状态，其中 [1-9][\d,]* 个已能定级/);
    expect(await expected('staged')).toBeLessThan(await expected('all'));
    await page.getByTestId('plan').selectOption('all');
    expect(await page.locator('#plan + .field-hint').textContent()).toMatch(/所有接口同时查询/);
    await page.getByTestId('date-column').selectOption('none');
    await expect.poll(() => text(page, 'preview-billable'), { timeout: 30_000 }).toContain('5,969');
    await page.getByTestId('read-header').selectOption('no');
    await expect.poll(() => text(page, 'preview-rows'), { timeout: 30_000 }).toContain('3,001');
    await page.context().close();
  }, 60_000);

  it('a viewer sees the batches but no upload and no download', async () => {
    const page = await newPage();
    await logIn(page, 'vera');
    await page.getByTestId('batches-table').waitFor();
    expect(await page.getByTestId('new-batch').count()).toBe(0);
    await page.goto(`${url}/#/batch/${batchId}`);
    await page.getByTestId('level-table').waitFor();
    await page.getByTestId('no-download-note').waitFor();
    expect(await page.locator('[data-testid^="download-"]').count()).toBe(0);
    expect(await page.getByTestId('cancel').count()).toBe(0);
    await page.context().close();
  }, 60_000);

  it('English by the switch, and by the browser language', async () => {
    const page = await newPage();
    await logIn(page, 'ada');
    // The queue dashboard is there only on the queue engine: no link to it here.
    expect(await page.getByTestId('admin-link').count()).toBe(0);
    await page.getByTestId('lang-switch').click();
    await expect.poll(() => page.evaluate('document.documentElement.lang')).toBe('en');
    expect(await page.getByTestId('local-engine-banner').textContent()).toMatch(/[A-Za-z]{4}/);
    await page.context().close();
    const english = await newPage('en-US');
    await english.goto(url);
    await english.getByTestId('login-submit').waitFor();
    expect(await english.evaluate('document.documentElement.lang')).toBe('en');
    await english.context().close();
  }, 60_000);

  it('no page error and no broken CSP rule on the way', () => {
    expect(problems).toEqual([]);
  });
});
