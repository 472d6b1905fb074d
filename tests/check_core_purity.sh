#!/usr/bin/env bash
# src/core is sans-I/O (DESIGN.md): no sockets, clocks, threads, files, rand or direct malloc.
set -u
root=${1:-.}
cd "$root/src/core" || exit 1
bad=0
report() { echo "core purity: $1"; bad=1; }
inc=$(grep -nE '^\s*#\s*include\s*<(sys/socket|netinet/|arpa/|netdb|time|sys/time|pthread|threads|unistd|fcntl|stdio|sys/)' ./*.c ./*.h 2>/dev/null)
[ -n "$inc" ] && report "forbidden include:"$'\n'"$inc"
calls=$(grep -nE '\b(socket|bind|connect|sendto|recvfrom|clock_gettime|gettimeofday|time|rand|srand|random|fopen|printf|fprintf|getenv|pthread_[a-z_]+)\s*\(' ./*.c 2>/dev/null | grep -vE '^\S+:\s*(/\*|\*|//)')
[ -n "$calls" ] && report "forbidden call:"$'\n'"$calls"
mal=$(grep -nE '\b(malloc|calloc|realloc|free)\s*\(' ./*.c 2>/dev/null | grep -v '^./alloc.c:')
[ -n "$mal" ] && report "malloc family outside alloc.c:"$'\n'"$mal"
glob=$(grep -nE '^static\s+[a-z_ ]+\s+[a-z_0-9]+(\[[^]]*\])?\s*(=|;)' ./*.c 2>/dev/null | grep -v 'const')
[ -n "$glob" ] && report "mutable static state:"$'\n'"$glob"
[ $bad -eq 0 ] && echo "core purity: ok"
exit $bad
