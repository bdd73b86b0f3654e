# real-packages: util-linux mount coreutils grep sed procps
# namespaces: util-linux's unshare and nsenter. A UTS namespace (a host name set inside and
# not outside), a mount namespace (a tmpfs mounted inside, invisible outside, propagation made
# private as unshare does by default), user namespaces (unshare -U with and without -r: ids,
# the maps, setgroups; as user 1000 through setpriv), an IPC namespace (a segment made with
# ipcmk is not seen inside), nsenter into a running process's UTS and mount namespaces, and
# the /proc/PID/ns links, a PID namespace (`unshare -p -f`: the shell is pid 1 there; with
# --mount-proc, /proc and ps show the namespace's pids), a time namespace (`unshare -T` with
# --monotonic/--boottime offsets: /proc/self/timens_offsets, /proc/uptime and the ns links
# inside, with and without --fork: without, the program stays outside and only its children
# go in; nsenter -T into it). Normalised: namespace inode numbers, ipcs' keys and ids. Left out: `unshare -n` (network namespaces), lsns (it lists the
# network namespace Ferrux does not have).
ino() { sed -e 's/\[[0-9]*\]/[N]/'; }
echo "== links"
readlink /proc/self/ns/uts | ino; readlink /proc/self/ns/mnt | ino; readlink /proc/self/ns/user | ino
[ "$(readlink /proc/self/ns/uts)" = "$(readlink /proc/$$/ns/uts)" ] && echo "same uts as the shell"
[ "$(readlink /proc/self/ns/uts)" != "$(unshare -u readlink /proc/self/ns/uts)" ] && echo "unshare -u: another uts"
stat -L -c '%F %a' /proc/self/ns/uts
echo "== uts"
busybox hostname outer-host
unshare -u sh -c 'busybox hostname inner-host; uname -n; cat /proc/sys/kernel/hostname'
uname -n
unshare --uts sh -c 'uname -n'
echo "== mount"
mkdir -p m
unshare -m sh -c 'mount -t tmpfs -o size=1m inner m && echo hi > m/f && cat m/f && findmnt -n -o SOURCE,FSTYPE "$PWD/m" | sed "s|$PWD|.|"; grep -c " $PWD/m " /proc/self/mountinfo'
ls m | wc -l
findmnt -n "$PWD/m" || echo "not mounted outside"
grep -c " $PWD/m " /proc/self/mountinfo
mount -t tmpfs -o size=1m outer m
unshare -m sh -c 'umount m && echo "unmounted inside"; mountpoint -q m || echo "not a mount point inside"'
mountpoint -q m && echo "still mounted outside"
umount m
unshare -m --propagation unchanged sh -c 'findmnt -n -o PROPAGATION / '
echo "== user"
unshare -U id -u
unshare -U -r id
unshare -U -r sh -c 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups'
unshare -U -r -u sh -c 'busybox hostname user-owned && uname -n'
unshare -U -r sh -c 'busybox hostname nope' 2>&1; echo "sethostname outside status $?"
setpriv --reuid=1000 --regid=1000 --clear-groups unshare -U -r sh -c 'id -u; id -g; cat /proc/self/uid_map'
setpriv --reuid=1000 --regid=1000 --clear-groups unshare -m true 2>&1 | sed 's/^unshare: //'
setpriv --reuid=1000 --regid=1000 --clear-groups unshare -U -r -m sh -c 'mount -t tmpfs none m 2>&1 | sed "s/^mount: //" ; echo status $?' | head -3
echo "== ipc"
id=$(ipcmk -M 4096 | sed 's/[^0-9]//g')
[ -n "$id" ] && echo "segment made"
ipcs -m | grep -c 0x
unshare -i sh -c 'ipcs -m | grep -c 0x'
ipcrm -m "$id" && echo "segment removed"
echo "== pid"
unshare -p -f sh -c 'echo "pid $$"'
unshare -p -f --mount-proc sh -c 'readlink /proc/self; grep -E "^(NSpid|PPid)" /proc/1/status; ps -o pid,ppid,comm'
echo "== time"
readlink /proc/self/ns/time | ino
read up idle < /proc/uptime; [ "${up%%.*}" -lt 1000000 ] && echo "uptime not shifted outside"
unshare -T --fork --monotonic 1000000 --boottime 2000000 sh -c 'cat /proc/self/timens_offsets; read up idle < /proc/uptime; [ "${up%%.*}" -ge 2000000 ] && echo "uptime shifted"; [ "$(readlink /proc/self/ns/time)" = "$(readlink /proc/self/ns/time_for_children)" ] && echo "in its namespace"'
unshare -T --monotonic 1000 --boottime 3000 bash -c 'cat /proc/self/timens_offsets; read up idle < /proc/uptime; [ "${up%%.*}" -lt 1000000 ] && echo "exec: not shifted"; [ "$(readlink /proc/$$/ns/time)" != "$(readlink /proc/$$/ns/time_for_children)" ] && echo "children go elsewhere"; ( read up idle < /proc/uptime; [ "${up%%.*}" -ge 3000 ] && echo "a subshell is shifted" ); true'
mkfifo tready
unshare -T --fork --boottime 5000000 sh -c 'echo ok > tready; exec sleep 60' &
ttarget=$!
cat tready
tpid=$(pgrep -P "$ttarget")
nsenter -t "$tpid" -T sh -c 'read up idle < /proc/uptime; [ "${up%%.*}" -ge 5000000 ] && echo "nsenter -T: shifted"'
kill "$ttarget" "$tpid" 2>/dev/null; wait "$ttarget" 2>/dev/null
echo "== nsenter"
mkfifo ready
unshare -u -m sh -c 'busybox hostname target-host; mount -t tmpfs -o size=1m target m; echo ok > ready; exec sleep 60' &
target=$!
cat ready
nsenter -t "$target" -u uname -n
nsenter -t "$target" -u -m sh -c 'findmnt -n -o SOURCE "$PWD/m" | sed "s|$PWD|.|"'
nsenter --target "$target" --uts --mount -- sh -c 'pwd'
uname -n
kill "$target"; wait "$target" 2>/dev/null; echo "done"
