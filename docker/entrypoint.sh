#!/bin/sh
# Container start of flowlens (docker-compose.yml): apply the migrations,
# load the demo data on the first start (when the demo team admin does not
# exist yet), prefill the Playground with the demo admin's token in
# development, then serve. Any failure stops the container, which Compose
# restarts.
set -eu
demo_admin=admin@acme.example

# flowlens has no built-in secret; docker-compose.yml passes the operator's.
if [ -z "${JWT_SECRET:-}" ]; then
  echo "entrypoint: JWT_SECRET is not set: give an HS256 secret of at least 32 bytes (README, Docker)" >&2
  exit 2
fi

flowlens migrate
if flowlens token --user "$demo_admin" >/dev/null 2>&1; then
  echo "entrypoint: demo data already loaded"
else
  flowlens seed
fi
if [ -z "${PLAYGROUND_TOKEN:-}" ] && [ "${FLOWLENS_ENV:-development}" != "production" ]; then
  PLAYGROUND_TOKEN="$(flowlens token --user "$demo_admin" --ttl 720h)"
  export PLAYGROUND_TOKEN
fi
exec flowlens serve
