# real-packages: python3-minimal python3.11-minimal
# real-files: /usr/lib/python3.11
# real-skip: /usr/lib/python3.11/config-3.11-x86_64-linux-gnu /usr/lib/python3.11/test
# real-timeout: 300
# python3 over AF_INET and AF_INET6 on loopback (issue 10): TCP and UDP sockets on 127.0.0.1
# and ::1 (connect, accept, sendall of 4 MiB checked, shutdown, a refused connection, a
# non-blocking connect, timeouts, UDP datagrams with their senders), a dual-stack listener,
# socketserver's ThreadingTCPServer, asyncio's TCP server and client, and http.server serving a
# file that urllib.request fetches. busybox `ifconfig lo up` first: Linux leaves lo down
# without an init system, Ferrux brings it up at boot.
# Normalised: nothing. Ports are ephemeral; the script prints what they are checked against.
busybox ifconfig lo up
cat > s.py <<'EOF2'
import os, sys, socket, threading, socketserver, asyncio, http.server, urllib.request, hashlib, errno

def section(name):
    print("==", name, flush=True)

section("tcp")
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, 0))
    srv.listen(5)
    port = srv.getsockname()[1]
    print(family.name, "ephemeral port in range:", 32768 <= port <= 60999)
    data = os.urandom(1 << 22)
    def serve():
        conn, addr = srv.accept()
        got = bytearray()
        while True:
            chunk = conn.recv(1 << 16)
            if not chunk:
                break
            got += chunk
        conn.sendall(hashlib.sha256(got).digest())
        conn.close()
    t = threading.Thread(target=serve)
    t.start()
    c = socket.create_connection((host, port))
    print("peer is the listener:", c.getpeername()[1] == port)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    digest = c.recv(64)
    print("sha256 matches:", digest == hashlib.sha256(data).digest())
    print("eof:", c.recv(10))
    c.close()
    t.join()
    srv.close()
    try:
        socket.create_connection((host, port))
    except ConnectionRefusedError as e:
        print("refused:", e.errno == errno.ECONNREFUSED)

section("nonblocking connect and timeouts")
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen()
c = socket.socket()
c.setblocking(False)
print("connect_ex:", errno.errorcode[c.connect_ex(srv.getsockname())])
import select
_, w, _ = select.select([], [c], [], 5)
print("writable:", w == [c], "so_error:", c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
a, _ = srv.accept()
a.settimeout(0.1)
try:
    a.recv(1)
except socket.timeout:
    print("recv timed out")
c.close()
print("after close:", a.recv(1))
a.close(); srv.close()

section("udp")
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    r = socket.socket(family, socket.SOCK_DGRAM)
    r.bind((host, 0))
    s = socket.socket(family, socket.SOCK_DGRAM)
    for i in range(3):
        s.sendto(b"datagram %d" % i, r.getsockname())
    for i in range(3):
        data, addr = r.recvfrom(100)
        print(family.name, data, addr[1] == s.getsockname()[1])
    r.close(); s.close()

section("dual stack")
srv = socket.create_server(("", 0), family=socket.AF_INET6, dualstack_ipv6=True)
port = srv.getsockname()[1]
c = socket.create_connection(("127.0.0.1", port))
a, addr = srv.accept()
print("v4 client seen as:", addr[0])
a.close(); c.close(); srv.close()

section("socketserver")
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line.upper())
with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as server:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with socket.create_connection(server.server_address) as c:
        f = c.makefile("rwb")
        for word in (b"alpha\n", b"beta\n", b"gamma\n"):
            f.write(word); f.flush()
            print(f.readline())
        f.close()
    server.shutdown()

section("asyncio")
async def main():
    async def handle(reader, writer):
        while line := await reader.readline():
            writer.write(line[:-1][::-1] + b"\n")
            await writer.drain()
        writer.close()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    readers = []
    for i in range(5):
        readers.append(await asyncio.open_connection("127.0.0.1", port))
    for i, (r, w) in enumerate(readers):
        w.write(b"client %d\n" % i)
    for i, (r, w) in enumerate(readers):
        await w.drain()
        print(await r.readline())
        w.close()
        await w.wait_closed()
    server.close()
    await server.wait_closed()
asyncio.run(main())

section("http.server and urllib")
os.makedirs("www", exist_ok=True)
body = b"".join(b"line %d\n" % i for i in range(20000))
with open("www/file.txt", "wb") as f:
    f.write(body)
class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory="www", **k)
    def log_message(self, *a):
        pass
class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name = "localhost"
        self.server_port = self.server_address[1]
with Server(("127.0.0.1", 0), Quiet) as server:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/" % server.server_address[1]
    with urllib.request.urlopen(url + "file.txt") as resp:
        got = resp.read()
        print(resp.status, resp.headers["Content-Length"], got == body)
    try:
        urllib.request.urlopen(url + "missing")
    except urllib.error.HTTPError as e:
        print("missing:", e.code)
    server.shutdown()
print("done")
EOF2
python3 s.py 2>&1
