// SPDX-License-Identifier: MIT OR Apache-2.0

//! Safe wrappers of the Gunyah VM manager's userspace interface, `/dev/gunyah`
//! (`<linux/gunyah.h>`), for VMM authors.
//!
//! One type per file descriptor and one method per ioctl, in the style of rust-vmm's
//! `kvm-ioctls`:
//!
//! * [`Gunyah`]: `/dev/gunyah`: create VMs, ask which function types the kernel offers.
//! * [`VmFd`]: a VM: memory ([`GuestMemory`]), the device tree's location, boot registers,
//!   start, and functions: vCPUs ([`VcpuFd`]), irqfds ([`IrqFd`]), ioeventfds ([`IoEventFd`]).
//! * [`VcpuFd`]: a vCPU and its run page: [`VcpuFd::run`] returns a typed [`VcpuExit`].
//!
//! Functions remove themselves from the VM when their handle is dropped. Every handle keeps
//! the VM's file descriptor open, so the VM lives as long as any of them.
//!
//! Errors are [`std::io::Error`]s carrying the errno the kernel returned; `<linux/gunyah.h>`
//! lists them per ioctl. The raw structures and constants are in [`bindings`].
//!
//! # Example
//!
//! A VM with one region of memory, its configuration device tree in it, one vCPU, run until the
//! VM stops (this needs `/dev/gunyah`, and a VM configuration the resource manager accepts):
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use gunyah::bindings::{GUNYAH_MEM_ALLOW_EXEC, GUNYAH_MEM_ALLOW_READ, GUNYAH_MEM_ALLOW_WRITE};
//! use gunyah::{GuestMemory, Gunyah, ResumeAction, VcpuExit};
//!
//! # fn build_dtb() -> Vec<u8> { Vec::new() }
//! const BASE: u64 = 0x8000_0000;
//! const DTB_OFFSET: usize = 0x1000;
//!
//! let gunyah = Gunyah::new()?;
//! let vm = gunyah.create_vm()?;
//!
//! let mem = Arc::new(GuestMemory::new(16 * gunyah::page_size())?);
//! let dtb: Vec<u8> = build_dtb(); // the VM configuration
//! mem.write_at(DTB_OFFSET, &dtb)?;
//! let rwx = GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE | GUNYAH_MEM_ALLOW_EXEC;
//! vm.add_memory(0, BASE, rwx, mem)?;
//! vm.set_dtb_config(BASE + DTB_OFFSET as u64, dtb.len() as u64)?;
//!
//! let mut vcpu = vm.add_vcpu(0)?;
//! loop {
//!     match vcpu.run()? {
//!         VcpuExit::Mmio(mut mmio) => {
//!             if !mmio.is_write {
//!                 mmio.data.fill(0); // emulate a device register that reads as 0
//!             } else if mmio.addr != 0x1000_0000 {
//!                 mmio.set_resume_action(ResumeAction::Fault);
//!             }
//!         }
//!         VcpuExit::Status(status) => {
//!             println!("VM stopped: {status:?}");
//!             break;
//!         }
//!         VcpuExit::Unknown(reason) => panic!("unknown exit {reason}"),
//!     }
//! }
//! # Ok::<(), std::io::Error>(())
//! ```

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[cfg(not(target_os = "linux"))]
compile_error!("the gunyah crate is for Linux only");

pub mod bindings;
mod device;
mod eventfd;
mod memory;
mod sys;
mod vcpu;
mod vm;

pub use device::{Gunyah, DEVICE_PATH};
pub use eventfd::EventFd;
pub use memory::{page_size, GuestMemory};
pub use vcpu::{ExitReason, ImmediateExit, MmioExit, ResumeAction, VcpuExit, VcpuFd, VmStatus};
pub use vm::{BootReg, IoEventFd, IrqFd, VmFd};

#[cfg(test)]
mod tests;
