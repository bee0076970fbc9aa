# syntax=docker/dockerfile:1.7
# One image recipe for every service (and sandbox provider): build from the repository root with
#   docker build -f deploy/docker/service.Dockerfile --build-arg SERVICE=reservation -t tiketi/reservation:<tag> .
# Services run their TypeScript directly on Node 24, so there is no build step: the image holds the
# production dependencies of one workspace, the shared packages and that workspace's source.
ARG NODE_IMAGE=node:24-bookworm-slim

# Every package.json and the lockfile, so `npm ci` resolves the workspaces without the sources (better caching).
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /out && cp package.json package-lock.json /out/ \
  && find packages services sandbox apps deploy -name package.json -not -path '*/node_modules/*' \
     -exec cp --parents {} /out/ \;

FROM ${NODE_IMAGE} AS deps
ARG SERVICE
ARG WORKSPACE_ROOT=services
WORKDIR /app
COPY --from=manifests /out/ ./
RUN --mount=type=cache,target=/root/.npm \
  test -n "${SERVICE}" || { echo "build arg SERVICE is required" >&2; exit 1; }; \
  npm ci --omit=dev --no-audit --no-fund --workspace="${WORKSPACE_ROOT}/${SERVICE}" \
  && mkdir -p "${WORKSPACE_ROOT}/${SERVICE}/node_modules" packages/kit/node_modules packages/contracts/node_modules

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ARG WORKSPACE_ROOT=services
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=deps /app/packages/kit/node_modules ./packages/kit/node_modules
COPY --from=deps /app/packages/contracts/node_modules ./packages/contracts/node_modules
COPY --from=deps /app/${WORKSPACE_ROOT}/${SERVICE}/node_modules ./${WORKSPACE_ROOT}/${SERVICE}/node_modules
COPY package.json ./
COPY packages/kit ./packages/kit
COPY packages/contracts ./packages/contracts
COPY ${WORKSPACE_ROOT}/${SERVICE} ./${WORKSPACE_ROOT}/${SERVICE}
WORKDIR /app/${WORKSPACE_ROOT}/${SERVICE}
# The image's `node` user (uid 1000): files stay root-owned and read-only to it.
USER 1000:1000
CMD ["node", "src/main.ts"]
