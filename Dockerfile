# syntax=docker/dockerfile:1
# One image recipe for every Spor service (and the gateway):
#   docker build --build-arg SERVICE=reporting -t spor/reporting .
# The build stage compiles every workspace and reassembles the tree with the service's
# production dependencies only (deploy/image/assemble.sh, which deploy/image-smoke.sh runs
# outside Docker too); the runtime stage holds that tree, owned by root and read-only to the
# numeric non-root user the service runs as, so it works on a read-only root filesystem (the
# chart mounts an emptyDir at /tmp, the only place anything may be written).
# Node 24 LTS as the project pins (docs/decisions/0001); pin the digest in your registry mirror.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG SERVICE
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<name of a folder in services/>" >&2; exit 1)
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.npm bash deploy/image/assemble.sh "$SERVICE"

FROM ${NODE_IMAGE}
ARG SERVICE
LABEL org.opencontainers.image.title="spor-${SERVICE}" \
      org.opencontainers.image.licenses="EUPL-1.2"
# The user exists in /etc/passwd (os.userInfo() must work), has no shell and owns nothing here.
RUN groupadd --gid 10001 spor && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin spor
WORKDIR /app
COPY --from=build --chown=0:0 /app /app
ENV NODE_ENV=production \
    PORT=8080 \
    HOME=/tmp \
    TMPDIR=/tmp \
    SPOR_SERVICE=${SERVICE}
USER 10001:10001
EXPOSE 8080
# Exec form: node is PID 1 and receives SIGTERM itself; the service's runtime drains HTTP,
# finishes the event in hand, commits and disconnects (libs/service-kit ServiceRuntime).
# Node starts no child processes, so there are no zombies to reap and no init is needed.
STOPSIGNAL SIGTERM
CMD ["node", "/app/main.mjs"]
