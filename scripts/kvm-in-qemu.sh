#!/usr/bin/env bash
# Runs a command on a KVM host that QEMU emulates, for machines with no
# /dev/kvm of their own (a cloud VM without nested virtualization, a
# container). QEMU's TCG emulates a CPU with AMD-V and nested paging
# (-cpu qemu64,+svm,+npt), a Debian kernel boots on it and loads kvm_amd, and
# the command runs as root in that machine with this machine's file system
# shared read-write over 9p, so the build tree and the sources are the same
# files. The machine has its own /proc, /sys, /dev (with /dev/kvm), /tmp and
# /run, cgroup v2 with every controller, and loopback only.
#
# Everything inside runs under software emulation: correct, and about two
# orders of magnitude slower than hardware. Use it to run the KVM tests and
# commands where there is no KVM; never take a time measured in it for the
# hardware's.
#
#   scripts/kvm-in-qemu.sh [--memory MIB] [--cpus N] -- COMMAND [ARG...]
#
# The command starts in the current directory with PATH, HOME, LANG and the
# PTV_*, CTEST_* and CI variables of the caller; its output is this script's
# output and its exit status this script's. Root only (the 9p share passes
# ownership through). Needs qemu-system-x86 (scripts/setup.sh installs it) and a
# Debian kernel, fetched once into $PTV_THIRD_PARTY_DIR (default
# /var/cache/ptvlab) with apt-get download.
set -euo pipefail

die() {
  echo "kvm-in-qemu: $*" >&2
  exit 2
}

usage="usage: scripts/kvm-in-qemu.sh [--memory MIB] [--cpus N] -- COMMAND [ARG...]"
memory=6144
cpus=$(nproc)
while [[ $# -gt 0 ]]; do
  case $1 in
    --memory | --cpus)
      [[ $# -ge 2 ]] || die "$1 needs a value; $usage"
      if [[ $1 == --memory ]]; then memory=$2; else cpus=$2; fi
      shift 2
      ;;
    --) shift; break ;;
    *) die "unknown option '$1'; $usage" ;;
  esac
done
[[ $# -gt 0 ]] || die "no command; $usage"
[[ $memory =~ ^[0-9]+$ && $memory -ge 512 ]] || die "--memory '$memory' is not a number of MiB >= 512"
[[ $cpus =~ ^[0-9]+$ && $cpus -ge 1 ]] || die "--cpus '$cpus' is not a count >= 1"
[[ $(id -u) -eq 0 ]] || die "needs root (the 9p share passes file ownership through); run it with sudo"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found; run scripts/setup.sh"
busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die "busybox not found; run scripts/setup.sh"

cache=${PTV_THIRD_PARTY_DIR:-/var/cache/ptvlab}/kvm-in-qemu
here=$(cd "$(dirname "$0")" && pwd)

# The kernel: the one Debian's linux-image-amd64 points at, unpacked once.
# The initramfs holds busybox and the modules the machine needs (9p over
# virtio, overlay for containers, veth and bridge for the cluster and
# migration tests, kvm_amd); modules.dep comes from busybox's depmod.
prepare_kernel() {
  local pkg tmp version moddir mods f
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
  [[ -n $pkg ]] || die "cannot tell which kernel linux-image-amd64 depends on; run apt-get update"
  version=${pkg#linux-image-}
  [[ -f $cache/$version/vmlinuz && -f $cache/$version/modules.cpio.gz ]] && { echo "$cache/$version"; return; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1) ||
    die "apt-get download $pkg failed; check the network and apt sources"
  dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/k"
  "$busybox" depmod -b "$tmp/k" "$version"
  moddir=lib/modules/$version
  mkdir -p "$tmp/i/bin" "$tmp/i/$moddir" "$tmp/i/proc" "$tmp/i/sys" "$tmp/i/dev" "$tmp/i/host"
  cp "$busybox" "$tmp/i/bin/busybox"
  mods='/(9p|9pnet_virtio|virtio_pci|overlay|kvm-amd|veth|bridge)\.ko[^:]*:'
  grep -E "$mods" "$tmp/k/$moddir/modules.dep" | tr ': ' '\n\n' | sed '/^$/d' | sort -u > "$tmp/files"
  while read -r f; do
    mkdir -p "$tmp/i/$moddir/$(dirname "$f")"
    cp "$tmp/k/$moddir/$f" "$tmp/i/$moddir/$f"
  done < "$tmp/files"
  grep -F -f "$tmp/files" "$tmp/k/$moddir/modules.dep" > "$tmp/i/$moddir/modules.dep"
  # Written aside and renamed: a run that starts meanwhile never finds half.
  mkdir -p "$cache/$version"
  cp "$tmp"/k/boot/vmlinuz-* "$cache/$version/vmlinuz.$$"
  mv "$cache/$version/vmlinuz.$$" "$cache/$version/vmlinuz"
  (cd "$tmp/i" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -1) > "$cache/$version/modules.$$"
  mv "$cache/$version/modules.$$" "$cache/$version/modules.cpio.gz"
  echo "$cache/$version"
}
kernel_dir=$(prepare_kernel)

# The run's directory, shared with the machine: the command to run and, when
# it ends, its exit status. The machine mounts a tmpfs over /tmp, so this is
# under /var/tmp.
run=$(mktemp -d /var/tmp/ptv-kvm-in-qemu.XXXXXX)
qemu_pid=
cleanup() {
  [[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
  rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The initramfs: the cached busybox and modules, then /init from this
# checkout (the kernel unpacks concatenated archives in turn).
mkdir "$run/i"
cp "$here/kvm-in-qemu-init.sh" "$run/i/init"
chmod +x "$run/i/init"
(cd "$run/i" && echo init | "$busybox" cpio -o -H newc 2>/dev/null | gzip -1) > "$run/init.cpio.gz"
cat "$kernel_dir/modules.cpio.gz" "$run/init.cpio.gz" > "$run/initrd.gz"
{
  echo "cd $(printf '%q' "$PWD")"
  env | grep -E '^(PATH|HOME|LANG|CI|PTV_[A-Z0-9_]*|CTEST_[A-Z0-9_]*)=' | while IFS='=' read -r name value; do
    echo "export $name=$(printf '%q' "$value")"
  done
  printf '%q ' "$@"
  echo
  echo "echo \$? > $(printf '%q' "$run/status")"
} > "$run/cmd.sh"

# The machine mounts its own tmpfs on /tmp; a working directory under /tmp
# (a clone in /tmp, as CI may make) is kept: its top folder is the host's.
keep=
if [[ $PWD == /tmp/* ]]; then
  keep=${PWD#/tmp/}
  keep=${keep%%/*}
  [[ $keep =~ ^[A-Za-z0-9._+-]+$ ]] || die "the working directory '$PWD' has a name the machine cannot take; run it from a folder whose name has no spaces"
fi

# No network card (no iPXE ROM) and no VGA (SeaBIOS prints nothing), the kernel
# quiet: the serial port carries only what the command prints.
# One TCG thread for all the machine's CPUs: with one thread per CPU
# (thread=multi) QEMU 7.2's SVM emulation wedged the whole machine within a
# minute of the KVM suite (every CPU in a soft lockup); one thread ran it
# through.
qemu-system-x86_64 -accel tcg,thread=single -cpu qemu64,+svm,+npt -smp "$cpus" -m "$memory" \
  -nodefaults -no-user-config -display none -serial stdio -monitor none -no-reboot -net none \
  -kernel "$kernel_dir/vmlinuz" -initrd "$run/initrd.gz" \
  -append "console=ttyS0 quiet loglevel=1 panic=-1 ptvcmd=$run/cmd.sh${keep:+ ptvkeep=$keep}" \
  -virtfs local,path=/,mount_tag=host,security_model=passthrough,multidevs=remap,id=host \
  < /dev/null &
qemu_pid=$!
wait "$qemu_pid" || true
qemu_pid=
[[ -f $run/status ]] || { echo "kvm-in-qemu: the machine ended before the command did (see its output above)" >&2; exit 1; }
exit "$(cat "$run/status")"
