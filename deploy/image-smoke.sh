#!/usr/bin/env bash
# Proves the image recipe without Docker: copies the sources as the Dockerfile's build context
# would (.dockerignore), runs the same deploy/image/assemble.sh, then starts the service from the
# assembled tree the way the image does (node main.mjs, NODE_ENV=production) as an unprivileged
# user that cannot write to the tree (the read-only root filesystem; only /tmp is writable),
# against the local Kafka and MongoDB-wire store, and waits for /readyz.
#   usage: deploy/image-smoke.sh [service]     (default: reporting)
# Not part of npm test: it installs and compiles everything once more (a few minutes).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
service="${1:-reporting}"
port="${SMOKE_PORT:-18980}"
brokers="${KAFKA_BROKERS:-127.0.0.1:9092}"
mongo="${MONGO_URL:-mongodb://127.0.0.1:27017}"
node_bin="$repo/node_modules/node/bin/node"   # Node 24, as the image's base
[ -x "$node_bin" ] || { echo "run npm ci in $repo first (the pinned Node 24 is needed)" >&2; exit 1; }

work="$(mktemp -d /tmp/spor-image-smoke.XXXXXX)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "== build context (sources as .dockerignore admits them) -> $work/app"
mkdir "$work/app"
(cd "$repo" && tar -c --anchored \
  --exclude='*/node_modules' --exclude='node_modules' --exclude='*/dist' --exclude='*.tsbuildinfo' \
  --exclude='libs/*/test' --exclude='services/*/test' --exclude='services/identity/dev' \
  package.json package-lock.json tsconfig.base.json libs services deploy/image) | tar -x -C "$work/app"

echo "== assemble $service (as the Dockerfile's build stage)"
(cd "$work/app" && PATH="$repo/node_modules/.bin:$PATH" bash deploy/image/assemble.sh "$service")
echo "assembled tree: $(du -sh "$work/app" | cut -f1), node_modules: $(du -sh "$work/app/node_modules" | cut -f1)"
if [ -d "$work/app/node_modules/typescript" ] || [ -d "$work/app/node_modules/jest" ]; then
  echo "FAIL: dev dependencies left in the production tree" >&2; exit 1
fi

echo "== start as uid 65534 in a tree it cannot write (read-only root filesystem), NODE_ENV=production"
chmod -R a-w "$work/app"
chmod 755 "$work"
db="image-smoke-$service-$$"
# identity's keys, fresh for this run (32 random bytes each, as <id>:<base64>).
key() { printf '%s:%s' "$1" "$(head -c 32 /dev/urandom | base64 -w0)"; }
identity_env=(SIGNING_KEY_SEAL_KEY="$(key seal)" CPR_ENCRYPTION_KEYS="$(key cpr)" CPR_ENCRYPTION_ACTIVE_KEY=cpr CPR_LOOKUP_KEY="$(key lookup)")
(cd "$work/app" && exec setpriv --reuid=65534 --regid=65534 --clear-groups env -i \
  PATH=/usr/bin:/bin HOME=/tmp TMPDIR=/tmp NODE_ENV=production PORT="$port" LOG_LEVEL=info \
  MONGO_URL="$mongo" KAFKA_BROKERS="$brokers" KAFKA_CLIENT_ID="$db" TOKEN_ISSUER="http://127.0.0.1:$port" \
  "$(echo "$service" | tr a-z- A-Z_)_DB_NAME=$db" \
  "$(echo "$service" | tr a-z- A-Z_)_CONSUMER_GROUP=$db" CONSENT_DIRECTORY_GROUP="$db" \
  "${identity_env[@]}" \
  "$node_bin" main.mjs) > "$work/service.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$port/readyz" > "$work/readyz"; then
    echo "/readyz: $(cat "$work/readyz")"
    echo "/healthz: $(curl -sf "http://127.0.0.1:$port/healthz")"
    kill -TERM "$pid"
    wait "$pid" && echo "stopped on SIGTERM with exit code 0" || { echo "FAIL: exit code $? after SIGTERM" >&2; tail -n 20 "$work/service.log" >&2; exit 1; }
    pid=""
    echo "image smoke for $service: passed"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
echo "FAIL: $service did not become ready; its log:" >&2
tail -n 40 "$work/service.log" >&2
exit 1
