# run-image: the system `cargo xtask run` boots, checked from inside. Run by the image's own
# /init after its set-up, as the interactive shell would be:
#   rdinit=/init -- /bin/sh /bin/run-image
# Checks that the shell finds every busybox applet by name through PATH (the image's
# `busybox --install -s` links), that plain commands and a pipeline run by name, and that
# /init mounted proc on /proc, sysfs on /sys, devtmpfs on /dev, devpts on /dev/pts and tmpfs
# on /tmp and /dev/shm, with the device nodes and /dev/fd links a small Linux system has.
# Prints "run-image: FAIL <what>" for each problem, then "run-image: PASS" if there was none.
failures=0
fail() {
	echo "run-image: FAIL $*"
	failures=$((failures + 1))
}

missing=""
for applet in $(busybox --list); do
	case "$applet" in
	busybox) continue ;;
	esac
	found=$(command -v "$applet") || { missing="$missing $applet"; continue; }
	case "$found" in
	/*) [ -x "$found" ] || missing="$missing $applet" ;;
	esac
done
[ -z "$missing" ] || fail "applets not found by name:$missing"

# Commands by name, a pipeline, and the shell's view of them.
[ "$(echo ferrux | tr a-z A-Z | cat)" = FERRUX ] || fail "pipeline of applets"
[ "$(basename "$(readlink /bin/cat)")" = busybox ] || fail "/bin/cat is not a link to busybox"
ls / >/dev/null || fail "ls"
[ "$(id -u)" = 0 ] || fail "id"

# mounted TYPE DIR: DIR is a mount point of TYPE in /proc/mounts.
mounted() {
	while read -r source dir type rest; do
		[ "$dir" = "$2" ] && [ "$type" = "$1" ] && return 0
	done </proc/mounts
	return 1
}
mounted proc /proc || fail "proc is not mounted on /proc"
mounted sysfs /sys || fail "sysfs is not mounted on /sys"
mounted devtmpfs /dev || fail "devtmpfs is not mounted on /dev"
mounted devpts /dev/pts || fail "devpts is not mounted on /dev/pts"
mounted tmpfs /tmp || fail "tmpfs is not mounted on /tmp"
mounted tmpfs /dev/shm || fail "tmpfs is not mounted on /dev/shm"

for node in console null zero full random urandom tty ptmx kmsg ttyS0; do
	[ -c "/dev/$node" ] || fail "/dev/$node is not a character device"
done
[ -c /dev/pts/ptmx ] || fail "/dev/pts/ptmx missing"
[ "$(readlink /dev/fd)" = /proc/self/fd ] || fail "/dev/fd is not /proc/self/fd"
[ -e /sys/class/mem/null/dev ] || fail "/sys/class/mem/null/dev missing"
echo data >/tmp/run-image && [ "$(cat /tmp/run-image)" = data ] || fail "/tmp is not writable"
[ "$(cat /dev/stdin </tmp/run-image)" = data ] || fail "/dev/stdin"
rm -f /tmp/run-image
[ "$(hostname)" = ferrux ] || fail "hostname"

if [ "$failures" = 0 ]; then
	echo "run-image: PASS"
fi
