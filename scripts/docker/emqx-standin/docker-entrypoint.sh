#!/bin/sh
# /usr/bin/docker-entrypoint.sh of the LOCAL TEST image aiida-test/emqx-standin:5.8.6
# (a stand-in, NOT an MQTT broker; see /opt/emqx/bin/emqx). Like the real image's entrypoint
# it runs the command it is given, by default `/opt/emqx/bin/emqx foreground`.
set -eu
exec "$@"
