#!/usr/bin/bash
# run-image-debian: the image of `cargo xtask run --image`, checked from inside. Run by the
# image's /init after its set-up, as its interactive shell (Debian's bash) would be:
#   rdinit=/init -- /usr/bin/bash /usr/local/bin/run-image-debian
# Checks the system as the default image's check does (run-image: applets by name, mounts,
# device nodes), then that Debian's bash and python3 run: bash's own features (arrays,
# process substitution, a coprocess), python3 importing C extension modules (json, hashlib
# with OpenSSL, sqlite3, ctypes, mmap, multiprocessing with a fork pool) and running a child.
# Prints "run-image-debian: FAIL <what>" for each problem, then "run-image-debian: PASS".
failures=0
fail() {
	echo "run-image-debian: FAIL $*"
	failures=$((failures + 1))
}

system=$(/bin/sh /usr/local/bin/run-image 2>&1)
echo "$system"
[ "$system" = "run-image: PASS" ] || fail "the system check (run-image) did not pass"

[ -n "$BASH_VERSION" ] || fail "not running under bash"
[ "$(readlink -f /proc/$$/exe)" = /usr/bin/bash ] || fail "bash is not /usr/bin/bash"
[ "$(readlink /bin)" = usr/bin ] || fail "/bin is not Debian's link to usr/bin"
list=(one two three)
[ "${#list[@]}:${list[2]}" = 3:three ] || fail "bash arrays"
[ "$(cat <(echo substituted))" = substituted ] || fail "process substitution"
coproc upper { tr a-z A-Z; }
# bash closes a coprocess's descriptors when it reaps it, which may happen as soon as tr
# has seen end-of-file and exited: read through a copy of the read end.
exec {from_upper}<&"${upper[0]}"
echo coprocess >&"${upper[1]}"
exec {upper[1]}>&-
read -r answer <&"$from_upper"
exec {from_upper}<&-
wait
[ "$answer" = COPROCESS ] || fail "coprocess answered ${answer:-nothing}"

command -v python3 >/dev/null || fail "python3 not found by name"
output=$(python3 - 2>&1 <<'PYTHON'
import ctypes, hashlib, json, mmap, multiprocessing, os, sqlite3, subprocess, sys


def square(x):
    return x * x


multiprocessing.set_start_method("fork")
with multiprocessing.Pool(2) as pool:
    squares = pool.map(square, range(5))
db = sqlite3.connect(":memory:")
db.execute("create table t(x)")
db.executemany("insert into t values(?)", [(i,) for i in range(100)])
libc = ctypes.CDLL(None)
shared = mmap.mmap(-1, 4096)
result = {
    "python": sys.version_info[:2] >= (3, 11),
    "prefix": sys.prefix,
    "sha256": hashlib.sha256(b"ferrux").hexdigest()[:16],
    "sqlite": db.execute("select sum(x) from t").fetchone()[0],
    "squares": squares,
    "getpid": libc.getpid() == os.getpid(),
    "child": subprocess.run(["echo", "child"], capture_output=True, text=True).stdout.strip(),
    "mmap": len(shared),
}
print(json.dumps(result, sort_keys=True))
PYTHON
)
expected='{"child": "child", "getpid": true, "mmap": 4096, "prefix": "/usr", "python": true, "sha256": "'$(printf ferrux | sha256sum | cut -c1-16)'", "sqlite": 4950, "squares": [0, 1, 4, 9, 16]}'
[ "$output" = "$expected" ] || fail "python3 printed: $output"

if [ "$failures" = 0 ]; then
	echo "run-image-debian: PASS"
fi
