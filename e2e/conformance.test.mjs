// GraphQL over HTTP conformance: the audit suite of graphql-http (the
// reference implementation of the GraphQL-over-HTTP spec) against a running
// flowlens, each request carrying a bearer token. Every audit has to pass,
// MUST, SHOULD and MAY alike (README, "GraphQL over HTTP conformance").
// Needs FLOWLENS_URL and FLOWLENS_TOKEN (scripts/test-ecosystem sets them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAudits } from 'graphql-http';

const base = process.env.FLOWLENS_URL;
const token = process.env.FLOWLENS_TOKEN;

// authorizedFetch adds the bearer token. The server runs without a rate
// limit here (scripts/test-ecosystem): the audits send a burst of requests
// that the default per-user limit would rightly throttle, and they are
// about the protocol, not about the rate limit.
async function authorizedFetch(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

test('graphql-http server audits: every audit passes', async (t) => {
  assert.ok(base && token, 'FLOWLENS_URL and FLOWLENS_TOKEN must be set (run scripts/test-ecosystem)');
  const audits = serverAudits({
    url: base + '/query',
    fetchFn: authorizedFetch,
  });
  const results = [];
  for (const audit of audits) {
    const r = await audit.fn();
    results.push({ id: audit.id, name: audit.name, status: r.status, reason: r.reason });
  }
  const counts = {};
  for (const r of results) {
    const level = r.name.split(' ')[0];
    counts[level] ??= { ok: 0, notice: 0, warn: 0, error: 0 };
    counts[level][r.status]++;
  }
  const lines = results
    .filter((r) => r.status !== 'ok')
    .map((r) => `  ${r.status.padEnd(6)} ${r.id} ${r.name}${r.reason ? ` — ${r.reason}` : ''}`);
  const ok = results.filter((r) => r.status === 'ok').length;
  t.diagnostic(`${ok} audits pass out of ${results.length}: ${JSON.stringify(counts)}`);
  console.log(`graphql-http ${ok} audits pass out of ${results.length}`);
  for (const [level, c] of Object.entries(counts)) console.log(`  ${level}: ${JSON.stringify(c)}`);
  if (lines.length) console.log(lines.join('\n'));

  const mustErrors = results.filter((r) => r.name.startsWith('MUST') && r.status === 'error');
  assert.deepEqual(mustErrors.map((r) => `${r.id} ${r.name}: ${r.reason}`), [], 'every MUST audit passes');

  const notOK = results.filter((r) => r.status !== 'ok').map((r) => `${r.id} ${r.name}: ${r.status} ${r.reason ?? ''}`);
  assert.deepEqual(notOK, [], 'every audit passes, SHOULD and MAY included');
  assert.equal(ok, 61, 'graphql-http 1.23.1 has 61 audits');
});
