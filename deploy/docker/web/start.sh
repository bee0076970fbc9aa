#!/bin/sh
# Fills the nginx template with PORT and GATEWAY_URL and runs nginx in the foreground.
set -eu
sed -e "s|\${PORT}|${PORT}|g" -e "s|\${GATEWAY_URL}|${GATEWAY_URL}|g" /etc/nginx/tiketi/nginx.conf.template >/tmp/nginx.conf
exec nginx -c /tmp/nginx.conf -g 'daemon off;'
