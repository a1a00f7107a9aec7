#!/bin/sh
# embed.sh NAME FILE: FILE as a C array NAME (NUL-terminated) and NAME_len, on stdout: the
# dashboard's assets are built into cirque-web (machines may have no internet, no CDN).
set -e
echo "#include <stddef.h>"
echo "const char $1[] = {"
od -An -v -tx1 "$2" | sed -e 's/[0-9a-f][0-9a-f]/0x&,/g' -e 's/  */ /g'
echo "0x00 };"
echo "const size_t $1_len = sizeof($1) - 1;"
