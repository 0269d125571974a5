// The Playground in a real browser (Debian's headless Chromium driven by
// playwright-core) with no network beyond loopback: every request to another
// host is blocked and recorded, and the test fails if there is any. The page
// must render, open with the example tabs and the prefilled token, run the
// team dashboard and show its data. Needs FLOWLENS_URL and FLOWLENS_TOKEN
// (scripts/test-ecosystem starts the server and sets them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.FLOWLENS_URL;
const token = process.env.FLOWLENS_TOKEN;

function isLoopback(raw) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    return false;
  }
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  const h = u.hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

test('Playground renders offline, runs the team dashboard and shows data', async (t) => {
  assert.ok(base && token, 'FLOWLENS_URL and FLOWLENS_TOKEN must be set (run scripts/test-ecosystem)');
  const userDataDir = await mkdtemp(join(tmpdir(), 'flowlens-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1400, height: 900 },
  });
  t.after(async () => {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  });

  const offLoopback = [];
  const requested = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requested.push(url);
    if (!isLoopback(url)) {
      offLoopback.push(url);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  context.on('request', (req) => {
    if (!isLoopback(req.url())) offLoopback.push(req.url());
  });

  const page = context.pages()[0] ?? (await context.newPage());
  page.on('websocket', (ws) => {
    if (!isLoopback(ws.url())) offLoopback.push(ws.url());
  });
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });

  const res = await page.goto(base + '/', { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  await page.locator('.graphiql-container').waitFor({ state: 'visible', timeout: 15000 });

  // The example tabs, the team dashboard first.
  const tabs = page.locator('.graphiql-tab');
  await tabs.first().waitFor({ timeout: 5000 });
  const tabTitles = await tabs.allInnerTexts();
  assert.deepEqual(tabTitles.map((s) => s.trim()), ['TeamDashboard', 'MyDashboard', 'FlowDashboard', 'DrillDown', 'FlowPaths']);
  const query = await page.locator('.graphiql-query-editor .CodeMirror').innerText();
  assert.match(query, /teamAnalytics/);

  // The headers editor opens with the demo token.
  const headers = await page.locator('.graphiql-editor-tool .CodeMirror').last().innerText();
  assert.match(headers, /"Authorization"\s*:\s*"Bearer /);
  assert.ok(headers.replace(/\s/g, '').includes(token), 'the headers editor holds the demo token');

  // Run it (the run button): the response carries the fixture's figures and
  // the result pane shows them.
  const answer = page.waitForResponse((r) => r.url() === base + '/query' && (r.request().postData() ?? '').includes('TeamDashboard'));
  await page.locator('.graphiql-execute-button').click();
  const body = await (await answer).json();
  assert.equal(body.errors, undefined);
  assert.equal(body.data.teamAnalytics.summary.totalSessions, 4);
  assert.equal(body.data.teamAnalytics.topFlows[0].name, 'Printer offline');
  const result = page.locator('.result-window');
  await result.getByText('"totalSessions": 4').first().waitFor({ timeout: 15000 });
  assert.match(await result.innerText(), /"teamAnalytics"/);
  // Ctrl+Enter works too: switch to the personal tab and run it.
  await tabs.nth(1).click();
  await page.locator('.graphiql-query-editor .CodeMirror').getByText('MyDashboard').first().waitFor();
  // GraphiQL derives the operation name from the editor after a short
  // debounce; a run within ~100 ms of a tab switch still names the old one.
  await page.waitForTimeout(500);
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  const personal = page.waitForResponse((r) => r.url() === base + '/query' && (r.request().postData() ?? '').includes('MyDashboard'));
  await page.keyboard.press('Control+Enter');
  const pbody = await (await personal).json();
  assert.equal(pbody.data?.myAnalytics?.summary.totalSessions, 2, JSON.stringify(pbody));
  await result.getByText('"myAnalytics"').first().waitFor({ timeout: 15000 });

  // The drill-down tab: the sessions rated 2 or less (s2, 20 minutes,
  // escalated, csat 2) with their steps and a cursor to continue.
  await tabs.nth(3).click();
  await page.locator('.graphiql-query-editor .CodeMirror').getByText('DrillDown').first().waitFor();
  await page.waitForTimeout(500);
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  const drill = page.waitForResponse((r) => r.url() === base + '/query' && (r.request().postData() ?? '').includes('DrillDown'));
  await page.keyboard.press('Control+Enter');
  const dbody = await (await drill).json();
  const sessions = dbody.data?.teamAnalytics?.sessions;
  assert.equal(sessions?.totalCount, 1, JSON.stringify(dbody));
  assert.equal(sessions.edges[0].node.durationMinutes, 20);
  assert.equal(sessions.edges[0].node.csat, 2);
  assert.deepEqual(sessions.edges[0].node.steps.map((s) => s.nodeTitle), ['Printer offline', 'Clear the print queue']);
  assert.equal(sessions.pageInfo.endCursor, sessions.edges[0].cursor);
  await result.getByText('"endCursor"').first().waitFor({ timeout: 15000 });

  // The schema was introspected: the docs explorer shows the descriptions.
  await page.getByLabel('Show Documentation Explorer').click();
  const docs = page.locator('.graphiql-doc-explorer');
  await docs.getByText('Query', { exact: true }).first().click();
  await docs.getByText('Dashboard analytics for guided troubleshooting flows', { exact: false }).first().waitFor({ timeout: 5000 });

  if (process.env.FLOWLENS_SCREENSHOT) await page.screenshot({ path: process.env.FLOWLENS_SCREENSHOT });

  assert.ok(requested.some((u) => u.includes('/playground/assets/graphiql-4.1.2/graphiql.min.js')), 'GraphiQL came from the service');
  assert.deepEqual([...new Set(offLoopback)], [], 'no request may leave loopback');
  assert.deepEqual(problems, [], 'no page or console errors (CSP violations included)');
});
