# real-packages: procps gawk sysvinit-utils hostname coreutils sed grep
# real-files: /lib/terminfo
# procps: ps aux and other formats, top -bn1, free, uptime, pgrep, pkill, pidof, pwdx, kill,
# sysctl, reading /proc. vmstat is left out: Ferrux has no /proc/vmstat yet.
# Normalised (and why): every number becomes N (pids, times, memory sizes, CPU shares, load
# averages, counts: they depend on the kernel's own memory and on timing), runs of blanks
# become one (column widths follow the numbers), and kernel threads are left out (Linux has
# them as processes: commands in brackets, or VSZ 0; Ferrux's do not show in /proc). What is
# left — headers, users, states, terminals, commands, option handling — must match exactly.
# A number with its decimals is one N: ps prints a share of 100 or more without them.
# `uptime -p` says "1 minute" or "2 minutes": the plural goes with the number (the two
# kernels boot in different times).
num() { sed -e 's/[0-9][0-9.]*/N/g' -e 's/  */ /g' -e 's/^ //' -e 's/ $//'; }
# ps aux without kernel threads (VSZ, the 5th column, is 0 only for them).
user_ps() { gawk 'NR == 1 || $5 != 0'; }
sleep 300 &
sleeper=$!
sh -c 'exec sleep 301' &
other=$!
# Wait until both sleep in sleep(1): ps must not catch one between fork and exec, or before it
# first sleeps (its command and state would depend on timing).
for pid in $sleeper $other; do
	until [ "$(cat /proc/$pid/comm 2>/dev/null)" = sleep ] &&
		[ "$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null)" = S ]; do
		sleep 0.01
	done
done
echo "== ps"
# Each listing goes to a file first, so that the processes of the filter pipeline (whose
# pids come in no fixed order) are not in it.
ps aux > ps.out; user_ps < ps.out | num
ps -ef > ps.out; gawk 'NR == 1 || $NF !~ /^\[/' ps.out | num
ps -o pid,ppid,pgid,sid,tty,stat,user,comm -p $$,$sleeper | num
ps -o comm= -p $sleeper; ps -o args= -p $other; ps -p $sleeper -o stat=,nice=,pri=,cls=
ps -C sleep -o comm=,args= | sort
ps --ppid $$ -o comm= | sort
ps -o user:10,group:10,ruser,euid,egid -p $$
ps -O etime -p 1 | sed -n 1p | num
[ "$(ps -o ppid= -p $$ | tr -d ' ')" = "$PPID" ] && echo "ppid matches"
ps -p 99999; echo "no such pid status $?"
echo "== top"
# A CPU share of 100.0 leaves no blank after `%Cpu(s):` (top pads to five columns).
top -bn1 | head -5 | num | sed 's/^%Cpu(s):N/%Cpu(s): N/'
top -bn1 -p $$ -p $sleeper | sed -n '7,$p' | num
echo "== free, uptime"
free | num; free -m | num; free -h -w | head -1 | num
uptime | num; uptime -p | num | sed -E 's/(minute|hour|day|week)s/\1/g'
echo "== pgrep, pkill, pidof, pwdx"
[ "$(pgrep -x sleep | sort -n | head -1)" = "$sleeper" ] && echo "pgrep found the sleeper"
pgrep -c sleep; pgrep -a -f 'sleep 301' | num; pgrep -l -P $$ | sort -k2 | num
pgrep nothing-like-this; echo "pgrep none status $?"
[ "$(pidof sleep | wc -w)" = 2 ] && echo "pidof found both"
pwdx $$ | sed "s|^$$: |me: |"
pkill -PIPE -f 'sleep 301'; wait $other; echo "sleep 301 status $?"
pkill -x sleep; wait $sleeper; echo "sleep 300 status $?"
pkill -x sleep; echo "pkill none status $?"
echo "== kill, sysctl"
kill -l | head -2; kill -l 15; kill -s 0 $$ && echo "signal 0 ok"
sysctl kernel.ostype kernel.pid_max vm.overcommit_memory fs.nr_open
sysctl -n kernel.hostname; sysctl -w kernel.hostname=real-test; hostname; sysctl nope.nothing 2>&1
echo "== /proc through procps's library"
ps -o vsz=,rss= -p $$ | gawk '{ print ($1 > $2 && $2 > 0) ? "vsz > rss > 0" : "odd" }'
