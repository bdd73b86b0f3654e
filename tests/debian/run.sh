#!/bin/bash
# The runner of `cargo xtask compat` (xtask/src/compat.rs), started as init on Debian's image:
# mounts what Debian's boot mounts, then runs each check of /compat/checks.txt
# (`NAME | EXPECT | COMMAND`) with bash under timeout in a scratch directory, printing
#   COMPAT-START NAME
#   COMPAT-OUT NAME LINE      (the first 5 lines of standard output)
#   COMPAT-ERR NAME LINE      (the last 5 lines of standard error)
#   COMPAT-RESULT NAME STATUS MD5-OF-STDOUT SECONDS
# and COMPAT-DONE at the end, then powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb SHELL=/bin/bash USER=root LOGNAME=root
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=000 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev tmpfs /dev/shm
mount -t tmpfs -o nosuid,nodev,mode=755 tmpfs /run
mkdir -p /run/lock
mount -t tmpfs -o nosuid,nodev tmpfs /tmp
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
hostname debian
ip link set lo up 2>/dev/null
echo "COMPAT-BOOTED $(cut -d' ' -f1 /proc/uptime)"

limit=${COMPAT_LIMIT:-180}
while IFS= read -r line; do
	case "$line" in '' | '#'*) continue ;; esac
	name=${line%% | *}
	rest=${line#* | }
	cmd=${rest#* | }
	work=/tmp/work-$name
	mkdir -p "$work"
	echo "COMPAT-START $name"
	start=$(date +%s.%N)
	(cd "$work" && exec timeout -k 5 "$limit" bash -c "$cmd") </dev/null >/tmp/out 2>/tmp/err
	status=$?
	end=$(date +%s.%N)
	head -n 5 /tmp/out | cut -c1-200 | sed "s/^/COMPAT-OUT $name /"
	tail -n 5 /tmp/err | cut -c1-200 | sed "s/^/COMPAT-ERR $name /"
	md5=$(md5sum < /tmp/out | cut -d' ' -f1)
	echo "COMPAT-RESULT $name $status $md5 $(echo "$end - $start" | awk '{printf "%.2f", $1 - $3}')"
done < /compat/checks.txt
echo COMPAT-DONE
sync
mount -o remount,ro / 2>/dev/null
poweroff -f
