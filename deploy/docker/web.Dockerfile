# The web app: built with Vite (no source maps shipped), served with its security headers by an
# unprivileged nginx on PORT (3000), which passes /api, /media and /queue on to GATEWAY_URL.
#   docker build -f deploy/docker/web.Dockerfile -t tiketi/web:<tag> .
# The base images are build arguments (a pipeline's defaults below; deploy/docker/local-base makes local
# ones where nothing can be pulled).
ARG NODE_IMAGE=node:24-bookworm-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.29-bookworm

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund --workspace=apps/web --include-workspace-root \
  && npm run build --workspace=apps/web -- --sourcemap false \
  && ! find apps/web/dist -name '*.map' | grep . \
  && ! grep -rl 'sourceMappingURL' apps/web/dist

FROM ${NGINX_IMAGE} AS runtime
# The nginx configuration template, its includes and the start script (web/), then the built app.
COPY deploy/docker/web/ /etc/nginx/tiketi/
COPY --from=build /src/apps/web/dist /usr/share/nginx/html
ENV PORT=3000 \
    GATEWAY_URL=http://gateway:3001
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=5 \
  CMD ["sh", "-c", "wget -q -O /dev/null http://127.0.0.1:${PORT}/readyz"]
# nginx-unprivileged's user, never root.
USER 101:101
EXPOSE 3000
ENTRYPOINT ["/bin/sh", "/etc/nginx/tiketi/start.sh"]
