#!/bin/busybox sh
# The first process of the machine scripts/kvm-in-qemu.sh boots (its
# initramfs /init): loads the modules, mounts the host's file system from
# 9p, gives it this machine's own /proc, /sys, /dev, /tmp, /run and a cgroup
# v2 hierarchy, runs the command there as root, and powers off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
stty -F /dev/console -onlcr 2>/dev/null
for m in virtio_pci 9pnet_virtio 9p overlay kvm_amd veth bridge; do
  modprobe "$m" || echo "kvm-in-qemu: modprobe $m failed"
done
[ -c /dev/kvm ] || echo "kvm-in-qemu: no /dev/kvm in the machine (kvm_amd did not load)"

hostname kvm-in-qemu
h=/host
# cache=loose: the machine reads the build tree many times; nothing on the
# host changes it while the command runs.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,access=any host $h ||
  { echo "kvm-in-qemu: mounting the host's file system failed"; poweroff -f; }
mount -t proc proc $h/proc
mount -t sysfs sys $h/sys
mount -t cgroup2 cgroup2 $h/sys/fs/cgroup
mount -t devtmpfs dev $h/dev
# What udev would add to a devtmpfs: bash's process substitution needs /dev/fd.
ln -sf /proc/self/fd $h/dev/fd
ln -sf /proc/self/fd/0 $h/dev/stdin
ln -sf /proc/self/fd/1 $h/dev/stdout
ln -sf /proc/self/fd/2 $h/dev/stderr
mkdir -p $h/dev/pts $h/dev/shm
mount -t devpts devpts $h/dev/pts
mount -t tmpfs shm $h/dev/shm
# /tmp is the machine's own, except the host's folder the command runs in
# when that is under /tmp (a clone in /tmp/ci, say): that one is the host's.
mkdir -p /hosttmp
mount --bind $h/tmp /hosttmp
mount -t tmpfs tmp $h/tmp
keep=$(sed -n 's/.* ptvkeep=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$keep" ]; then
  mkdir -p "$h/tmp/$keep"
  mount --bind "/hosttmp/$keep" "$h/tmp/$keep"
fi
mount -t tmpfs run $h/run

cmd=$(sed -n 's/.* ptvcmd=\([^ ]*\).*/\1/p' /proc/cmdline)
chroot $h /bin/bash -c "ip link set lo up; . $cmd" < /dev/console > /dev/console 2>&1
sync
echo 0 > /proc/sys/kernel/printk
poweroff -f
