# real-packages: util-linux coreutils sed grep
# lscpu (util-linux): the summary, the extended table (-e), the parseable list (-p) and the
# caches (-C), read from /proc/cpuinfo, the cpuid instruction and /sys/devices/system/{cpu,node};
# and the sysfs files they come from (topology, caches).
# Normalised, as they depend on the kernel and not on the machine: BogoMIPS (each kernel's own
# delay-loop calibration; it differs between two Linux boots too), the Flags line (Linux adds
# flags of its own making, such as rep_good or vmmcall, and ones that say what it enabled, such
# as ospke), the Vulnerability lines (each kernel's mitigations), and the width of the summary's
# first column (the longest field name, which is a Vulnerability one). The BIOS lines come from
# the firmware's SMBIOS tables (/sys/firmware/dmi/tables) and must match.
echo "== lscpu"
lscpu | sed -e '/^Vulnerability /d' -e 's/^\([^:]*:\)  */\1 /' \
  -e 's/^BogoMIPS: .*/BogoMIPS: N/' -e 's/^Flags: .*/Flags: .../'
echo "== lscpu -e"
lscpu -e
echo "== lscpu -p"
lscpu -p
echo "== lscpu -C"
lscpu -C
echo "== lscpu -e=CPU,CORE,SOCKET,NODE,ONLINE,CACHE"
lscpu -e=CPU,CORE,SOCKET,NODE,ONLINE,CACHE
echo "== sysfs"
cd /sys/devices/system/cpu && grep -r . cpu0/topology cpu0/cache 2>&1 | sort
cd /sys/devices/system/node && grep . node0/cpumap node0/cpulist node0/distance online possible
