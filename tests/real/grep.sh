# real-packages: grep coreutils
# grep: -r, -i, -v, -c, -l, -n, -w, -o, -E, -F, -P (PCRE), context, binary files, exit statuses.
# Nothing is normalised; recursive results are sorted (directory order differs by file system).
mkdir -p tree/sub tree/.hidden
printf 'alpha\nBeta\ngamma delta\nALPHA beta\n' > tree/a.txt
printf 'one alpha\ntwo\nthree alphabet\n' > tree/sub/b.log
printf 'secret alpha\n' > tree/.hidden/c.txt
printf 'bin\0ary alpha\n' > tree/bin.dat
echo "== recursive"
grep -r alpha tree | sort
grep -rl alpha tree | sort
grep -rc alpha tree | sort
grep -rn --include='*.txt' -i alpha tree | sort
grep -r --exclude-dir=.hidden -w alpha tree | sort
grep -rL gamma tree | sort
echo "== options"
grep -i beta tree/a.txt; grep -v a tree/a.txt; grep -c a tree/a.txt
grep -o 'al[a-z]*' tree/sub/b.log; grep -w alpha tree/sub/b.log
grep -E '^(one|two)' tree/sub/b.log; grep -F 'a.t' tree/a.txt; echo "F status $?"
grep -P '\bal\w+t\b' tree/sub/b.log; grep -x two tree/sub/b.log
grep -A1 -B1 -n delta tree/a.txt; grep -m1 a tree/a.txt
grep -h alpha tree/a.txt tree/sub/b.log; grep -H two tree/sub/b.log
grep alpha tree/bin.dat; grep -a alpha tree/bin.dat | od -c | head -2
grep --color=always alpha tree/a.txt | od -c | head -3
grep -q alpha tree/a.txt; echo "q status $?"
grep nothing tree/a.txt; echo "no match status $?"
grep alpha nope 2>&1; echo "missing status $?"
grep -s alpha nope; echo "s status $?"
echo "== patterns from a file, stdin"
printf 'two\nthree\n' > pats; grep -f pats tree/sub/b.log
printf 'x1\ny2\nx3\n' | grep -n x
printf 'a\nb\n' | grep -z -c a
