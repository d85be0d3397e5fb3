// SPDX-License-Identifier: MIT OR Apache-2.0

//! `/dev/gunyah`.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use crate::bindings::{gunyah_fn_check, GUNYAH_CHECK_FUNCTION, GUNYAH_CREATE_VM};
use crate::sys::{self, Fd};
use crate::VmFd;

/// Where the Gunyah VM manager's device is.
pub const DEVICE_PATH: &str = "/dev/gunyah";

/// The Gunyah VM manager, `/dev/gunyah`: creates VMs.
///
/// # Example
///
/// ```no_run
/// use gunyah::bindings::GUNYAH_FN_VCPU;
/// use gunyah::Gunyah;
///
/// let gunyah = Gunyah::new()?;
/// assert!(gunyah.check_function(GUNYAH_FN_VCPU)?);
/// let vm = gunyah.create_vm()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Gunyah {
    fd: Fd,
}

impl Gunyah {
    /// Opens [`DEVICE_PATH`], read-write and close-on-exec.
    ///
    /// # Errors
    ///
    /// The error of open(2): `ENOENT` when the VM manager is not loaded, `EACCES` without
    /// permission on the device.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let gunyah = gunyah::Gunyah::new()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Self> {
        Self::open(DEVICE_PATH)
    }

    /// Opens the Gunyah device at `path` (a device node of the VM manager elsewhere than
    /// [`DEVICE_PATH`], in a container for instance), read-write and close-on-exec.
    ///
    /// # Errors
    ///
    /// The error of open(2).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let gunyah = gunyah::Gunyah::open("/dev/gunyah")?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Ok(Self {
            fd: Fd::new(file.into()),
        })
    }

    /// A device whose every call fails with `EBADF` (the crate's tests).
    #[cfg(test)]
    pub(crate) fn invalid() -> Self {
        Self { fd: Fd::invalid() }
    }

    /// Creates a VM (`GUNYAH_CREATE_VM`), not started.
    ///
    /// # Errors
    ///
    /// `EMFILE`/`ENFILE` (no descriptor left), `ENOMEM`/`ENODEV` (the resource manager has no
    /// memory or VM id left), or another error of the resource manager.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn create_vm(&self) -> io::Result<VmFd> {
        let fd = sys::ioctl_none(&self.fd, GUNYAH_CREATE_VM)?;
        // SAFETY: GUNYAH_CREATE_VM returned a new descriptor, installed for this process and
        // owned by nothing else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(VmFd::new(fd))
    }

    /// Whether the kernel provides VM function type `fn_type` (`GUNYAH_CHECK_FUNCTION`),
    /// loading its module if needed. Nothing is created.
    ///
    /// Types are `GUNYAH_FN_*` of [`bindings`](crate::bindings), or a type of an out-of-tree
    /// module.
    ///
    /// # Errors
    ///
    /// Any error but `ENOENT`, which is `Ok(false)`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use gunyah::bindings::{GUNYAH_FN_IOEVENTFD, GUNYAH_FN_IRQFD};
    ///
    /// let gunyah = gunyah::Gunyah::new()?;
    /// for fn_type in [GUNYAH_FN_IRQFD, GUNYAH_FN_IOEVENTFD] {
    ///     println!("type {fn_type}: {}", gunyah.check_function(fn_type)?);
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn check_function(&self, fn_type: u32) -> io::Result<bool> {
        let arg = gunyah_fn_check {
            type_: fn_type,
            flags: 0,
        };
        // SAFETY: GUNYAH_CHECK_FUNCTION reads a struct gunyah_fn_check, which `arg` is.
        match unsafe { sys::ioctl_with_ref(&self.fd, GUNYAH_CHECK_FUNCTION, &arg) } {
            Ok(_) => Ok(true),
            Err(err) if err.raw_os_error() == Some(sys::ENOENT) => Ok(false),
            Err(err) => Err(err),
        }
    }
}

impl AsFd for Gunyah {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.borrow()
    }
}

impl AsRawFd for Gunyah {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}
