# real-packages: mount util-linux coreutils sed
# losetup: util-linux's (Debian's /sbin/losetup) and busybox's on a file of the working
# directory (a tmpfs): the first free device, binding (-f --show, an explicit device, offset,
# size limit, read-only, sector size, partition scan), listing (-l with chosen columns, -a, a
# device alone), the data through the device, a capacity update (-c), detaching (-d, -D);
# blockdev --getsize64 --getss --getro and lsblk on the devices. Linux's loop driver is a
# module: the runner loads it (on Ferrux, built in, insmod fails quietly) and this waits for
# its /dev/loop-control. Normalised: the backing file's device and inode numbers in
# `losetup DEVICE` ([dev]:ino differ between kernels' tmpfs), the working directory.
bb=/usr/bin/busybox
n=0; while [ ! -e /dev/loop-control ] && [ $n -lt 100 ]; do $bb sleep 0.1; n=$((n + 1)); done
norm() { sed -e "s|$PWD|.|g" -e 's/\[[0-9a-f]*\]:[0-9]*/[D]:I/'; }
dd if=/dev/zero of=img bs=1M count=4 status=none
printf 'hello loop\n' | dd of=img conv=notrunc status=none
# An MBR with one partition: sector 64, 256 sectors, type 0x83.
printf '\203' | dd of=img bs=1 seek=450 conv=notrunc status=none
printf '\100' | dd of=img bs=1 seek=454 conv=notrunc status=none
printf '\001' | dd of=img bs=1 seek=459 conv=notrunc status=none
printf '\125\252' | dd of=img bs=1 seek=510 conv=notrunc status=none
echo "== util-linux"
losetup -f
dev=$(losetup -f --show img); echo "$dev"
losetup -l -n -O NAME,SIZELIMIT,OFFSET,AUTOCLEAR,RO,BACK-FILE,DIO,LOG-SEC | norm
losetup "$dev" | norm
losetup -a | norm
dd if="$dev" bs=11 count=1 status=none
blockdev --getsize64 --getss --getro "$dev"
printf 'written through\n' | dd of="$dev" bs=512 seek=8 conv=notrunc,fsync status=none
dd if=img bs=512 skip=8 count=1 status=none | head -c 16; echo
truncate -s 8M img; blockdev --getsize64 "$dev"; losetup -c "$dev"; blockdev --getsize64 "$dev"
losetup "$dev" img 2>&1 | norm; echo "bind again status $?"
losetup -d "$dev"; echo "detached status $?"; losetup -a
losetup -d "$dev" 2>&1 | norm; echo "detach again status $?"
dev=$(losetup -f --show -o 4096 --sizelimit 8192 -r img)
losetup -l -n -O NAME,SIZELIMIT,OFFSET,RO,BACK-FILE | norm
blockdev --getsize64 --getro "$dev"
echo x | dd of="$dev" status=none 2>&1 | sed 's/^dd: //'; echo "write status $?"
losetup -d "$dev"
dev=$(losetup -f --show -b 4096 img)
losetup -l -n -O NAME,LOG-SEC | norm; blockdev --getss "$dev"
losetup -d "$dev"
dev=$(losetup -f --show -P img)
n=0; while [ ! -e "${dev}p1" ] && [ $n -lt 100 ]; do $bb sleep 0.1; n=$((n + 1)); done
ls "${dev}p1"; blockdev --getsize64 "${dev}p1"
lsblk -n -o NAME,SIZE,TYPE,RO "$dev" | sed 's/^[^a-z]*//'
losetup -D; losetup -a; echo "all detached"
echo "== busybox"
$bb losetup -f
$bb losetup /dev/loop1 img; echo "bind status $?"
$bb losetup /dev/loop1 | norm
$bb losetup -a | norm
$bb losetup -d /dev/loop1; echo "detach status $?"
$bb losetup -o 512 /dev/loop2 img; $bb losetup /dev/loop2 | norm
dd if=/dev/loop2 bs=512 count=1 status=none | od -An -c | head -1
$bb losetup -d /dev/loop2
$bb losetup -a; echo "end"
