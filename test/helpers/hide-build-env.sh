#!/bin/sh
# Runs a command as a machine without a toolchain or the client libraries would:
#   unshare -m --propagation private sh test/helpers/hide-build-env.sh CMD ARGS...
# Inside the new mount namespace (root, or a user namespace that may mount overlayfs) it
#  - whites out, in an overlay over /usr/lib/x86_64-linux-gnu, every static archive (*.a)
#    and the shared client libraries libpq.so*, libhiredis.so*, libmariadb.so*, so
#    dlopen("libpq.so.5") fails with ENOENT as on a slim image (ld.so.cache points at
#    a file that is gone, and the search path finds nothing);
#  - mounts empty tmpfs over /usr/include (C/C++ headers, Node's uv.h/node_api.h),
#    /usr/lib/gcc (cc1plus, crt files, libstdc++.a) and /usr/lib/postgresql;
#  - whites out, in an overlay over /usr/bin, cmake, make, cc/c++/gcc/g++ (all versions),
#    ld and pkg-config.
# Debian 12 has a merged /usr (/lib -> usr/lib), so these cover /lib too. Nothing outside
# the namespace changes: the test servers keep running with their libraries.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin  # its own tools; the command gets the PATH it is given
L=/usr/lib/x86_64-linux-gnu
scratch=/mnt
mount -t tmpfs omnidb-hide "$scratch"
mkdir -p "$scratch/lib/upper" "$scratch/lib/work" "$scratch/bin/upper" "$scratch/bin/work"
for f in "$L"/*.a "$L"/libpq.so* "$L"/libhiredis.so* "$L"/libmariadb.so*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  mknod "$scratch/lib/upper/${f##*/}" c 0 0  # an overlay whiteout: the file reads as absent
done
for f in /usr/bin/cmake /usr/bin/make /usr/bin/cc /usr/bin/c++ /usr/bin/*gcc* /usr/bin/*g++* /usr/bin/ld \
         /usr/bin/ld.* /usr/bin/pkg-config /usr/bin/*-pkg-config /usr/bin/pkgconf; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  mknod "$scratch/bin/upper/${f##*/}" c 0 0
done
mount -t overlay omnidb-hide -o "lowerdir=$L,upperdir=$scratch/lib/upper,workdir=$scratch/lib/work" "$L"
for d in /usr/include /usr/lib/gcc /usr/lib/postgresql; do
  [ -d "$d" ] && mount -t tmpfs omnidb-hide "$d"
done
mount -t overlay omnidb-hide -o "lowerdir=/usr/bin,upperdir=$scratch/bin/upper,workdir=$scratch/bin/work" /usr/bin
exec "$@"
