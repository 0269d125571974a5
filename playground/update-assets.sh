#!/usr/bin/env bash
# Fetches the Playground's files from the npm registry (npm pack) into
# playground/assets/ and checks that their SHA-256 equals the SRI values of
# assets.go (the same as gqlgen's stock page). Run it when changing versions,
# after updating the versions and SRI values in assets.go.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fetch() { # package version file-in-package destination-folder
  npm pack --silent "$1@$2" >/dev/null
  mkdir -p "x-$1" "$here/assets/$4"
  tar xzf "$1-$2.tgz" -C "x-$1"
  cp "x-$1/package/$3" "x-$1/package/LICENSE" "$here/assets/$4/"
}
fetch graphiql 4.1.2 graphiql.min.js graphiql-4.1.2
fetch graphiql 4.1.2 graphiql.min.css graphiql-4.1.2
fetch react 18.2.0 umd/react.production.min.js react-18.2.0
fetch react-dom 18.2.0 umd/react-dom.production.min.js react-dom-18.2.0
cd "$here"
for f in assets/*/*.js assets/*/*.css; do
  sri="sha256-$(openssl dgst -sha256 -binary "$f" | base64)"
  if grep -qF "\"${f#assets/}\", \"$sri\"" assets.go; then
    echo "ok   $f $sri"
  else
    echo "DIFF $f $sri (not the value in assets.go)" >&2
    exit 1
  fi
done
