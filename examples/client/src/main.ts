// Prints the dashboards of the signed-in user:
//   FLOWLENS_URL=http://localhost:8080 FLOWLENS_TOKEN=$(flowlens token --user ...) npm start
import { FlowlensClient, FlowlensError } from './client.ts';

const url = process.env.FLOWLENS_URL ?? 'http://localhost:8080';
const token = process.env.FLOWLENS_TOKEN;
if (!token) {
  console.error('set FLOWLENS_TOKEN (flowlens token --user <id or email>)');
  process.exit(2);
}
const client = new FlowlensClient(url, token);

const me = await client.myDashboard();
console.log(`${me.viewer.name ?? 'Unknown'}: ${me.myAnalytics?.summary.totalSessions} sessions in the last 30 days`);
try {
  const team = await client.teamDashboard();
  console.log(`team: ${team.summary.totalSessions} sessions, completion ${(team.summary.completionRate * 100).toFixed(1)} %`);
  for (const f of team.topFlows) console.log(`  ${f.name}: ${f.sessions} sessions`);
  const busiest = team.topFlows[0];
  if (busiest) {
    const flow = await client.flowDashboard(busiest.treeId);
    console.log(`flow ${flow.flow.name}: CSAT ${flow.avgCsat ?? 'n/a'} from ${flow.totalRatings} ratings`);
  }
} catch (err) {
  if (err instanceof FlowlensError && err.code === 'FORBIDDEN') console.log('team dashboard: for team admins only');
  else throw err;
}
