# The guest side of `cargo xtask test --only net` (xtask/src/netcheck.rs), run by busybox sh as
# init on Ferrux and on Debian's Linux: brings eth0 up (Ferrux through `ip=`; Linux, whose
# cloud kernel has virtio_net as a module and no `ip=` support, with its modules, ifconfig and
# route), serves /www with busybox httpd on port 80 (a page and a 10 MiB random file, whose
# SHA-256 it prints), fetches a file from the host's server at 10.0.2.2:$1 and prints its
# SHA-256, asks the host's DNS server (port $2) for a name over UDP, says READY, and keeps
# serving until the host's server answers /done.
bb=/bin/busybox
host_port=$1
dns_port=$2
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t tmpfs tmpfs /tmp
$bb mkdir -p /etc
echo "nameserver 10.0.2.3" > /etc/resolv.conf
for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover \
    net_failover virtio_net; do
    [ -e /lib/modules/net/$m.ko ] && $bb insmod /lib/modules/net/$m.ko 2>/dev/null
done
if ! $bb grep -q eth0 /proc/net/route 2>/dev/null; then
    # No ip= configuration (Linux): wait for the interface, then configure it.
    i=0
    while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do $bb sleep 0.1; i=$((i + 1)); done
    $bb ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
    $bb route add default gw 10.0.2.2
fi
$bb ifconfig lo 127.0.0.1 up 2>/dev/null
echo "net-check: route $($bb grep -c eth0 /proc/net/route)"
$bb mkdir -p /www
echo "hello from the guest" > /www/index.html
$bb dd if=/dev/urandom of=/www/big.bin bs=1048576 count=10 2>/dev/null
echo "net-check: big $($bb sha256sum < /www/big.bin)"
$bb httpd -p 80 -h /www
if $bb wget -q -O /tmp/host.bin "http://10.0.2.2:$host_port/host.bin"; then
    echo "net-check: host $($bb sha256sum < /tmp/host.bin)"
else
    echo "net-check: host FAILED"
fi
echo "net-check: dns $($bb nslookup ferrux.test 10.0.2.2:$dns_port 2>&1 | $bb grep -A1 '^Name:' | $bb tr '\n\t' '  ')"
# After the transfers: Linux updates operstate asynchronously (linkwatch).
echo "net-check: eth0 operstate=$($bb cat /sys/class/net/eth0/operstate) mtu=$($bb cat /sys/class/net/eth0/mtu) address=$($bb cat /sys/class/net/eth0/address) carrier=$($bb cat /sys/class/net/eth0/carrier) type=$($bb cat /sys/class/net/eth0/type)"
echo "net-check: READY"
i=0
while ! $bb wget -q -O /dev/null "http://10.0.2.2:$host_port/done" 2>/dev/null; do
    $bb sleep 1
    i=$((i + 1))
    [ $i -gt 240 ] && break
done
$bb grep eth0 /proc/net/dev
echo "net-check: DONE"
