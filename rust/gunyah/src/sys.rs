// SPDX-License-Identifier: MIT OR Apache-2.0

//! The few C library functions the crate calls, declared by hand (std links the C library, so
//! the crate needs no `libc` dependency), their constants for Linux on x86_64 and aarch64, and
//! the descriptor holder of the fd types.

use std::ffi::{c_int, c_long, c_uint, c_ulong, c_void};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::ptr;

extern "C" {
    /// ioctl(2); glibc's prototype (`unsigned long` request).
    pub(crate) fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
    /// mmap(2); `off_t` is 64 bits on the 64-bit architectures the crate supports.
    pub(crate) fn mmap(
        addr: *mut c_void,
        len: usize,
        prot: c_int,
        flags: c_int,
        fd: c_int,
        offset: i64,
    ) -> *mut c_void;
    /// munmap(2).
    pub(crate) fn munmap(addr: *mut c_void, len: usize) -> c_int;
    /// madvise(2).
    pub(crate) fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
    /// eventfd(2).
    pub(crate) fn eventfd(initval: c_uint, flags: c_int) -> c_int;
    /// sysconf(3).
    pub(crate) fn sysconf(name: c_int) -> c_long;
}

// <asm-generic/mman-common.h> (x86_64 uses the same values).
pub(crate) const PROT_READ: c_int = 0x1;
pub(crate) const PROT_WRITE: c_int = 0x2;
pub(crate) const MAP_SHARED: c_int = 0x01;
pub(crate) const MAP_PRIVATE: c_int = 0x02;
pub(crate) const MAP_ANONYMOUS: c_int = 0x20;
pub(crate) const MADV_DONTFORK: c_int = 10;
pub(crate) const MADV_DONTDUMP: c_int = 16;

// <sys/eventfd.h>: O_CLOEXEC and O_NONBLOCK of <asm-generic/fcntl.h> (x86_64: the same).
pub(crate) const EFD_CLOEXEC: c_int = 0o2_000_000;
pub(crate) const EFD_NONBLOCK: c_int = 0o4_000;

// glibc's <bits/confname.h>.
pub(crate) const SC_PAGESIZE: c_int = 30;

// <asm-generic/errno-base.h>.
pub(crate) const ENOENT: i32 = 2;
pub(crate) const EINVAL: i32 = 22;
// <asm-generic/errno.h>.
pub(crate) const ENOSYS: i32 = 38;

/// The argument of an ioctl that takes none.
const NO_ARG: c_ulong = 0;

/// Whether mmap() failed (it returns `MAP_FAILED`, `(void *)-1`).
pub(crate) fn map_failed(addr: *mut c_void) -> bool {
    addr as usize == usize::MAX
}

/// `ret` if it is not negative, else the error in `errno`.
fn check(ret: c_int) -> io::Result<c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// An `EINVAL` error, the one the kernel would give, for arguments the crate rejects itself.
pub(crate) fn einval() -> io::Error {
    io::Error::from_raw_os_error(EINVAL)
}

/// A file descriptor the crate owns, or none.
///
/// "None" exists for the crate's tests only: its raw value is -1, on which every call fails
/// with `EBADF`, and dropping it closes nothing. An [`OwnedFd`] cannot hold -1, hence the
/// `Option`.
#[derive(Debug)]
pub(crate) struct Fd(Option<OwnedFd>);

impl Fd {
    /// Holds `fd`, closing it on drop.
    pub(crate) fn new(fd: OwnedFd) -> Self {
        Self(Some(fd))
    }

    /// No descriptor: every call fails with `EBADF`.
    #[cfg(test)]
    pub(crate) fn invalid() -> Self {
        Self(None)
    }

    /// The raw descriptor, -1 for none.
    pub(crate) fn raw(&self) -> RawFd {
        self.0.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// The descriptor, borrowed.
    ///
    /// # Panics
    ///
    /// For the test-only invalid descriptor, which has nothing to borrow.
    pub(crate) fn borrow(&self) -> BorrowedFd<'_> {
        self.0
            .as_ref()
            .map(AsFd::as_fd)
            .expect("no file descriptor (a test-only object)")
    }
}

/// An ioctl that takes no argument (the argument passed is 0).
///
/// Returns what the ioctl returns, or the error in `errno`.
pub(crate) fn ioctl_none(fd: &Fd, request: c_ulong) -> io::Result<c_int> {
    // SAFETY: the request takes no argument, so the kernel touches no memory of ours through
    // it; on a descriptor that is not open, or not a Gunyah one, it fails (EBADF, ENOTTY).
    // (GUNYAH_VCPU_RUN writes the vCPU's run page, a shared mapping the crate reaches only
    // through raw pointers: VcpuFd::run() calls it with the vCPU borrowed mutably.)
    check(unsafe { ioctl(fd.raw(), request, NO_ARG) })
}

/// An ioctl whose argument points to a `T` the kernel only reads (an `_IOW` request).
///
/// Returns what the ioctl returns, or the error in `errno`.
///
/// # Safety
///
/// `request` must be an ioctl of `fd` that reads a `T` (at most `size_of::<T>()` bytes) from
/// its argument and writes no memory of the process; any pointer inside `T` must satisfy what
/// that ioctl requires of it.
pub(crate) unsafe fn ioctl_with_ref<T>(fd: &Fd, request: c_ulong, arg: &T) -> io::Result<c_int> {
    // SAFETY: `arg` is a valid `T` for the whole call; the caller guarantees the request only
    // reads it (and whatever it points to).
    check(unsafe { ioctl(fd.raw(), request, ptr::from_ref(arg)) })
}
