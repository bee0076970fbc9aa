# PostgreSQL, Redis and RabbitMQ on the local Debian root, standing in for the official images where
# nothing can be pulled, for what deploy/compose/servers.yaml asks of them: the server as the command,
# PostgreSQL's data in /var/lib/postgresql/data made on first start (POSTGRES_HOST_AUTH_METHOD=trust or
# POSTGRES_PASSWORD, as the official image reads them), each server as its own unprivileged user.
# Build one with --target postgres|redis|rabbitmq.
ARG DEBIAN_IMAGE=tiketi-local/debian:bookworm

FROM ${DEBIAN_IMAGE} AS postgres
RUN apt-get update -qq \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 \
  && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
  && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
  && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER postgres
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]

FROM ${DEBIAN_IMAGE} AS redis
RUN apt-get update -qq \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \
  && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
USER redis
WORKDIR /var/lib/redis
CMD ["redis-server"]

FROM ${DEBIAN_IMAGE} AS rabbitmq
RUN apt-get update -qq \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server \
  && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
  && mkdir -p /var/lib/rabbitmq && chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
# The official image's logging: to the console, so `docker logs` shows it.
ENV RABBITMQ_LOGS=-
USER rabbitmq
CMD ["rabbitmq-server"]
