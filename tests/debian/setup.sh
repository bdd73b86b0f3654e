#!/bin/sh
# Turns a debootstrapped Debian 12 tree into the root of `cargo xtask image debian`'s disk.
# Run on the host as root: setup.sh ROOT SSH_PUBLIC_KEY_FILE. The image boots with
# root=/dev/vda rw and no initramfs on Ferrux (an initramfs that loads virtio_blk and
# switch_roots on Linux), on sysvinit (see tests/debian/README.md for why not systemd).
set -eu
root=$1
pubkey=$2

# The root on the first virtio disk, checked by fsck at boot (pass 1); /tmp in memory.
cat > "$root/etc/fstab" <<'FSTAB'
# <file system> <mount point> <type> <options> <dump> <pass>
/dev/vda / ext4 rw,errors=remount-ro 0 1
tmpfs /tmp tmpfs nosuid,nodev 0 0
FSTAB

echo debian > "$root/etc/hostname"
cat > "$root/etc/hosts" <<'HOSTS'
127.0.0.1	localhost
127.0.1.1	debian
::1		localhost ip6-localhost ip6-loopback
HOSTS

# root's password is "ferrux"; ssh takes the xtask's key (~/.cache/ferrux/debian/ssh).
echo 'root:ferrux' | chroot "$root" /usr/sbin/chpasswd
install -d -m 700 "$root/root/.ssh"
install -m 600 "$pubkey" "$root/root/.ssh/authorized_keys"

# A login on the serial console only: QEMU -nographic has no virtual terminals.
sed -i -e '/^[1-6]:.*getty/s/^/#/' "$root/etc/inittab"
echo 'T0:2345:respawn:/sbin/getty -L 115200 ttyS0 vt100' >> "$root/etc/inittab"

# The loopback interface; eth0 comes from the kernel's ip= when the guest has a card.
cat > "$root/etc/network/interfaces" <<'IFACES'
auto lo
iface lo inet loopback
IFACES

# No daemon restarts from apt inside a chroot-less guest prompt; apt and dpkg quiet.
echo 'APT::Install-Recommends "false";' > "$root/etc/apt/apt.conf.d/90ferrux"

# Where `cargo xtask compat` puts its checks (the runner and the list go in per run).
install -d "$root/compat"
rm -f "$root/var/cache/apt/archives/"*.deb
