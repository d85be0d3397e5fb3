// SPDX-License-Identifier: MIT OR Apache-2.0

//! Eventfds, for irqfds and ioeventfds.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use crate::sys;

/// An eventfd(2): a 64-bit counter the kernel and the process signal each other with.
///
/// Give one to [`VmFd::add_irqfd`](crate::VmFd::add_irqfd) (writing it raises a guest
/// interrupt) or [`VmFd::add_ioeventfd`](crate::VmFd::add_ioeventfd) (guest writes signal it).
/// Any other eventfd works as well: those calls take any [`AsFd`].
///
/// # Example
///
/// ```
/// use gunyah::EventFd;
///
/// let evt = EventFd::new()?;
/// evt.write(2)?;
/// evt.write(3)?;
/// assert_eq!(evt.read()?, 5);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct EventFd {
    file: File,
}

impl EventFd {
    fn with_flags(flags: std::ffi::c_int) -> io::Result<Self> {
        // SAFETY: eventfd() only creates a new descriptor.
        let fd = unsafe { sys::eventfd(0, flags | sys::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: eventfd() returned a new open descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Self {
            file: File::from(fd),
        })
    }

    /// A new eventfd, counter 0, close-on-exec, blocking: [`read`](Self::read) waits for a
    /// signal.
    ///
    /// # Errors
    ///
    /// The error of eventfd(2) (`EMFILE`, `ENFILE`, `ENOMEM`).
    ///
    /// # Example
    ///
    /// ```
    /// let evt = gunyah::EventFd::new()?;
    /// evt.write(1)?;
    /// assert_eq!(evt.read()?, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Self> {
        Self::with_flags(0)
    }

    /// A new eventfd, counter 0, close-on-exec, non-blocking: [`read`](Self::read) fails with
    /// [`io::ErrorKind::WouldBlock`] while the counter is 0.
    ///
    /// # Errors
    ///
    /// The error of eventfd(2) (`EMFILE`, `ENFILE`, `ENOMEM`).
    ///
    /// # Example
    ///
    /// ```
    /// let evt = gunyah::EventFd::new_nonblocking()?;
    /// let err = evt.read().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new_nonblocking() -> io::Result<Self> {
        Self::with_flags(sys::EFD_NONBLOCK)
    }

    /// Adds `value` to the counter (signals the eventfd).
    ///
    /// # Errors
    ///
    /// The error of write(2): `EINVAL` for `u64::MAX`; `WouldBlock` if the counter would
    /// overflow on a non-blocking eventfd.
    ///
    /// # Example
    ///
    /// ```
    /// let evt = gunyah::EventFd::new()?;
    /// evt.write(1)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write(&self, value: u64) -> io::Result<()> {
        (&self.file).write_all(&value.to_ne_bytes())
    }

    /// Reads the counter and resets it to 0, waiting for a signal first if it is 0 and the
    /// eventfd is blocking.
    ///
    /// # Errors
    ///
    /// The error of read(2): `WouldBlock` when the counter is 0 on a non-blocking eventfd.
    ///
    /// # Example
    ///
    /// ```
    /// let evt = gunyah::EventFd::new()?;
    /// evt.write(7)?;
    /// assert_eq!(evt.read()?, 7);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read(&self) -> io::Result<u64> {
        let mut buf = [0u8; 8];
        (&self.file).read_exact(&mut buf)?;
        Ok(u64::from_ne_bytes(buf))
    }

    /// A second descriptor of the same eventfd (dup(2), close-on-exec).
    ///
    /// # Errors
    ///
    /// The error of dup(2).
    ///
    /// # Example
    ///
    /// ```
    /// let evt = gunyah::EventFd::new()?;
    /// let other = evt.try_clone()?;
    /// other.write(4)?;
    /// assert_eq!(evt.read()?, 4);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(Self {
            file: self.file.try_clone()?,
        })
    }
}

impl AsFd for EventFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsRawFd for EventFd {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl From<EventFd> for OwnedFd {
    fn from(evt: EventFd) -> OwnedFd {
        evt.file.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_resets() {
        let evt = EventFd::new_nonblocking().unwrap();
        assert_eq!(evt.read().unwrap_err().kind(), io::ErrorKind::WouldBlock);
        evt.write(1).unwrap();
        evt.write(41).unwrap();
        assert_eq!(evt.read().unwrap(), 42);
        assert_eq!(evt.read().unwrap_err().kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn clones_share_the_counter() {
        let evt = EventFd::new_nonblocking().unwrap();
        let other = evt.try_clone().unwrap();
        assert_ne!(evt.as_raw_fd(), other.as_raw_fd());
        other.write(5).unwrap();
        assert_eq!(evt.read().unwrap(), 5);
    }
}
