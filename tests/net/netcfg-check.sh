# The guest side of the network configuration check (xtask/src/netcfg.rs), run by busybox sh
# as init on Ferrux and on Debian's Linux, on QEMU's user network. Ferrux boots with
# `ip=dhcp`: the lease it got (/proc/net/pnp, the routes) is reported first. Then, on both
# kernels, what busybox ifconfig and route do to the routing table (the address removed:
# no eth0 route left; set again with a default route: two), and a name resolved by
# getaddrinfo (musl's, through /etc/resolv.conf and QEMU's DNS at 10.0.2.3).
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mkdir -p /etc
for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover \
    net_failover virtio_net; do
    [ -e /lib/modules/net/$m.ko ] && $bb insmod /lib/modules/net/$m.ko 2>/dev/null
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do $bb sleep 0.1; i=$((i + 1)); done
if $bb grep -q "^#PROTO" /proc/net/pnp 2>/dev/null; then
    echo "netcfg: pnp $($bb tr '\n' ' ' < /proc/net/pnp)"
    echo "netcfg: dhcp-routes $($bb grep -c eth0 /proc/net/route) $($bb ip -4 addr show eth0 | $bb grep -o 'inet [0-9./]*')"
    $bb cat /proc/net/pnp > /etc/resolv.conf
else
    echo "nameserver 10.0.2.3" > /etc/resolv.conf
fi
$bb ifconfig eth0 0.0.0.0
echo "netcfg: deconfig $($bb grep -c eth0 /proc/net/route) $($bb ip -4 addr show eth0 | $bb grep -c inet)"
$bb ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
$bb route add default gw 10.0.2.2
echo "netcfg: config $($bb grep -c eth0 /proc/net/route) $($bb route -n | $bb grep '^0.0.0.0' | $bb tr -s ' ')"
echo "netcfg: resolve $(/bin/child-helper resolve deb.debian.org | $bb tr '\n' ' ')"
echo "netcfg: DONE"
$bb poweroff -f
