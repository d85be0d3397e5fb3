// SPDX-License-Identifier: MIT OR Apache-2.0

//! VM file descriptors and the functions attached to a VM.

use std::ffi::c_int;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::bindings::{
    boot_context_reg, gunyah_fn_desc, gunyah_fn_ioeventfd_arg, gunyah_fn_irqfd_arg,
    gunyah_fn_vcpu_arg, gunyah_userspace_memory_region, gunyah_vm_boot_context,
    gunyah_vm_dtb_config, GUNYAH_FN_IOEVENTFD, GUNYAH_FN_IRQFD, GUNYAH_FN_VCPU,
    GUNYAH_IOEVENTFD_FLAGS_DATAMATCH, GUNYAH_IRQFD_FLAGS_LEVEL, GUNYAH_VM_ADD_FUNCTION,
    GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP,
    GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, GUNYAH_VM_REMOVE_FUNCTION, GUNYAH_VM_SET_BOOT_CONTEXT,
    GUNYAH_VM_SET_DTB_CONFIG, GUNYAH_VM_SET_USER_MEM_REGION, GUNYAH_VM_START,
};
use crate::sys::{self, Fd};
use crate::{GuestMemory, VcpuFd};

/// What a VM fd and every handle of its functions share: the descriptor, and the memory given
/// to the VM, kept mapped as long as any of them exists.
#[derive(Debug)]
pub(crate) struct VmInner {
    fd: Fd,
    memory: Mutex<Vec<Arc<GuestMemory>>>,
}

/// A `struct gunyah_fn_desc` for function type `fn_type` whose argument is `arg`.
fn fn_desc<T>(fn_type: u32, arg: &T) -> gunyah_fn_desc {
    gunyah_fn_desc {
        type_: fn_type,
        // Argument structures are a few bytes (GUNYAH_FN_MAX_ARG_SIZE is 256).
        arg_size: size_of::<T>() as u32,
        arg: ptr::from_ref(arg) as u64,
    }
}

/// The argument of a function the crate added, kept to remove the function again.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FnArg {
    Vcpu(gunyah_fn_vcpu_arg),
    Irqfd(gunyah_fn_irqfd_arg),
    IoEventFd(gunyah_fn_ioeventfd_arg),
}

impl FnArg {
    /// `GUNYAH_VM_REMOVE_FUNCTION` with this argument.
    fn remove(&self, vm: &VmInner) -> io::Result<()> {
        let desc = match self {
            FnArg::Vcpu(arg) => fn_desc(GUNYAH_FN_VCPU, arg),
            FnArg::Irqfd(arg) => fn_desc(GUNYAH_FN_IRQFD, arg),
            FnArg::IoEventFd(arg) => fn_desc(GUNYAH_FN_IOEVENTFD, arg),
        };
        // SAFETY: GUNYAH_VM_REMOVE_FUNCTION reads a struct gunyah_fn_desc and, through it,
        // arg_size bytes at arg: `desc` and the argument it points to (in self) live for the
        // call. These types only compare the argument with their instances.
        unsafe { sys::ioctl_with_ref(&vm.fd, GUNYAH_VM_REMOVE_FUNCTION, &desc) }.map(drop)
    }
}

/// A function the crate added to a VM: removed from it on drop, unless removed before.
#[derive(Debug)]
pub(crate) struct Registration {
    vm: Arc<VmInner>,
    arg: FnArg,
    removed: bool,
}

impl Registration {
    pub(crate) fn new(vm: Arc<VmInner>, arg: FnArg) -> Self {
        Self {
            vm,
            arg,
            removed: false,
        }
    }

    /// The function's argument.
    pub(crate) fn arg(&self) -> &FnArg {
        &self.arg
    }

    /// The VM's shared state.
    pub(crate) fn vm(&self) -> &Arc<VmInner> {
        &self.vm
    }

    /// Removes the function now; later calls (and drop) do nothing.
    pub(crate) fn remove(&mut self) -> io::Result<()> {
        if self.removed {
            return Ok(());
        }
        self.removed = true;
        self.arg.remove(&self.vm)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Nothing to report an error to. The function goes with the VM anyway.
        let _ = self.remove();
    }
}

/// A register of the boot vCPU, for [`VmFd::set_boot_context`].
///
/// # Example
///
/// ```
/// use gunyah::BootReg;
///
/// assert_eq!(BootReg::Sp(1).encoding(), 0x201);
/// assert_eq!(BootReg::Pc.encoding(), 0x100);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BootReg {
    /// General-purpose register X0 to X31 (index 0 to 31).
    X(u8),
    /// The program counter.
    Pc,
    /// Stack pointer SP_EL0 to SP_EL2 (index 0 to 2).
    Sp(u8),
}

impl BootReg {
    /// The register as `struct gunyah_vm_boot_context` encodes it,
    /// `GUNYAH_VM_BOOT_CONTEXT_REG(set, index)`.
    ///
    /// Indexes are not checked here: the kernel refuses unknown ones (`EINVAL`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(gunyah::BootReg::X(2).encoding(), 2);
    /// ```
    pub const fn encoding(self) -> u32 {
        match self {
            BootReg::X(index) => boot_context_reg(GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, index as u32),
            BootReg::Pc => boot_context_reg(GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC, 0),
            BootReg::Sp(index) => boot_context_reg(GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, index as u32),
        }
    }
}

/// A VM, created by [`Gunyah::create_vm`](crate::Gunyah::create_vm).
///
/// Set it up (memory, the location of its configuration device tree, boot registers,
/// functions), then start it, with [`start`](Self::start) or by running a vCPU.
///
/// The VM lives as long as this object or any handle of its functions ([`VcpuFd`], [`IrqFd`],
/// [`IoEventFd`]): each holds the VM's descriptor. When the last one goes the kernel stops the
/// VM and reclaims its memory.
///
/// # Example
///
/// ```no_run
/// let gunyah = gunyah::Gunyah::new()?;
/// let vm = gunyah.create_vm()?;
/// let vcpu = vm.add_vcpu(0)?;
/// drop(vm); // the vCPU keeps the VM
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct VmFd {
    inner: Arc<VmInner>,
}

impl VmFd {
    /// Wraps the descriptor `GUNYAH_CREATE_VM` returned.
    pub(crate) fn new(fd: OwnedFd) -> Self {
        Self::from_fd(Fd::new(fd))
    }

    fn from_fd(fd: Fd) -> Self {
        Self {
            inner: Arc::new(VmInner {
                fd,
                memory: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A VM whose every call fails with `EBADF` (the crate's tests).
    #[cfg(test)]
    pub(crate) fn invalid() -> Self {
        Self::from_fd(Fd::invalid())
    }

    /// The shared state, for the crate's tests.
    #[cfg(test)]
    pub(crate) fn inner(&self) -> &Arc<VmInner> {
        &self.inner
    }

    /// How many memory regions the VM keeps mapped (the crate's tests).
    #[cfg(test)]
    pub(crate) fn memory_count(&self) -> usize {
        self.inner
            .memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Gives the VM a region of the process's memory (`GUNYAH_VM_SET_USER_MEM_REGION`).
    ///
    /// `region.userspace_addr` is the start of the memory in the process, `guest_phys_addr`
    /// where the guest sees it; addresses and size page aligned (see [`page_size`]), `flags`
    /// `GUNYAH_MEM_*` with at least `GUNYAH_MEM_ALLOW_READ`, `label` unique in the VM. The
    /// kernel pins the pages at once. Only before the VM starts; regions cannot be removed.
    ///
    /// [`add_memory`](Self::add_memory) is the safe way, with a [`GuestMemory`].
    ///
    /// [`page_size`]: crate::page_size
    ///
    /// # Safety
    ///
    /// The range must be anonymous, shmem or hugetlbfs memory mapped writable, that stays
    /// mapped and holds no Rust object (nothing the program accesses through references)
    /// until the VM is destroyed: the guest reads and writes it behind the program's back, and
    /// a lent region (`GUNYAH_MEM_FORCE_LEND`) faults on any access by the process once the VM
    /// has started.
    ///
    /// # Errors
    ///
    /// `EINVAL` (alignment, size, flags, kind of memory), `EEXIST` (overlap or label in use),
    /// `EPERM` (not the process that created the VM), `ENOMEM` (`RLIMIT_MEMLOCK`), `EFAULT`
    /// (range not mapped writable), `EBUSY` (the VM has started).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use gunyah::bindings::{gunyah_userspace_memory_region, GUNYAH_MEM_ALLOW_READ};
    ///
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let mem = gunyah::GuestMemory::new(gunyah::page_size())?;
    /// let region = gunyah_userspace_memory_region {
    ///     label: 1,
    ///     flags: GUNYAH_MEM_ALLOW_READ,
    ///     guest_phys_addr: 0x8000_0000,
    ///     memory_size: mem.len() as u64,
    ///     userspace_addr: mem.as_ptr() as u64,
    /// };
    /// // SAFETY: `mem` is anonymous memory, used only by the guest, and outlives the VM
    /// // (dropped after it, at the end of this scope).
    /// unsafe { vm.set_user_memory_region(region)? };
    /// # drop(vm);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub unsafe fn set_user_memory_region(
        &self,
        region: gunyah_userspace_memory_region,
    ) -> io::Result<()> {
        // SAFETY: GUNYAH_VM_SET_USER_MEM_REGION reads a struct gunyah_userspace_memory_region,
        // which `region` is; the caller guarantees what the kernel may do with the range.
        unsafe { sys::ioctl_with_ref(&self.inner.fd, GUNYAH_VM_SET_USER_MEM_REGION, &region) }
            .map(drop)
    }

    /// Gives the VM `memory` as a region at guest physical address `guest_phys_addr`, with
    /// `GUNYAH_MEM_*` `flags` and `label` (see
    /// [`set_user_memory_region`](Self::set_user_memory_region)).
    ///
    /// The VM keeps `memory` mapped for as long as this object or any handle of its functions
    /// exists; [`GuestMemory`] never lends out references to its content, so sharing it with
    /// the guest is safe.
    ///
    /// # Errors
    ///
    /// Those of [`set_user_memory_region`](Self::set_user_memory_region); the VM then does not
    /// keep `memory`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use std::sync::Arc;
    ///
    /// use gunyah::bindings::{GUNYAH_MEM_ALLOW_READ, GUNYAH_MEM_ALLOW_WRITE};
    ///
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let mem = Arc::new(gunyah::GuestMemory::new(16 * gunyah::page_size())?);
    /// vm.add_memory(0, 0x8000_0000, GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE, mem.clone())?;
    /// mem.write_at(0, b"guest image")?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add_memory(
        &self,
        label: u32,
        guest_phys_addr: u64,
        flags: u32,
        memory: Arc<GuestMemory>,
    ) -> io::Result<()> {
        let region = gunyah_userspace_memory_region {
            label,
            flags,
            guest_phys_addr,
            memory_size: memory.len() as u64,
            userspace_addr: memory.as_ptr() as u64,
        };
        // SAFETY: a GuestMemory is anonymous memory mapped read-write that holds no Rust
        // object (it only copies in and out with volatile accesses); it stays mapped as long
        // as the VM can use it: self.inner keeps it below, and every handle that keeps the VM
        // alive holds self.inner.
        unsafe { self.set_user_memory_region(region)? };
        self.inner
            .memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(memory);
        Ok(())
    }

    /// Tells the resource manager where the VM's configuration device tree is
    /// (`GUNYAH_VM_SET_DTB_CONFIG`): `size` bytes at guest physical address
    /// `guest_phys_addr`, inside one memory region. The last call before the start wins.
    ///
    /// # Errors
    ///
    /// `EINVAL` (size 0 or overflow), `EBUSY` (the VM has started).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// vm.set_dtb_config(0x8000_1000, 0x400)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_dtb_config(&self, guest_phys_addr: u64, size: u64) -> io::Result<()> {
        let config = gunyah_vm_dtb_config {
            guest_phys_addr,
            size,
        };
        // SAFETY: GUNYAH_VM_SET_DTB_CONFIG reads a struct gunyah_vm_dtb_config, which `config`
        // is.
        unsafe { sys::ioctl_with_ref(&self.inner.fd, GUNYAH_VM_SET_DTB_CONFIG, &config) }.map(drop)
    }

    /// Sets register `reg` of the boot vCPU to `value` when the VM starts
    /// (`GUNYAH_VM_SET_BOOT_CONTEXT`); setting a register again replaces the value.
    ///
    /// # Errors
    ///
    /// `EINVAL` (unknown register), `EBUSY` (the VM has started).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use gunyah::BootReg;
    ///
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// vm.set_boot_context(BootReg::Pc, 0x8000_0000)?;
    /// vm.set_boot_context(BootReg::X(0), 0x8000_1000)?; // e.g. where the guest's DT is
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_boot_context(&self, reg: BootReg, value: u64) -> io::Result<()> {
        let context = gunyah_vm_boot_context {
            reg: reg.encoding(),
            reserved: 0,
            value,
        };
        // SAFETY: GUNYAH_VM_SET_BOOT_CONTEXT reads a struct gunyah_vm_boot_context, which
        // `context` is.
        unsafe { sys::ioctl_with_ref(&self.inner.fd, GUNYAH_VM_SET_BOOT_CONTEXT, &context) }
            .map(drop)
    }

    /// Starts the VM (`GUNYAH_VM_START`).
    ///
    /// Optional: running a vCPU starts the VM too. Call it to see a failed start before
    /// running vCPUs. A VM starts once, whether or not the start succeeded.
    ///
    /// # Errors
    ///
    /// `EALREADY` (already started), `EINVAL` (no or bad DT location, or the resource manager
    /// rejected the configuration), `EOPNOTSUPP`, `EINTR`, or another error of the resource
    /// manager.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// // ... memory, DT location, functions ...
    /// vm.start()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start(&self) -> io::Result<()> {
        sys::ioctl_none(&self.inner.fd, GUNYAH_VM_START).map(drop)
    }

    /// Adds vCPU `id` (its index in the VM configuration) and maps its run page.
    ///
    /// The vCPU is removed from the VM when the returned [`VcpuFd`] is dropped.
    ///
    /// # Errors
    ///
    /// `EEXIST` (vCPU `id` exists), `ENOENT` (no vCPU module), `EMFILE`/`ENFILE`, or the
    /// error of mapping the run page (the vCPU is then removed again).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let mut vcpu0 = vm.add_vcpu(0)?;
    /// let vcpu1 = vm.add_vcpu(1)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add_vcpu(&self, id: u32) -> io::Result<VcpuFd> {
        let arg = gunyah_fn_vcpu_arg { id };
        let desc = fn_desc(GUNYAH_FN_VCPU, &arg);
        // SAFETY: GUNYAH_VM_ADD_FUNCTION reads a struct gunyah_fn_desc and, through it, a
        // struct gunyah_fn_vcpu_arg: both live for the call. The vCPU type writes nothing.
        let fd = unsafe { sys::ioctl_with_ref(&self.inner.fd, GUNYAH_VM_ADD_FUNCTION, &desc) }?;
        // SAFETY: for GUNYAH_FN_VCPU the ioctl returns a new descriptor, installed for this
        // process and owned by nothing else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let registration = Registration::new(self.inner.clone(), FnArg::Vcpu(arg));
        VcpuFd::new(Fd::new(fd), registration)
    }

    /// Adds an irqfd: each signal of `eventfd` rings the doorbell labelled `label` in the VM
    /// configuration, raising its interrupt in the guest. `level` sets
    /// `GUNYAH_IRQFD_FLAGS_LEVEL`.
    ///
    /// The kernel holds its own reference to the eventfd. The irqfd is removed when the
    /// returned [`IrqFd`] is dropped.
    ///
    /// # Errors
    ///
    /// `EBADF`/`EINVAL` (`eventfd` is not an eventfd), `EEXIST` (an irqfd has this label),
    /// `ENOENT` (no irqfd module).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let evt = gunyah::EventFd::new()?;
    /// let irqfd = vm.add_irqfd(&evt, 5, false)?;
    /// // Once the VM runs:
    /// evt.write(1)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add_irqfd(&self, eventfd: impl AsFd, label: u32, level: bool) -> io::Result<IrqFd> {
        let arg = gunyah_fn_irqfd_arg {
            fd: eventfd.as_fd().as_raw_fd(),
            label,
            flags: if level { GUNYAH_IRQFD_FLAGS_LEVEL } else { 0 },
            padding: 0,
        };
        let desc = fn_desc(GUNYAH_FN_IRQFD, &arg);
        // SAFETY: GUNYAH_VM_ADD_FUNCTION reads a struct gunyah_fn_desc and, through it, a
        // struct gunyah_fn_irqfd_arg: both live for the call. The irqfd type writes nothing.
        unsafe { sys::ioctl_with_ref(&self.inner.fd, GUNYAH_VM_ADD_FUNCTION, &desc) }?;
        Ok(IrqFd {
            registration: Registration::new(self.inner.clone(), FnArg::Irqfd(arg)),
        })
    }

    /// Adds an ioeventfd: a guest write of exactly `len` bytes (any size if `len` is 0) to
    /// `[addr, addr + len)` signals `eventfd` instead of exiting to the VMM; with
    /// `Some(datamatch)`, only writes of that value do.
    ///
    /// The ioeventfd is removed when the returned [`IoEventFd`] is dropped.
    ///
    /// # Errors
    ///
    /// `EINVAL` (`len` not 0, 1, 2, 4 or 8, `datamatch` with `len` 0, overflow, not an
    /// eventfd), `EBADF`, `EEXIST` (a write could match this and another ioeventfd),
    /// `ENOENT` (no ioeventfd module).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let evt = gunyah::EventFd::new()?;
    /// let doorbell = vm.add_ioeventfd(&evt, 0x1000_0000, 4, None)?;
    /// // Once the guest wrote to 0x1000_0000:
    /// let writes = evt.read()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add_ioeventfd(
        &self,
        eventfd: impl AsFd,
        addr: u64,
        len: u32,
        datamatch: Option<u64>,
    ) -> io::Result<IoEventFd> {
        let arg = gunyah_fn_ioeventfd_arg {
            datamatch: datamatch.unwrap_or(0),
            addr,
            len,
            fd: eventfd.as_fd().as_raw_fd(),
            flags: if datamatch.is_some() {
                GUNYAH_IOEVENTFD_FLAGS_DATAMATCH
            } else {
                0
            },
            padding: 0,
        };
        let desc = fn_desc(GUNYAH_FN_IOEVENTFD, &arg);
        // SAFETY: GUNYAH_VM_ADD_FUNCTION reads a struct gunyah_fn_desc and, through it, a
        // struct gunyah_fn_ioeventfd_arg: both live for the call. The ioeventfd type writes
        // nothing.
        unsafe { sys::ioctl_with_ref(&self.inner.fd, GUNYAH_VM_ADD_FUNCTION, &desc) }?;
        Ok(IoEventFd {
            registration: Registration::new(self.inner.clone(), FnArg::IoEventFd(arg)),
        })
    }

    /// Adds a function of type `fn_type` with the argument bytes `arg`
    /// (`GUNYAH_VM_ADD_FUNCTION`), for types this crate has no method for (those of
    /// out-of-tree modules, `GUNYAH_FN_SAMPLE_FIRST` to `GUNYAH_FN_SAMPLE_LAST`).
    ///
    /// Returns what the type returns (0, or a new file descriptor the caller then owns).
    /// Nothing removes the function automatically: see
    /// [`remove_function`](Self::remove_function).
    ///
    /// # Safety
    ///
    /// `arg` must be the argument the type expects. A type may read or write the process's
    /// memory through pointers in its argument: they must satisfy what the type requires.
    ///
    /// # Errors
    ///
    /// `EINVAL` (size or content), `ENOENT` (no such type), `EEXIST`, or the type's own.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use gunyah::bindings::GUNYAH_FN_SAMPLE_FIRST;
    ///
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let arg = 7u32.to_ne_bytes();
    /// // SAFETY: the sample type takes a plain __u32.
    /// unsafe { vm.add_function(GUNYAH_FN_SAMPLE_FIRST, &arg)? };
    /// vm.remove_function(GUNYAH_FN_SAMPLE_FIRST, &arg)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub unsafe fn add_function(&self, fn_type: u32, arg: &[u8]) -> io::Result<c_int> {
        let desc = raw_fn_desc(fn_type, arg)?;
        // SAFETY: GUNYAH_VM_ADD_FUNCTION reads a struct gunyah_fn_desc and, through it,
        // arg_size bytes of `arg`: both live for the call. The caller guarantees what the type
        // does with the argument.
        unsafe { sys::ioctl_with_ref(&self.inner.fd, GUNYAH_VM_ADD_FUNCTION, &desc) }
    }

    /// Removes the oldest function of type `fn_type` that matches the argument bytes `arg`
    /// (`GUNYAH_VM_REMOVE_FUNCTION`; each type says which fields it compares).
    ///
    /// The handles of this crate remove their function when dropped, or with their own
    /// `remove()`: this is for functions added with [`add_function`](Self::add_function).
    /// Removal matches on the argument, not on an instance: removing a function a handle of
    /// this crate still holds (a vCPU, an irqfd, an ioeventfd) makes that handle's later
    /// removal take whatever function matches then, such as one added again with the same
    /// argument.
    ///
    /// # Errors
    ///
    /// `ENOENT` (nothing matches), `EINVAL` (size, or a field used for matching is invalid).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use gunyah::bindings::GUNYAH_FN_SAMPLE_FIRST;
    ///
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// vm.remove_function(GUNYAH_FN_SAMPLE_FIRST, &7u32.to_ne_bytes())?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn remove_function(&self, fn_type: u32, arg: &[u8]) -> io::Result<()> {
        let desc = raw_fn_desc(fn_type, arg)?;
        // SAFETY: GUNYAH_VM_REMOVE_FUNCTION reads a struct gunyah_fn_desc and, through it,
        // arg_size bytes of `arg`: both live for the call. A type only compares the argument
        // with its instances.
        unsafe { sys::ioctl_with_ref(&self.inner.fd, GUNYAH_VM_REMOVE_FUNCTION, &desc) }.map(drop)
    }
}

/// A `struct gunyah_fn_desc` for argument bytes (none: a null pointer and size 0).
fn raw_fn_desc(fn_type: u32, arg: &[u8]) -> io::Result<gunyah_fn_desc> {
    Ok(gunyah_fn_desc {
        type_: fn_type,
        arg_size: u32::try_from(arg.len()).map_err(|_| sys::einval())?,
        arg: if arg.is_empty() {
            0
        } else {
            arg.as_ptr() as u64
        },
    })
}

impl AsFd for VmFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.fd.borrow()
    }
}

impl AsRawFd for VmFd {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.fd.raw()
    }
}

/// An irqfd of a VM, added by [`VmFd::add_irqfd`]; removed from the VM when dropped.
///
/// # Example
///
/// ```no_run
/// let vm = gunyah::Gunyah::new()?.create_vm()?;
/// let evt = gunyah::EventFd::new()?;
/// let irqfd = vm.add_irqfd(&evt, 5, false)?;
/// assert_eq!(irqfd.label(), 5);
/// irqfd.remove()?; // or drop(irqfd), which ignores errors
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct IrqFd {
    registration: Registration,
}

impl IrqFd {
    /// The label of the doorbell the irqfd rings.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let irqfd = vm.add_irqfd(gunyah::EventFd::new()?, 6, true)?;
    /// assert_eq!(irqfd.label(), 6);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn label(&self) -> u32 {
        match self.registration.arg {
            FnArg::Irqfd(arg) => arg.label,
            FnArg::Vcpu(_) | FnArg::IoEventFd(_) => unreachable!("an IrqFd holds an irqfd"),
        }
    }

    /// Removes the irqfd from the VM now, reporting errors (dropping it ignores them).
    ///
    /// # Errors
    ///
    /// `ENOENT` if the VM has no such irqfd any more.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let irqfd = vm.add_irqfd(gunyah::EventFd::new()?, 5, false)?;
    /// irqfd.remove()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn remove(mut self) -> io::Result<()> {
        self.registration.remove()
    }
}

/// An ioeventfd of a VM, added by [`VmFd::add_ioeventfd`]; removed from the VM when dropped.
///
/// # Example
///
/// ```no_run
/// let vm = gunyah::Gunyah::new()?.create_vm()?;
/// let evt = gunyah::EventFd::new()?;
/// let ioeventfd = vm.add_ioeventfd(&evt, 0x1000_0000, 4, Some(1))?;
/// assert_eq!(ioeventfd.addr(), 0x1000_0000);
/// drop(ioeventfd); // removed from the VM
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct IoEventFd {
    registration: Registration,
}

// `len` is the access size, not the size of a collection.
#[allow(clippy::len_without_is_empty)]
impl IoEventFd {
    fn arg(&self) -> &gunyah_fn_ioeventfd_arg {
        match &self.registration.arg {
            FnArg::IoEventFd(arg) => arg,
            FnArg::Vcpu(_) | FnArg::Irqfd(_) => unreachable!("an IoEventFd holds an ioeventfd"),
        }
    }

    /// The guest physical address the ioeventfd watches.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let ioeventfd = vm.add_ioeventfd(gunyah::EventFd::new()?, 0x1000_0000, 0, None)?;
    /// assert_eq!(ioeventfd.addr(), 0x1000_0000);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn addr(&self) -> u64 {
        self.arg().addr
    }

    /// The access size the ioeventfd takes (0: any).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let ioeventfd = vm.add_ioeventfd(gunyah::EventFd::new()?, 0x1000_0000, 4, None)?;
    /// assert_eq!(ioeventfd.len(), 4);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&self) -> u32 {
        self.arg().len
    }

    /// The value a write must carry, if the ioeventfd matches data.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let ioeventfd = vm.add_ioeventfd(gunyah::EventFd::new()?, 0x1000_0000, 4, Some(9))?;
    /// assert_eq!(ioeventfd.datamatch(), Some(9));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn datamatch(&self) -> Option<u64> {
        let arg = self.arg();
        (arg.flags & GUNYAH_IOEVENTFD_FLAGS_DATAMATCH != 0).then_some(arg.datamatch)
    }

    /// Removes the ioeventfd from the VM now, reporting errors (dropping it ignores them).
    ///
    /// # Errors
    ///
    /// `ENOENT` if the VM has no such ioeventfd any more.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let ioeventfd = vm.add_ioeventfd(gunyah::EventFd::new()?, 0x1000_0000, 4, None)?;
    /// ioeventfd.remove()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn remove(mut self) -> io::Result<()> {
        self.registration.remove()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EBADF: i32 = 9;

    #[test]
    fn function_descriptors_point_at_the_argument() {
        let arg = [1u8, 2, 3];
        let desc = raw_fn_desc(7, &arg).unwrap();
        assert_eq!(desc.type_, 7);
        assert_eq!(desc.arg_size, 3);
        assert_eq!(desc.arg, arg.as_ptr() as u64);

        let desc = raw_fn_desc(7, &[]).unwrap();
        assert_eq!((desc.arg_size, desc.arg), (0, 0));

        let vcpu = gunyah_fn_vcpu_arg { id: 2 };
        let desc = fn_desc(GUNYAH_FN_VCPU, &vcpu);
        assert_eq!(desc.type_, GUNYAH_FN_VCPU);
        assert_eq!(desc.arg_size, 4);
        assert_eq!(desc.arg, ptr::from_ref(&vcpu) as u64);
    }

    #[test]
    fn handles_describe_their_function_and_report_removal_errors() {
        let vm = VmFd::invalid();

        let irqfd = IrqFd {
            registration: Registration::new(
                Arc::clone(&vm.inner),
                FnArg::Irqfd(gunyah_fn_irqfd_arg {
                    fd: -1,
                    label: 6,
                    flags: GUNYAH_IRQFD_FLAGS_LEVEL,
                    padding: 0,
                }),
            ),
        };
        assert_eq!(irqfd.label(), 6);
        assert_eq!(irqfd.remove().unwrap_err().raw_os_error(), Some(EBADF));

        let ioeventfd = IoEventFd {
            registration: Registration::new(
                Arc::clone(&vm.inner),
                FnArg::IoEventFd(gunyah_fn_ioeventfd_arg {
                    datamatch: 9,
                    addr: 0x1000,
                    len: 4,
                    fd: -1,
                    flags: GUNYAH_IOEVENTFD_FLAGS_DATAMATCH,
                    padding: 0,
                }),
            ),
        };
        assert_eq!(ioeventfd.addr(), 0x1000);
        assert_eq!(ioeventfd.len(), 4);
        assert_eq!(ioeventfd.datamatch(), Some(9));
        assert_eq!(ioeventfd.remove().unwrap_err().raw_os_error(), Some(EBADF));

        // Dropped without remove(): tries once, ignores the error.
        drop(IoEventFd {
            registration: Registration::new(
                Arc::clone(&vm.inner),
                FnArg::IoEventFd(gunyah_fn_ioeventfd_arg::default()),
            ),
        });
    }

    #[test]
    fn boot_registers() {
        assert_eq!(BootReg::X(1).encoding(), 1);
        assert_eq!(BootReg::Pc.encoding(), 0x100);
        assert_eq!(BootReg::Sp(2).encoding(), 0x202);
    }
}
