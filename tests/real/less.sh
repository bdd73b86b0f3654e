# real-packages: less coreutils
# real-files: /lib/terminfo
# less in a pty (tests/real/pty-expect.c drives it): paging forward and back, search, a
# window size change, quitting; also as a filter on a pipe (no pty: it behaves like cat).
# Nothing is normalised: pty-expect waits for each screen before it types, so the transcript
# (with escape sequences shown as \e) is the same on every run.
seq -f 'line %g of the file' 100 > hundred
echo "== less on a pipe"
less hundred | head -3
echo "== less in a pty"
export TERM=vt100 LESSHISTFILE=- LESS=
set -o pipefail
/real/pty-expect -s 10x40 /dev/stdin less hundred <<'SCRIPT'
expect line 9 of the file
send  
expect line 18 of the file
send b
expect line 9 of the file
send /line 50\r
expect line 58 of the file
send G
expect (END)
send g
expect line 1 of the file
# The prompt is drawn last: a resize before it would change what less draws.
expect :\e[K
winsize 5 40
expect line 4 of the file
send q
wait
SCRIPT
