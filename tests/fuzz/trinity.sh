#!/bin/busybox sh
# cargo xtask fuzz: the init of the fuzz image (xtask/src/fuzz.rs).
#
# Runs Debian's trinity as nobody (--dropprivs) for $1 seconds with seed $2 and $3 children,
# stops it (SIGINT, then SIGKILL to every process but init), and checks that the system still
# forks, execs and pipes. Prints "fuzz: PASS" or "fuzz: FAIL <why>"; the kernel must neither
# panic nor hang meanwhile.
#
# Sockets are left out (--disable-fds=sockets) while Ferrux has none: trinity would otherwise
# retry socket(2) forever while building its pool of descriptors.
bb=/bin/busybox
seconds=$1
seed=$2
children=$3
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev 2>/dev/null
$bb mkdir -p /tmp/fuzz/victims
$bb chown -R 65534:65534 /tmp/fuzz
cd /tmp/fuzz || exit 1
echo "fuzz: trinity for $seconds s, seed $seed, $children children"
/bin/trinity --dropprivs --disable-fds=sockets -q -l off -C "$children" -s "$seed" \
	-V /tmp/fuzz/victims &
trinity=$!
$bb sleep "$seconds"
echo "fuzz: stopping trinity"
$bb kill -INT "$trinity" 2>/dev/null
waited=0
while $bb kill -0 "$trinity" 2>/dev/null && [ "$waited" -lt 30 ]; do
	$bb sleep 1
	waited=$((waited + 1))
done
# Whatever is left (children that ignored the request, their own children).
$bb kill -KILL -1 2>/dev/null
wait
# Zombies reparented to init may remain until it reaps them; live ones may not.
left=$($bb ps -o stat,comm | $bb grep trinity | $bb grep -vc '^Z')
if [ "$left" != 0 ]; then
	echo "fuzz: FAIL $left trinity processes survived SIGKILL"
	exit 1
fi
answer=$(echo fork-exec-pipe | $bb cat)
if [ "$answer" != fork-exec-pipe ]; then
	echo "fuzz: FAIL fork, exec or pipe broken after the run"
	exit 1
fi
echo "fuzz: PASS"
