// SPDX-License-Identifier: MIT OR Apache-2.0

//! vCPU file descriptors, their run page and their exits.

use std::ffi::c_void;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use crate::bindings::{
    gunyah_vcpu_mmio_exit, gunyah_vcpu_run, gunyah_vcpu_status_exit, GUNYAH_VCPU_EXIT_MMIO,
    GUNYAH_VCPU_EXIT_STATUS, GUNYAH_VCPU_MMAP_SIZE, GUNYAH_VCPU_RESUME_FAULT,
    GUNYAH_VCPU_RESUME_HANDLED, GUNYAH_VCPU_RESUME_RETRY, GUNYAH_VCPU_RUN,
    GUNYAH_VM_STATUS_CRASHED, GUNYAH_VM_STATUS_EXITED, GUNYAH_VM_STATUS_LOAD_FAILED,
};
use crate::sys::{self, Fd};
use crate::vm::{FnArg, Registration, VmInner};

/// The run page of a vCPU (`struct gunyah_vcpu_run`), mapped from its fd; unmapped on drop.
///
/// The kernel writes the page only during `GUNYAH_VCPU_RUN` of this vCPU, which needs the
/// [`VcpuFd`] mutably; other threads touch only `immediate_exit`, always atomically.
#[derive(Debug)]
struct RunPage {
    ptr: NonNull<gunyah_vcpu_run>,
    len: usize,
    /// The VM's shared state, dropped after the page is unmapped: the mapping keeps the vCPU's
    /// file, and so the kernel's VM, alive, and the VM's memory must stay mapped until the
    /// VM is gone. None for the tests' stand-in page.
    _vm: Option<Arc<VmInner>>,
}

// SAFETY: the mapping belongs to this object and lives as long as it; it is only reached
// through raw pointers, under the rules above, from whichever thread.
unsafe impl Send for RunPage {}
// SAFETY: through `&RunPage` only `immediate_exit` is accessed, atomically; the rest of the
// page needs `&mut VcpuFd`.
unsafe impl Sync for RunPage {}

impl RunPage {
    /// Maps the run page of the vCPU `fd` of the VM `vm`, of the size `GUNYAH_VCPU_MMAP_SIZE`
    /// gives.
    fn map(fd: &Fd, vm: Arc<VmInner>) -> io::Result<Self> {
        let size = sys::ioctl_none(fd, GUNYAH_VCPU_MMAP_SIZE)?;
        let len = usize::try_from(size).map_err(|_| sys::einval())?;
        if len < size_of::<gunyah_vcpu_run>() {
            return Err(sys::einval());
        }
        // SAFETY: a new shared mapping of the vCPU's page at an address the kernel chooses:
        // no memory in use is affected.
        let addr = unsafe {
            sys::mmap(
                ptr::null_mut(),
                len,
                sys::PROT_READ | sys::PROT_WRITE,
                sys::MAP_SHARED,
                fd.raw(),
                0,
            )
        };
        Self::from_mmap(addr, len, Some(vm))
    }

    /// A zeroed anonymous page standing in for a run page (the crate's tests).
    #[cfg(test)]
    fn anonymous() -> io::Result<Self> {
        let len = crate::page_size();
        // SAFETY: a new anonymous private mapping: no memory in use is affected.
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
        Self::from_mmap(addr, len, None)
    }

    /// Takes the result of mmap() of `len` bytes.
    fn from_mmap(addr: *mut c_void, len: usize, vm: Option<Arc<VmInner>>) -> io::Result<Self> {
        if sys::map_failed(addr) {
            return Err(io::Error::last_os_error());
        }
        // mmap() returns page-aligned addresses: aligned for struct gunyah_vcpu_run.
        let ptr = NonNull::new(addr.cast::<gunyah_vcpu_run>()).ok_or_else(sys::einval)?;
        Ok(Self { ptr, len, _vm: vm })
    }

    fn as_ptr(&self) -> *mut gunyah_vcpu_run {
        self.ptr.as_ptr()
    }

    /// The page's `immediate_exit`, as an atomic.
    fn immediate_exit(&self) -> &AtomicU8 {
        // SAFETY: immediate_exit is a byte of the mapped page, which lives as long as self;
        // its alignment (1) is AtomicU8's; Rust code accesses it only through this atomic (the
        // kernel only reads it).
        unsafe { AtomicU8::from_ptr(ptr::addr_of_mut!((*self.as_ptr()).immediate_exit)) }
    }
}

impl Drop for RunPage {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by map() (or anonymous()) with this length and is
        // unmapped only here, when nothing refers to it any more.
        let ret = unsafe { sys::munmap(self.ptr.as_ptr().cast::<c_void>(), self.len) };
        debug_assert_eq!(ret, 0, "munmap of the run page failed");
    }
}

/// A vCPU, added by [`VmFd::add_vcpu`](crate::VmFd::add_vcpu), with its run page mapped.
///
/// Dropping it unmaps the run page (unless an [`ImmediateExit`] still holds it), removes the
/// vCPU from the VM and closes its descriptor. It keeps the VM alive until then.
///
/// # Example
///
/// ```no_run
/// use gunyah::{VcpuExit, VmStatus};
///
/// let vm = gunyah::Gunyah::new()?.create_vm()?;
/// let mut vcpu = vm.add_vcpu(0)?;
/// loop {
///     if let VcpuExit::Status(VmStatus::Exited { exit_type, .. }) = vcpu.run()? {
///         println!("the VM exited, type {exit_type}");
///         break;
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct VcpuFd {
    run: Arc<RunPage>,
    fd: Fd,
    registration: Registration,
}

impl VcpuFd {
    /// Takes the descriptor `GUNYAH_VM_ADD_FUNCTION` returned for the vCPU `registration`
    /// names, and maps its run page. On error the descriptor is closed and the vCPU removed.
    pub(crate) fn new(fd: Fd, registration: Registration) -> io::Result<Self> {
        let run = Arc::new(RunPage::map(&fd, Arc::clone(registration.vm()))?);
        Ok(Self {
            run,
            fd,
            registration,
        })
    }

    /// A vCPU whose every call fails with `EBADF`, with a zeroed anonymous page for run page
    /// (the crate's tests).
    #[cfg(test)]
    pub(crate) fn invalid(registration: Registration) -> Self {
        Self {
            run: Arc::new(RunPage::anonymous().expect("mmap of a test page")),
            fd: Fd::invalid(),
            registration,
        }
    }

    /// The run page (the crate's tests).
    #[cfg(test)]
    pub(crate) fn run_page(&self) -> *mut gunyah_vcpu_run {
        self.run.as_ptr()
    }

    /// The vCPU's id: its index in the VM configuration.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// assert_eq!(vm.add_vcpu(1)?.id(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> u32 {
        match self.registration.arg() {
            FnArg::Vcpu(arg) => arg.id,
            FnArg::Irqfd(_) | FnArg::IoEventFd(_) => unreachable!("a VcpuFd holds a vCPU"),
        }
    }

    /// Runs the vCPU until the VMM has something to do (`GUNYAH_VCPU_RUN`), and returns why.
    ///
    /// Starts the VM if it has not been started. Before running, completes the previous MMIO
    /// exit as its [`MmioExit`] was left: the data of a read, and the resume action.
    ///
    /// # Errors
    ///
    /// `EINTR` (a signal, or [`set_immediate_exit`](Self::set_immediate_exit); call again),
    /// `ENODEV` (the VM configuration has no such vCPU, or it was removed), `EINVAL` (bad
    /// resume action), or an error of [`VmFd::start`](crate::VmFd::start).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use gunyah::VcpuExit;
    ///
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let mut vcpu = vm.add_vcpu(0)?;
    /// match vcpu.run() {
    ///     Ok(VcpuExit::Mmio(mmio)) => println!("MMIO at {:#x}", mmio.addr),
    ///     Ok(VcpuExit::Status(status)) => println!("VM stopped: {status:?}"),
    ///     Ok(VcpuExit::Unknown(reason)) => println!("exit {reason}"),
    ///     Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
    ///     Err(err) => return Err(err),
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn run(&mut self) -> io::Result<VcpuExit<'_>> {
        // The kernel writes the run page during the call: &mut self keeps every reference the
        // crate makes into it (the exit of the previous call) dead meanwhile.
        sys::ioctl_none(&self.fd, GUNYAH_VCPU_RUN)?;
        Ok(self.exit())
    }

    /// Decodes the exit in the run page.
    pub(crate) fn exit(&mut self) -> VcpuExit<'_> {
        let run = self.run.as_ptr();
        // SAFETY: `run` points to the mapped run page, which lives as long as self.run. The
        // kernel writes it only during GUNYAH_VCPU_RUN of this vCPU, which needs &mut self.
        let reason = unsafe { ptr::addr_of!((*run).exit_reason).read_volatile() };
        match reason {
            GUNYAH_VCPU_EXIT_MMIO => {
                // SAFETY: as above; the reference covers the mmio member of the union only
                // (bytes 16 to 40 of the page), which nothing else accesses while the exit
                // borrows self mutably (other threads touch immediate_exit, byte 0). Any bit
                // pattern is a valid struct gunyah_vcpu_mmio_exit: integers only.
                let mmio = unsafe { &mut (*run).__bindgen_anon_1.mmio };
                VcpuExit::Mmio(MmioExit::new(mmio))
            }
            GUNYAH_VCPU_EXIT_STATUS => {
                // SAFETY: as above, a copy of the status member of the union: integers only.
                let status =
                    unsafe { ptr::addr_of!((*run).__bindgen_anon_1.status).read_volatile() };
                VcpuExit::Status(VmStatus::from_raw(&status))
            }
            other => VcpuExit::Unknown(other),
        }
    }

    /// Sets or clears `immediate_exit` in the run page: while it is set,
    /// [`run`](Self::run) fails with `EINTR` at once, without running the vCPU. The kernel
    /// never clears it.
    ///
    /// To stop a vCPU thread from another thread, use an [`ImmediateExit`] (see
    /// [`immediate_exit_handle`](Self::immediate_exit_handle)), then send that thread a
    /// signal whose handler does nothing, so that a vCPU sleeping in the kernel returns.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let mut vcpu = vm.add_vcpu(0)?;
    /// vcpu.set_immediate_exit(true);
    /// let err = vcpu.run().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::Interrupted);
    /// vcpu.set_immediate_exit(false);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_immediate_exit(&self, exit: bool) {
        self.run
            .immediate_exit()
            .store(u8::from(exit), Ordering::SeqCst);
    }

    /// A handle that sets `immediate_exit` of this vCPU from any thread.
    ///
    /// It keeps the run page mapped, and so the vCPU's file (and the VM) open, as long as it
    /// exists.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let mut vcpu = vm.add_vcpu(0)?;
    /// let stop = vcpu.immediate_exit_handle();
    /// let vcpu_thread = std::thread::spawn(move || {
    ///     while vcpu.run().is_ok() {}
    /// });
    /// stop.set(true); // (and signal the thread, should it sleep in the kernel)
    /// vcpu_thread.join().unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn immediate_exit_handle(&self) -> ImmediateExit {
        ImmediateExit {
            run: Arc::clone(&self.run),
        }
    }
}

impl AsFd for VcpuFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.borrow()
    }
}

impl AsRawFd for VcpuFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}

/// Sets `immediate_exit` in the run page of a vCPU, from any thread: see
/// [`VcpuFd::set_immediate_exit`].
///
/// # Example
///
/// ```no_run
/// let vm = gunyah::Gunyah::new()?.create_vm()?;
/// let vcpu = vm.add_vcpu(0)?;
/// let stop = vcpu.immediate_exit_handle();
/// stop.set(true);
/// assert!(stop.get());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ImmediateExit {
    run: Arc<RunPage>,
}

impl ImmediateExit {
    /// Sets (`true`) or clears `immediate_exit`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let stop = vm.add_vcpu(0)?.immediate_exit_handle();
    /// stop.set(true);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set(&self, exit: bool) {
        self.run
            .immediate_exit()
            .store(u8::from(exit), Ordering::SeqCst);
    }

    /// Whether `immediate_exit` is set.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let stop = vm.add_vcpu(0)?.immediate_exit_handle();
    /// assert!(!stop.get());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get(&self) -> bool {
        self.run.immediate_exit().load(Ordering::SeqCst) != 0
    }
}

/// Why [`VcpuFd::run`] returned.
///
/// # Example
///
/// ```no_run
/// use gunyah::{ResumeAction, VcpuExit, VmStatus};
///
/// let vm = gunyah::Gunyah::new()?.create_vm()?;
/// let mut vcpu = vm.add_vcpu(0)?;
/// match vcpu.run()? {
///     VcpuExit::Mmio(mut mmio) if !mmio.is_write => mmio.set_data_le(0x1234),
///     VcpuExit::Mmio(mut mmio) => mmio.set_resume_action(ResumeAction::Fault),
///     VcpuExit::Status(VmStatus::Crashed) => eprintln!("the VM crashed"),
///     VcpuExit::Status(status) => println!("{status:?}"),
///     VcpuExit::Unknown(reason) => eprintln!("unknown exit {reason}"),
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub enum VcpuExit<'a> {
    /// `GUNYAH_VCPU_EXIT_MMIO`: a guest access to an address with no memory or ioeventfd
    /// behind it, for the VMM to emulate.
    Mmio(MmioExit<'a>),
    /// `GUNYAH_VCPU_EXIT_STATUS`: the vCPU does not run any more. Final: every later run of
    /// this vCPU returns it again. A stop of the VM reaches every vCPU; a `CRASHED` with zero
    /// exit information may be this vCPU's own fault, while the VM's other vCPUs run on.
    Status(VmStatus),
    /// An exit reason this crate does not know, as the run page gives it.
    Unknown(u32),
}

/// An MMIO access of the guest, in the run page (`struct gunyah_vcpu_mmio_exit`).
///
/// For a read, put the value the guest reads in [`data`](Self::data) (it starts zeroed). The
/// access completes, as left here, on the next [`VcpuFd::run`]: by default as emulated
/// ([`ResumeAction::Handled`]), see [`set_resume_action`](Self::set_resume_action).
///
/// # Example
///
/// ```no_run
/// use gunyah::VcpuExit;
///
/// let vm = gunyah::Gunyah::new()?.create_vm()?;
/// let mut vcpu = vm.add_vcpu(0)?;
/// if let VcpuExit::Mmio(mmio) = vcpu.run()? {
///     if mmio.is_write {
///         println!("write of {:#x} ({} bytes) at {:#x}", mmio.data_le(), mmio.len, mmio.addr);
///     } else {
///         mmio.data.copy_from_slice(&[0xab; 8][..mmio.data.len()]);
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct MmioExit<'a> {
    /// Guest physical address of the access.
    pub addr: u64,
    /// The `len` bytes of the access, in the guest's byte order: for a write, what the guest
    /// wrote; for a read, what it reads (for the VMM to fill in).
    pub data: &'a mut [u8],
    /// Size of the access in bytes: 1, 2, 4 or 8 (`data.len()`).
    pub len: u32,
    /// A write (else a read).
    pub is_write: bool,
    resume_action: &'a mut u8,
}

impl<'a> MmioExit<'a> {
    fn new(mmio: &'a mut gunyah_vcpu_mmio_exit) -> Self {
        let gunyah_vcpu_mmio_exit {
            phys_addr,
            data,
            len,
            is_write,
            resume_action,
            ..
        } = mmio;
        // The kernel gives 1, 2, 4 or 8; never trust shared memory beyond the buffer.
        let len = (*len).min(8);
        Self {
            addr: *phys_addr,
            data: &mut data[..len as usize],
            len,
            is_write: *is_write != 0,
            resume_action,
        }
    }

    /// How the next run completes the access (the kernel presets
    /// [`ResumeAction::Handled`]).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use gunyah::{ResumeAction, VcpuExit};
    ///
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let mut vcpu = vm.add_vcpu(0)?;
    /// if let VcpuExit::Mmio(mut mmio) = vcpu.run()? {
    ///     mmio.set_resume_action(ResumeAction::Fault); // no device there
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_resume_action(&mut self, action: ResumeAction) {
        *self.resume_action = action.raw();
    }

    /// [`data`](Self::data) as a little-endian number (the guest's byte order on arm64).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use gunyah::VcpuExit;
    ///
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let mut vcpu = vm.add_vcpu(0)?;
    /// if let VcpuExit::Mmio(mmio) = vcpu.run()? {
    ///     println!("{:#x}", mmio.data_le());
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn data_le(&self) -> u64 {
        let mut bytes = [0u8; 8];
        bytes[..self.data.len()].copy_from_slice(self.data);
        u64::from_le_bytes(bytes)
    }

    /// Sets [`data`](Self::data) to the low `len` bytes of `value`, little-endian: the value
    /// a read returns.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use gunyah::VcpuExit;
    ///
    /// let vm = gunyah::Gunyah::new()?.create_vm()?;
    /// let mut vcpu = vm.add_vcpu(0)?;
    /// if let VcpuExit::Mmio(mut mmio) = vcpu.run()? {
    ///     mmio.set_data_le(0xcafe_f00d);
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_data_le(&mut self, value: u64) {
        let len = self.data.len();
        self.data.copy_from_slice(&value.to_le_bytes()[..len]);
    }
}

/// How an MMIO access completes (`GUNYAH_VCPU_RESUME_*`).
///
/// # Example
///
/// ```
/// assert_eq!(gunyah::ResumeAction::default(), gunyah::ResumeAction::Handled);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ResumeAction {
    /// The VMM emulated the access; a read returns the data.
    #[default]
    Handled,
    /// The VMM cannot handle it: the guest gets an abort.
    Fault,
    /// The guest executes the access again (the VMM added an ioeventfd for it, say).
    Retry,
}

impl ResumeAction {
    fn raw(self) -> u8 {
        match self {
            ResumeAction::Handled => GUNYAH_VCPU_RESUME_HANDLED as u8,
            ResumeAction::Fault => GUNYAH_VCPU_RESUME_FAULT as u8,
            ResumeAction::Retry => GUNYAH_VCPU_RESUME_RETRY as u8,
        }
    }
}

/// Why a VM is not running (`struct gunyah_vcpu_status_exit`).
///
/// # Example
///
/// ```no_run
/// use gunyah::bindings::GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF;
/// use gunyah::{VcpuExit, VmStatus};
///
/// let vm = gunyah::Gunyah::new()?.create_vm()?;
/// let mut vcpu = vm.add_vcpu(0)?;
/// if let VcpuExit::Status(VmStatus::Exited { exit_type, reason }) = vcpu.run()? {
///     if u32::from(exit_type) == GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF {
///         println!("powered off, reason {:?}", reason.as_bytes());
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VmStatus {
    /// `GUNYAH_VM_STATUS_LOAD_FAILED`: the VM failed to start; it never will.
    LoadFailed,
    /// `GUNYAH_VM_STATUS_EXITED`: the resource manager reported that the VM exited.
    Exited {
        /// How: `GUNYAH_RM_VM_EXIT_TYPE_*`, or a type newer than the header.
        exit_type: u16,
        /// The reason that came with it.
        reason: ExitReason,
    },
    /// `GUNYAH_VM_STATUS_CRASHED`: the VM stopped without an exit report, or a vCPU faulted
    /// in a way the hypervisor cannot handle.
    Crashed,
    /// A status this crate does not know, as the run page gives it.
    Unknown(u32),
}

impl VmStatus {
    fn from_raw(status: &gunyah_vcpu_status_exit) -> Self {
        match status.status {
            GUNYAH_VM_STATUS_LOAD_FAILED => VmStatus::LoadFailed,
            GUNYAH_VM_STATUS_EXITED => VmStatus::Exited {
                exit_type: status.exit_info.type_,
                reason: ExitReason {
                    size: status.exit_info.reason_size,
                    bytes: status.exit_info.reason,
                },
            },
            GUNYAH_VM_STATUS_CRASHED => VmStatus::Crashed,
            other => VmStatus::Unknown(other),
        }
    }
}

/// The reason of a VM exit, as the resource manager sent it (`reason_size`, `reason` of
/// `struct gunyah_vm_exit_info`).
///
/// # Example
///
/// ```
/// let reason = gunyah::ExitReason { size: 4, bytes: [1, 0, 0, 0, 0, 0, 0, 0] };
/// assert_eq!(reason.as_bytes(), &[1, 0, 0, 0]);
/// assert_eq!(reason.to_u64_le(), 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExitReason {
    /// Size of the reason the resource manager sent, which may exceed 8.
    pub size: u32,
    /// Its first `min(size, 8)` bytes; the rest is 0.
    pub bytes: [u8; 8],
}

impl ExitReason {
    /// The bytes of the reason that the run page carries: the first `min(size, 8)`.
    ///
    /// # Example
    ///
    /// ```
    /// let reason = gunyah::ExitReason { size: 12, bytes: [7; 8] };
    /// assert_eq!(reason.as_bytes().len(), 8);
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        let len = self.size.min(8) as usize;
        &self.bytes[..len]
    }

    /// The bytes as a little-endian number (zero-extended).
    ///
    /// # Example
    ///
    /// ```
    /// let reason = gunyah::ExitReason { size: 8, bytes: 0x1234_u64.to_le_bytes() };
    /// assert_eq!(reason.to_u64_le(), 0x1234);
    /// ```
    pub fn to_u64_le(self) -> u64 {
        u64::from_le_bytes(self.bytes)
    }
}
