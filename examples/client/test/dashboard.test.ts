// The typed client against a running flowlens loaded with e2e/fixture.sql
// (scripts/test-ecosystem starts it and sets FLOWLENS_URL, FLOWLENS_TOKEN for
// Ada, team admin of Acme, and FLOWLENS_ENGINEER_TOKEN for Ben, engineer of
// Acme). Expected figures are worked out by hand from the fixture:
// Acme, last 30 days: s1 Ben/Printer 10 min resolved, s2 Ben/Printer 20 min
// escalated, s3 Ada/Printer not completed (stopped at "power"), s4 Ada/VPN
// 30 min resolved; 40 days ago s5 Ben/Printer 15 min resolved. Globex's
// sessions and one Acme tree run by a Globex user count for Acme nowhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowlensClient, FlowlensError, type FlowDashboard, type TeamDashboard } from '../src/client.ts';

const url = process.env.FLOWLENS_URL ?? '';
const admin = new FlowlensClient(url, process.env.FLOWLENS_TOKEN ?? '');
const engineer = new FlowlensClient(url, process.env.FLOWLENS_ENGINEER_TOKEN ?? '');
const printer = 'c0000000-0000-4000-8000-000000000001';
const globexTree = 'c0000000-0000-4000-8000-000000000003';
const ben = 'b0000000-0000-4000-8000-000000000002';

test('environment', () => {
  assert.ok(url && process.env.FLOWLENS_TOKEN && process.env.FLOWLENS_ENGINEER_TOKEN, 'run through scripts/test-ecosystem');
});

test('team dashboard', async () => {
  const team: TeamDashboard = await admin.teamDashboard();
  assert.deepEqual(team.summary, {
    totalSessions: 4,
    completedSessions: 3,
    completionRate: 0.75,
    medianDurationMinutes: 20, // of 10, 20, 30
    p90DurationMinutes: 28, // 20 + 0.8 × (30 − 20)
    activeEngineers: 2,
    outcomeBreakdown: { resolved: 2, escalated: 1, workaround: 0, unresolved: 0 },
  });
  assert.deepEqual(team.previousSummary, {
    totalSessions: 1,
    completedSessions: 1,
    completionRate: 1,
    medianDurationMinutes: 15,
    p90DurationMinutes: 15,
    activeEngineers: 1,
    outcomeBreakdown: { resolved: 1, escalated: 0, workaround: 0, unresolved: 0 },
  });
  assert.deepEqual(team.topFlows, [
    { treeId: printer, name: 'Printer offline', sessions: 3, completionRate: 0.667, medianDurationMinutes: 15 },
    { treeId: 'c0000000-0000-4000-8000-000000000002', name: 'VPN will not connect', sessions: 1, completionRate: 1, medianDurationMinutes: 30 },
  ]);
  // A tie at 2 sessions: by name, byte order.
  assert.deepEqual(
    team.topEngineers.map((e) => [e.name, e.sessions, e.completionRate, e.medianDurationMinutes]),
    [['Ada Admin', 2, 0.5, 30], ['Ben Engineer', 2, 1, 15]],
  );
  const sum = (k: 'sessions' | 'resolved' | 'escalated' | 'workaround' | 'unresolved') => team.timeSeries.reduce((n, p) => n + p[k], 0);
  assert.deepEqual([sum('sessions'), sum('resolved'), sum('escalated'), sum('workaround'), sum('unresolved')], [4, 2, 1, 0, 0]);
  assert.ok(team.timeSeries.length === 30 || team.timeSeries.length === 31, `${team.timeSeries.length} days`);
  assert.equal(team.window.timeZone, 'UTC');
});

test('team dashboard narrowed to one engineer', async () => {
  const team = await admin.teamDashboard('LAST_30_DAYS', ben);
  assert.equal(team.summary.totalSessions, 2);
  assert.equal(team.summary.medianDurationMinutes, 15);
  assert.deepEqual(team.topEngineers.map((e) => e.userId), [ben]);
});

test('personal dashboard', async () => {
  const me = await engineer.myDashboard();
  assert.deepEqual(me.viewer, { id: ben, name: 'Ben Engineer', isTeamAdmin: false });
  const mine = me.myAnalytics!;
  assert.deepEqual(mine.summary, { totalSessions: 2, completedSessions: 2, completionRate: 1, medianDurationMinutes: 15, activeEngineers: 1 });
  assert.deepEqual(mine.topFlows, [{ treeId: printer, name: 'Printer offline', sessions: 2 }]);
  assert.equal(mine.timeSeries.reduce((n, p) => n + p.sessions, 0), 2);
  // @ts-expect-error MyDashboard does not select p90DurationMinutes, so its type has no such field.
  assert.equal(mine.summary.p90DurationMinutes, undefined);
});

test('an engineer may not read the team dashboard', async () => {
  await assert.rejects(engineer.teamDashboard(), (err: unknown) => err instanceof FlowlensError && err.code === 'FORBIDDEN');
});

test('flow dashboard', async () => {
  const flow: FlowDashboard = await admin.flowDashboard(printer);
  assert.deepEqual(flow.flow, { id: printer, name: 'Printer offline' });
  assert.deepEqual(flow.summary, { totalSessions: 3, completedSessions: 2, completionRate: 0.667 });
  assert.equal(flow.avgCsat, 3.5);
  assert.equal(flow.totalRatings, 2);
  assert.deepEqual(flow.ratingDistribution, [1, 2, 3, 4, 5].map((rating) => ({ rating, count: rating === 2 || rating === 5 ? 1 : 0 })));
  assert.deepEqual(flow.stepFeedback, [
    { nodeId: 'power', nodeTitle: 'Is the printer powered on?', helpfulYes: 1, helpfulNo: 0, helpfulRate: 1, visitCount: 2, dropoffCount: 1, dropoffRate: 0.5 },
    { nodeId: 'queue', nodeTitle: 'Clear the print queue', helpfulYes: 0, helpfulNo: 1, helpfulRate: 0, visitCount: 1, dropoffCount: 0, dropoffRate: 0 },
    { nodeId: 'start', nodeTitle: 'Printer offline', helpfulYes: 0, helpfulNo: 0, helpfulRate: 0, visitCount: 3, dropoffCount: 0, dropoffRate: 0 },
  ]);
  assert.deepEqual(flow.recentComments.map((c) => [c.rating, c.comment]), [[5, 'Fixed it quickly'], [2, 'Had to escalate to the vendor']]);
});

test("another account's flow is NOT_FOUND", async () => {
  await assert.rejects(admin.flowDashboard(globexTree), (err: unknown) => err instanceof FlowlensError && err.code === 'NOT_FOUND' && err.message === 'flow not found');
});

// Drill-down: Acme's sessions of the last 30 days. LONGEST: s4 (30 min),
// s2 (20), s1 (10), then s3 (not completed).
const s = (n: number) => `d0000000-0000-4000-8000-00000000000${n}`;

test('paginated drill-down: every page, in order', async () => {
  const first = await admin.teamSessionsPage({ orderBy: 'LONGEST', first: 1 });
  assert.equal(first.totalCount, 4);
  assert.deepEqual(first.edges.map((e) => e.node.id), [s(4)]);
  assert.equal(first.pageInfo.hasNextPage, true);
  assert.equal(first.pageInfo.endCursor, first.edges[0]!.cursor);
  const ids: string[] = [];
  for await (const session of admin.teamSessions({ orderBy: 'LONGEST', first: 1 })) ids.push(session.id);
  assert.deepEqual(ids, [s(4), s(2), s(1), s(3)]);
  // The session behind a figure: rated 2 or less.
  const low = await admin.teamSessionsPage({ filter: { maxCsat: 2 } });
  assert.equal(low.totalCount, 1);
  assert.deepEqual(low.edges[0]!.node, {
    id: s(2),
    flow: { id: printer, name: 'Printer offline' },
    engineer: { id: ben, name: 'Ben Engineer' },
    startedAt: low.edges[0]!.node.startedAt,
    completedAt: low.edges[0]!.node.completedAt,
    durationMinutes: 20,
    outcome: 'ESCALATED',
    csat: 2,
    stepCount: 2,
    steps: [
      { nodeId: 'start', nodeTitle: 'Printer offline' },
      { nodeId: 'queue', nodeTitle: 'Clear the print queue' },
    ],
  });
  // Drop-offs at "power": s3.
  const dropped = await admin.teamSessionsPage({ filter: { droppedOffAt: 'power' } });
  assert.deepEqual(dropped.edges.map((e) => e.node.id), [s(3)]);
});

test('a cursor of another order is BAD_USER_INPUT', async () => {
  const page = await admin.teamSessionsPage({ orderBy: 'NEWEST', first: 1 });
  await assert.rejects(
    admin.teamSessionsPage({ orderBy: 'OLDEST', after: page.pageInfo.endCursor }),
    (err: unknown) => err instanceof FlowlensError && err.code === 'BAD_USER_INPUT' && err.message.startsWith('after: '),
  );
});

test('CSV export of the same rows', async () => {
  const res = await fetch(url.replace(/\/+$/, '') + '/export/sessions.csv?view=team&orderBy=LONGEST', {
    headers: { Authorization: `Bearer ${process.env.FLOWLENS_TOKEN}` },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
  const lines = (await res.text()).split('\r\n');
  assert.equal(lines[0], 'session_id,flow_id,flow_name,engineer_id,engineer_name,started_at,completed_at,duration_minutes,outcome,csat,step_count,last_node_id');
  assert.deepEqual(lines.slice(1, -1).map((l) => l.split(',')[0]), [s(4), s(2), s(1), s(3)]);
  assert.equal(lines.at(-1), '');
});
