# syntax=docker/dockerfile:1.7
# The web app: built with Vite, served as static files by an unprivileged nginx on port 3000.
#   docker build -f deploy/docker/web.Dockerfile -t tiketi/web:<tag> .
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.npm \
  npm ci --no-audit --no-fund --workspace=apps/web --include-workspace-root \
  && npm run build --workspace=apps/web

FROM nginxinc/nginx-unprivileged:1.29-alpine AS runtime
COPY deploy/docker/web.nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /src/apps/web/dist /usr/share/nginx/html
USER 101:101
EXPOSE 3000
