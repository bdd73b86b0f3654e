# real-packages: perl-base
# real-files: /usr/lib/x86_64-linux-gnu/perl-base
# perl (Debian's perl-base: the interpreter and its core modules) with `perl -e` one-liners:
# regular expressions (captures, named groups, global matches, substitution, tr, split),
# hashes, sprintf and pack, sort (numeric, by several keys, Schwartzian transform), file I/O
# (open modes, seek, stat, -X tests, opendir, rename, unlink, in-place editing with -i),
# fork/wait/waitpid with exit statuses and signals, pipes to and from children, exec, system
# and backticks, %ENV, local signal handlers, POSIX and Fcntl (flock), select on a pipe.
# Normalised: nothing; pids and times are compared, not printed.
seq 1 20 > numbers
printf 'banana 3\napple 10\ncherry 7\napple 2\n' > fruit
echo "== regular expressions"
perl -e 'my $s = "2026-12-05 version 6.1.0"; my ($y, $m, $d) = $s =~ /^(\d+)-(\d+)-(\d+)/; print "$y|$m|$d\n"; print "$+{major}.$+{minor}\n" if $s =~ /(?<major>\d+)\.(?<minor>\d+)/;'
perl -e '$_ = "a1b22c333"; my @n = /(\d+)/g; print "@n\n"; (my $t = $_) =~ s/(\d+)/<$1>/g; print "$t\n"; (my $u = $_) =~ tr/a-c/A-C/; print "$u\n"; print join("|", split /\d+/), "\n";'
perl -e 'my $c = () = "aXbXcX" =~ /X/g; print "count $c\n"; print "case\n" if "HeLLo" =~ /^hello$/i; my $x = "x" x 3; print "$x\n"; print "nongreedy ", "<<a>><<b>>" =~ /<<(.+?)>>/, "\n"'
perl -ne 'print if /^1[0-3]$/' numbers
perl -pe 's/(\w+) (\d+)/$2:$1/' fruit
perl -lane 'print $F[1] * 2' fruit
echo "== hashes and sort"
perl -e 'my %h; while (<>) { my ($k, $v) = split; $h{$k} += $v } for (sort keys %h) { print "$_ $h{$_}\n" } print scalar(keys %h), " keys\n"; print exists $h{apple} ? "apple\n" : "", delete $h{banana}, "\n"; print join(",", sort { $h{$b} <=> $h{$a} } keys %h), "\n"' fruit
perl -e 'my @a = sort { $a <=> $b } (10, 9, 100, 1); print "@a\n"; my @b = reverse sort qw(pear fig apple); print "@b\n"; my @c = map { $_->[1] } sort { $a->[0] <=> $b->[0] or $a->[1] cmp $b->[1] } map { [length, $_] } qw(ccc a bb aa b); print "@c\n"'
perl -e 'my %h = (one => 1, two => 2, three => 3); while (my ($k, $v) = each %h) { $r{$v} = $k } print join(" ", map { "$_=$r{$_}" } sort keys %r), "\n"; my @s = grep { $_ % 2 } 1..9; print "@s\n"; use List::Util qw(sum max first reduce shuffle); print sum(1..100), " ", max(3, 9, 2), " ", first { $_ > 3 } (1..9); print " ", reduce { $a * $b } 1..10; print "\n"'
echo "== sprintf and pack"
perl -e 'printf "%5d|%-5s|%05.2f|%x|%o|%e|%s\n", 42, "ab", 3.14159, 255, 8, 12345.678, join(",", map { sprintf "%03b", $_ } 0..4); print sprintf("%.3g %g %s", 1/3, 1e21, 0.1 + 0.2), "\n"'
perl -e 'my $p = pack("NnC a4", 1, 2, 3, "xy"); print length($p), " ", unpack("H*", $p), "\n"; my @u = unpack("NnC", $p); print "@u\n"; print join(",", unpack("(A2)*", "aabbcc")), "\n"'
perl -e 'print 2**53 + 1, " ", 7 / 2, " ", int(7 / 2), " ", -7 % 3, " ", 10 <=> 9, " ", "abc" lt "abd", " ", 1e3, " ", 0x1f, " ", oct("0755"), "\n"'
echo "== file I/O"
perl -e 'open(my $f, ">", "out.txt") or die; print $f "line $_\n" for 1..5; close $f; open($f, ">>", "out.txt") or die; print $f "appended\n"; close $f; open($f, "<", "out.txt") or die; my @l = <$f>; close $f; print scalar(@l), " lines, last: $l[-1]"; print -s "out.txt", " bytes, ", (-f "out.txt" ? "file" : "?"), (-d "." ? " dir" : ""), (-e "nothing" ? "" : " no such"), "\n"'
perl -e 'open(my $f, "+<", "out.txt") or die; seek($f, 5, 0); read($f, my $buf, 1); print "read [$buf] at ", tell($f), "\n"; seek($f, 0, 0); print $f "LINE"; close $f; print `head -1 out.txt`; my @st = stat "out.txt"; printf "mode %o size %d nlink %d\n", $st[2] & 07777, $st[7], $st[3]'
perl -e 'mkdir "dir" or die; for (qw(c a b)) { open(my $f, ">", "dir/$_") or die; close $f } opendir(my $d, "dir") or die; print join(" ", sort grep { !/^\./ } readdir $d), "\n"; rename "dir/a", "dir/z" or die; print unlink("dir/b", "dir/c", "dir/none"), " unlinked\n"; print join(" ", map { s{.*/}{}r } glob "dir/*"), "\n"; open(my $f, "<", "missing") or print "open: $!\n"; rmdir "dir" or print "rmdir: $!\n"'
perl -i.bak -pe 's/line/LINE/' out.txt; cat out.txt; ls out.txt*
perl -e 'symlink "out.txt", "link" or die; print readlink("link"), " ", (-l "link" ? "link" : ""), "\n"; utime 1000000000, 1000000000, "out.txt"; print((stat "out.txt")[9], "\n"); chmod 0600, "out.txt"; printf "%o\n", (stat "out.txt")[2] & 07777'
echo "== processes"
perl -e 'my $pid = fork // die; if ($pid == 0) { exit 3 } waitpid($pid, 0); print "child exit ", $? >> 8, "\n"; $pid = fork; if (!$pid) { kill "TERM", $$; sleep 10; exit 0 } wait; print "child signal ", $? & 127, "\n"; my @kids = map { my $p = fork; if (!$p) { exit $_ } $p } 1..5; my $sum = 0; for (@kids) { waitpid($_, 0); $sum += $? >> 8 } print "sum of statuses $sum\n"; print "no child ", wait, "\n"'
perl -e 'pipe(my $r, my $w) or die; my $pid = fork; if (!$pid) { close $r; print $w "from child $_\n" for 1..3; exit 0 } close $w; print while <$r>; waitpid $pid, 0; open(my $p, "-|", "seq", "3") or die; print "seq: ", join(",", map { chomp; $_ } <$p>), "\n"; close $p; open($p, "|-", "tr a-z A-Z") or die; print $p "to tr\n"; close $p; print "status ", $? >> 8, "\n"'
perl -e 'my $out = `echo backticks`; print $out; system("sh", "-c", "exit 4"); print "system ", $? >> 8, "\n"; system("no-such-program-here"); print "system failed ", $? == -1 ? "-1" : $?, "\n"; $ENV{FROM_PERL} = "exported"; system q(echo "$FROM_PERL")'
perl -e 'local $SIG{USR1} = sub { print "caught $_[0]\n" }; kill USR1 => $$; $SIG{ALRM} = sub { die "alarm\n" }; eval { alarm 1; select(undef, undef, undef, 30); }; print "eval: $@"; my $pid = fork; if (!$pid) { exec "echo", "exec worked" or die } wait'
perl -e 'use POSIX qw(floor ceil strftime WNOHANG :sys_wait_h); print floor(-2.5), " ", ceil(2.1), " ", strftime("%Y-%m-%d %H:%M:%S", gmtime(86400 * 365)), "\n"; my $pid = fork; if (!$pid) { sleep 30; exit 0 } print "still running ", waitpid($pid, WNOHANG), "\n"; kill 9, $pid; waitpid($pid, 0); print "killed ", WIFSIGNALED($?) ? WTERMSIG($?) : "no", "\n"; print POSIX::getcwd() =~ m{/tmp/real-perl$} ? "cwd ok\n" : "cwd?\n"'
perl -e 'use Fcntl qw(:flock SEEK_SET O_RDWR O_CREAT); open(my $f, ">", "lock") or die; flock($f, LOCK_EX) or die; my $pid = fork; if (!$pid) { open(my $g, ">", "lock") or die; print flock($g, LOCK_EX | LOCK_NB) ? "child got it\n" : "child: $!\n"; exit 0 } waitpid $pid, 0; flock($f, LOCK_UN); sysopen(my $h, "raw", O_RDWR | O_CREAT, 0644) or die; syswrite($h, "sysio"); sysseek($h, 0, SEEK_SET); sysread($h, my $b, 10); print "$b\n"'
perl -e 'pipe(my $r, my $w); my $rin = ""; vec($rin, fileno($r), 1) = 1; my $n = select(my $rout = $rin, undef, undef, 0); print "ready $n\n"; syswrite $w, "x"; $n = select($rout = $rin, undef, undef, 5); print "ready $n\n"'
echo "== misc"
perl -e 'my @a = (1..5); push @a, 6; unshift @a, 0; my $x = pop @a; my @s = splice(@a, 1, 2); print "@a | @s | $x | $#a\n"; my $r = { list => [1, 2], code => sub { "called @_" } }; print $r->{code}->(3), " ", scalar @{ $r->{list} }, " ", ref($r), "\n"; print "wantarray ", (sub { wantarray ? "list" : "scalar" })->(), "\n"; print ucfirst(lc("HELLO")), " ", length("héllo"), " ", index("hello", "l"), " ", substr("hello", 1, 3), " ", join(",", reverse 1..3), "\n"'
perl -e 'package Counter; sub new { my ($c, %a) = @_; bless { n => $a{start} // 0 }, $c } sub inc { $_[0]{n}++; $_[0] } sub n { $_[0]{n} } package main; my $c = Counter->new(start => 5); $c->inc->inc; print ref($c), " ", $c->n, " ", Counter->can("inc") ? "can" : "", "\n"; eval { die { code => 42 } }; print "error code $@->{code}\n"; local $@; print "eval string ", eval("2 + 3 * 4"), "\n"'
perl -le 'print for map { $_ * $_ } grep { $_ & 1 } 1..7'
perl -e 'print "perl ", $^V ge v5.36.0 ? "5.36 or later" : "older", " ", $^O, "\n"; print "warn to stderr\n"; warn "a warning\n"; exit 2' 2>&1; echo "exit status $?"
perl -e 'die "dying\n"' 2>&1; echo "exit status $?"
perl -c -e 'print 1' 2>&1
perl -e 'syntax error here (' 2>&1 | head -1; echo "status ${PIPESTATUS[0]}"
