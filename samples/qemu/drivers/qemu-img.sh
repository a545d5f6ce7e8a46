#!/bin/sh
# The `qemu-img` scenario: the image tool, as a provisioning script would use it, on images
# under build/run/img/ (build.sh makes the directory; every image is created afresh here, so
# each run starts from the same bytes). Every qemu-img call must succeed. Only sh builtins
# besides qemu-img: the profile should hold the shell's and qemu-img's calls, not rm's or grep's.
set -eu
d=build/run/img
[ -d "$d" ] || { echo "qemu-img scenario: $d missing (run build.sh)" >&2; exit 2; }
qemu-img create -q -f qcow2 -o cluster_size=65536 "$d/base.qcow2" 64M
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$d/overlay.qcow2"
qemu-img info --output=json --backing-chain "$d/overlay.qcow2" >/dev/null
# Fill a raw image with data (qemu-io is not in the suite; convert copies what build.sh made).
qemu-img convert -f raw -O raw build/www/payload.bin "$d/data.raw"
qemu-img resize -q -f raw "$d/data.raw" 8M
qemu-img convert -f raw -O qcow2 -c "$d/data.raw" "$d/data.qcow2"
qemu-img check -q "$d/data.qcow2"
qemu-img compare -q -f raw -F qcow2 "$d/data.raw" "$d/data.qcow2"
qemu-img snapshot -c sbx1 "$d/data.qcow2"
case "$(qemu-img snapshot -l "$d/data.qcow2")" in
  *sbx1*) ;;
  *) echo "qemu-img scenario: snapshot sbx1 not listed" >&2; exit 1 ;;
esac
qemu-img map --output=json "$d/data.qcow2" >/dev/null
qemu-img measure -f qcow2 -O raw "$d/data.qcow2" >/dev/null
qemu-img rebase -q -u -b base.qcow2 -F qcow2 "$d/overlay.qcow2"
qemu-img commit -q "$d/overlay.qcow2"
qemu-img amend -q -f qcow2 -o compat=1.1,lazy_refcounts=on "$d/base.qcow2"
qemu-img convert -f qcow2 -O raw -S 4k "$d/data.qcow2" "$d/back.raw"
qemu-img compare -q "$d/data.raw" "$d/back.raw"
qemu-img dd -f raw -O raw if="$d/data.raw" of="$d/dd.raw" bs=64k count=16
echo "qemu-img scenario: create, info, convert (raw, qcow2 compressed), resize, check, compare, snapshot, map, measure, rebase, commit, amend, dd: ok" >&2
