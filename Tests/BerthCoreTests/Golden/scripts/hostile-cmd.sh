#!/bin/sh
# Rendered by Berth for container web; berthd rewrites this file.
exec '/usr/bin/printf' '%s\000' 'plain' '' ' ' 'it'\''s' ''\''' ''\'''\''' '"' '\' '$HOME' '$(id)' '`id`' '; rm -rf /' 'a
b' '	' '*' '?' '[a]' '~' '-n' '--' '!x' '%s' 'é 漢字' '[0m' ''\''\'\'''\''' "$@"
