// SPDX-License-Identifier: MIT OR Apache-2.0

//! Guest memory: anonymous mappings of the VMM that become a VM's memory regions.

use std::ffi::c_void;
use std::io;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU8, Ordering};

use crate::sys;

/// The host kernel's page size, to which guest memory addresses and sizes must be aligned.
///
/// # Example
///
/// ```
/// let page = gunyah::page_size();
/// assert!(page.is_power_of_two());
/// ```
pub fn page_size() -> usize {
    // SAFETY: sysconf() only reads its argument.
    let size = unsafe { sys::sysconf(sys::SC_PAGESIZE) };
    match usize::try_from(size) {
        Ok(size) if size > 0 => size,
        // Linux always answers; 4 KiB is the smallest page of every architecture it runs on.
        _ => 4096,
    }
}

/// Guest memory: an anonymous, private, read-write mapping, unmapped when dropped.
///
/// Give it to a VM with [`VmFd::add_memory`](crate::VmFd::add_memory), which keeps it alive for
/// as long as the VM can use it. The memory is shared with the guest: the guest may read and
/// write it at any time while it runs, so the crate never hands out Rust references to it,
/// only copies ([`read_at`](Self::read_at), [`write_at`](Self::write_at)), done a byte at a
/// time with relaxed atomic accesses, so that threads of the VMM may copy at the same time.
///
/// A region added with [`GUNYAH_MEM_FORCE_LEND`](crate::bindings::GUNYAH_MEM_FORCE_LEND)
/// belongs to the guest alone once the VM starts: any access by the process then faults
/// (`SIGBUS`). Fill such a region before starting the VM and do not touch it after.
///
/// The mapping is left out of child processes and core dumps (`MADV_DONTFORK`,
/// `MADV_DONTDUMP`): the kernel would otherwise copy (on `fork()`, which `std::process`
/// uses in some cases) or dump the pages, reading memory that, lent, the host may no longer
/// touch. A child process therefore does not see guest memory. (A kernel without
/// `madvise()` takes neither advice; the mapping is made anyway.)
///
/// # Example
///
/// ```
/// use gunyah::GuestMemory;
///
/// let mem = GuestMemory::new(4 * gunyah::page_size())?;
/// mem.write_at(0x10, b"hello")?;
/// let mut buf = [0u8; 5];
/// mem.read_at(0x10, &mut buf)?;
/// assert_eq!(&buf, b"hello");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct GuestMemory {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping belongs to this object alone and lives as long as it; nothing in it is a
// Rust object, and every access goes through atomic byte copies, so the object may move to
// another thread.
unsafe impl Send for GuestMemory {}
// SAFETY: as for Send: `&GuestMemory` only allows atomic byte copies in and out of memory that
// the guest shares anyway, never a reference to it, so copies from several threads do not race.
unsafe impl Sync for GuestMemory {}

impl GuestMemory {
    /// Maps `len` bytes of zeroed anonymous memory.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `len` is 0 or not a multiple of [`page_size()`]; the error of mmap()
    /// (`ENOMEM`) otherwise.
    ///
    /// # Example
    ///
    /// ```
    /// let mem = gunyah::GuestMemory::new(gunyah::page_size())?;
    /// assert_eq!(mem.len(), gunyah::page_size());
    /// assert!(gunyah::GuestMemory::new(1).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(len: usize) -> io::Result<Self> {
        if len == 0 || len % page_size() != 0 {
            return Err(sys::einval());
        }
        // SAFETY: a new anonymous private mapping at an address the kernel chooses: no memory
        // in use is affected.
        let addr = unsafe {
            sys::mmap(
                ptr::null_mut(),
                len,
                sys::PROT_READ | sys::PROT_WRITE,
                sys::MAP_PRIVATE | sys::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if sys::map_failed(addr) {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(addr.cast::<u8>()).ok_or_else(sys::einval)?;
        // Owned from here: dropped (unmapped) on the error path below.
        let mem = Self { ptr, len };
        for advice in [sys::MADV_DONTFORK, sys::MADV_DONTDUMP] {
            // SAFETY: advice on the mapping just made, which only this object refers to;
            // neither advice changes its contents.
            if unsafe { sys::madvise(addr, len, advice) } != 0 {
                let err = io::Error::last_os_error();
                // A kernel built without madvise() (CONFIG_ADVISE_SYSCALLS) has neither
                // advice; there is nothing to do about it.
                if err.raw_os_error() != Some(sys::ENOSYS) {
                    return Err(err);
                }
            }
        }
        Ok(mem)
    }

    /// The size of the mapping in bytes.
    ///
    /// # Example
    ///
    /// ```
    /// let mem = gunyah::GuestMemory::new(2 * gunyah::page_size())?;
    /// assert_eq!(mem.len(), 2 * gunyah::page_size());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a mapping has at least one page.
    ///
    /// # Example
    ///
    /// ```
    /// let mem = gunyah::GuestMemory::new(gunyah::page_size())?;
    /// assert!(!mem.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The start of the mapping in the process (the `userspace_addr` of the region).
    ///
    /// Using the pointer is up to the caller: the guest may access the memory concurrently.
    ///
    /// # Example
    ///
    /// ```
    /// let mem = gunyah::GuestMemory::new(gunyah::page_size())?;
    /// assert_eq!(mem.as_ptr() as usize % gunyah::page_size(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Checks that `[offset, offset + len)` lies inside the mapping.
    fn check_range(&self, offset: usize, len: usize) -> io::Result<()> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(sys::einval()),
        }
    }

    /// Copies `data` into the memory at byte `offset`.
    ///
    /// # Errors
    ///
    /// `EINVAL` if the range does not lie inside the mapping; nothing is written then.
    ///
    /// # Example
    ///
    /// ```
    /// let mem = gunyah::GuestMemory::new(gunyah::page_size())?;
    /// mem.write_at(0, &[1, 2, 3])?;
    /// assert!(mem.write_at(mem.len() - 1, &[1, 2]).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write_at(&self, offset: usize, data: &[u8]) -> io::Result<()> {
        self.check_range(offset, data.len())?;
        let base = self.ptr.as_ptr();
        for (i, byte) in data.iter().enumerate() {
            // SAFETY: offset + i < self.len (checked above): the byte lies in the mapping,
            // which lives as long as self, and is aligned for AtomicU8 (alignment 1). Rust code
            // accesses guest memory only through such atomics, so copies from several threads
            // do not race; the guest's own accesses are outside the Rust program.
            unsafe { AtomicU8::from_ptr(base.add(offset + i)) }.store(*byte, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Copies `buf.len()` bytes of the memory at byte `offset` into `buf`.
    ///
    /// # Errors
    ///
    /// `EINVAL` if the range does not lie inside the mapping; `buf` is unchanged then.
    ///
    /// # Example
    ///
    /// ```
    /// let mem = gunyah::GuestMemory::new(gunyah::page_size())?;
    /// let mut buf = [0xffu8; 4];
    /// mem.read_at(8, &mut buf)?;
    /// assert_eq!(buf, [0; 4]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read_at(&self, offset: usize, buf: &mut [u8]) -> io::Result<()> {
        self.check_range(offset, buf.len())?;
        let base = self.ptr.as_ptr();
        for (i, byte) in buf.iter_mut().enumerate() {
            // SAFETY: as in write_at(): in the mapping, aligned, and accessed by Rust code only
            // through atomics.
            *byte = unsafe { AtomicU8::from_ptr(base.add(offset + i)) }.load(Ordering::Relaxed);
        }
        Ok(())
    }
}

impl Drop for GuestMemory {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by new() with this length and is unmapped only here;
        // nothing refers to it any more (a VM that used it holds an Arc to self).
        let ret = unsafe { sys::munmap(self.ptr.as_ptr().cast::<c_void>(), self.len) };
        debug_assert_eq!(ret, 0, "munmap of guest memory failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_sizes() {
        for len in [0, 1, page_size() - 1, page_size() + 1] {
            let err = GuestMemory::new(len).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(sys::EINVAL), "len {len}");
        }
    }

    /// Whether the smaps header line `line` ("start-end perms ...") is a mapping holding `addr`.
    fn maps_addr(line: &str, addr: usize) -> bool {
        let Some((range, _)) = line.split_once(' ') else {
            return false;
        };
        let Some((start, end)) = range.split_once('-') else {
            return false;
        };
        match (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) {
            (Ok(start), Ok(end)) => start <= addr && addr < end,
            _ => false,
        }
    }

    /// The VmFlags of the mapping that holds `addr` in /proc/self/smaps (the kernel may have
    /// merged it with a neighbour of the same kind, made by a test running alongside).
    fn vm_flags(addr: usize) -> Vec<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut lines = smaps.lines().skip_while(|l| !maps_addr(l, addr));
        assert!(lines.next().is_some(), "no mapping holds {addr:#x}");
        let flags = lines
            .find_map(|l| l.strip_prefix("VmFlags:"))
            .expect("no VmFlags line");
        flags.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn not_copied_to_children_nor_dumped() {
        let mem = GuestMemory::new(2 * page_size()).unwrap();
        let flags = vm_flags(mem.as_ptr() as usize);
        // VM_DONTCOPY and VM_DONTDUMP
        assert!(flags.iter().any(|f| f == "dc"), "{flags:?}");
        assert!(flags.iter().any(|f| f == "dd"), "{flags:?}");
    }

    #[test]
    fn copies_in_and_out() {
        let mem = GuestMemory::new(2 * page_size()).unwrap();
        assert_eq!(mem.len(), 2 * page_size());
        assert!(!mem.is_empty());
        let end = mem.len() - 3;
        mem.write_at(end, &[7, 8, 9]).unwrap();
        let mut buf = [0u8; 3];
        mem.read_at(end, &mut buf).unwrap();
        assert_eq!(buf, [7, 8, 9]);
        // Out of range, and overflowing: refused, nothing changed.
        assert!(mem.write_at(end + 1, &[1, 2, 3]).is_err());
        assert!(mem.read_at(usize::MAX, &mut buf).is_err());
        assert_eq!(buf, [7, 8, 9]);
    }
}
