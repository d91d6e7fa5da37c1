#!/bin/sh
# Rendered by Berth for container web; berthd rewrites this file.
exec 'httpd' '-f' '-p' '8080' '-h' '/var/www' "$@"
