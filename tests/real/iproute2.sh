# real-packages: iproute2 python3-minimal python3.11-minimal
# real-files: /usr/lib/python3.11
# real-skip: /usr/lib/python3.11/config-3.11-x86_64-linux-gnu /usr/lib/python3.11/test
# NETLINK_ROUTE (issue 10) through iproute2's `ip` and busybox's `ip`: links, addresses and
# routes listed (plain and JSON), an address and a route added and deleted, lo taken down and
# up, its MTU changed, `ip route get`, the errors iproute2 prints for refused requests, and
# glibc's if_nameindex (python's socket.if_nameindex), which asks netlink. busybox `ifconfig lo
# up` first: Linux leaves lo down without an init system, Ferrux brings it up at boot.
# Normalised: nothing.
busybox ifconfig lo up
section() { echo "== $*"; }
section ip link; ip link
section ip -j link; ip -j link; echo
section ip addr; ip addr
section ip -j addr; ip -j addr; echo
section ip route; ip route
section ip -6 route; ip -6 route
section local table; ip route show table local
section ip route get; ip route get 127.0.0.1
section addr add
ip addr add 10.9.9.1/24 dev lo
ip addr show dev lo
ip route show table local
ip route get 10.9.9.7
ip addr add 10.9.9.1/24 dev lo; echo "status $?"
section route add
ip route add 10.20.0.0/16 dev lo
ip route add 10.21.0.0/16 via 10.9.9.2
ip route
ip route add 10.20.0.0/16 dev lo; echo "status $?"
ip route del 10.20.0.0/16
ip route del 10.21.0.0/16
ip route del 10.20.0.0/16; echo "status $?"
ip route
section addr del
ip addr del 10.9.9.1/24 dev lo
ip addr del 10.9.9.1/24 dev lo; echo "status $?"
ip -4 addr
section mtu
ip link set lo mtu 1500
ip link show lo
ip link set lo mtu 65536
section down and up
ip link set lo down
ip link show lo
ip addr show lo
ip route show table local
ip link set lo up
ip addr show lo
section busybox ip
busybox ip link
busybox ip addr
busybox ip addr add 10.9.9.1/24 dev lo
busybox ip -4 addr show lo
busybox ip route add 10.20.0.0/16 dev lo
busybox ip route
busybox ip route del 10.20.0.0/16
busybox ip addr del 10.9.9.1/24 dev lo
section errors
ip addr add 10.9.9.1/24 dev nosuch; echo "status $?"
ip link set nosuch up; echo "status $?"
ip route add 10.30.0.0/16 dev lo table 254 scope host type unicast; echo "status $?"
section if_nameindex
python3 -c 'import socket; print(socket.if_nameindex()); print(socket.if_nametoindex("lo"))'
