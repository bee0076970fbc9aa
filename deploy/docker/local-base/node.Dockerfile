# Node 24 on the local Debian root, standing in for node:24-bookworm-slim where nothing can be pulled:
# the Node binary of the repository's own `node` package and the npm that installed it (build context
# made by build.sh), the `node` user (1000:1000) the official image has, and this machine's certificate
# authorities, so npm reaches the registry through whatever this machine reaches it through.
ARG DEBIAN_IMAGE=tiketi-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && echo 'node:x:1000:1000::/home/node:/bin/sh' >> /etc/passwd \
  && echo 'node:x:1000:' >> /etc/group \
  && mkdir -p /home/node && chown 1000:1000 /home/node \
  && node --version && npm --version
CMD ["node"]
