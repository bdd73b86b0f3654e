# real-packages: man-db groff-base strace
# real-files: /etc/manpath.config /etc/groff /usr/share/groff /usr/lib/man-db
# real-skip: /usr/share/groff/current/font/devps /usr/share/groff/current/font/devdvi /usr/share/groff/current/font/devlj4 /usr/share/groff/current/font/devlbp /usr/share/groff/current/font/devhtml /usr/share/groff/current/font/devcp1047 /usr/share/groff/current/font/devpdf
# man: man-db sandboxes its pipeline with libseccomp (a 455-instruction filter loaded in the
# children that run manconv and the formatter, which keep it over exec); the page must come out
# as on Linux with the filters in force. lexgrog's libseccomp probes the API (strict mode with
# flags, filters with a null program, SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES).
# strace writes one file per process (-ff), counted without addresses.
printf '.TH HELLO 1 2024-01-01 "real" "Tests"\n.SH NAME\nhello \\- say hi\n.SH SYNOPSIS\n.B hello\n[\\fB\\-v\\fR]\n.SH DESCRIPTION\n.B hello\nprints a greeting.\n.TP\n.B \\-v\nbe verbose\n' > hello.1
MANPAGER=cat MANWIDTH=60 man -l hello.1; echo "man status $?"
lexgrog hello.1
MANPAGER=cat MANWIDTH=60 strace -ff -qq -e trace=seccomp -e signal=none -o trace man -l hello.1 > /dev/null; echo "strace status $?"
cat trace.* | sed -E 's/filter=0x[0-9a-f]+/filter=ADDR/' | sort | uniq -c
