# real-packages: diffutils coreutils grep
# diffutils: diff (normal, unified, context, side by side, recursive, brief), cmp, diff3,
# sdiff. Normalised: the file times in unified and context headers (made by this script with
# touch -d, so they are fixed too).
printf 'a\nb\nc\nd\ne\n' > old; printf 'a\nB\nc\ne\nf\n' > new
touch -d '2023-03-03 03:03:03' old new
diff old new; echo "status $?"
diff -u old new; diff -c old new
diff -y -W 30 old new
diff --brief old new; diff -q old old; echo "same status $?"
diff -i <(echo ABC) <(echo abc); echo "ignore case status $?"
diff -w <(echo 'a  b') <(echo 'a b'); echo "ignore space status $?"
mkdir -p d1/s d2/s; echo x > d1/s/f; echo y > d2/s/f; echo only > d1/only
touch -d '2023-03-03 03:03:03' d1/s/f d2/s/f d1/only
diff -r d1 d2; diff -ruN d1 d2 | grep -v '^diff'
diff -u old new > p.patch; cp old patched
printf 'a\nb\nc\nd\ne\n' | diff - new | head -2
cmp old new; echo "cmp status $?"; cmp -l old new | head -3; cmp old old && echo "cmp same"
cmp -s old /dev/null; echo "cmp eof status $?"
printf 'a\nb\nc\n' > mine; printf 'a\nb\nc\n' > base; printf 'a\nx\nc\n' > yours
diff3 mine base yours; diff3 -m mine base yours
diff old nope 2>&1; echo "missing status $?"
