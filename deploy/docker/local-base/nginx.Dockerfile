# nginx on the local Debian root, standing in for nginxinc/nginx-unprivileged where nothing can be
# pulled: the same binary layout (/usr/sbin/nginx, /etc/nginx/mime.types), the `nginx` user 101:101 and
# wget for the health check.
ARG DEBIAN_IMAGE=tiketi-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light wget \
  && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
  && echo 'nginx:x:101:101:nginx:/nonexistent:/usr/sbin/nologin' >> /etc/passwd \
  && echo 'nginx:x:101:' >> /etc/group
CMD ["nginx", "-g", "daemon off;"]
