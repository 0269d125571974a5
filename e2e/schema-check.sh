#!/usr/bin/env bash
# Schema hygiene of schema.graphqls:
#  1. lint (graphql-schema-linter): every type, field, argument and enum
#     value has a description; types are capitalized, fields and input
#     values camelCase, enum values ALL_CAPS; no unused types; deprecations
#     give a reason;
#  2. breaking changes (graphql-inspector diff) against the schema of the
#     previous commit (HEAD~1, or SCHEMA_BASE=<git ref>). A breaking change
#     fails unless a commit message since that base contains
#     [breaking-schema-ok], or the file schema.breaking-ok names it (one
#     change per line, by its path such as `FlowAnalytics.avgCsat` or by its
#     message; `#` starts a comment).
# SCHEMA_REPO (default: this repository) is the git work tree whose
# schema.graphqls is checked; the test e2e/schema-check.test.mjs points it at
# throwaway repositories. Needs `npm ci` in e2e/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="${SCHEMA_REPO:-$(cd "$here/.." && pwd)}"
bin="$here/node_modules/.bin"
schema="$repo/schema.graphqls"

rules=types-have-descriptions,fields-have-descriptions,arguments-have-descriptions,enum-values-have-descriptions,input-object-values-have-descriptions,types-are-capitalized,fields-are-camel-cased,input-object-values-are-camel-cased,enum-values-all-caps,defined-types-are-used,deprecations-have-a-reason

echo "schema lint: $rules"
"$bin/graphql-schema-linter" --format text --rules "$rules" "$schema"

base="${SCHEMA_BASE:-HEAD~1}"
if ! git -C "$repo" rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
  echo "schema diff: no commit $base (first commit or shallow clone): nothing to compare with"
  exit 0
fi
old="$(mktemp "${TMPDIR:-/tmp}/schema-old.XXXXXX.graphqls")"
trap 'rm -f "$old"' EXIT
if ! git -C "$repo" show "$base:schema.graphqls" >"$old" 2>/dev/null; then
  echo "schema diff: $base has no schema.graphqls: nothing to compare with"
  exit 0
fi
allow_all=0
if git -C "$repo" log --format=%B "$base..HEAD" | grep -qF '[breaking-schema-ok]'; then
  allow_all=1
fi
echo "schema diff: $(git -C "$repo" rev-parse --short "$base") -> working tree"
BREAKING_OK_ALL="$allow_all" BREAKING_OK_FILE="$repo/schema.breaking-ok" \
  "$bin/graphql-inspector" diff "$old" "$schema" --onComplete "$here/schema-breaking.cjs"
