# real-packages: file coreutils gzip xz-utils tar sed
# real-files: /usr/lib/file/magic.mgc /usr/share/misc/magic.mgc
# file: libmagic's types of common files (text, scripts, ELF programs and libraries, archives,
# images made here, directories, links, devices). Nothing is normalised.
printf 'plain text\n' > text; printf '#!/bin/sh\necho hi\n' > script.sh
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0' > image.png
printf 'GIF89a' > image.gif; printf '%%PDF-1.4\n' > doc.pdf
printf 'a,b\n1,2\n' > data.csv; printf '{"a": 1}\n' > data.json
echo hi | gzip -n > hi.gz; echo hi | xz > hi.xz; tar -cf t.tar text; : > empty
printf '\xef\xbb\xbfutf8 bom\n' > bom.txt; printf 'caf\xc3\xa9\n' > utf8.txt
printf 'line\r\n' > crlf.txt; ln -s text link; mkdir dir
file text script.sh image.png image.gif doc.pdf data.csv data.json hi.gz hi.xz t.tar empty bom.txt utf8.txt crlf.txt link dir
file -L link; file -b --mime-type text image.png hi.gz /usr/bin/bash; file -i utf8.txt
file /usr/bin/ls /usr/lib/x86_64-linux-gnu/libc.so.6 /lib64/ld-linux-x86-64.so.2 /usr/bin/busybox | sed 's/BuildID\[sha1\]=[0-9a-f]*/BuildID/'
file /dev/null /dev/zero /proc/self/status /tmp
file nope; echo "status $?"
