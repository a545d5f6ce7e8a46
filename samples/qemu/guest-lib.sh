# Helpers for the guest steps (busybox sh), installed as /lib/sbx/lib.sh in the initramfs.

# sbx_arg NAME [DEFAULT]: the value of sbx.NAME=VALUE on the kernel command line.
sbx_arg() {
  _v="$2"
  for _a in $(cat /proc/cmdline); do
    case "$_a" in "sbx.$1="*) _v="${_a#sbx.$1=}" ;; esac
  done
  echo "$_v"
}

# load_modules TARGET: insmod TARGET and its dependencies (build.sh wrote the order).
load_modules() {
  for _m in $(cat "/lib/sbx/$1.modules"); do
    grep -q "^$_m " /proc/modules && continue
    insmod "/lib/sbx/modules/$_m.ko" || { echo "sbx: insmod $_m failed"; return 1; }
  done
}

# wait_for PATH SECONDS: until PATH exists (devices appear asynchronously after insmod).
wait_for() {
  _i=0
  while [ ! -e "$1" ]; do
    [ "$_i" -ge "$(($2 * 10))" ] && { echo "sbx: $1 did not appear within $2 s"; return 1; }
    usleep 100000
    _i=$((_i + 1))
  done
}
