# real-packages: strace bash coreutils sed gawk
# strace: Debian's strace traces bash and the programs it runs (ptrace: PTRACE_SEIZE with
# options, syscall stops with PTRACE_GET_SYSCALL_INFO, fork/clone/exec events and the
# auto-attach of new children, signal-delivery stops, exit reports), with -f and -ff (one file
# per process, printed in creation order, so that no interleaving depends on timing), syscall
# filters, failing calls with their errno, a caught signal, an exit status and -c's counts.
# Normalised (and why): pids and addresses, and the CPU times of SIGCHLD's siginfo (they
# differ between kernels and runs); -c shows only its calls, errors and names columns.
norm() {
	sed -E -e 's/\[pid +[0-9]+\]/[pid N]/g' -e 's/0x[0-9a-f]+/0xA/g' \
		-e 's/(si_pid|si_uid)=[0-9]+/\1=N/g' -e 's/= [0-9]+$/= N/' \
		-e 's/si_utime=[^,]*, si_stime=[^}]*/si_utime=T, si_stime=T/' \
		-e 's/Process [0-9]+/Process N/' \
		-e 's/^([a-z0-9_]+)\([0-9]+,/\1(N,/' -e 's/ +/ /g'
}
echo "== a pipeline, one file per process"
strace -ff -o tr -e trace=execve,clone,clone3,vfork,exit_group,write,pipe,pipe2 \
	bash -c 'echo hi | tr a-z A-Z; /bin/true; echo done' > out.txt 2>&1
echo "status $?"; cat out.txt
for f in $(ls tr.* | sort -t. -k2 -n); do echo "-- process"; norm < "$f"; done
echo "== -f on one process at a time"
strace -f -e trace=execve,exit_group,write bash -c '/bin/echo one; /bin/echo two' 2>&1 | norm
echo "== failing calls"
strace -e trace=openat,close cat /nonexistent 2>&1 | norm
echo "== a caught signal"
strace -e trace=kill,write,rt_sigreturn bash -c 'trap "echo got" USR1; kill -USR1 $$; echo after' 2>&1 | norm
echo "== exit status and killed tracees"
strace -e trace=exit_group bash -c 'exit 3' 2>&1 | norm; echo "status $?"
strace -qq -e trace=none bash -c 'kill -TERM $$' 2>&1 | norm; echo "status $?"
echo "== -c"
strace -c -U calls,errors,name -S name -e trace=write,getpid,close \
	bash -c 'for i in 1 2 3; do echo $i; done; exec 9>&-' 2>&1
