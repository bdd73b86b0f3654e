//! Path walk, as Linux's `fs/namei.c` (`path_init`, `link_path_walk`, `walk_component`,
//! `step_into`, `pick_link`, `follow_dotdot`, `lookup_last`, `path_lookupat`, `path_parentat`).
//!
//! Key items: [`resolve`] (a path to a dentry), [`resolve_parent`] (a path to its directory and
//! last component, for the creating and removing syscalls), [`Ctx`] (the caller's root and
//! credentials), [`Lookup`] (follow the last symlink or not, must be a directory or not),
//! [`Parent`] and [`LastKind`].
//!
//! Rules followed, in Linux's order:
//! - An empty path is `ENOENT`, a path of `PATH_MAX` (4096) bytes or more `ENAMETOOLONG` (as
//!   `getname`); `AT_EMPTY_PATH` is the caller's business.
//! - An absolute path starts at the caller's root, a relative one at `start` (the cwd or a
//!   dirfd's dentry), which must be a directory (`ENOTDIR`).
//! - Before each component, search (`x`) permission on the directory it is looked up in
//!   (`EACCES`; root passes); a path of only slashes checks nothing.
//! - `.` stays, `..` goes to the parent, but not above the caller's root nor above the topmost
//!   root, and from the root of a mount to the parent of the dentry it covers
//!   ([`crate::mount::Path::dotdot`]); a step onto a dentry something is mounted on enters the
//!   topmost mount there.
//! - A component longer than `NAME_MAX` (255) is `ENAMETOOLONG` when it is looked up (so a
//!   missing directory before it gives `ENOENT` first); a missing component is `ENOENT`; a
//!   non-directory followed by more components is `ENOTDIR`.
//! - Symlinks in the middle are always followed, the last component's only with
//!   [`Lookup::follow`] or when the path ends in `/`; an absolute target restarts at the root, a
//!   relative one at the link's directory; more than 40 links in one walk (nested or in a row)
//!   is `ELOOP`, and so is a link on a `nosymfollow` mount. Following a link updates its atime
//!   under its mount's policy.
//! - A trailing slash after the last component makes it follow symlinks and be a directory
//!   (`ENOTDIR` otherwise), as `lookup_last` does.
//!
//! - A "magic" link ([`crate::Inode::jump_link`], procfs's `fd/N`, `cwd`, `exe`) moves the walk
//!   to the object it stands for instead of being read (`nd_jump_link`).
//!
//! - `openat2`'s scoping ([`Lookup::resolve`], Linux's `LOOKUP_*` from `RESOLVE_*`):
//!   `RESOLVE_BENEATH` and `RESOLVE_IN_ROOT` make the start directory the walk's root. Beneath
//!   it, an absolute path or symlink, or `..` from the root, is `EXDEV`; in it, they stop at
//!   it, as `chroot` would. `RESOLVE_NO_XDEV` makes every mount crossing (down into a mount, up
//!   out of one by `..`, an absolute symlink to another mount, a magic link to another mount)
//!   `EXDEV`. `RESOLVE_NO_SYMLINKS` makes any symlink `ELOOP`, `RESOLVE_NO_MAGICLINKS` any
//!   magic link, and a scoped walk refuses magic links with `EXDEV` (`nd_jump_link`).
//!   `RESOLVE_CACHED` (`LOOKUP_CACHED`) gives `EAGAIN` where Linux's RCU walk would have to
//!   leave the dentry cache: a name not cached (tmpfs's names always are, as Linux pins them;
//!   an absent name is `EAGAIN`, as before Linux has a negative entry for it), a magic link.
//!
//! Not done yet: the `protected_symlinks` sysctl (`may_follow_link`).

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;

use crate::dentry::Dentry;
use crate::inode::{FileType, MAXSYMLINKS, PATH_MAX};
use crate::mount::Path;
use crate::perm::{Credentials, MAY_EXEC, may_access};

/// Who walks and from which root: the process's root directory (`chroot`), credentials and
/// umask (Linux's `fs_struct` and `cred`).
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The caller's root: absolute paths start here and `..` stops here.
    pub root: &'a Path,
    /// Permission checks use these.
    pub creds: &'a Credentials,
    /// File-creation mask, applied by the creating operations of [`crate::namei`].
    pub umask: u32,
}

/// How the last component is treated by [`resolve`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lookup {
    /// Follow a symlink in the last component (`LOOKUP_FOLLOW`).
    pub follow: bool,
    /// The result must be a directory (`LOOKUP_DIRECTORY`, `ENOTDIR` otherwise).
    pub directory: bool,
    /// `openat2`'s `RESOLVE_*` bits ([`resolve`]); 0 for every other caller.
    pub resolve: u32,
}

/// `openat2`'s `RESOLVE_*` bits, as [`Lookup::resolve`] takes them.
pub mod resolve {
    use linux_raw_sys::general as raw;
    /// Mount crossings are `EXDEV`.
    pub const NO_XDEV: u32 = raw::RESOLVE_NO_XDEV;
    /// Magic links (procfs) are `ELOOP`.
    pub const NO_MAGICLINKS: u32 = raw::RESOLVE_NO_MAGICLINKS;
    /// Every symlink is `ELOOP`.
    pub const NO_SYMLINKS: u32 = raw::RESOLVE_NO_SYMLINKS;
    /// The walk may not leave the start directory (`EXDEV`).
    pub const BENEATH: u32 = raw::RESOLVE_BENEATH;
    /// The start directory is the walk's root.
    pub const IN_ROOT: u32 = raw::RESOLVE_IN_ROOT;
    /// Only what the dentry cache holds (`EAGAIN` otherwise).
    pub const CACHED: u32 = raw::RESOLVE_CACHED;
    /// Every bit `openat2` accepts.
    pub const VALID: u32 = NO_XDEV | NO_MAGICLINKS | NO_SYMLINKS | BENEATH | IN_ROOT | CACHED;
    /// The scoping bits (`LOOKUP_IS_SCOPED`).
    pub const SCOPED: u32 = BENEATH | IN_ROOT;
}

impl Lookup {
    /// Follow a final symlink (`stat`, `open` without `O_NOFOLLOW`).
    pub const FOLLOW: Lookup = Lookup {
        follow: true,
        directory: false,
        resolve: 0,
    };
    /// Do not follow a final symlink (`lstat`, `AT_SYMLINK_NOFOLLOW`).
    pub const NOFOLLOW: Lookup = Lookup {
        follow: false,
        directory: false,
        resolve: 0,
    };
    /// Follow, and require a directory (`chdir`, `O_DIRECTORY`).
    pub const DIRECTORY: Lookup = Lookup {
        follow: true,
        directory: true,
        resolve: 0,
    };
}

/// What the last component of a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastKind {
    /// An ordinary name.
    Normal,
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// No component at all: the path is only slashes (`/`).
    Root,
}

/// The result of [`resolve_parent`]: the directory that holds the last component.
#[derive(Debug)]
pub struct Parent<'p> {
    /// The directory the last component is (to be) in; for `.`/`..`/`/` the directory the walk
    /// stopped in before them.
    pub dir: Path,
    /// The last component as written (empty for [`LastKind::Root`]).
    pub last: &'p [u8],
    /// What kind of component it is.
    pub kind: LastKind,
    /// Whether slashes follow the last component (`mkdir("a/")`).
    pub trailing_slash: bool,
}

/// Resolves `path` from `start` (relative paths) or `ctx.root` (absolute paths) to a dentry.
pub fn resolve(ctx: &Ctx<'_>, start: &Path, path: &[u8], how: Lookup) -> Result<Path, Errno> {
    let mut nd = NameData::init(ctx, start, path, how)?;
    loop {
        nd.link_path_walk()?;
        if !nd.lookup_last()? {
            break;
        }
    }
    nd.finish()
}

/// Walks all but the last component of `path` (Linux `filename_parentat`); the last component
/// is returned unresolved, with its kind and whether a slash follows it.
pub fn resolve_parent<'p>(
    ctx: &Ctx<'_>,
    start: &Path,
    path: &'p [u8],
) -> Result<Parent<'p>, Errno> {
    let mut nd = NameData::init(ctx, start, path, Lookup::NOFOLLOW)?;
    nd.link_path_walk()?;
    let (s, e) = nd.last;
    Ok(Parent {
        dir: nd.cur,
        last: path.get(s..e).unwrap_or(&[]),
        kind: nd.last_kind,
        trailing_slash: nd.last_slash,
    })
}

/// Checks a user-supplied path as `getname` does: `ENOENT` if empty, `ENAMETOOLONG` if it does
/// not fit `PATH_MAX` with its NUL.
pub fn check_path(path: &[u8]) -> Result<(), Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

/// Search permission on a directory during a walk (`may_lookup`).
pub(crate) fn may_lookup(dir: &Dentry, creds: &Credentials) -> Result<(), Errno> {
    may_access(&dir.metadata(), creds, MAY_EXEC)
}

/// Looks `name` up in `dir` with the walk's length rule.
pub(crate) fn lookup_one(dir: &Arc<Dentry>, name: &[u8]) -> Result<Arc<Dentry>, Errno> {
    dir.lookup_child(name)
}

struct Frame {
    body: Vec<u8>,
    pos: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    /// Not the last component: symlinks are followed.
    More,
    /// The last component of a nested symlink body: followed.
    NestedLast,
    /// The last component of the whole path: followed only with `follow`.
    Trailing,
}

/// The state of one walk (Linux `struct nameidata`).
pub(crate) struct NameData<'a, 'p> {
    ctx: Ctx<'a>,
    /// Where absolute paths start and `..` stops: the caller's root, or the start directory of
    /// a scoped walk (`RESOLVE_BENEATH`, `RESOLVE_IN_ROOT`).
    root: Path,
    path: &'p [u8],
    pos: usize,
    frames: Vec<Frame>,
    pub(crate) cur: Path,
    total_links: u32,
    /// Range of the last component within the source it came from (the top frame, or `path`).
    last: (usize, usize),
    pub(crate) last_kind: LastKind,
    pub(crate) last_slash: bool,
    pub(crate) how: Lookup,
}

impl<'a, 'p> NameData<'a, 'p> {
    /// `getname` checks and `path_init`.
    pub(crate) fn init(
        ctx: &Ctx<'a>,
        start: &Path,
        path: &'p [u8],
        how: Lookup,
    ) -> Result<Self, Errno> {
        check_path(path)?;
        // path_init: an absolute path starts at the root (beneath a directory, it may not),
        // except in RESOLVE_IN_ROOT where the start directory is the root.
        let is_absolute = path.first() == Some(&b'/');
        let cur = if is_absolute && how.resolve & resolve::IN_ROOT == 0 {
            if how.resolve & resolve::BENEATH != 0 {
                return Err(Errno::EXDEV);
            }
            ctx.root.clone()
        } else {
            if !start.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            start.clone()
        };
        let root = if how.resolve & resolve::SCOPED != 0 {
            cur.clone()
        } else {
            ctx.root.clone()
        };
        Ok(NameData {
            ctx: *ctx,
            root,
            path,
            pos: 0,
            frames: Vec::new(),
            cur,
            total_links: 0,
            last: (0, 0),
            last_kind: LastKind::Root,
            last_slash: false,
            how,
        })
    }

    fn src(&self) -> &[u8] {
        match self.frames.last() {
            Some(f) => &f.body,
            None => self.path,
        }
    }

    fn src_pos(&self) -> usize {
        match self.frames.last() {
            Some(f) => f.pos,
            None => self.pos,
        }
    }

    fn set_pos(&mut self, pos: usize) {
        match self.frames.last_mut() {
            Some(f) => f.pos = pos,
            None => self.pos = pos,
        }
    }

    fn skip_slashes(&mut self) {
        let src = self.src();
        let mut p = self.src_pos();
        while src.get(p) == Some(&b'/') {
            p += 1;
        }
        self.set_pos(p);
    }

    fn at_end(&self) -> bool {
        self.src_pos() >= self.src().len()
    }

    /// The last component's bytes (in the top frame or the path).
    pub(crate) fn last_name(&self) -> &[u8] {
        self.src().get(self.last.0..self.last.1).unwrap_or(&[])
    }

    /// Linux `link_path_walk`: walks every component but the last of the current source,
    /// following symlinks met on the way, and leaves the last one in `last`.
    pub(crate) fn link_path_walk(&mut self) -> Result<(), Errno> {
        let base = self.frames.len();
        self.last_kind = LastKind::Root;
        self.last_slash = false;
        self.last = (self.src_pos(), self.src_pos());
        self.skip_slashes();
        if self.at_end() {
            return Ok(());
        }
        loop {
            may_lookup(&self.cur, self.ctx.creds)?;
            let src = self.src();
            let start = self.src_pos();
            let mut end = start;
            while end < src.len() && src[end] != b'/' {
                end += 1;
            }
            let kind = match &src[start..end] {
                b"." => LastKind::Dot,
                b".." => LastKind::DotDot,
                _ => LastKind::Normal,
            };
            let slash = end < src.len();
            self.last = (start, end);
            self.last_kind = kind;
            self.last_slash = slash;
            self.set_pos(end);
            self.skip_slashes();
            let followed = if self.at_end() {
                if self.frames.len() == base {
                    return Ok(());
                }
                self.walk_component(Walk::NestedLast)?
            } else {
                self.walk_component(Walk::More)?
            };
            if followed {
                continue;
            }
            if !self.cur.is_dir() {
                return Err(Errno::ENOTDIR);
            }
        }
    }

    /// Linux `walk_component`: resolves the component in `last` from `cur`; returns whether a
    /// symlink was entered (its body is then the current source).
    pub(crate) fn walk_component(&mut self, mode: Walk) -> Result<bool, Errno> {
        if self.last_kind != LastKind::Normal {
            if mode != Walk::More && !self.frames.is_empty() {
                self.frames.pop();
            }
            self.handle_dots()?;
            return Ok(false);
        }
        let child = {
            let dir = &self.cur;
            let name = self.last_name();
            if self.how.resolve & resolve::CACHED != 0 {
                // LOOKUP_CACHED: the RCU walk cannot call into the filesystem.
                match dir.dentry().cached_child(name) {
                    Some(child) => dir.with_dentry(child),
                    None if dir.inode().names_always_cached() => {
                        // A name Linux would find in the cache; an absent one would need a
                        // negative entry, which is not kept: EAGAIN, as a first lookup.
                        let child = lookup_one(dir, name).map_err(|error| match error {
                            Errno::ENOENT => Errno::EAGAIN,
                            other => other,
                        })?;
                        dir.with_dentry(child)
                    }
                    None => return Err(Errno::EAGAIN),
                }
            } else {
                dir.with_dentry(lookup_one(dir, name)?)
            }
        };
        if mode != Walk::More && !self.frames.is_empty() {
            self.frames.pop();
        }
        self.step_into(child, mode)
    }

    /// Linux `handle_dots`/`follow_dotdot`: `..` stops at the root (`EXDEV` beneath it) and
    /// leaving a mount is `EXDEV` with `RESOLVE_NO_XDEV`.
    fn handle_dots(&mut self) -> Result<(), Errno> {
        if self.last_kind == LastKind::DotDot {
            let resolve = self.how.resolve;
            let up = self.cur.dotdot(&self.root);
            if up.same(&self.cur) && resolve & resolve::BENEATH != 0 {
                return Err(Errno::EXDEV);
            }
            if resolve & resolve::NO_XDEV != 0 && !Arc::ptr_eq(up.mnt(), self.cur.mnt()) {
                return Err(Errno::EXDEV);
            }
            self.cur = up;
        }
        Ok(())
    }

    /// Linux `nd_jump_root`: an absolute symlink body restarts at the root.
    fn jump_root(&mut self) -> Result<(), Errno> {
        let resolve = self.how.resolve;
        if resolve & resolve::BENEATH != 0 {
            return Err(Errno::EXDEV);
        }
        if resolve & resolve::NO_XDEV != 0 && !Arc::ptr_eq(self.cur.mnt(), self.root.mnt()) {
            return Err(Errno::EXDEV);
        }
        self.cur = self.root.clone();
        Ok(())
    }

    /// Linux `step_into`/`pick_link`.
    pub(crate) fn step_into(&mut self, child: Path, mode: Walk) -> Result<bool, Errno> {
        let unmounted = child.mnt().clone();
        let child = child.follow_mounts();
        if self.how.resolve & resolve::NO_XDEV != 0 && !Arc::ptr_eq(child.mnt(), &unmounted) {
            // handle_mounts: crossing into a mount.
            return Err(Errno::EXDEV);
        }
        let follow = match mode {
            Walk::More | Walk::NestedLast => true,
            Walk::Trailing => self.how.follow,
        };
        if !follow || child.inode().file_type() != FileType::Symlink {
            self.cur = child;
            return Ok(false);
        }
        if self.total_links >= MAXSYMLINKS {
            return Err(Errno::ELOOP);
        }
        self.total_links += 1;
        if self.how.resolve & resolve::NO_SYMLINKS != 0
            || child.mnt().flags() & crate::mount::flags::MNT_NOSYMFOLLOW != 0
        {
            return Err(Errno::ELOOP);
        }
        let magic = child.inode().jump_link();
        if magic.is_some() && self.how.resolve & resolve::CACHED != 0 {
            // proc's get_link refuses the RCU walk.
            return Err(Errno::EAGAIN);
        }
        child.touch_atime();
        if let Some(target) = magic {
            // nd_jump_link: no magic links (ELOOP), none to another mount (EXDEV), none in a
            // scoped walk (EXDEV); else the walk continues at the object itself.
            if self.how.resolve & resolve::NO_MAGICLINKS != 0 {
                return Err(Errno::ELOOP);
            }
            let target = target?;
            if self.how.resolve & resolve::NO_XDEV != 0
                && !Arc::ptr_eq(target.mnt(), self.cur.mnt())
            {
                return Err(Errno::EXDEV);
            }
            if self.how.resolve & resolve::SCOPED != 0 {
                return Err(Errno::EXDEV);
            }
            self.cur = target;
            return Ok(false);
        }
        let body = child.inode().readlink()?;
        self.frames.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        let absolute = body.first() == Some(&b'/');
        self.frames.push(Frame { body, pos: 0 });
        if absolute {
            self.jump_root()?;
            self.skip_slashes();
        }
        if self.at_end() {
            // A pure jump ("/") or an empty body: nothing to walk.
            self.frames.pop();
            return Ok(false);
        }
        Ok(true)
    }

    /// Linux `lookup_last`: resolves the final component; returns whether a trailing symlink was
    /// entered (then [`NameData::link_path_walk`] runs again).
    pub(crate) fn lookup_last(&mut self) -> Result<bool, Errno> {
        if self.last_kind == LastKind::Normal && self.last_slash {
            self.how.follow = true;
            self.how.directory = true;
        }
        self.walk_component(Walk::Trailing)
    }

    /// Final checks of `path_lookupat`.
    pub(crate) fn finish(self) -> Result<Path, Errno> {
        if self.how.directory && !self.cur.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(self.cur)
    }

    /// Drops the frame holding the last component, if the last came from a symlink body (Linux
    /// `put_link` before the final step).
    pub(crate) fn put_last_frame(&mut self) {
        if !self.frames.is_empty() {
            self.frames.pop();
        }
    }

    /// The caller's context.
    pub(crate) fn ctx(&self) -> &Ctx<'a> {
        &self.ctx
    }
}
