# syntax=docker/dockerfile:1
# riskscreen's image: one image for every role, chosen by the command (worker, web,
# sim, run, submit, ...); docker-compose.yml runs it. Two stages: the build stage has
# the compiler toolchain and the devDependencies (TypeScript), the runtime stage only
# what runs. No secret is ever in it: JUHE_KEY, RISKSCREEN_SECRET and the console's
# accounts come from the environment, env files, compose secrets (NAME_FILE) or a
# mounted volume at run time (docs/deploy.md).
#
# Docker does not run where this was written: `npm run check:image` replays these steps
# in a clean directory (scripts/check-image.ts), so a step that cannot run here must be
# one it knows how to stand in for.

FROM node:20-bookworm-slim AS build
# better-sqlite3 is a native addon. Its install script first fetches a prebuilt binary
# for this Node and platform; where that download fails (a builder without access to
# GitHub) it compiles SQLite from source, which needs these.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies in a layer of their own, rebuilt only when the lockfile changes. Install
# scripts are off for `npm ci` because `prepare` (the TypeScript build) needs sources not
# copied yet; then only better-sqlite3's own script runs (its native part). The other
# packages with scripts need none here: esbuild's only checks its binary (tsx, a
# devDependency), and msgpackr-extract's is refused in package.json "allowScripts"
# (msgpackr falls back to JavaScript).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
COPY jobs ./jobs
# Build, then drop the devDependencies (TypeScript, vitest, tsx) from node_modules: the
# runtime stage copies this node_modules, native build of better-sqlite3 included.
# npm keeps TypeScript through the prune: valibot (under @bull-board/api) names it an
# optional peer, for its types only, so it goes by name (23 MB nothing runs).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
# What runs, and nothing else: the compiled code, production dependencies, the
# command's wrapper and the healthcheck, package.json (the version, "type": "module"),
# the console's page (served from src/web/public/, found from dist/ at run time), the
# rubrics to start a custom one from, and the sample list for the demo.
COPY package.json ./
COPY bin ./bin
COPY src/web/public ./src/web/public
COPY rubrics ./rubrics
COPY examples ./examples
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The data dir (stored lists, results; shared by every worker: docs/deploy.md) and the
# config dir (the console's accounts, written by `riskscreen user add`), owned by the
# user the processes run as. The config file starts empty so `riskscreen web` starts
# (with a warning: no accounts yet) before anyone is added; a named volume mounted on
# /config is filled with it on first use. Images run as root by default: not this one.
COPY --chown=node:node deploy/image/riskscreen.config.json /config/riskscreen.config.json
RUN mkdir -p /data \
 && chown node:node /data /config \
 && chmod 700 /config \
 && chmod 600 /config/riskscreen.config.json
USER node
ENV RISKSCREEN_DATA_DIR=/data \
    RISKSCREEN_CONFIG=/config/riskscreen.config.json \
    RISKSCREEN_METRICS_PORT=9464
# 8080: riskscreen web (RISKSCREEN_WEB_PORT); 9464: a worker's /metrics, /healthz and
# /readyz (RISKSCREEN_METRICS_PORT).
EXPOSE 8080 9464
# The default command is a worker, whose readiness is on its metrics port
# (RISKSCREEN_METRICS_PORT). Other roles point the check elsewhere: RISKSCREEN_HEALTH_URL,
# or the URL as the check's argument (compose does that for web and the emulator).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/bin/healthcheck.js"]
# Exec form: node is the process Docker signals, so SIGTERM reaches the worker's
# graceful stop (calls in flight finish, up to RISKSCREEN_SHUTDOWN_TIMEOUT_MS). Run it
# with `--init` (compose: `init: true`) so a PID 1 that reaps zombies sits above it.
ENTRYPOINT ["node", "/app/bin/riskscreen.js"]
CMD ["worker"]
