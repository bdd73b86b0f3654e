# real-packages: python3-minimal python3.11-minimal
# real-files: /usr/lib/python3.11
# real-skip: /usr/lib/python3.11/config-3.11-x86_64-linux-gnu /usr/lib/python3.11/test
# real-timeout: 300
# python3 (Debian's, with its standard library): `python3 -c` one-liners, then a script using
# os, json, subprocess, threading, multiprocessing (Pool and Process with the fork start
# method, Queue, Value, Array, Lock, Event), tempfile (O_TMPFILE, named files, directories),
# mmap (anonymous shared with a child, file mappings, resize), pty (openpty, fork, termios),
# hashlib (OpenSSL's and python's own), sqlite3 (a file database in rollback and WAL modes),
# signal, select/selectors (epoll), shutil and a few os calls (pipe, fork, dup2, pread,
# sendfile, eventfd, memfd_create); then more.py: ctypes (libffi callbacks), zlib/bz2/lzma,
# resource limits (EMFILE), deep recursion on the main stack and a 64 MiB thread stack,
# wait4/waitid/posix_spawn/pidfd, subprocess sessions and process groups, setitimer, wakeup
# fds, splice, fallocate, copy_file_range, lockf, pipe sizes, memfd seals, FIFOs, edge-triggered
# epoll, /dev/zero and MAP_POPULATE mappings, termios and login_tty on ptys,
# ProcessPoolExecutor, SharedMemory, semaphores, barriers; spawn.py: a Pool with the spawn
# start method.
# Sockets (socketpair, multiprocessing's duplex Pipe() and Manager, asyncio) are in
# python3-sockets.sh.
# Normalised: nothing. The script prints no pids, times or random names (it prints what they
# are checked against instead).
python3 -c 'print("hello from python", 6 * 7)'
python3 -c 'import sys; print(sys.version_info[:2], sys.platform, sys.executable, sys.prefix)'
python3 -c 'import os, json; print(json.dumps({"cwd": os.path.basename(os.getcwd()), "uid": os.getuid(), "sysname": os.uname().sysname}, sort_keys=True))'
python3 -c 'import sys; sys.exit(3)'; echo "exit status $?"
python3 -c 'raise ValueError("bad")' 2>&1 | tail -1
echo 'print(sum(range(101)))' | python3
cat > t.py <<'EOF'
import os, sys, json, subprocess, threading, queue, tempfile, mmap, pty, hashlib, sqlite3
import signal, select, selectors, shutil, termios, tty, struct, time
import multiprocessing as mp
from concurrent.futures import ThreadPoolExecutor

# stdout is a file: line buffering keeps forked children and dup2 from repeating or
# misplacing what the buffer holds.
sys.stdout.reconfigure(line_buffering=True)


def section(name):
    print("==", name, flush=True)


section("os")
os.mkdir("d")
with open("d/a", "w") as f:
    f.write("hello\n")
os.symlink("a", "d/l")
os.link("d/a", "d/h")
os.makedirs("d/x/y/z")
print(sorted(os.listdir("d")), os.readlink("d/l"), os.stat("d/a").st_nlink)
st = os.stat("d/a")
print(st.st_size, oct(st.st_mode), os.path.islink("d/l"), os.path.samefile("d/a", "d/h"))
os.chmod("d/a", 0o600)
os.utime("d/a", ns=(1_000_000_000_123, 2_000_000_000_456))
st = os.stat("d/a")
print(oct(st.st_mode & 0o7777), st.st_atime_ns, st.st_mtime_ns)
print([(root, sorted(dirs), sorted(files)) for root, dirs, files in sorted(os.walk("d"))])
print(sorted(e.name + ("/" if e.is_dir() else "") for e in os.scandir("d")))
os.rename("d/h", "d/h2")
os.truncate("d/h2", 3)
print(open("d/a").read() == "hel", os.path.getsize("d/a"))
r, w = os.pipe()
os.write(w, b"through a pipe")
print(os.read(r, 100))
os.close(w)
print(os.read(r, 100))
os.close(r)
fd = os.open("d/p", os.O_RDWR | os.O_CREAT, 0o644)
os.pwrite(fd, b"0123456789", 0)
print(os.pread(fd, 4, 3), os.lseek(fd, 0, os.SEEK_END))
saved = os.dup(1)
os.dup2(fd, 1)
print("into the file", flush=True)
os.dup2(saved, 1)
os.close(saved)
os.lseek(fd, 0, os.SEEK_SET)
print(os.read(fd, 100))
os.close(fd)
pid = os.fork()
if pid == 0:
    os._exit(7)
_, status = os.waitpid(pid, 0)
print("child exit", os.waitstatus_to_exitcode(status))
pid = os.fork()
if pid == 0:
    os.kill(os.getpid(), signal.SIGTERM)
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("child signal", os.WIFSIGNALED(status), signal.Signals(os.WTERMSIG(status)).name)
efd = os.eventfd(3)
os.eventfd_write(efd, 4)
print("eventfd", os.eventfd_read(efd))
os.close(efd)
mfd = os.memfd_create("python")
os.write(mfd, b"memfd data")
os.lseek(mfd, 0, 0)
print(os.read(mfd, 100), os.fstat(mfd).st_size)
out = os.open("d/sent", os.O_WRONLY | os.O_CREAT, 0o644)
src = os.open("d/p", os.O_RDONLY)
print("sendfile", os.sendfile(out, src, 2, 5))
os.close(src)
os.close(out)
print(open("d/sent", "rb").read())
print(os.environ.get("LC_ALL"), os.get_blocking(0), os.isatty(0), os.getpgrp() == os.getpid())
print("umask", oct(os.umask(0o22)))

section("json")
data = {"name": "ferrux", "list": [1, 2.5, None, True, "é"], "nested": {"a": {"b": []}}}
text = json.dumps(data, sort_keys=True, indent=2)
print(text)
print(json.loads(text) == data, json.dumps("é\n", ensure_ascii=True))
try:
    json.loads("{bad")
except json.JSONDecodeError as error:
    print("JSONDecodeError", error)

section("subprocess")
print(subprocess.run(["echo", "hi"], capture_output=True))
print(subprocess.check_output("echo $((6*7)) && echo err >&2", shell=True, stderr=subprocess.STDOUT))
print(subprocess.run(["cat"], input=b"x" * 1000000, capture_output=True).stdout == b"x" * 1000000)
print(subprocess.run(["false"]).returncode, subprocess.call(["sh", "-c", "exit 5"]))
p1 = subprocess.Popen(["seq", "1000"], stdout=subprocess.PIPE)
p2 = subprocess.Popen(["wc", "-l"], stdin=p1.stdout, stdout=subprocess.PIPE)
p1.stdout.close()
print(p2.communicate()[0], p1.wait(), p2.returncode)
print(subprocess.run(["pwd"], cwd="/tmp", capture_output=True, text=True).stdout.strip())
print(subprocess.run(["sh", "-c", "echo $X"], env={"X": "from env"}, capture_output=True, text=True).stdout.strip())
try:
    subprocess.run(["sleep", "30"], timeout=1)
except subprocess.TimeoutExpired as error:
    print("TimeoutExpired", error.cmd)
try:
    subprocess.run(["no-such-program"])
except FileNotFoundError as error:
    print("FileNotFoundError", error.errno, error.strerror)
try:
    subprocess.check_call(["sh", "-c", "kill -9 $$"])
except subprocess.CalledProcessError as error:
    print("CalledProcessError", error.returncode)

section("threading")
counter = 0
lock = threading.Lock()


def add(times):
    global counter
    for _ in range(times):
        with lock:
            counter += 1


threads = [threading.Thread(target=add, args=(2000,), name=f"adder-{i}") for i in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("counter", counter, [thread.name for thread in threads][:2], threading.active_count())
work = queue.Queue()
results = []


def consumer():
    while (item := work.get()) is not None:
        results.append(item * item)


consumers = [threading.Thread(target=consumer) for _ in range(3)]
for thread in consumers:
    thread.start()
for i in range(100):
    work.put(i)
for _ in consumers:
    work.put(None)
for thread in consumers:
    thread.join()
print("queue", len(results), sum(results))
barrier = threading.Barrier(4)
event = threading.Event()
arrived = []


def meet(i):
    barrier.wait()
    arrived.append(i)
    event.wait()


threads = [threading.Thread(target=meet, args=(i,)) for i in range(4)]
for thread in threads:
    thread.start()
while len(arrived) < 4:
    time.sleep(0.01)
event.set()
for thread in threads:
    thread.join()
print("barrier", sorted(arrived))
condition = threading.Condition()
box = []


def producer():
    with condition:
        box.append("made")
        condition.notify()


with condition:
    threading.Thread(target=producer).start()
    condition.wait_for(lambda: box)
print("condition", box)
tls = threading.local()


def local_value(i):
    tls.value = i
    time.sleep(0.01)
    return tls.value


with ThreadPoolExecutor(max_workers=4) as executor:
    print("executor", list(executor.map(local_value, range(10))))
print("ident differs", threading.get_ident() != threading.Thread(target=lambda: None).ident)

section("multiprocessing")
mp.set_start_method("fork")


def square(x):
    return x * x


def child_work(q, value, array, lock, started):
    started.set()
    with lock:
        value.value += 10
    for i in range(len(array)):
        array[i] = array[i] * 2
    q.put(("from child", os.getppid() == parent_pid, mp.current_process().name))


parent_pid = os.getpid()
with mp.Pool(4) as pool:
    print("map", pool.map(square, range(20)))
    print("imap", list(pool.imap(square, range(5))), sorted(pool.imap_unordered(square, range(5))))
    print("starmap", pool.starmap(pow, [(2, 3), (3, 2), (10, 3)]))
    print("apply_async", pool.apply_async(square, (12,)).get(timeout=60))
q = mp.Queue()
value = mp.Value("i", 5)
array = mp.Array("d", [1.0, 2.5, 4.0])
lock = mp.Lock()
started = mp.Event()
process = mp.Process(target=child_work, args=(q, value, array, lock, started), name="worker-1")
process.start()
print("queue", q.get(timeout=60))
process.join()
print("process", process.exitcode, started.is_set(), value.value, list(array))
sleeper = mp.Process(target=time.sleep, args=(60,))
sleeper.start()
sleeper.terminate()
sleeper.join()
print("terminated", sleeper.exitcode)
failing = mp.Process(target=sys.exit, args=(4,))
failing.start()
failing.join()
print("exit code", failing.exitcode)
reader, writer = mp.Pipe(duplex=False)
sender = mp.Process(target=lambda: writer.send({"simplex": [1, 2, 3]}))
sender.start()
print("pipe", reader.recv())
sender.join()
print("cpu_count matches", mp.cpu_count() == os.cpu_count())

section("tempfile")
with tempfile.TemporaryFile() as f:
    f.write(b"unnamed")
    f.seek(0)
    print("TemporaryFile", f.read(), os.path.basename(os.readlink(f"/proc/self/fd/{f.fileno()}")).split()[-1])
with tempfile.NamedTemporaryFile("w+", prefix="named-", suffix=".txt", dir=".") as f:
    f.write("named")
    f.flush()
    name = os.path.basename(f.name)
    print("NamedTemporaryFile", name.startswith("named-"), name.endswith(".txt"), len(name), open(f.name).read())
print("removed", not os.path.exists(name))
with tempfile.TemporaryDirectory() as tmp:
    print("TemporaryDirectory", os.path.dirname(tmp), oct(os.stat(tmp).st_mode & 0o777))
    open(os.path.join(tmp, "f"), "w").close()
print("directory removed", not os.path.exists(tmp))
fd, path = tempfile.mkstemp(dir=".")
print("mkstemp", oct(os.fstat(fd).st_mode & 0o777))
os.close(fd)
os.unlink(path)
with tempfile.SpooledTemporaryFile(max_size=10) as f:
    f.write(b"short")
    print("spooled in memory", f._rolled)
    f.write(b" and now longer")
    print("spooled to disk", f._rolled)
print("gettempdir", tempfile.gettempdir())

section("mmap")
shared = mmap.mmap(-1, 4096)
shared[:5] = b"-----"
pid = os.fork()
if pid == 0:
    shared[:5] = b"child"
    os._exit(0)
os.waitpid(pid, 0)
print("anonymous shared", shared[:5])
with open("mapped", "wb") as f:
    f.write(b"a" * 8192)
with open("mapped", "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    m[4096:4101] = b"hello"
    print("find", m.find(b"hello"), len(m))
    m.flush()
    m.resize(16384)
    m[-3:] = b"end"
    print("resized", len(m), os.path.getsize("mapped"))
    m.close()
data = open("mapped", "rb").read()
print("file", data[4096:4101], data[-3:], data.count(b"\0"))
with open("mapped", "rb") as f:
    m = mmap.mmap(f.fileno(), 4096, access=mmap.ACCESS_COPY)
    m[:4] = b"copy"
    print("private", m[:4], open("mapped", "rb").read(4))
    try:
        mmap.mmap(f.fileno(), 4096, access=mmap.ACCESS_WRITE)
    except PermissionError as error:
        print("PermissionError", error.errno)
    ro = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        ro[0] = 1
    except TypeError as error:
        print("TypeError", error)
    print("madvise", ro.madvise(mmap.MADV_DONTNEED), ro[:2])

section("pty")
master, slave = pty.openpty()
print("isatty", os.isatty(slave), os.ttyname(slave).startswith("/dev/pts/"))
attrs = termios.tcgetattr(slave)
print("echo on", bool(attrs[3] & termios.ECHO), bool(attrs[3] & termios.ICANON))
os.write(master, b"typed line\n")
print("slave reads", os.read(slave, 100))
print("master sees echo", os.read(master, 100))
tty.setraw(slave)
os.write(master, b"raw")
print("raw", os.read(slave, 100), bool(termios.tcgetattr(slave)[3] & termios.ICANON))
winsize = struct.pack("HHHH", 24, 80, 0, 0)
import fcntl
fcntl.ioctl(master, termios.TIOCSWINSZ, winsize)
print("winsize", struct.unpack("HHHH", fcntl.ioctl(slave, termios.TIOCGWINSZ, b"\0" * 8))[:2])
os.close(slave)
os.close(master)
pid, fd = pty.fork()
if pid == 0:
    print("child on a terminal", os.isatty(0), os.isatty(1), os.getsid(0) == os.getpid())
    sys.stdout.flush()
    os._exit(3)
output = b""
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    output += chunk
_, status = os.waitpid(pid, 0)
print("pty.fork", output, os.waitstatus_to_exitcode(status))
os.close(fd)

section("hashlib")
for name in ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "blake2b", "blake2s"]:
    print(name, hashlib.new(name, b"The quick brown fox").hexdigest())
with open("big", "wb") as f:
    for i in range(256):
        f.write(bytes([i]) * 4096)
with open("big", "rb") as f:
    print("file_digest", hashlib.file_digest(f, "sha256").hexdigest())
print("pbkdf2", hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 1000).hex())
print("shake", hashlib.shake_128(b"x").hexdigest(16))
import hmac
print("hmac", hmac.new(b"key", b"message", "sha256").hexdigest())

section("sqlite3")
print("sqlite version", sqlite3.sqlite_version_info[:2])
for mode in ["delete", "wal"]:
    db = sqlite3.connect(f"{mode}.db")
    print(mode, db.execute(f"pragma journal_mode={mode}").fetchone())
    db.execute("create table t(id integer primary key, name text, n integer)")
    with db:
        db.executemany("insert into t values(?, ?, ?)", ((i, f"name{i}", i % 7) for i in range(1, 5001)))
    try:
        with db:
            db.execute("insert into t values(1, 'dup', 0)")
    except sqlite3.IntegrityError as error:
        print("IntegrityError", error)
    print(db.execute("select count(*), sum(id), max(name) from t").fetchone())
    print(db.execute("select n, count(*) from t group by n order by n").fetchall())
    other = sqlite3.connect(f"{mode}.db", timeout=0)
    db.execute("begin exclusive")
    try:
        other.execute("select count(*) from t").fetchone()
        print("read during exclusive")
    except sqlite3.OperationalError as error:
        print("OperationalError", error)
    db.rollback()
    print("other reads", other.execute("select count(*) from t").fetchone())
    other.close()
    db.create_function("twice", 1, lambda x: 2 * x)
    db.row_factory = sqlite3.Row
    row = db.execute("select twice(n) as t2, name from t where id = 10").fetchone()
    print(dict(row), db.execute("pragma integrity_check").fetchone()[0])
    db.close()
print(sorted(f for f in os.listdir(".") if ".db" in f))

section("signal, select, shutil")
caught = []
signal.signal(signal.SIGUSR1, lambda signum, frame: caught.append(signal.Signals(signum).name))
os.kill(os.getpid(), signal.SIGUSR1)
print("caught", caught)
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
os.kill(os.getpid(), signal.SIGUSR2)
print("pending", signal.sigpending())
print("sigwait", signal.sigwait([signal.SIGUSR2]))
r, w = os.pipe()
print("select empty", select.select([r], [], [], 0))
os.write(w, b"x")
print("select ready", select.select([r], [], [], 0)[0] == [r])
poller = select.poll()
poller.register(r, select.POLLIN)
print("poll", poller.poll(0) == [(r, select.POLLIN)])
sel = selectors.DefaultSelector()
print("selector", type(sel).__name__)
sel.register(r, selectors.EVENT_READ, "pipe")
print("epoll", [(key.data, events) for key, events in sel.select(timeout=1)])
sel.close()
os.close(r)
os.close(w)
shutil.copytree("d", "copy", symlinks=True)
print(sorted(os.listdir("copy")), os.readlink("copy/l"), os.stat("copy/a").st_mtime_ns == os.stat("d/a").st_mtime_ns)
shutil.copy2("d/a", "a2")
os.setxattr("a2", "trusted.comment", b"kept")
shutil.copy2("a2", "a3")
print("xattr", os.listxattr("a3"), os.getxattr("a3", "trusted.comment"))
try:
    os.setxattr("a3", "user.comment", b"x")
except OSError as error:
    print("user.* on tmpfs", error.strerror)
shutil.rmtree("copy")
print(shutil.which("bash"), os.path.exists("copy"))
print(shutil.disk_usage(".").total == os.statvfs(".").f_blocks * os.statvfs(".").f_frsize)
print("done")
EOF
cat > more.py <<'EOF'
import ctypes, ctypes.util, zlib, bz2, lzma, pickle, decimal, fractions, datetime, resource
import os, sys, signal, select, fcntl, time, threading, mmap, secrets, faulthandler, locale
import subprocess, termios, tty, pty, struct, io
import multiprocessing as mp
from multiprocessing import shared_memory
from concurrent.futures import ProcessPoolExecutor

sys.stdout.reconfigure(line_buffering=True)


def section(name):
    print("==", name)


section("ctypes")
# find_library needs ldconfig or a compiler, which the image does not have: None.
libc = ctypes.CDLL("libc.so.6")
print("find_library", ctypes.util.find_library("c"), libc.strlen(b"ferrux"), libc.getpid() == os.getpid())
values = (ctypes.c_int * 6)(5, 3, 9, 1, 7, 2)
compare = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))(
    lambda a, b: a[0] - b[0])
libc.qsort(values, len(values), ctypes.sizeof(ctypes.c_int), compare)
print("qsort with a python callback", list(values))
buf = ctypes.create_string_buffer(16)
libc.snprintf(buf, 16, b"%d-%s", 42, b"x")
print("snprintf", buf.value)

section("compression and data")
data = b"ferrux " * 10000
for module in (zlib, bz2, lzma):
    packed = module.compress(data)
    print(module.__name__, module.decompress(packed) == data)
print("crc32", zlib.crc32(data), "adler32", zlib.adler32(data))
print("pickle", pickle.loads(pickle.dumps({"a": [1, 2.5, None], "b": (3,)}, protocol=5)))
decimal.getcontext().prec = 30
print("decimal", decimal.Decimal(1) / decimal.Decimal(7), fractions.Fraction(3, 4) + fractions.Fraction(1, 6))
print("datetime", datetime.datetime(2026, 12, 5, tzinfo=datetime.timezone.utc).timestamp(),
      datetime.datetime.fromtimestamp(0, datetime.timezone.utc).isoformat())
# The image has no locale files (C.UTF-8 is in /usr/lib/locale): the C locale.
print("locale", locale.setlocale(locale.LC_ALL, "C"), locale.nl_langinfo(locale.CODESET), "é".upper())
print("secrets", len(secrets.token_hex(16)), len(os.getrandom(32)), len(os.urandom(64)))

section("resources and limits")
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (32, hard))
files = []
try:
    while True:
        files.append(open("/dev/null"))
except OSError as error:
    print("EMFILE", error.strerror, len(files) > 10)
for f in files:
    f.close()
resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
print("RLIMIT_NOFILE restored", resource.getrlimit(resource.RLIMIT_NOFILE) == (soft, hard))
usage = resource.getrusage(resource.RUSAGE_SELF)
print("getrusage", usage.ru_maxrss > 1000, usage.ru_utime >= 0)
print("affinity", len(os.sched_getaffinity(0)) == os.cpu_count(), os.sched_getscheduler(0) == os.SCHED_OTHER)
print("priority", os.getpriority(os.PRIO_PROCESS, 0), os.nice(0))
print("sysconf", os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_NPROCESSORS_ONLN") == os.cpu_count())
st = os.statvfs("/tmp")
print("statvfs", st.f_namemax, bool(st.f_flag & os.ST_NOSUID), bool(st.f_flag & os.ST_RDONLY))
sys.setrecursionlimit(30000)


def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)


print("deep recursion on the main stack", depth(20000))
threading.stack_size(64 * 1024 * 1024)
result = []
thread = threading.Thread(target=lambda: result.append(depth(25000)))
thread.start()
thread.join()
print("deep recursion on a 64 MiB thread stack", result)
threading.stack_size(0)

section("processes")
pid = os.fork()
if pid == 0:
    os._exit(9)
wpid, status, usage = os.wait4(pid, 0)
print("wait4", wpid == pid, os.WEXITSTATUS(status), usage.ru_utime >= 0)
pid = os.fork()
if pid == 0:
    os._exit(4)
info = os.waitid(os.P_PID, pid, os.WEXITED)
print("waitid", info.si_pid == pid, info.si_status, info.si_code == os.CLD_EXITED)
pid = os.posix_spawnp("sh", ["sh", "-c", "exit 6"], os.environ)
print("posix_spawnp", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
pid = os.fork()
if pid == 0:
    time.sleep(30)
    os._exit(0)
pidfd = os.pidfd_open(pid)
print("pidfd not ready", select.select([pidfd], [], [], 0)[0])
signal.pidfd_send_signal(pidfd, signal.SIGKILL)
print("pidfd ready", select.select([pidfd], [], [], 10)[0] == [pidfd])
print("killed by", -os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
os.close(pidfd)
proc = subprocess.run(["sh", "-c", "echo $(ps -o sid= -p $$) $(ps -o pgid= -p $$) $$ | tr -s ' '"],
                      capture_output=True, text=True, start_new_session=True)
sid, pgid, shpid = proc.stdout.split()
print("start_new_session", sid == pgid == shpid)
r, w = os.pipe()
proc = subprocess.run(["sh", "-c", f"echo passed >&{w}"], pass_fds=(w,))
os.close(w)
print("pass_fds", os.read(r, 100))
os.close(r)
proc = subprocess.run(["sh", "-c", "echo $(ps -o pgid= -p $$)"], capture_output=True, text=True, process_group=0)
print("process_group", proc.returncode)
print("preexec_fn", subprocess.run(["sh", "-c", "umask"], preexec_fn=lambda: os.umask(0o077),
                                   capture_output=True, text=True).stdout.strip())

section("signals and timers")
fired = []
signal.signal(signal.SIGALRM, lambda *args: fired.append("SIGALRM"))
signal.setitimer(signal.ITIMER_REAL, 0.05)
signal.pause()
print("setitimer and pause", fired, signal.getitimer(signal.ITIMER_REAL))
r, w = os.pipe()
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
signal.signal(signal.SIGUSR1, lambda *args: None)
threading.Thread(target=lambda: os.kill(os.getpid(), signal.SIGUSR1)).start()
select.select([r], [], [], 10)
print("wakeup fd", os.read(r, 10) == bytes([signal.SIGUSR1]))
signal.set_wakeup_fd(-1)
timer_fired = threading.Event()
threading.Timer(0.05, timer_fired.set).start()
print("threading.Timer", timer_fired.wait(30))
print("sigtimedwait", signal.sigtimedwait([signal.SIGUSR2], 0.01))
before = time.clock_gettime(time.CLOCK_MONOTONIC)
time.sleep(0.02)
print("monotonic", time.clock_gettime(time.CLOCK_MONOTONIC) - before >= 0.02,
      time.clock_gettime(time.CLOCK_BOOTTIME) >= time.clock_gettime(time.CLOCK_MONOTONIC) - 1,
      time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID) > 0, time.thread_time() > 0)
print("faulthandler", faulthandler.enable() is None, faulthandler.is_enabled())

section("files")
fd = os.open("spliced", os.O_RDWR | os.O_CREAT, 0o644)
r, w = os.pipe()
os.write(w, b"through splice")
print("splice", os.splice(r, fd, 14), os.pread(fd, 100, 0))
os.close(r)
os.close(w)
os.posix_fallocate(fd, 0, 1 << 20)
print("posix_fallocate", os.fstat(fd).st_size)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
out = os.open("copied", os.O_WRONLY | os.O_CREAT, 0o644)
print("copy_file_range", os.copy_file_range(fd, out, 14, 0, 0), open("copied", "rb").read())
os.close(out)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
pid = os.fork()
if pid == 0:
    try:
        fcntl.lockf(os.open("spliced", os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)
        os._exit(0)
    except OSError as error:
        os._exit(error.errno)
print("lockf held by the parent: child gets errno", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
print("F_GETFL", fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDWR)
os.close(fd)
r, w = os.pipe()
print("pipe size", fcntl.fcntl(w, fcntl.F_GETPIPE_SZ), fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 1 << 20), fcntl.fcntl(w, fcntl.F_GETPIPE_SZ))
os.close(r)
os.close(w)
mfd = os.memfd_create("sealed", os.MFD_ALLOW_SEALING)
os.write(mfd, b"sealed")
fcntl.fcntl(mfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK)
try:
    os.write(mfd, b"more")
except PermissionError as error:
    print("sealed write", error.strerror, fcntl.fcntl(mfd, fcntl.F_GET_SEALS) == fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK)
os.close(mfd)
os.mkfifo("fifo")
fd = os.open("fifo", os.O_RDONLY | os.O_NONBLOCK)
w = os.open("fifo", os.O_WRONLY | os.O_NONBLOCK)
os.write(w, b"fifo data")
print("fifo", os.read(fd, 100), os.path.exists("fifo"))
os.close(w)
os.close(fd)
ep = select.epoll()
r, w = os.pipe()
ep.register(r, select.EPOLLIN | select.EPOLLET)
os.write(w, b"ab")
print("epoll edge", [(fd == r, events) for fd, events in ep.poll(1)], ep.poll(0))
os.write(w, b"c")
print("epoll again", [(fd == r, events) for fd, events in ep.poll(1)])
ep.close()
with open("/dev/zero", "rb") as f:
    z = mmap.mmap(f.fileno(), 8192, flags=mmap.MAP_PRIVATE)
    z[:4] = b"zero"
    print("/dev/zero mapping", z[:6])
anon = mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE)
anon[0] = 1
pid = os.fork()
if pid == 0:
    anon[0] = 2
    os._exit(anon[0])
print("private copy on fork", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), anon[0])

section("terminals")


def read_until(fd, text):
    got = b""
    while text not in got:
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        got += chunk
    return got


pid, fd = pty.fork()
if pid == 0:
    attrs = termios.tcgetattr(0)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(0, termios.TCSANOW, attrs)
    print("ready")
    line = sys.stdin.readline()
    print("child read", repr(line), os.ttyname(0).startswith("/dev/pts/"), os.getpgrp() == os.tcgetpgrp(0))
    sys.stdout.flush()
    os._exit(0)
print("parent sees", read_until(fd, b"ready\r\n"))
os.write(fd, b"secret\n")
print("parent got", read_until(fd, b"True\r\n"))
os.waitpid(pid, 0)
os.close(fd)
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.close(master)
    os.login_tty(slave)
    print("login_tty", os.isatty(0), os.getsid(0) == os.getpid(), os.tcgetpgrp(0) == os.getpid())
    sys.stdout.flush()
    os._exit(0)
os.close(slave)
print("from login_tty", read_until(master, b"\n").strip())
os.waitpid(pid, 0)
os.close(master)

section("more multiprocessing")
mp.set_start_method("fork")


def cube(x):
    return x ** 3


with ProcessPoolExecutor(max_workers=2) as executor:
    print("ProcessPoolExecutor", list(executor.map(cube, range(6))))
memory = shared_memory.SharedMemory(create=True, size=4096)
memory.buf[:5] = b"shm!!"


def write_shared(name):
    other = shared_memory.SharedMemory(name)
    other.buf[:5] = b"child"
    other.close()


child = mp.Process(target=write_shared, args=(memory.name,))
child.start()
child.join()
print("SharedMemory", bytes(memory.buf[:5]), os.path.exists("/dev/shm/" + memory.name))
memory.close()
memory.unlink()
print("unlinked", os.path.exists("/dev/shm/" + memory.name))
semaphore = mp.BoundedSemaphore(2)
semaphore.acquire()
semaphore.acquire()
print("semaphore", semaphore.acquire(timeout=0.01), semaphore.get_value())
condition = mp.Condition()
barrier = mp.Barrier(3)
workers = [mp.Process(target=barrier.wait) for _ in range(2)]
for worker in workers:
    worker.start()
barrier.wait()
for worker in workers:
    worker.join()
print("barrier", [worker.exitcode for worker in workers])
print("done")
EOF
# The spawn start method imports the main module again in each child: its own small script.
cat > spawn.py <<'EOF'
import multiprocessing as mp
import os


def where(x):
    return x * 10, os.getppid() == parent


parent = os.getppid()
if __name__ == "__main__":
    parent = os.getpid()
    with mp.get_context("spawn").Pool(2) as pool:
        print("spawn start method", pool.map(where, [1, 2, 3]))
EOF
status=0
python3 t.py || status=$?
python3 more.py || status=$?
python3 spawn.py || status=$?
exit $status
