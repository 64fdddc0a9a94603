//! Listing a directory and opening its files, with as few system calls as the kernel
//! allows: a directory is opened relative to the root's descriptor and listed with
//! `getdents64` directly (no `fstat` per directory, as `opendir` does); a file is
//! opened relative to its directory's descriptor, so the kernel resolves one path
//! component, not the whole path.
//!
//! Symbolic links to files are read; links to directories are not followed (as git
//! does not), so a link loop cannot trap the walk. Sockets, FIFOs and devices are
//! skipped: reading a FIFO would block forever.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};

use super::ignore::{Base, Found, Ignores, Rules, above_root};

/// What the walk hands to the visitor.
pub enum Visit {
    /// A regular file (or a link to one) that is not ignored, opened for reading, or
    /// the error opening it. `rel` is its path from the root, `/`-separated.
    File {
        /// Path from the root.
        rel: String,
        /// The open file, or why it could not be opened.
        file: io::Result<File>,
    },
    /// A directory that could not be read, or an ignore file that could not be
    /// parsed; `rel` names it ("." for the root itself).
    Error {
        /// Path from the root.
        rel: String,
        /// What went wrong.
        error: io::Error,
    },
}

/// Files of one directory are handed out in batches of this many, so a directory of
/// thousands of files (a bootstrap kit) is read on every thread, not one.
pub const FILE_BATCH: usize = 32;

/// Work waiting for a thread.
pub enum Job {
    /// A directory to list; `rel` is its path from the root, "" for the root.
    Dir {
        rel: String,
        /// The path's bytes when a name on it is not UTF-8 (`rel` is then lossy and
        /// names no file); `None` when `rel` is exact.
        raw: Option<Vec<u8>>,
        rules: Option<Arc<Rules>>,
    },
    /// Files of a listed directory to open: each one's path from the root and its
    /// name in `dir`.
    Files {
        dir: Arc<Dir>,
        files: Vec<(String, CString)>,
    },
}

/// The tree being walked: the root's descriptor and the rules that apply everywhere.
pub struct Tree {
    root_fd: OwnedFd,
    /// The canonical root, which ignore matchers are built relative to.
    root_abs: PathBuf,
    ignores: Ignores,
}

impl Tree {
    /// Opens `root`; returns the tree and the first job (the root itself).
    pub fn open(root: &Path) -> io::Result<(Self, Job)> {
        let root_fd = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let root_abs = root.canonicalize()?;
        let ignores = Ignores::global();
        let first = Job::Dir {
            rel: String::new(),
            raw: None,
            rules: above_root(&root_abs),
        };
        Ok((
            Self {
                root_fd,
                root_abs,
                ignores,
            },
            first,
        ))
    }

    /// Does one job: lists a directory (pushing its subdirectories and file batches
    /// onto `jobs`) or opens a batch of files, handing what it meets to `visit`.
    pub fn run(
        &self,
        job: Job,
        visit: &mut impl FnMut(Visit),
        wants: &impl Fn(&str) -> bool,
        jobs: &mut Vec<Job>,
    ) {
        match job {
            Job::Dir { rel, raw, rules } => self.read_dir(rel, raw, rules, visit, wants, jobs),
            Job::Files { dir, files } => open_files(&dir, files, visit),
        }
    }

    fn read_dir(
        &self,
        rel: String,
        raw: Option<Vec<u8>>,
        rules: Option<Arc<Rules>>,
        visit: &mut impl FnMut(Visit),
        wants: &impl Fn(&str) -> bool,
        jobs: &mut Vec<Job>,
    ) {
        let shown = |rel: &str| {
            if rel.is_empty() {
                ".".to_string()
            } else {
                rel.to_string()
            }
        };
        let opened = if rel.is_empty() {
            rustix::fs::openat(
                &self.root_fd,
                c".",
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
        } else {
            // NOFOLLOW: a directory swapped for a link after it was listed is not
            // followed out of the tree.
            rustix::fs::openat(
                &self.root_fd,
                rel_path(&rel, raw.as_deref()),
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
                Mode::empty(),
            )
        };
        let listed = opened.and_then(|fd| {
            let mut dir = Dir::new(fd)?;
            let mut entries = Vec::new();
            while let Some(entry) = dir.read() {
                let entry = entry?;
                let name = entry.file_name();
                if name != c"." && name != c".." {
                    entries.push((name.to_owned(), entry.file_type()));
                }
            }
            Ok((dir, entries))
        });
        let (dir, entries) = match listed {
            Ok(listed) => listed,
            Err(errno) => {
                return visit(Visit::Error {
                    rel: shown(&rel),
                    error: errno.into(),
                });
            }
        };
        let has = |n: &CStr| entries.iter().any(|(name, _)| name.as_c_str() == n);
        let found = Found {
            ignore: has(c".ignore"),
            gitignore: has(c".gitignore"),
            git: has(c".git"),
        };
        let rules = if found.any() {
            let (level, errors) = found.build(
                &self.root_abs.join(rel_path(&rel, raw.as_deref())),
                Base::Inside(rel.clone()),
                rules,
            );
            for error in errors {
                visit(Visit::Error {
                    rel: shown(&rel),
                    error,
                });
            }
            Some(Arc::new(level))
        } else {
            rules
        };
        let dir = Arc::new(dir);
        let fd = match dir.fd() {
            Ok(fd) => fd,
            Err(errno) => {
                return visit(Visit::Error {
                    rel: shown(&rel),
                    error: errno.into(),
                });
            }
        };
        let mut batch = Vec::new();
        // File batches go on the stack after the subdirectories, so they come off it
        // first and the directory's descriptor is closed before its subtree is walked.
        let mut batches = Vec::new();
        let mut path = String::with_capacity(rel.len() + 64);
        for (name, file_type) in entries {
            if name.as_c_str() == c".git" {
                continue;
            }
            let name_str = String::from_utf8_lossy(name.to_bytes());
            path.clear();
            if !rel.is_empty() {
                path.push_str(&rel);
                path.push('/');
            }
            path.push_str(&name_str);
            let kind = match file_type {
                FileType::Unknown => {
                    rustix::fs::statat(fd, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW)
                        .map_or(FileType::Unknown, |st| FileType::from_raw_mode(st.st_mode))
                }
                other => other,
            };
            let is_dir = kind == FileType::Directory;
            let is_file = match kind {
                FileType::RegularFile => true,
                // A link is read if it leads to a regular file; links to directories
                // are not followed, and broken links are skipped, as before.
                FileType::Symlink => rustix::fs::statat(fd, name.as_c_str(), AtFlags::empty())
                    .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile),
                _ => false,
            };
            if !(is_dir || is_file) || self.ignores.ignored(rules.as_deref(), &path, is_dir) {
                continue;
            }
            if is_dir {
                // Lossy conversion borrows exactly when the name is valid UTF-8.
                let exact = raw.is_none() && matches!(name_str, std::borrow::Cow::Borrowed(_));
                jobs.push(Job::Dir {
                    rel: path.clone(),
                    raw: (!exact).then(|| {
                        let mut bytes = raw.clone().unwrap_or_else(|| rel.clone().into_bytes());
                        if !bytes.is_empty() {
                            bytes.push(b'/');
                        }
                        bytes.extend_from_slice(name.to_bytes());
                        bytes
                    }),
                    rules: rules.clone(),
                });
            } else if wants(&path) {
                batch.push((path.clone(), name));
                if batch.len() == FILE_BATCH {
                    batches.push(Job::Files {
                        dir: Arc::clone(&dir),
                        files: std::mem::take(&mut batch),
                    });
                }
            }
        }
        jobs.append(&mut batches);
        open_files(&dir, batch, visit);
    }
}

/// The path to open for a directory: its exact bytes if it has any, else `rel`.
fn rel_path<'a>(rel: &'a str, raw: Option<&'a [u8]>) -> &'a Path {
    use std::os::unix::ffi::OsStrExt;
    raw.map_or(Path::new(rel), |bytes| {
        Path::new(std::ffi::OsStr::from_bytes(bytes))
    })
}

/// Opens `files` (names in `dir`) and hands each to the visitor.
fn open_files(dir: &Dir, files: Vec<(String, CString)>, visit: &mut impl FnMut(Visit)) {
    // `fd()` cannot fail on Linux; if it ever did, each file says so.
    let fd = dir.fd();
    for (rel, name) in files {
        let file = fd
            .and_then(|fd| {
                rustix::fs::openat(
                    fd,
                    name.as_c_str(),
                    OFlags::RDONLY | OFlags::CLOEXEC,
                    Mode::empty(),
                )
            })
            .map(File::from)
            .map_err(io::Error::from);
        visit(Visit::File { rel, file });
    }
}
