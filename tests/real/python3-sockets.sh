# real-packages: python3-minimal python3.11-minimal
# real-files: /usr/lib/python3.11
# real-skip: /usr/lib/python3.11/config-3.11-x86_64-linux-gnu /usr/lib/python3.11/test
# real-timeout: 300
# python3 with AF_UNIX sockets (issue 10): socket.socketpair (stream, datagram, seqpacket),
# makefile, timeouts, shutdown, SO_PEERCRED, SCM_RIGHTS through socket.send_fds/recv_fds and
# SCM_CREDENTIALS through sendmsg/recvmsg; a small AF_UNIX server (socketserver's threading
# UnixStreamServer on a path) with clients; abstract names; datagrams with sendto/recvfrom;
# multiprocessing's duplex Pipe() between processes, a Queue, a Manager (a server process on an
# AF_UNIX socket with authentication) and a Listener/Client pair; asyncio's unix server and
# connection (its event loop wakes through a socketpair); selectors over sockets.
# Normalised: nothing. The script prints no pids, inode numbers or random names (it prints what
# they are checked against instead).
cat > s.py <<'EOF'
import os, sys, socket, struct, select, selectors, threading, socketserver, time, array
import multiprocessing as mp
from multiprocessing.connection import Listener, Client

def section(name):
    print("==", name)

section("socketpair")
a, b = socket.socketpair()
print(a.family.name, a.type.name, a.proto)
a.sendall(b"hello " * 3)
print(b.recv(100))
b.send(b"x")
print(a.recv(1, socket.MSG_PEEK), a.recv(10))
creds = struct.unpack("3i", a.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
print("peercred pid matches:", creds[0] == os.getpid(), "uid:", creds[1], "gid:", creds[2])
a.settimeout(0.05)
try:
    a.recv(1)
except socket.timeout as e:
    print("timeout:", type(e).__name__)
a.setblocking(False)
try:
    a.recv(1)
except BlockingIOError as e:
    print("nonblocking:", e.errno == 11)
a.setblocking(True)
f = b.makefile("rwb")
a.sendall(b"line one\nline two\n")
print(f.readline(), f.readline())
b.shutdown(socket.SHUT_WR)
print("eof:", a.recv(10))
try:
    b.send(b"late")
except BrokenPipeError as e:
    print("after shutdown:", type(e).__name__)
a.close(); b.close()

section("big transfer")
a, b = socket.socketpair()
data = bytes(range(256)) * 4096
t = threading.Thread(target=lambda: (a.sendall(data), a.close()))
t.start()
got = bytearray()
while True:
    chunk = b.recv(65536)
    if not chunk:
        break
    got += chunk
t.join()
print(len(got), got == data)
b.close()

section("datagram and seqpacket pairs")
for kind in (socket.SOCK_DGRAM, socket.SOCK_SEQPACKET):
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    a.send(b"one"); a.send(b"two"); a.send(b"")
    print(kind.name, b.recv(100), b.recv(2), b.recv(100))
    a.send(b"truncated message")
    data, anc, flags, addr = b.recvmsg(5)
    print(data, flags & socket.MSG_TRUNC != 0)
    a.close(); b.close()

section("descriptor passing")
a, b = socket.socketpair()
r, w = os.pipe()
socket.send_fds(a, [b"fds"], [r, w])
msg, fds, flags, addr = socket.recv_fds(b, 10, 4)
print(msg, len(fds), flags)
os.write(fds[1], b"through the passed pipe")
print(os.read(r, 100))
print("same pipe:", os.fstat(fds[0]).st_ino == os.fstat(r).st_ino)
for fd in fds + [r, w]:
    os.close(fd)
b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
a.sendmsg([b"who"])
msg, anc, flags, addr = b.recvmsg(10, socket.CMSG_SPACE(12))
level, kind, payload = anc[0]
pid, uid, gid = struct.unpack("3i", payload)
print(msg, level == socket.SOL_SOCKET, kind == socket.SCM_CREDENTIALS, pid == os.getpid(), uid, gid)
a.close(); b.close()

section("unix stream server")
path = os.path.abspath("server.sock")
class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line.upper())
class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
server = Server(path, Handler)
thread = threading.Thread(target=server.serve_forever)
thread.start()
print("socket file:", os.path.exists(path), oct(os.stat(path).st_mode >> 12))
def client(n):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.connect(path)
        c.sendall(b"request %d\n" % n)
        c.shutdown(socket.SHUT_WR)
        reply = b""
        while True:
            chunk = c.recv(100)
            if not chunk:
                return reply
            reply += chunk
replies = []
workers = [threading.Thread(target=lambda n=n: replies.append(client(n))) for n in range(8)]
for w in workers: w.start()
for w in workers: w.join()
print(sorted(replies))
server.shutdown(); server.server_close(); thread.join()
try:
    socket.socket(socket.AF_UNIX).connect(path)
except ConnectionRefusedError as e:
    print("closed server:", type(e).__name__)
os.unlink(path)
try:
    socket.socket(socket.AF_UNIX).connect(path)
except FileNotFoundError as e:
    print("removed:", type(e).__name__)

section("abstract names and datagrams")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
srv.bind("\0ferrux-python-dgram")
print(srv.getsockname())
cli = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
cli.bind("\0ferrux-python-client")
cli.sendto(b"ping", "\0ferrux-python-dgram")
data, addr = srv.recvfrom(100)
print(data, addr)
srv.sendto(b"pong", addr)
print(cli.recv(100))
anon = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
anon.sendto(b"anonymous", "\0ferrux-python-dgram")
print(srv.recvfrom(100))
try:
    anon.sendto(b"x", "\0ferrux-nobody-here")
except ConnectionRefusedError as e:
    print("nobody:", type(e).__name__)
for s in (srv, cli, anon): s.close()
taken = socket.socket(socket.AF_UNIX)
taken.bind("\0ferrux-python-taken")
try:
    socket.socket(socket.AF_UNIX).bind("\0ferrux-python-taken")
except OSError as e:
    print("in use:", e.errno == 98)
taken.close()

section("selectors")
sel = selectors.DefaultSelector()
pairs = [socket.socketpair() for _ in range(3)]
for i, (x, y) in enumerate(pairs):
    y.setblocking(False)
    sel.register(y, selectors.EVENT_READ, i)
pairs[2][0].send(b"2"); pairs[0][0].send(b"0")
print(sorted(key.data for key, ev in sel.select(timeout=1)))
pairs[1][0].close()
print(sorted(key.data for key, ev in sel.select(timeout=1)))
for x, y in pairs:
    x.close(); y.close()
sel.close()

def child(conn):
    conn.send({"from": "child", "n": conn.recv() * 2})
    conn.close()

def square(q, values):
    for v in values:
        q.put(v * v)
    q.put(None)

if __name__ == "__main__":
    section("multiprocessing")
    mp.set_start_method("fork")
    parent, kid = mp.Pipe()
    p = mp.Process(target=child, args=(kid,))
    p.start()
    parent.send(21)
    print(parent.recv())
    p.join()
    print("exit code", p.exitcode)
    q = mp.Queue()
    p = mp.Process(target=square, args=(q, range(6)))
    p.start()
    out = []
    while (v := q.get()) is not None:
        out.append(v)
    p.join()
    print(out)
    with mp.Manager() as manager:
        d = manager.dict()
        l = manager.list()
        procs = [mp.Process(target=lambda i=i: (d.__setitem__(i, i * 10), l.append(i))) for i in range(4)]
        for x in procs: x.start()
        for x in procs: x.join()
        print(sorted(d.items()), sorted(l))
    address = os.path.abspath("listener.sock")
    with Listener(address, family="AF_UNIX", authkey=b"secret") as listener:
        p = mp.Process(target=lambda: Client(address, authkey=b"secret").send(["via", "listener"]))
        p.start()
        with listener.accept() as conn:
            print(conn.recv())
        p.join()

    section("asyncio")
    import asyncio
    async def handle(reader, writer):
        data = await reader.readline()
        writer.write(data[::-1])
        await writer.drain()
        writer.close()
    async def main():
        server = await asyncio.start_unix_server(handle, path=os.path.abspath("async.sock"))
        results = []
        for word in (b"alpha\n", b"beta\n"):
            reader, writer = await asyncio.open_unix_connection(os.path.abspath("async.sock"))
            writer.write(word)
            await writer.drain()
            results.append(await reader.read())
            writer.close()
            await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return results
    print(asyncio.run(main()))
    print("done")
EOF
python3 s.py
