# real-packages: gawk coreutils
# gawk: fields and separators, patterns, arrays, printf, functions, getline, pipes to and from
# commands, gensub/strftime with a fixed time, sorting with PROCINFO, math. Nothing is
# normalised: the only time printed is a fixed one.
printf 'alice 30 paris\nbob 25 rome\ncarol 35 paris\ndave 40 oslo\n' > people
gawk '{ print $1, $2 * 2 }' people
gawk '$3 == "paris" { n++ } END { print n " in paris" }' people
gawk '{ age[$3] += $2; count[$3]++ } END { PROCINFO["sorted_in"] = "@ind_str_asc"; for (c in age) printf "%-6s %5.1f\n", c, age[c] / count[c] }' people
gawk -F: -v OFS=';' '$1 == "root" { $1 = "ROOT"; print }' /etc/passwd
gawk 'BEGIN { FS = ","; OFS = "|" } { $1 = $1; print NR, NF, $0 }' <<< $'a,b,c\nd,e'
gawk 'NR % 2 == 0' people
gawk 'function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } BEGIN { print fib(20) }'
gawk 'BEGIN { print length("héllo"), substr("abcdef", 2, 3), index("abc", "c"), toupper("x"), sprintf("%05.2f", 3.14159) }'
gawk 'BEGIN { s = "a-b-c"; n = split(s, parts, "-"); print n, parts[3]; print gensub(/(.)-(.)/, "\\2+\\1", "g", s) }'
gawk 'BEGIN { print strftime("%Y-%m-%d %H:%M:%S", 1000000000, 1) }'
gawk 'BEGIN { printf "%d %o %x %e %c\n", 255, 8, 255, 12345.678, 65 }'
gawk 'BEGIN { print sin(0), cos(0), atan2(0, -1), exp(1), log(10), sqrt(2), int(-3.7), 2 ** 10 }'
gawk 'BEGIN { while (("sort -r people" | getline line) > 0) print "got: " line; close("sort -r people") }'
gawk '{ print $1 | "sort -r" } END { close("sort -r"); print "sorted above" }' people
gawk 'BEGIN { "echo from a command" | getline x; print x; getline y < "people"; print y }'
gawk 'BEGIN { print "to a file" > "out.txt"; close("out.txt"); while ((getline l < "out.txt") > 0) print "read back: " l }'
gawk 'BEGIN { RS = ""; FS = "\n" } { print NR ": " $1 " (" NF " lines)" }' <<< $'p1\nq1\n\np2\n'
gawk 'BEGIN { n = asort(a); split("3 1 2", a); asort(a); print a[1], a[2], a[3] }'
gawk '/bob/,/carol/ { print "range: " $1 }' people
gawk 'BEGIN { x["k"]; if ("k" in x) print "in"; delete x["k"]; print length(x) }'
gawk 'BEGIN { print systime() > 1700000000 }'
gawk 'BEGIN { system("echo system says hi"); exit 3 }'; echo "exit status $?"
gawk 'BEGIN { printf "%s\n", ENVIRON["HOME"] }'
gawk --version | head -1 | cut -d, -f1
gawk '{ print' 2>&1; echo "syntax error status $?"
