# real-packages: bash dash coreutils diffutils
# bash: functions, arrays, traps, process substitution, coprocesses, subshells, here-documents,
# redirections, arithmetic, pattern matching and `wait`.
# Nothing is normalised: no pid, time or size is printed.

# Functions: locals, recursion, return status, `declare -f`.
fact() { local n=$1; if ((n <= 1)); then echo 1; else echo $((n * $(fact $((n - 1))))); fi; }
echo "fact 10 = $(fact 10)"
counter=0
bump() { local counter=100; counter=$((counter + 1)); global_seen=$counter; return 3; }
bump; echo "bump status $? local $global_seen global $counter"
declare -f fact | head -2

# Arrays: indexed, associative, slices, keys, sorting through a pipe.
fruits=(banana apple "cherry pie" date)
fruits+=(elderberry)
echo "count ${#fruits[@]} second ${fruits[1]} slice ${fruits[*]:1:2}"
unset 'fruits[0]'
echo "indices ${!fruits[*]}"
declare -A colour=([sky]=blue [grass]=green [blood]=red)
for key in $(printf '%s\n' "${!colour[@]}" | sort); do echo "$key=${colour[$key]}"; done
mapfile -t lines < <(printf 'one\ntwo\nthree\n')
echo "mapfile ${#lines[@]}: ${lines[2]}"

# Parameter expansion and pattern matching.
path=/usr/lib/x86_64-linux-gnu/libc.so.6
echo "${path##*/} ${path%/*} ${path/lib/LIB} ${path//lib/L} ${#path}"
[[ $path == */libc.so.* ]] && echo "glob match"
[[ abc123 =~ ^([a-z]+)([0-9]+)$ ]] && echo "regex ${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
shopt -s extglob; x=aaab; echo "extglob ${x/+(a)/A}"

# Arithmetic.
echo "arith $(( (7 ** 3) % 10 )) $(( 1 << 40 )) $(( -17 / 5 )) $(( 0x1f | 0100 ))"
let "y = 6 * 7"; echo "let $y"

# Traps: EXIT in a subshell, ERR, a signal to ourselves, RETURN, DEBUG-free.
( trap 'echo "subshell exit trap"' EXIT; echo "in subshell" )
( trap 'echo "caught USR1"' USR1; kill -USR1 $BASHPID; echo "after USR1" )
( trap 'echo "caught TERM, exiting"; exit 7' TERM; kill -TERM $BASHPID; echo "not reached" )
echo "TERM subshell status $?"
( set -E; trap 'echo "ERR trap at status $?"' ERR; false; echo "after false" )
( trap '' INT; kill -INT $BASHPID; echo "INT ignored" )
f() { trap 'echo "RETURN trap of f"' RETURN; echo "in f"; }; f; trap - RETURN

# Process substitution, both directions.
diff <(printf 'a\nb\nc\n') <(printf 'a\nB\nc\n')
echo "diff status $?"
echo "hello process substitution" > >(tr a-z A-Z > upper.txt)
wait $!; cat upper.txt

# Coprocesses.
coproc BC { while read -r a b; do echo $((a + b)); done; }
# BC_PID goes once bash has reaped the coprocess, which may be before `wait`: keep it.
bc_pid=$BC_PID
for pair in "1 2" "30 12" "100 -1"; do echo "$pair" >&"${BC[1]}"; read -r sum <&"${BC[0]}"; echo "coproc sum $sum"; done
exec {BC[1]}>&-
wait "$bc_pid"; echo "coproc status $?"
coproc UPPER { tr a-z A-Z; }
echo "shout" >&"${UPPER[1]}"; exec {UPPER[1]}>&-
read -r loud <&"${UPPER[0]}"; echo "coproc tr: $loud"; wait

# Background jobs and wait, exit statuses, pipelines.
(exit 3) & p1=$!
(exit 5) & p2=$!
wait $p1; s1=$?; wait $p2; s2=$?; echo "wait statuses $s1 $s2"
sleep 30 & sl=$!; kill $sl; wait $sl; echo "killed sleep status $?"
set -o pipefail; false | true; echo "pipefail $?"; set +o pipefail
true | false | true; echo "PIPESTATUS ${PIPESTATUS[*]}"

# Here-documents, here-strings, redirections, file descriptors.
cat <<END
here-doc with $((2 + 2)) and $(echo substitution)
END
cat <<'END'
quoted $HOME stays
END
tr a-z A-Z <<< "here string"
exec 3> fd3.txt; echo "to fd 3" >&3; exec 3>&-; cat fd3.txt
{ echo out; echo err >&2; } 2>&1 | sort
echo "noclobber:"; set -C; echo x 2>/dev/null > fd3.txt || echo "refused"; set +C

# Strings, printf, read, IFS, case, loops.
printf '%5s|%-5s|%05d|%x|%o|%e\n' ab cd 42 255 8 1234.5
IFS=: read -r u p uid gid rest < /etc/passwd; echo "read $u $uid $gid"
for w in alpha beta gamma; do case $w in a*) echo "$w starts with a";; *m*) echo "$w has m";; *) echo "$w other";; esac; done
i=0; while ((i < 3)); do ((i++)); done; until ((i == 0)); do ((i--)); done; echo "loop i=$i"
select_none=$(echo | { read -r line; echo "read empty [$line]"; }); echo "$select_none"

# eval, source, command -v, type, hash, subshell vs. group.
echo 'sourced_var=42' > lib.sh; . ./lib.sh; echo "sourced $sourced_var"
eval 'evald=$((6*7))'; echo "eval $evald"
type -t cd; type -t fact; type -t ls; command -v sort
x=outer; (x=inner); { x=group; }; echo "x=$x"
echo "bash ${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}"

# /bin/sh is dash on Debian.
sh -c 'echo "dash says $((3 * 3))"'
