# One image recipe for every service and sandbox provider, built from the repository root:
#   docker build -f deploy/docker/service.Dockerfile --build-arg SERVICE=reservation -t tiketi/reservation:<tag> .
#   docker build -f deploy/docker/service.Dockerfile --build-arg WORKSPACE_ROOT=sandbox --build-arg SERVICE=toss …
# Services run their TypeScript directly on Node 24, so there is no build step. The production
# dependencies of every service and sandbox are one layer, the same in every image (built once, stored
# once, pulled once); then the shared packages; then the one workspace the image runs.
# NODE_IMAGE is node:24-bookworm-slim in a pipeline; deploy/docker/local-base makes one where nothing can
# be pulled. Only classic Dockerfile instructions are used, so BuildKit and the legacy builder both build it.
ARG NODE_IMAGE=node:24-bookworm-slim

# Every workspace's package.json and the lockfile, so the dependency layer changes only when they do.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /out && cp package.json package-lock.json /out/ \
  && find packages services sandbox apps deploy -name package.json -not -path '*/node_modules/*' \
     -exec cp --parents {} /out/ \;

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /out/ ./
RUN workspaces=$(for dir in services/* sandbox/*; do [ -f "$dir/package.json" ] && printf -- '--workspace=%s ' "$dir"; done) \
  && npm ci --omit=dev --no-audit --no-fund $workspaces \
  && npm cache clean --force \
  && find . -name package.json -not -path './node_modules/*' -not -path ./package.json -delete

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
# Root-owned and read-only to the user the service runs as.
COPY --from=deps /app/ ./
COPY packages ./packages
ARG WORKSPACE_ROOT=services
ARG SERVICE
COPY ${WORKSPACE_ROOT}/${SERVICE} ./${WORKSPACE_ROOT}/${SERVICE}
WORKDIR /app/${WORKSPACE_ROOT}/${SERVICE}
# Ready when the workspace's ready path answers on its port (package.json "tiketi"; as scripts/lib/processes.ts
# reads it: services /readyz, sandboxes /). Patient: on a busy 2-core machine Node alone takes seconds to start.
HEALTHCHECK --interval=10s --timeout=10s --start-period=90s --retries=5 \
  CMD ["node", "-e", "const t = require('./package.json').tiketi ?? {}; const port = t.opsPort ? process.env.OPS_PORT || t.opsPort : process.env.PORT || t.port; const path = t.readyPath ?? (process.cwd().includes('/sandbox/') ? '/' : '/readyz'); fetch(`http://127.0.0.1:${port}${path}`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The image's `node` user (uid 1000), never root.
USER 1000:1000
CMD ["node", "src/main.ts"]
