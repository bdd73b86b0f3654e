# real-packages: coreutils sed grep dash
# coreutils: ls -la, cp -a, mv, ln -s, sort -n, uniq, wc, head, tail, dd, stat, date, touch -d,
# mktemp, df, du, chmod, chown, id, and friends.
# Normalised (and why): the names mktemp makes (random by design) are checked by pattern;
# `date` without a fixed time prints the clock, so only fixed dates are printed; df's used and
# available blocks of the tmpfs it mounts are fixed by its size= and nr_inodes= options; the `..`
# entry of `ls -la` (the work directory's parent, whose time is the clock) is left out;
# dd's transfer rate and time are cut from its summary. Everything else must match exactly.
set -u
mkdir -p tree/sub tree/empty
printf 'one\ntwo\nthree\n' > tree/a.txt
printf '10\n9\n100\n-3\n2.5\n9\n' > tree/numbers
printf 'x\n' > tree/sub/b.txt
touch -d '2024-01-02 03:04:05' tree/a.txt tree/numbers tree/sub/b.txt tree/sub tree/empty tree
chmod 640 tree/numbers
ln -s a.txt tree/link
touch -h -d '2024-01-02 03:04:05' tree/link tree

echo "== ls -la (times fixed by touch -d)"
ls -la --time-style=long-iso tree | sed 1d | grep -v ' \.\.$'
ls -lR --time-style=+%F tree/sub
ls -1 -F tree; ls -d tree/*.txt
echo "== stat"
stat -c '%n %s %F %a %A %U %G %h %y' tree/a.txt tree/link tree/sub
stat -L -c '%n %s %F' tree/link
stat -f -c '%T' /tmp
echo "== cp -a, mv, ln"
cp -a tree copy
ls -la --time-style=long-iso copy | sed 1d | grep -v ' \.\.$'
cp tree/a.txt plain; stat -c '%a' plain
mv copy/a.txt copy/moved.txt; ls copy
mv copy moved-dir; ls -d moved-dir
ln tree/a.txt hard; stat -c '%h' hard tree/a.txt
ln -sf ../tree/a.txt moved-dir/rel; readlink moved-dir/rel; cat moved-dir/rel
readlink -f moved-dir/rel | sed "s|$PWD|.|"
echo "== sort, uniq, wc, head, tail, cut, tr, paste, join, comm, nl, tac, rev-like"
sort -n tree/numbers | tr '\n' ' '; echo
sort -rn tree/numbers | uniq | tr '\n' ' '; echo
sort tree/numbers | uniq -c
sort -u -t, -k2,2 <<< $'a,2\nb,1\nc,2'
printf 'a b\nc d e\n\n' | wc
wc -l tree/a.txt tree/numbers
seq 1 20 > twenty; head -3 twenty | tr '\n' ' '; tail -2 twenty | tr '\n' ' '; tail -n +19 twenty | tr '\n' ' '; head -c 5 twenty | od -c | head -1
echo "a:b:c" | cut -d: -f2,3; echo "hello" | tr 'a-y' 'b-z'
paste -d, <(seq 3) <(seq 4 6); join <(printf '1 a\n2 b\n') <(printf '1 x\n2 y\n'); comm <(printf 'a\nb\n') <(printf 'b\nc\n')
nl -ba tree/a.txt; tac tree/a.txt | tr '\n' ' '; echo
printf 'b\na\n' | sort -c 2>&1; echo "sort -c status $?"
echo "== dd"
dd if=/dev/zero of=zeros bs=1k count=64 2>dd.err; sed -n '1,2p' dd.err
dd if=twenty of=part bs=1 skip=3 count=5 status=none; od -c part | head -1
dd if=/dev/urandom of=rand bs=4096 count=4 status=none; stat -c %s rand
dd if=twenty bs=10 conv=ucase status=none | head -1
echo "== touch, date"
touch -d '2001-09-09 01:46:40' epoch; stat -c '%Y %y' epoch
touch -d @0 zero-time; date -r zero-time '+%F %T %Z'
touch -r epoch ref-copy; stat -c %Y ref-copy
date -d @1234567890 '+%Y-%m-%d %H:%M:%S %A %j %U'
date -u -d '2024-02-29 12:00 +1 day' '+%F %a'
date -d 'TZ="UTC" 2000-01-01' +%s
[ "$(date +%Y)" -ge 2024 ] && echo "clock is set"
echo "== mktemp"
t=$(mktemp); [[ $t == /tmp/tmp.?????????? ]] && echo "mktemp file ok"; stat -c '%a %F' "$t"
d=$(mktemp -d -p . work.XXXX); [[ $d == ./work.???? ]] && echo "mktemp -d ok"; stat -c '%a %F' "$d"
rm -r "$t" "$d"
echo "== chmod, chown, id"
chmod u=rwx,g=rx,o= tree/a.txt; stat -c %A tree/a.txt
chmod -R go-rwx tree/sub; stat -c '%n %a' tree/sub tree/sub/b.txt
chmod 4755 tree/numbers; stat -c %A tree/numbers
chown 1000:1000 tree/a.txt; stat -c '%u %g %U %G' tree/a.txt
chown -h nobody tree/link; stat -c '%U' tree/link
id; id -u; id -gn; id nobody; id -G
echo "== df, du"
mkdir mnt; mount -t tmpfs -o size=4m,nr_inodes=1000 tmpfs mnt
dd if=/dev/zero of=mnt/f bs=1k count=1024 status=none
df -k mnt | sed -e 's/  */ /g'
df -h mnt | sed -e 's/  */ /g'
df -i mnt | sed -e 's/  */ /g'
df --output=fstype,target mnt
du -k mnt/f; du -sh mnt; du -a --apparent-size -b tree | sort -k2
umount mnt
echo "== misc"
basename /a/b/c.txt .txt; dirname /a/b/c.txt; realpath -m /a/../b//c
printf '%s\n' "$(seq -s, 5)" "$(expr 6 \* 7)" "$(factor 360)"
echo "hello" | md5sum; echo "hello" | sha256sum; echo hello | base64; echo aGVsbG8K | base64 -d
yes | head -2; true; echo "true $?"; false; echo "false $?"
test -d tree && test ! -e nope && echo "test ok"
env -i A=1 env; printenv HOME
nproc --all; uname -s; uname -m
sleep 0.1; echo "slept"
timeout 0.2 sleep 5; echo "timeout status $?"
ls nope 2>&1; echo "ls status $?"
rm -rf tree moved-dir; ls
