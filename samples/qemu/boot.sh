#!/usr/bin/env bash
# Boot the sample guest built by build.sh under QEMU (TCG, serial console on stdio).
# The guest prints "SBX-GUEST-OK ..." and powers off; QEMU then exits with status 0.
# Extra arguments go to QEMU, e.g.: boot.sh -sandbox on
# SBX_GUEST_APPEND adds kernel command line arguments, e.g. SBX_GUEST_APPEND=sbx.steps=disk,net
# (the guest's /init reads sbx.* arguments; see README.md, "Guest steps").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for f in vmlinuz initramfs.cpio.gz; do
  if [ ! -s "$here/build/$f" ]; then
    echo "boot.sh: $here/build/$f missing; run $here/build.sh first" >&2
    exit 2
  fi
done
exec qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 256 \
  -kernel "$here/build/vmlinuz" -initrd "$here/build/initramfs.cpio.gz" \
  -append "console=ttyS0 panic=-1 quiet${SBX_GUEST_APPEND:+ $SBX_GUEST_APPEND}" "$@"
