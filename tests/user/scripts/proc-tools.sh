# proc-tools: busybox's process and filesystem tools reading /proc and /sys, compared with
# what they print on Debian's Linux 6.1 in the same guest. Run as init:
#   rdinit=/bin/busybox -- sh /bin/proc-tools
# Output is normalised where it legitimately differs between kernels: every number becomes N
# (pids, times, memory sizes, load averages) and runs of spaces become one; kernel threads
# (`[kthreadd]`…, which Ferrux does not have) are left out of process lists. What is left —
# headers, columns, mount options, names, states — must match Linux's exactly.
# Prints "proc-tools: <name> ok" per check, "proc-tools: FAIL <name>" and the two texts on a
# mismatch, then "proc-tools: PASS" if everything matched.
bb=/bin/busybox
failures=0
$bb mkdir -p /proc /sys /mnt
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t tmpfs -o size=1m,mode=755,nosuid tmpfs /mnt

normalise() {
	$bb sed -e 's/[0-9][0-9]*/N/g' -e 's/  */ /g' -e 's/^ //' -e 's/ $//'
}

# compare NAME EXPECTED ACTUAL
compare() {
	if [ "$2" = "$3" ]; then
		echo "proc-tools: $1 ok"
	else
		echo "proc-tools: FAIL $1"
		echo "--- expected (Linux)"
		echo "$2"
		echo "--- got"
		echo "$3"
		failures=$((failures + 1))
	fi
}

compare mount "rootfs on / type rootfs (rw,size=Nk,nr_inodes=N,inodeN)
proc on /proc type proc (rw,relatime)
sysfs on /sys type sysfs (rw,relatime)
tmpfs on /mnt type tmpfs (rw,nosuid,relatime,size=Nk,mode=N,inodeN)" "$($bb mount | normalise)"

compare df "Filesystem 1K-blocks Used Available Use% Mounted on
tmpfs 1024 0 1024 0% /mnt" "$($bb df | $bb sed -e 's/  */ /g')"

compare free "total used free shared buff/cache available
Mem: N N N N N N
Swap: N N N" "$($bb free | normalise)"

compare uptime "N:N:N up N min, N users, load average: N.N, N.N, N.N" "$($bb uptime | normalise)"

$bb sleep 100 &
sleeper=$!
$bb ps > /tmp/ps.out
compare ps "PID USER COMMAND
N root /bin/busybox sh /bin/proc-tools
N root /bin/busybox sleep N
N root /bin/busybox ps" "$($bb grep -v ' \[' /tmp/ps.out | normalise)"

compare top-header "Mem: NK used, NK free, NK shrd, NK buff, NK cached
CPU: N% usr N% sys N% nic N% idle N% io N% irq N% sirq
Load average: N.N N.N N.N N/N N
PID PPID USER STAT VSZ %VSZ %CPU COMMAND" "$($bb top -bn1 | $bb head -4 | normalise)"

# The sleeper's own directory: its stat names it, its parent is us.
compare proc-stat "($($bb cat /proc/$sleeper/comm)) S $$" \
	"$($bb cut -d' ' -f2-4 /proc/$sleeper/stat)"
kill $sleeper
wait $sleeper
compare kill "143" "$?"

compare proc-mounts "tmpfs /mnt tmpfs rw,nosuid,relatime,size=1024k,mode=755,inode64 0 0" \
	"$($bb grep ' /mnt ' /proc/mounts)"
compare cpu-online "0" "$($bb cat /sys/devices/system/cpu/online)"
compare self-exe "/bin/busybox" "$($bb readlink /proc/self/exe)"

$bb umount /mnt
if [ $failures -eq 0 ]; then
	echo "proc-tools: PASS"
fi
