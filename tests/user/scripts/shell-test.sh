# shell-test: Debian's static busybox sh exercising what a shell needs from the kernel
# (fork, exec, wait, pipes, signals, process groups). Run as init:
#   rdinit=/bin/busybox -- sh /bin/shell-test
# Prints "shell-test: <name> ok" per check, "shell-test: FAIL <name>" on a failure, then
# "shell-test: PASS" if everything passed, and "leak-check: before=N after=N" (free memory
# from sysinfo around 500 fork+exec rounds; Ferrux's boot check requires them equal).
failures=0
check() {
	name=$1
	shift
	if "$@"; then
		echo "shell-test: $name ok"
	else
		echo "shell-test: FAIL $name"
		failures=$((failures + 1))
	fi
}
bb=/bin/busybox

# Pipelines: three processes connected by two pipes.
out=$(echo "one two three" | $bb tr ' ' '\n' | $bb wc -l)
check pipeline [ "$out" -eq 3 ]

# Command substitution nests.
out=$(echo $(echo $(echo nested)))
check command-substitution [ "$out" = nested ]

# Subshells get a copy of the variables and their own exit status.
x=outer
(x=inner; exit 3)
status=$?
check subshell-status [ "$status" -eq 3 ]
check subshell-copy [ "$x" = outer ]

# Here-documents.
out=$($bb cat <<END
line $x
END
)
check here-document [ "$out" = "line outer" ]

# Background jobs and wait, with their exit statuses.
$bb sh -c 'exit 5' &
pid=$!
wait $pid
check background-wait [ $? -eq 5 ]
$bb sleep 0.1 &
$bb sleep 0.1 &
wait
check wait-all [ $? -eq 0 ]

# Traps run on signals sent with kill.
got=
trap 'got=usr1' USR1
kill -USR1 $$
check trap-usr1 [ "$got" = usr1 ]
trap - USR1

# kill ends a background job; wait reports 128 + the signal.
$bb sleep 10 &
pid=$!
kill -TERM $pid
wait $pid
check kill-background [ $? -eq 143 ]

# A stopped job continues.
$bb sh -c 'kill -STOP $$; exit 9' &
pid=$!
$bb sleep 0.1
kill -CONT $pid
wait $pid
check stop-continue [ $? -eq 9 ]

# Exec replaces the subshell; its exit status comes back.
out=$($bb sh -c 'exec /bin/busybox echo execd')
check exec [ "$out" = execd ]

# Named pipes and device nodes made by busybox (mknodat): a FIFO carries data from a
# background writer, whose open waits for the reader; a character node opens its device.
tmp=/tmp/shell-test.$$
$bb mkdir -p $tmp
$bb mkfifo $tmp/fifo
check mkfifo [ -p $tmp/fifo ]
echo through-fifo > $tmp/fifo &
out=$($bb cat $tmp/fifo)
wait
check fifo-data [ "$out" = through-fifo ]
$bb mknod $tmp/null c 1 3
check mknod-char $bb sh -c "[ -c $tmp/null ] && echo x > $tmp/null && [ ! -s $tmp/null ]"
$bb mknod $tmp/pipe p
check mknod-fifo [ -p $tmp/pipe ]
$bb rm -rf $tmp

# 500 forks and execs, with free memory measured around them. A warm-up of the same loop
# and measurement first, so that caches and tables that grow once are already grown.
i=0
while [ $i -lt 100 ]; do
	$bb true
	i=$((i + 1))
done
before=$(/bin/child-helper freeram)
before=$(/bin/child-helper freeram)
i=0
while [ $i -lt 500 ]; do
	$bb true || break
	i=$((i + 1))
done
after=$(/bin/child-helper freeram)
check fork-exec-loop [ $i -eq 500 ]
echo "leak-check: before=${before#freeram=} after=${after#freeram=}"

if [ $failures -eq 0 ]; then
	echo "shell-test: PASS"
fi
exit $failures
