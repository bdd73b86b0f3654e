# real-packages: gdb coreutils sed
# real-files: /usr/share/gdb /usr/lib/python3.11
# real-skip: /usr/lib/python3.11/config-3.11-x86_64-linux-gnu /usr/lib/python3.11/test
# real-timeout: 300
# gdb: Debian's gdb runs a program under ptrace (its start-up probes of ptrace's options, the
# shell it starts the program with, exec events), stops at a software breakpoint (int3
# written into the program's text), prints a backtrace, registers and memory, steps, changes
# a register, and lets the program finish; it also attaches to a running process.
# Normalised (and why): addresses and pids (the layout and the pids differ between kernels).
norm() {
	sed -E -e 's/0x[0-9a-f]+/0xA/g' -e 's/process [0-9]+/process N/g' \
		-e 's/Thread [0-9a-fx]+ \(LWP [0-9]+\)/Thread N/g' -e 's/ +/ /g'
}
echo "== a breakpoint in write"
gdb -nx -batch -ex 'set breakpoint pending on' -ex 'break write' -ex run -ex bt \
	-ex 'p $rdi' -ex 'p $rdx' -ex 'p *(char*)$rsi@$rdx' -ex 'stepi' -ex 'p $pc == $pc' \
	-ex continue --args /bin/echo hi 2>&1 | norm
echo "== a changed register: write's count"
gdb -nx -batch -ex 'set breakpoint pending on' -ex 'break write' -ex run \
	-ex 'set $rdx = 2' -ex continue --args /bin/echo hello 2>&1 | norm
echo
echo "== exit code and signals"
gdb -nx -batch -ex run --args /bin/sh -c 'exit 3' 2>&1 | norm
gdb -nx -batch -ex run -ex 'p $_siginfo.si_signo' --args /bin/sh -c 'kill -SEGV $$' 2>&1 |
	norm | grep -v libthread_db
echo "== attach"
sleep 30 &
pid=$!
# Where the attach finds it depends on timing: only the answers and the detach are kept.
gdb -nx -batch -p "$pid" -ex 'p 1+1' -ex 'p $_siginfo.si_signo' -ex detach 2>&1 | norm |
	grep -E '^\$|Inferior|Detaching|Attaching'
kill "$pid"; wait "$pid"; echo "sleep status $?"
