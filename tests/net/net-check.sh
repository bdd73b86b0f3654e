# The guest side of `cargo xtask test --only net` and of the server rows of `cargo xtask bench`
# (xtask/src/netcheck.rs, xtask/src/bench_servers.rs), run by busybox sh as init on Ferrux and on
# Debian's Linux: brings eth0 up (Ferrux through `ip=`; Linux, whose cloud kernel has virtio_net
# as a module and no `ip=` support, with its modules, ifconfig and route), then starts Debian's
# programs as a Debian system would: nginx (master and a www-data worker) on port 80 serving
# /www, redis-server on 6379 and dropbear on 22 (root's key in /root/.ssh/authorized_keys).
#
# Arguments: MODE HOST_PORT DNS_PORT. MODE `check` also writes a 10 MiB random file (and prints
# its SHA-256), fetches a file from the host's server at 10.0.2.2:HOST_PORT (prints its
# SHA-256) and asks the host's DNS server (port DNS_PORT) for a name over UDP; MODE `bench`
# serves a 4 KiB page only. Both say READY and keep serving until the host's server answers
# /done.
bb=/bin/busybox
mode=$1
host_port=$2
dns_port=$3
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
umask 022
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs -o mode=755 devtmpfs /dev
$bb mkdir -p /dev/pts
$bb mount -t devpts -o gid=5,mode=620,ptmxmode=000 devpts /dev/pts
$bb mount -t tmpfs tmpfs /tmp
$bb chmod 1777 /tmp
$bb mount -t tmpfs -o mode=755 tmpfs /run
echo "nameserver 10.0.2.3" > /etc/resolv.conf
for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover \
    net_failover virtio_net; do
    [ -e /net/modules/$m.ko ] && $bb insmod /net/modules/$m.ko 2>/dev/null
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

$bb mkdir -p /www /var/log/nginx /var/lib/nginx
if [ "$mode" = bench ]; then
    # The 4 KiB page of the wrk row.
    $bb dd if=/dev/zero bs=4096 count=1 2>/dev/null | $bb tr '\0' 'f' > /www/index.html
else
    echo "hello from the guest" > /www/index.html
    $bb dd if=/dev/urandom of=/www/big.bin bs=1048576 count=10 2>/dev/null
    echo "net-check: big $($bb sha256sum < /www/big.bin)"
fi
if nginx -c /etc/nginx/ferrux.conf; then
    echo "net-check: nginx started"
else
    echo "net-check: nginx FAILED"
    $bb cat /var/log/nginx/error.log
fi
redis-server --port 6379 --bind 0.0.0.0 --protected-mode no --save "" --appendonly no \
    --daemonize no --logfile /tmp/redis.log &
if [ "$mode" != bench ]; then
    dropbear -r /etc/dropbear/host_key -p 22 -P /run/dropbear.pid -s -E 2>/tmp/dropbear.log
    echo "net-check: dropbear $?"
    if $bb wget -q -O /tmp/host.bin "http://10.0.2.2:$host_port/host.bin"; then
        echo "net-check: host $($bb sha256sum < /tmp/host.bin)"
    else
        echo "net-check: host FAILED"
    fi
    echo "net-check: dns $($bb nslookup ferrux.test 10.0.2.2:$dns_port 2>&1 | $bb grep -A1 '^Name:' | $bb tr '\n\t' '  ')"
fi
# After the transfers: Linux updates operstate asynchronously (linkwatch).
echo "net-check: eth0 operstate=$($bb cat /sys/class/net/eth0/operstate) mtu=$($bb cat /sys/class/net/eth0/mtu) address=$($bb cat /sys/class/net/eth0/address) carrier=$($bb cat /sys/class/net/eth0/carrier) type=$($bb cat /sys/class/net/eth0/type)"
echo "net-check: READY"
i=0
while ! $bb wget -q -O /dev/null "http://10.0.2.2:$host_port/done" 2>/dev/null; do
    $bb sleep 1
    i=$((i + 1))
    [ $i -gt 900 ] && break
done
echo "net-check: redis log"
$bb tail -5 /tmp/redis.log
echo "net-check: dropbear log"
$bb tail -20 /tmp/dropbear.log 2>/dev/null
$bb grep -E 'emerg|alert|crit' /var/log/nginx/error.log
$bb grep eth0 /proc/net/dev
echo "net-check: DONE"
