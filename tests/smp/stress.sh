# SMP stress for a busybox initramfs (docs/smp.md): fork/exec storms, pipe pumps, file
# creation and deletion in one directory and signal storms, three rounds at once, then the
# free memory compared with the start. Not yet run by xtask; by hand:
#   (cd ROOT && cpio -id --no-absolute-filenames < build/initramfs.cpio && cp tests/smp/stress.sh .
#    && find . | cpio -o -H newc > ../smp.cpio)
#   cargo xtask run --smp 4 --initrd ../smp.cpio --cmd "busybox sh /stress.sh"
mount -t proc p /proc; mount -t sysfs s /sys; mount -t tmpfs t /tmp
free0=$(grep MemFree /proc/meminfo | tr -s ' ' | cut -d' ' -f2)
echo "online: $(cat /sys/devices/system/cpu/online) free at start: $free0 kB"
storm() { i=0; while [ $i -lt 150 ]; do /bin/true; i=$((i+1)); done; }
pipes() { i=0; while [ $i -lt 40 ]; do yes hello | head -c 200000 | wc -c > /dev/null; i=$((i+1)); done; }
files() { mkdir -p /tmp/d; i=0; while [ $i -lt 300 ]; do echo x > /tmp/d/f$1_$i; rm /tmp/d/f$1_$i; i=$((i+1)); done; }
sigs() { i=0; while [ $i -lt 100 ]; do sleep 10 & kill $!; i=$((i+1)); done; wait; }
for r in 1 2 3; do
  storm & storm & pipes & pipes & files a & files b & sigs &
  wait
  echo "round $r done"
done
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null
rm -rf /tmp/d
free1=$(grep MemFree /proc/meminfo | tr -s ' ' | cut -d' ' -f2)
echo "free at end: $free1 kB (delta $((free0-free1)) kB)"
head -5 /proc/stat
echo stress-done
