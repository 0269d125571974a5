-- Test fixture of scripts/test-ecosystem: two accounts, each with an admin
-- and an engineer; times relative to now() so the last-30-days window always
-- holds the same sessions. The expected figures are worked out by hand in
-- examples/client/test/dashboard.test.ts.
BEGIN;
INSERT INTO accounts (id, name) VALUES
  ('a0000000-0000-4000-8000-000000000001', 'Acme Support'),
  ('a0000000-0000-4000-8000-000000000002', 'Globex IT');

INSERT INTO users (id, account_id, name, email, is_active, is_team_admin) VALUES
  ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'Ada Admin',    'ada@acme.test',   true, true),
  ('b0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'Ben Engineer', 'ben@acme.test',   true, false),
  ('b0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002', 'Gil Admin',    'gil@globex.test', true, true),
  ('b0000000-0000-4000-8000-000000000004', 'a0000000-0000-4000-8000-000000000002', 'Hal Engineer', 'hal@globex.test', true, false);

INSERT INTO trees (id, account_id, name, tree_structure) VALUES
  ('c0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'Printer offline',
   '{"id":"start","title":"Printer offline","children":[{"id":"power","question":"Is the printer powered on?","children":[{"id":"cable","title":"Check the network cable"}]},{"id":"queue","title":"Clear the print queue"}]}'),
  ('c0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'VPN will not connect',
   '{"id":"vpn","title":"VPN will not connect","children":[{"id":"creds","question":"Are the credentials current?"}]}'),
  ('c0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002', 'Email bounces',
   '{"id":"mail","title":"Email bounces"}');

INSERT INTO sessions (id, tree_id, user_id, started_at, completed_at, outcome, decisions) VALUES
  -- Acme, last 30 days
  ('d0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002',
   now() - interval '2 days', now() - interval '2 days' + interval '10 minutes', 'resolved', '[{"node_id":"start"},{"node_id":"power"}]'),
  ('d0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002',
   now() - interval '3 days', now() - interval '3 days' + interval '20 minutes', 'escalated', '[{"node_id":"start"},{"node_id":"queue"}]'),
  ('d0000000-0000-4000-8000-000000000003', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001',
   now() - interval '5 days', NULL, NULL, '[{"node_id":"start"},{"node_id":"power"}]'),
  ('d0000000-0000-4000-8000-000000000004', 'c0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000001',
   now() - interval '1 day', now() - interval '1 day' + interval '30 minutes', 'resolved', '[{"node_id":"vpn"}]'),
  -- Acme, the 30 days before (previousSummary)
  ('d0000000-0000-4000-8000-000000000005', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002',
   now() - interval '40 days', now() - interval '40 days' + interval '15 minutes', 'resolved', '[{"node_id":"start"}]'),
  -- Globex
  ('d0000000-0000-4000-8000-000000000006', 'c0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000004',
   now() - interval '1 day', now() - interval '1 day' + interval '5 minutes', 'resolved', '[{"node_id":"mail"}]'),
  ('d0000000-0000-4000-8000-000000000007', 'c0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000004',
   now() - interval '2 days', now() - interval '2 days' + interval '6 minutes', 'workaround', '[{"node_id":"mail"}]'),
  -- An Acme tree run by a Globex user: belongs to no account, counted nowhere
  ('d0000000-0000-4000-8000-000000000008', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000004',
   now() - interval '1 day', now() - interval '1 day' + interval '1 minute', 'resolved', '[{"node_id":"start"}]');

INSERT INTO session_ratings (session_id, tree_id, user_id, rating, comment, created_at) VALUES
  ('d0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 5, 'Fixed it quickly', now() - interval '2 days'),
  ('d0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 2, 'Had to escalate to the vendor', now() - interval '3 days'),
  ('d0000000-0000-4000-8000-000000000006', 'c0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000004', 4, 'Globex only', now() - interval '1 day');

INSERT INTO step_ratings (session_id, tree_id, node_id, helpful, user_id, created_at) VALUES
  ('d0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'power', true,  'b0000000-0000-4000-8000-000000000002', now() - interval '2 days'),
  ('d0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001', 'queue', false, 'b0000000-0000-4000-8000-000000000002', now() - interval '3 days');
COMMIT;
