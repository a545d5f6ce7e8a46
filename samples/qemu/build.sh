#!/usr/bin/env bash
# Build the QEMU sample: a Debian kernel plus a tiny busybox initramfs under samples/qemu/build/.
#
# Needs Debian 12 (bookworm), root (for apt-get install) and Debian's apt mirrors; nothing else
# is downloaded. Idempotent: packages already installed, and a kernel already extracted, are
# left alone; the initramfs is rebuilt every run (it takes well under a second) and is
# byte-for-byte reproducible for the same inputs.
#
# Environment:
#   SBX_QEMU_KERNEL_PKG  Debian kernel package to use (default: what linux-image-amd64 depends on)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$here/build"
# strace is not needed to boot; test/e2e/qemu.test.ts uses it as the reference tracer.
# qemu-utils (qemu-img) makes the qcow2 image and is one scenario of qemu.scenarios.json;
# python3 runs the scenario drivers (drivers/*.py).
packages=(qemu-system-x86 qemu-utils busybox-static cpio strace python3)

log() { printf 'build.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $*"
  fi
}

installed() { # pkg -> true when dpkg says "install ok installed"
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = 'install ok installed' ]
}

# apt-get update only when the package lists don't know a package we need.
apt_lists_ok() {
  local p
  for p in "$@"; do
    apt-cache show "$p" >/dev/null 2>&1 || return 1
  done
}

apt_prepare() {
  if ! apt_lists_ok "$@"; then
    log "apt lists lack some of: $* -- running apt-get update"
    as_root apt-get update
    apt_lists_ok "$@" || die "apt cannot find: $*"
  fi
}

# --- 1. host packages ------------------------------------------------------------------------
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_prepare "${missing[@]}"
  log "installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not on PATH after install"
busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox missing (package busybox-static)"
# The initramfs has no libc, so it must be the static build (busybox-static conflicts with busybox).
installed busybox-static || die "busybox-static is not installed (the initramfs needs a static busybox)"

mkdir -p "$build"

# --- 2. kernel (downloaded and unpacked, never installed) --------------------------------------
kernel_pkg="${SBX_QEMU_KERNEL_PKG:-}"
if [ -z "$kernel_pkg" ] && [ -s "$build/kernel.pkg" ] && [ -s "$build/vmlinuz" ]; then
  kernel_pkg="$(cat "$build/kernel.pkg")"    # already built: don't touch apt at all
fi
if [ -z "$kernel_pkg" ]; then
  apt_prepare linux-image-amd64
  kernel_pkg="$(apt-cache depends linux-image-amd64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }')"
  [ -n "$kernel_pkg" ] || die "cannot find the kernel package linux-image-amd64 depends on"
fi

if [ -s "$build/vmlinuz" ] && [ "$(cat "$build/kernel.pkg" 2>/dev/null || true)" = "$kernel_pkg" ]; then
  log "kernel: $kernel_pkg (already extracted)"
else
  apt_prepare "$kernel_pkg"
  rm -rf "$build/deb" "$build/kernel-root" "$build/vmlinuz" "$build/kernel.pkg" "$build/kernel.version"
  mkdir -p "$build/deb"
  log "downloading $kernel_pkg (apt-get download; not installed)"
  # As root, apt's _apt sandbox user would need write access to the target directory.
  (cd "$build/deb" && apt-get -o APT::Sandbox::User=root download "$kernel_pkg")
  deb="$(ls "$build/deb/${kernel_pkg}_"*.deb | head -n 1)"
  log "extracting $(basename "$deb")"
  dpkg-deb -x "$deb" "$build/kernel-root"
  vmlinuz="$(ls "$build/kernel-root/boot/vmlinuz-"* | head -n 1)"
  [ -s "$vmlinuz" ] || die "no boot/vmlinuz-* in $deb"
  cp "$vmlinuz" "$build/vmlinuz.tmp" && mv "$build/vmlinuz.tmp" "$build/vmlinuz"
  basename "$vmlinuz" | sed 's/^vmlinuz-//' >"$build/kernel.version"
  dpkg-deb -f "$deb" Version >"$build/kernel.deb-version"
  # Keep kernel-root/lib/modules/<ver>/: later guests will copy virtio modules from there.
  rm -rf "$build/deb"
  printf '%s\n' "$kernel_pkg" >"$build/kernel.pkg"
fi

# --- 3. initramfs ----------------------------------------------------------------------------
root="$build/initramfs-root"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc/sbx-steps}
cp "$busybox" "$root/bin/busybox"
# One symlink per applet, at the path busybox itself reports (bin/sh, sbin/poweroff, ...).
while read -r applet; do
  [ -n "$applet" ] && [ "$applet" != bin/busybox ] || continue
  mkdir -p "$root/$(dirname "$applet")"
  rel="$(realpath --relative-to="$root/$(dirname "$applet")" "$root/bin/busybox")"
  ln -sf "$rel" "$root/$applet"
done < <("$busybox" --list-full)
[ -e "$root/bin/sh" ] || die "busybox did not provide bin/sh"

cp "$here/init" "$root/init"
chmod 0755 "$root/init"
# Guest steps: samples/qemu/steps/<name> become /etc/sbx-steps/<name>; /init runs the ones named
# by sbx.steps= on the kernel command line, in that order (none without it: the plain boot).
if [ -d "$here/steps" ]; then
  for s in "$here/steps"/*; do
    [ -f "$s" ] || continue
    install -m 0755 "$s" "$root/etc/sbx-steps/$(basename "$s")"
  done
fi
mkdir -p "$root/lib/sbx/modules"
install -m 0644 "$here/guest-lib.sh" "$root/lib/sbx/lib.sh"
install -m 0755 "$here/udhcpc.script" "$root/lib/sbx/udhcpc.script"

# Kernel modules for the steps, from the unpacked Debian kernel (no modules.dep there: a
# package's depmod runs at install time, which we skip). Each module's dependencies come from
# its .modinfo "depends=" field; lib/sbx/<target>.modules lists what to insmod, in order.
kver="$(cat "$build/kernel.version")"
moddir="$build/kernel-root/lib/modules/$kver/kernel"
[ -d "$moddir" ] || die "$moddir missing (rm -rf $build and run again)"
module_file() { # name -> path of its .ko / .ko.xz / .ko.zst (dashes and underscores are the same)
  local alt="${1//_/-}" f
  f="$(find "$moddir" \( -name "$1.ko*" -o -name "$alt.ko*" \) -print | LC_ALL=C sort | head -n 1)"
  [ -n "$f" ] || die "kernel module $1 not found under $moddir"
  printf '%s\n' "$f"
}
module_copy() { # name -> copies it, decompressed, to lib/sbx/modules/<name>.ko
  local f out="$root/lib/sbx/modules/$1.ko"
  [ -e "$out" ] && return 0
  f="$(module_file "$1")"
  case "$f" in
    *.ko) cp "$f" "$out" ;;
    *.ko.xz) xz -dc "$f" >"$out" ;;
    *.ko.zst) zstd -qdc "$f" >"$out" ;;
    *.ko.gz) gzip -dc "$f" >"$out" ;;
    *) die "unknown module file type: $f" ;;
  esac
}
module_depends() { # .ko file -> its direct dependencies, one per line
  tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',' '\n' | sed '/^$/d'
}
module_order() { # name -> dependencies first, then the module itself (each once, via $seen)
  local d
  case " $seen " in *" $1 "*) return 0 ;; esac
  seen="$seen $1"
  module_copy "$1"
  for d in $(module_depends "$root/lib/sbx/modules/$1.ko"); do module_order "$d"; done
  printf '%s\n' "$1"
}
for target in virtio_pci virtio_blk virtio_net; do
  seen=''
  module_order "$target" >"$root/lib/sbx/$target.modules"
done

# The net step fetches www/payload.bin from the host (drivers/serve_http.py serves build/www/) and
# compares its sha256 with the one baked in here. Deterministic content, 1 MiB.
mkdir -p "$build/www"
(yes 'sbx qemu sample payload 0123456789abcdefghijklmnopqrstuvwxyz' || true) | head -c 1048576 >"$build/www/payload.bin"
sha256sum "$build/www/payload.bin" | cut -d' ' -f1 >"$root/lib/sbx/payload.sha256"

# Reproducible archive: fixed mtimes, sorted names, root ownership, no gzip timestamp.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -print0 | LC_ALL=C sort -z \
  | cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) \
  | gzip -9 -n >"$build/initramfs.cpio.gz.tmp"
mv "$build/initramfs.cpio.gz.tmp" "$build/initramfs.cpio.gz"

# --- 4. scenario files (qemu.scenarios.json) ---------------------------------------------------
# Disk images the guest's disk step writes to (sparse, recreated on every build so every suite
# starts from the same bytes) and build/run/ for sockets, console files, pid files and
# migration streams (build/run/chroot is the empty directory of the runas-chroot scenario,
# build/run/img/ the qemu-img scenario's).
rm -rf "$build/disk"
mkdir -p "$build/disk" "$build/run/chroot" "$build/run/img"
truncate -s 64M "$build/disk/disk.raw"
qemu-img create -q -f qcow2 "$build/disk/disk.qcow2" 64M

log "ok: kernel $(cat "$build/kernel.version") ($kernel_pkg $(cat "$build/kernel.deb-version")), initramfs $(stat -c %s "$build/initramfs.cpio.gz") bytes"
log "boot with: $here/boot.sh"
