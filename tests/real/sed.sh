# real-packages: sed coreutils
# sed: sed -i (in place, with and without a backup suffix), addresses, hold space, branching,
# s flags, -n/p, -E, -z, y, a/i/c, r/w. Nothing is normalised.
printf 'one\ntwo\nthree\nfour\nfive\n' > f.txt
cp f.txt g.txt
echo "== sed -i"
sed -i 's/o/0/g' f.txt; cat f.txt
sed -i.bak -e '2d' -e '$a\sixth' g.txt; cat g.txt; echo "backup:"; cat g.txt.bak
stat -c '%a %s' g.txt g.txt.bak
chmod 600 g.txt; sed -i 's/one/ONE/' g.txt; stat -c '%a' g.txt; head -1 g.txt
ln -s g.txt link.txt; sed -i --follow-symlinks 's/ONE/uno/' link.txt; stat -c %F link.txt; head -1 g.txt
echo "== addresses and commands"
seq 10 | sed -n '3,5p'; seq 10 | sed -n '/4/,/6/{=;p}'; seq 10 | sed '0~3d' | tr '\n' ' '; echo
seq 5 | sed -n '$p'; seq 5 | sed '2q'; seq 6 | sed -n '2~2p' | tr '\n' ' '; echo
echo 'hello world' | sed -E 's/(\w+) (\w+)/\2 \1/'; echo 'aaa' | sed 's/a/b/2'; echo 'abc' | sed 'y/abc/xyz/'
echo 'Path=/usr/bin' | sed 's|/usr|/opt|'; echo 'MiXeD' | sed 's/.*/\L&/;s/^./\u&/'
printf 'a\nb\nc\n' | sed -n '1!G;h;$p'
printf 'a\nb\nc\n' | sed ':x;N;$!bx;s/\n/,/g'
printf 'x\ny\n' | sed '1i\first' ; printf 'x\ny\n' | sed '2c\changed'
printf 'k1=v1\nk2=v2\n' | sed -n 's/^\(k[0-9]\)=\(.*\)/\2<-\1/p'
printf 'a\0b\0' | sed -z 's/^/>/' | tr '\0' '\n'
echo "inserted" > ins.txt; printf '1\n2\n' | sed '1r ins.txt'
printf 'w1\nw2\n' | sed -n '/2/w out.txt'; cat out.txt
echo 'x' | sed 's/x/a\tb/' | od -c | head -1
sed 's/(/x/' -E f.txt 2>&1; echo "bad regex status $?"
sed -n p nope 2>&1; echo "missing status $?"
