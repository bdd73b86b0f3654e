# real-packages: tar gzip xz-utils bzip2 gawk coreutils findutils diffutils
# tar, gzip and xz: archives made, listed, compared and extracted, with gzip and xz round
# trips (through tar's -z/-J and through pipes), checksums of what comes back.
# Normalised: none. Archive sizes are not printed for gzip (its header carries no time with
# -n, but sizes could still change with the host's package version; both kernels use the same
# binary, so they are compared exactly), and member times are fixed with touch -d.
mkdir -p data/sub data/empty
seq 1 20000 > data/numbers
printf 'hello\n' > data/sub/hello.txt
head -c 100000 /dev/zero > data/zeros
ln -s sub/hello.txt data/link
chmod 750 data/sub
touch -d '2022-02-02 02:02:02' data/numbers data/sub/hello.txt data/zeros data/sub data/empty data
touch -h -d '2022-02-02 02:02:02' data/link
sum_tree() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
echo "== tar plain"
tar -cf plain.tar data; tar -tvf plain.tar --full-time | sort -k6
tar -cf - data | tar -tf - | sort
echo "== tar with gzip"
tar -czf a.tgz data; gzip -t a.tgz && echo "gzip -t ok"
mkdir out1; tar -xzf a.tgz -C out1; sum_tree out1/data
stat -c '%n %a %y' out1/data/sub out1/data/numbers; readlink out1/data/link
diff -r data out1/data && echo "same tree"
echo "== tar with xz"
tar -cJf a.txz data; xz -t a.txz && echo "xz -t ok"; xz -l a.txz | tail -1 | gawk '{print $1, $2}'
mkdir out2; tar -xJf a.txz -C out2; diff -r data out2/data && echo "same tree"
echo "== gzip and xz round trips"
cp data/numbers n1; gzip -9 n1; ls n1*; gzip -d n1.gz; cmp n1 data/numbers && echo "gzip round trip"
cp data/numbers n2; xz -6 n2; ls n2*; unxz n2.xz; cmp n2 data/numbers && echo "xz round trip"
gzip -c < data/numbers | gzip -dc | sha256sum; xz -c < data/numbers | xz -dc | sha256sum
gzip -n -c data/numbers | sha256sum; xz -c -T1 data/numbers | sha256sum
zcat a.tgz | tar -t | sort | head -3; xzcat a.txz | wc -c
gzip -l a.tgz | tail -1 | gawk '{print $2}'
bzip2 -c data/numbers | bunzip2 | cmp - data/numbers && echo "bzip2 round trip"
echo "== tar update, append, exclude, strip"
tar -rf plain.tar -C data sub/hello.txt; tar -tf plain.tar | tail -1
tar -cf ex.tar --exclude='zeros' data; tar -tf ex.tar | sort
mkdir out3; tar -xf plain.tar -C out3 --strip-components=1 data/sub; find out3 | sort
tar -xf plain.tar nope 2>&1; echo "missing member status $?"
echo "corrupt" > bad.gz; gzip -t bad.gz 2>&1; echo "bad gzip status $?"
xz -d < bad.gz 2>&1; echo "bad xz status $?"
