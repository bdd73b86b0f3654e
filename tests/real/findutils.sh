# real-packages: findutils coreutils grep dash
# findutils: find with tests and actions, `find | xargs`, `find -print0 | xargs -0`, -exec.
# Nothing is normalised: the tree is made here with fixed times, and output is sorted where
# find's order is the directory's order (which may differ between file systems).
mkdir -p src/a/b src/c "src/with space"
for f in src/one.txt src/a/two.txt src/a/b/three.c src/c/four.c "src/with space/five.txt"; do
	printf 'line of %s\n' "$f" > "$f"
done
printf 'x%.0s' {1..5000} > src/c/big.bin
ln -s ../one.txt src/a/link
touch -d '2020-05-05 05:05' src/a/two.txt
chmod 700 src/c/four.c
echo "== names and types"
find src | sort
find src -type f -name '*.c' | sort
find src -type l -printf '%p -> %l\n'
find src -type d -empty; echo "(no empty dirs)"
find src -maxdepth 1 -mindepth 1 -type d | sort
echo "== tests"
find src -size +4k; find src -perm -u=x -type f; find src -not -newermt '2021-01-01' -type f
find src -name '*.txt' -newer src/a/two.txt | sort
find src -path '*/a/*' -prune -o -type f -print | sort
find src -regex '.*/[a-z]+\.c' | sort
find -L src -xtype f -name link
echo "== printf and xargs"
find src -type f -printf '%d %s %m %f\n' | sort
find src -type f -name '*.txt' | sort | xargs cat
find src -type f -print0 | sort -z | xargs -0 wc -c
find src -name '*.c' | sort | xargs -n1 basename
find src -name '*.c' | sort | xargs -I{} sh -c 'echo "[{}]"'
seq 10 | xargs -n 3 echo
echo a b c | xargs -t -n 1 echo 2>&1
printf '1\n2\n3\n4\n' | xargs -P 2 -n 1 sh -c 'echo $0' | sort
echo "== exec and delete"
find src -name '*.c' -exec grep -l four {} \; 
find src -name '*.txt' -exec wc -l {} + | sort
find src -name big.bin -delete; ls src/c
find src/c -name '*.c' -ok echo {} \; < /dev/null; echo "ok status $?"
find nope 2>&1; echo "find status $?"
