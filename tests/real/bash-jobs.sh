# real-packages: bash dash coreutils
# bash's job control in a pty (tests/real/pty-expect.c plays the user): a foreground job
# stopped with ^Z, listed, continued in the foreground and interrupted with ^C; another
# stopped, continued in the background, listed and killed with `kill %N` and `wait`; a window size change seen by stty and by bash's checkwinsize; an
# EOF (^D) ending the shell.
# bash runs with --noediting (no readline, so no bracketed-paste sequences) and PS1='$ '.
# Normalised: job pids (the number after `[N]`), and the terminal's echo of ^Z, which races
# with bash's report of the stopped job on both kernels (N_TTY echoes the character after it
# has sent the signal, and the woken shell may write first). Every keystroke waits for what the shell or
# the job prints when ready for it, so the transcript does not depend on timing.
export PS1='$ ' TERM=dumb
# The job's CONT trap prints only when the job is the terminal's foreground (its process group
# is the terminal's: fields 5 and 8 of /proc/PID/stat): after `fg` that tells that the job has
# the terminal, and after `bg` nothing races with bash's prompt.
# The job forks nothing while it waits (bash's `read -t` on a FIFO it holds open both ways):
# dash's `sleep 0.1` loop vforks, and a ^Z that lands between vfork and the child's exec stops
# the child while dash waits for it in the uninterruptible vfork wait, so the job never reports
# as stopped and the transcript hangs (seen once on each kernel).
cat > job.sh <<'EOF'
trap 'read -r pid comm state ppid pgrp sid tty tpgid rest < /proc/$$/stat; [ "$pgrp" = "$tpgid" ] && echo continued' CONT
[ -p idle ] || mkfifo idle; exec 9<>idle
echo ready
while :; do read -t 0.1 -u 9; done
EOF
set -o pipefail
/real/pty-expect -t 60 /dev/stdin bash --norc --noprofile --noediting -i <<'SCRIPT' | sed -e 's/^\(\[[0-9]*\]\) [0-9][0-9]*$/\1 PID/' -e 's/\^Z//g'
expect $ 
send bash job.sh\r
expect ready\r\n
send ^Z
expect Stopped
expect $ 
send jobs\r
expect $ 
send fg %1\r
expect continued\r\n
send ^C
expect $ 
send echo "status $?"\r
expect $ 
send bash job.sh\r
expect ready\r\n
send ^Z
expect Stopped
expect $ 
send bg\r
expect $ 
send jobs\r
expect $ 
send kill %1; wait %1; echo "killed: $?"\r
expect killed: 
expect $ 
send shopt -s checkwinsize\r
expect $ 
winsize 30 100
send stty size\r
expect $ 
send echo "columns $COLUMNS lines $LINES"\r
expect $ 
send ^D
wait
SCRIPT
