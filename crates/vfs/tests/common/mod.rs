//! Test harness: a tmpfs mounted as root, a fake clock, and helpers that call `vfs::namei` the
//! way the syscall layer will.
#![allow(dead_code)]

use std::sync::Arc;

use abi::Errno;
use vfs::namei::{self, Opened};
use vfs::path::{self, Ctx, Lookup};
use vfs::{
    Credentials, Dentry, FileType, ManualClock, Metadata, MountNamespace, Path, Timespec, Tmpfs,
    TmpfsOptions,
};

#[allow(unused_imports)]
pub use linux_raw_sys::general::{
    O_CREAT, O_DIRECTORY, O_EXCL, O_NOATIME, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_TRUNC,
    O_WRONLY, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFSOCK,
};

pub struct T {
    pub clock: Arc<ManualClock>,
    pub fs: Arc<Tmpfs>,
    pub ns: Arc<MountNamespace>,
    pub root: Path,
    pub cwd: Path,
    pub creds: Credentials,
    pub umask: u32,
}

pub fn new_fs(clock: &Arc<ManualClock>, opts: TmpfsOptions) -> (Arc<Tmpfs>, Arc<Dentry>) {
    let fs = Tmpfs::try_new(clock.clone(), opts).unwrap();
    let root = Dentry::new_root(fs.clone());
    (fs, root)
}

impl T {
    pub fn new() -> T {
        T::with_options(TmpfsOptions::default())
    }

    pub fn with_options(opts: TmpfsOptions) -> T {
        let clock = Arc::new(ManualClock::new(Timespec { sec: 1000, nsec: 0 }));
        let (fs, root) = new_fs(&clock, opts);
        // Kernel-made mounts (rootfs) update atime on every access.
        let ns = MountNamespace::new(root, b"rootfs", 0).unwrap();
        let root = ns.root();
        T {
            clock,
            fs,
            ns,
            cwd: root.clone(),
            root,
            creds: Credentials::root(),
            umask: 0,
        }
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            root: &self.root,
            creds: &self.creds,
            umask: self.umask,
        }
    }

    /// Acts as an unprivileged user from now on.
    pub fn user(&mut self, uid: u32, gid: u32) {
        self.creds = Credentials::new(uid, gid, Vec::new());
    }

    pub fn as_root(&mut self) {
        self.creds = Credentials::root();
    }

    pub fn tick(&self, secs: i64) {
        self.clock.advance_secs(secs);
    }

    pub fn now(&self) -> Timespec {
        use vfs::Clock;
        self.clock.now()
    }

    pub fn mkdir(&self, p: &str) -> Result<(), Errno> {
        namei::mkdir(&self.ctx(), &self.cwd, p.as_bytes(), 0o777).map(|_| ())
    }

    pub fn mkdir_mode(&self, p: &str, mode: u32) -> Result<(), Errno> {
        namei::mkdir(&self.ctx(), &self.cwd, p.as_bytes(), mode).map(|_| ())
    }

    pub fn mknod(&self, p: &str, mode: u32, rdev: u64) -> Result<(), Errno> {
        namei::mknod(&self.ctx(), &self.cwd, p.as_bytes(), mode, rdev).map(|_| ())
    }

    pub fn touch(&self, p: &str) -> Result<(), Errno> {
        self.open(p, O_CREAT | O_WRONLY, 0o666).map(|_| ())
    }

    pub fn open(&self, p: &str, flags: u32, mode: u32) -> Result<Opened, Errno> {
        namei::open(&self.ctx(), &self.cwd, p.as_bytes(), flags, mode)
    }

    pub fn symlink(&self, target: &str, p: &str) -> Result<(), Errno> {
        namei::symlink(&self.ctx(), target.as_bytes(), &self.cwd, p.as_bytes())
    }

    pub fn link(&self, old: &str, new: &str) -> Result<(), Errno> {
        namei::link(
            &self.ctx(),
            &self.cwd,
            old.as_bytes(),
            &self.cwd,
            new.as_bytes(),
            false,
        )
    }

    pub fn unlink(&self, p: &str) -> Result<(), Errno> {
        namei::unlink(&self.ctx(), &self.cwd, p.as_bytes())
    }

    pub fn rmdir(&self, p: &str) -> Result<(), Errno> {
        namei::rmdir(&self.ctx(), &self.cwd, p.as_bytes())
    }

    pub fn rename(&self, old: &str, new: &str) -> Result<(), Errno> {
        self.rename2(old, new, 0)
    }

    pub fn rename2(&self, old: &str, new: &str, flags: u32) -> Result<(), Errno> {
        namei::rename(
            &self.ctx(),
            &self.cwd,
            old.as_bytes(),
            &self.cwd,
            new.as_bytes(),
            flags,
        )
    }

    pub fn stat(&self, p: &str) -> Result<Metadata, Errno> {
        namei::stat(&self.ctx(), &self.cwd, p.as_bytes(), true)
    }

    pub fn lstat(&self, p: &str) -> Result<Metadata, Errno> {
        namei::stat(&self.ctx(), &self.cwd, p.as_bytes(), false)
    }

    pub fn resolve(&self, p: &str, how: Lookup) -> Result<Path, Errno> {
        path::resolve(&self.ctx(), &self.cwd, p.as_bytes(), how)
    }

    pub fn readlink(&self, p: &str) -> Result<Vec<u8>, Errno> {
        namei::readlink(&self.ctx(), &self.cwd, p.as_bytes())
    }

    pub fn chdir(&mut self, p: &str) -> Result<(), Errno> {
        let d = namei::chdir(&self.ctx(), &self.cwd, p.as_bytes())?;
        self.cwd = d;
        Ok(())
    }

    pub fn getcwd(&self) -> Result<String, Errno> {
        namei::getcwd(&self.root, &self.cwd).map(|v| String::from_utf8(v).unwrap())
    }

    pub fn exists(&self, p: &str) -> bool {
        self.lstat(p).is_ok()
    }

    pub fn kind(&self, p: &str) -> FileType {
        self.lstat(p).unwrap().file_type
    }

    /// Writes `data` at offset 0 of an existing or new file.
    pub fn write_file(&self, p: &str, data: &[u8]) {
        let o = self.open(p, O_CREAT | O_WRONLY, 0o644).unwrap();
        assert_eq!(o.path.inode().write_at(0, data).unwrap(), data.len());
    }

    pub fn read_file(&self, p: &str) -> Vec<u8> {
        let o = self.open(p, O_RDONLY, 0).unwrap();
        let size = o.path.metadata().size as usize;
        let mut buf = vec![0; size];
        assert_eq!(o.path.inode().read_at(0, &mut buf).unwrap(), size);
        o.path.touch_atime();
        buf
    }

    pub fn chmod(&self, p: &str, mode: u32) -> Result<(), Errno> {
        let d = self.resolve(p, Lookup::FOLLOW)?;
        vfs::attr::chmod(d.inode().as_ref(), mode, &self.creds)
    }

    pub fn chown(&self, p: &str, uid: Option<u32>, gid: Option<u32>) -> Result<(), Errno> {
        let d = self.resolve(p, Lookup::FOLLOW)?;
        vfs::attr::chown(d.inode().as_ref(), uid, gid, &self.creds)
    }

    /// Mounts a new tmpfs instance with `opts` at `p` (flags `MNT_*`), as mount(2) does.
    pub fn mount_tmpfs(
        &self,
        p: &str,
        opts: TmpfsOptions,
        flags: u32,
    ) -> Result<Arc<Tmpfs>, Errno> {
        let (fs, root) = new_fs(&self.clock, opts);
        let target = self.resolve(p, Lookup::FOLLOW)?;
        self.ns.mount_new(&target, root, b"tmpfs", flags)?;
        Ok(fs)
    }

    /// Makes the root filesystem instance read-only (`mount -o remount,ro /`).
    pub fn fs_superblock_readonly(&self) {
        self.root
            .superblock()
            .set_flags(vfs::dentry::sb_flags::SB_RDONLY);
    }

    /// Lists a directory's names (without `.` and `..`), in readdir order.
    pub fn ls(&self, p: &str) -> Result<Vec<String>, Errno> {
        let d = self.resolve(p, Lookup::DIRECTORY)?;
        d.touch_atime();
        let mut names = Vec::new();
        d.inode().read_dir(0, &mut |e| {
            if e.name != b"." && e.name != b".." {
                names.push(String::from_utf8(e.name.to_vec()).unwrap());
            }
            true
        })?;
        Ok(names)
    }
}
