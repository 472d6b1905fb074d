#!/usr/bin/env bash
# Install into a temporary prefix, then build a small consumer with pkg-config and with
# find_package(sipreply), and run both.
set -eu
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cat > "$tmp/consumer.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <sipreply/sipreply.h>
int main(void)
{
    if (strcmp(sr_version(), SR_VERSION_STRING) != 0)
        return 1;
    printf("%s %s\n", sr_version(), sr_errname(SR_EBADMSG));
    return 0;
}
C
libdir=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -1)
export PKG_CONFIG_PATH=$libdir
# the .pc names the prefix it was installed into, as it is (no --define-prefix): the
# README's embedding instructions use plain pkg-config
pcprefix=$(pkg-config --variable=prefix sipreply)
[ "$pcprefix" = "$tmp/prefix" ] || { echo "FAIL: sipreply.pc says prefix=$pcprefix, installed into $tmp/prefix"; exit 1; }
case " $(pkg-config --cflags --libs sipreply) " in
*" -I$tmp/prefix/include "*"-L$tmp/prefix/lib"*) ;;
*) echo "FAIL: pkg-config --cflags --libs: $(pkg-config --cflags --libs sipreply)"; exit 1 ;;
esac
cc -std=c11 -Wall -Werror "$tmp/consumer.c" $(pkg-config --cflags --libs sipreply) \
   -Wl,-rpath,"$(pkg-config --variable=libdir sipreply)" -o "$tmp/pc_consumer"
"$tmp/pc_consumer" | grep -q EBADMSG
# and relocated after the fact (pkg-config --define-prefix), the other way the file allows
mv "$tmp/prefix" "$tmp/moved"
PKG_CONFIG_PATH=${libdir/$tmp\/prefix/$tmp/moved}
[ "$(pkg-config --define-prefix --variable=libdir sipreply)" = "${PKG_CONFIG_PATH%/pkgconfig}" ] ||
    { echo "FAIL: --define-prefix libdir: $(pkg-config --define-prefix --variable=libdir sipreply)"; exit 1; }
mv "$tmp/moved" "$tmp/prefix"
export PKG_CONFIG_PATH=$libdir
mkdir "$tmp/cm"
cat > "$tmp/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(sipreply REQUIRED)
add_executable(consumer ../consumer.c)
target_link_libraries(consumer PRIVATE sipreply::sipreply)
CM
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cm/build" >/dev/null
"$tmp/cm/build/consumer" | grep -q EBADMSG
echo "install: pkg-config and find_package consumers built and ran"
