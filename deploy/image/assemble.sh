#!/usr/bin/env bash
# Builds the runnable tree of one service in the current directory (a copy of the repository's
# sources, as .dockerignore lets them into the image): compile every workspace, then reinstall
# production dependencies only, for that service and the libraries it links, and drop what does
# not run. The Dockerfile runs it, and so does deploy/image-smoke.sh, so the recipe proven
# outside a container is the one the image uses.
#   usage: deploy/image/assemble.sh <service>
set -euo pipefail
service="${1:?usage: assemble.sh <service>}"
[ -f "services/$service/package.json" ] || { echo "assemble: no service named '$service' in services/" >&2; exit 64; }

# 1. Everything, dev dependencies included, to compile (tsc, and libraries' types); then the
#    libraries (in the workspaces' order, each after those it imports) and this service.
npm ci --no-audit --no-fund
npm run build --if-present --workspace libs --workspace "services/$service"

# 2. Production dependencies of this service's workspace only (npm links the @spor/* libraries
#    it depends on; their dist/ stays, since npm ci replaces node_modules only). No install
#    scripts: nothing the services use needs one, and the Node binary is the image's own.
npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace "services/$service"

# 3. Only what runs: compiled code, package manifests, and the JSON files read at run time
#    (libs/contracts/events, libs/events/schemas). The other services go entirely.
for dir in services/*/; do
  [ "$dir" = "services/$service/" ] || rm -rf "$dir"
done
rm -rf libs/*/src services/*/src libs/testkit deploy tsconfig*.json

# 4. One fixed entry point, so the image's CMD can be exec form without a shell to expand $SERVICE.
printf "import './services/%s/dist/main.js';\n" "$service" > main.mjs
