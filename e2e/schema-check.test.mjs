// Tests of schema-check.sh on throwaway git repositories: the real schema,
// then a second commit that changes it, deliberately broken in several ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, 'schema-check.sh');
const schema = readFileSync(join(here, '..', 'schema.graphqls'), 'utf8');
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.test',
  GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.test',
};

// repo makes a repository whose first commit holds the real schema and, when
// next is given, a second commit with that schema and message.
function repo(t, next, message = 'change the schema', extra = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'schema-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const git = (...args) => execFileSync('git', ['-C', dir, ...args], { env: gitEnv, stdio: 'pipe' });
  git('init', '-q');
  writeFileSync(join(dir, 'schema.graphqls'), schema);
  git('add', '.');
  git('commit', '-qm', 'first');
  if (next !== undefined) {
    writeFileSync(join(dir, 'schema.graphqls'), next);
    for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
    git('add', '.');
    git('commit', '-qm', message);
  }
  return dir;
}

function check(dir) {
  const r = spawnSync(script, [], { env: { ...process.env, SCHEMA_REPO: dir }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const withoutAvgCsat = schema.replace(/^\s*"Mean session rating[^\n]*\n\s*avgCsat: Float\n/m, '\n');

test('the fixture edit really removes FlowAnalytics.avgCsat', () => {
  assert.notEqual(withoutAvgCsat, schema);
  assert.doesNotMatch(withoutAvgCsat, /avgCsat/);
});

test('the real schema passes lint and, unchanged, the diff', (t) => {
  const r = check(repo(t, schema + '\n'));
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /0 errors detected/);
});

test('a single commit has nothing to compare with and passes', (t) => {
  const r = check(repo(t));
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /nothing to compare with/);
});

test('an added, described field is not breaking', (t) => {
  const next = schema.replace('  totalRatings: Int!\n', '  totalRatings: Int!\n  "Ratings with a comment in the window."\n  commentedRatings: Int!\n');
  assert.notEqual(next, schema);
  const r = check(repo(t, next));
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /commentedRatings was added/);
});

test('a removed field fails the check', (t) => {
  const r = check(repo(t, withoutAvgCsat));
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /breaking: FlowAnalytics\.avgCsat: .*removed/);
  assert.match(r.out, /1 breaking change\(s\) not declared/);
});

test('[breaking-schema-ok] in the commit message accepts it', (t) => {
  const r = check(repo(t, withoutAvgCsat, 'drop avgCsat [breaking-schema-ok]'));
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /accepted by \[breaking-schema-ok\]/);
});

test('schema.breaking-ok naming the change accepts it, naming another does not', (t) => {
  let r = check(repo(t, withoutAvgCsat, 'drop avgCsat', { 'schema.breaking-ok': '# intended: nobody reads it\nFlowAnalytics.avgCsat\n' }));
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /named in schema\.breaking-ok/);
  r = check(repo(t, withoutAvgCsat, 'drop avgCsat', { 'schema.breaking-ok': 'FlowAnalytics.totalRatings\n' }));
  assert.equal(r.code, 1, r.out);
});

test('lint: a type without a description fails', (t) => {
  const r = check(repo(t, schema + '\ntype Orphan {\n  "A field."\n  id: UUID!\n}\n'));
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /types-have-descriptions/);
});

test('lint: a field that is not camelCase fails, as does one without a description', (t) => {
  const r = check(repo(t, schema.replace('  totalRatings: Int!\n', '  totalRatings: Int!\n  total_comments: Int!\n')));
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /fields-are-camel-cased/);
  assert.match(r.out, /fields-have-descriptions/);
});
