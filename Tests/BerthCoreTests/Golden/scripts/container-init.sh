#!/bin/sh
# Rendered by Berth for container web; berthd rewrites this file.
set -eu
HOME='/tmp' USER='ctr-web' LOGNAME='ctr-web'
export HOME USER LOGNAME
umask 0022
for berth_volume in '/var/www' '/data/it'\''s'; do
  [ -w "$berth_volume" ] || echo "berth: volume $berth_volume is not writable by uid $(id -u)" >&2
done
exec /.berth/cmd "$@"
