// Completion handler of `graphql-inspector diff` (see schema-check.sh): a
// breaking change fails the check unless it is declared intended, all of
// them by a commit message with [breaking-schema-ok] (BREAKING_OK_ALL=1),
// or one by one in schema.breaking-ok (BREAKING_OK_FILE), by path or message.
const { existsSync, readFileSync } = require('node:fs');

module.exports = function onComplete({ breakingChanges }) {
  if (breakingChanges.length === 0) {
    console.log('schema diff: no breaking changes');
    return;
  }
  if (process.env.BREAKING_OK_ALL === '1') {
    console.log(`schema diff: ${breakingChanges.length} breaking change(s) accepted by [breaking-schema-ok] in a commit message`);
    return;
  }
  const file = process.env.BREAKING_OK_FILE;
  const named = new Set(
    file && existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .map((l) => l.replace(/#.*/, '').trim())
          .filter(Boolean)
      : [],
  );
  const unexplained = breakingChanges.filter((c) => !named.has(c.path) && !named.has(c.message));
  for (const c of breakingChanges) {
    const ok = !unexplained.includes(c);
    console.log(`schema diff: breaking: ${c.path ?? '(schema)'}: ${c.message}${ok ? ' (named in schema.breaking-ok)' : ''}`);
  }
  if (unexplained.length) {
    console.error(
      `schema diff: ${unexplained.length} breaking change(s) not declared: name each in schema.breaking-ok ` +
        '(its path or message) or put [breaking-schema-ok] in the commit message',
    );
    process.exit(1);
  }
};
