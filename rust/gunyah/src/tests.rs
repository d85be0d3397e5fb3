// SPDX-License-Identifier: MIT OR Apache-2.0

//! Tests that need no Gunyah.
//!
//! Every wrapper, called on an object that holds no descriptor (raw -1), fails with `EBADF`:
//! proof that each one reaches the kernel with its own descriptor. Such objects close nothing
//! when dropped (see `sys::Fd`). The run page is decoded as the kernel lays it out.

use std::fmt::Debug;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;

use crate::bindings::{
    gunyah_fn_irqfd_arg, gunyah_fn_vcpu_arg, gunyah_userspace_memory_region,
    GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_PC_0, GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_SP_0,
    GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_SP_1, GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_SP_2,
    GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_X_0, GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_X_31,
    GUNYAH_FN_SAMPLE_FIRST, GUNYAH_FN_VCPU, GUNYAH_MEM_ALLOW_READ, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF,
    GUNYAH_VCPU_EXIT_MMIO, GUNYAH_VCPU_EXIT_STATUS, GUNYAH_VCPU_RESUME_HANDLED,
    GUNYAH_VCPU_RESUME_RETRY, GUNYAH_VM_STATUS_CRASHED, GUNYAH_VM_STATUS_EXITED,
    GUNYAH_VM_STATUS_LOAD_FAILED,
};
use crate::sys::Fd;
use crate::vm::{FnArg, Registration};
use crate::{
    page_size, BootReg, EventFd, ExitReason, GuestMemory, Gunyah, ResumeAction, VcpuExit, VcpuFd,
    VmFd, VmStatus,
};

const EBADF: i32 = 9;

#[track_caller]
fn assert_ebadf<T: Debug>(what: &str, result: io::Result<T>) {
    match result {
        Err(err) => assert_eq!(err.raw_os_error(), Some(EBADF), "{what}: {err}"),
        Ok(value) => panic!("{what}: expected EBADF, got Ok({value:?})"),
    }
}

/// A vCPU with no descriptor and a zeroed anonymous page for run page.
fn test_vcpu(id: u32) -> VcpuFd {
    let vm = VmFd::invalid();
    let registration = Registration::new(
        Arc::clone(vm.inner()),
        FnArg::Vcpu(gunyah_fn_vcpu_arg { id }),
    );
    VcpuFd::invalid(registration)
}

#[test]
fn device_calls_fail_with_ebadf() {
    let gunyah = Gunyah::invalid();
    assert_eq!(gunyah.as_raw_fd(), -1);
    assert_ebadf("create_vm", gunyah.create_vm());
    assert_ebadf("check_function", gunyah.check_function(GUNYAH_FN_VCPU));
}

#[test]
fn vm_calls_fail_with_ebadf() {
    let vm = VmFd::invalid();
    assert_eq!(vm.as_raw_fd(), -1);

    let mem = Arc::new(GuestMemory::new(page_size()).unwrap());
    let region = gunyah_userspace_memory_region {
        label: 0,
        flags: GUNYAH_MEM_ALLOW_READ,
        guest_phys_addr: 0x8000_0000,
        memory_size: mem.len() as u64,
        userspace_addr: mem.as_ptr() as u64,
    };
    // SAFETY: the call fails (no descriptor) before the kernel looks at the range, which is
    // anonymous memory that outlives the VM object anyway.
    assert_ebadf("set_user_memory_region", unsafe {
        vm.set_user_memory_region(region)
    });
    assert_ebadf(
        "add_memory",
        vm.add_memory(0, 0x8000_0000, GUNYAH_MEM_ALLOW_READ, Arc::clone(&mem)),
    );
    assert_eq!(
        vm.memory_count(),
        0,
        "a region the kernel refused is not kept"
    );
    assert_eq!(Arc::strong_count(&mem), 1);

    assert_ebadf("set_dtb_config", vm.set_dtb_config(0x8000_1000, 0x100));
    assert_ebadf(
        "set_boot_context",
        vm.set_boot_context(BootReg::Pc, 0x8000_0000),
    );
    assert_ebadf("start", vm.start());
    assert_ebadf("add_vcpu", vm.add_vcpu(0));

    let evt = EventFd::new().unwrap();
    assert_ebadf("add_irqfd", vm.add_irqfd(&evt, 5, false));
    assert_ebadf(
        "add_ioeventfd",
        vm.add_ioeventfd(&evt, 0x1000_0000, 4, Some(1)),
    );
    // SAFETY: the call fails (no descriptor) before any function type sees the argument.
    assert_ebadf("add_function", unsafe {
        vm.add_function(GUNYAH_FN_SAMPLE_FIRST, &[0; 4])
    });
    assert_ebadf(
        "remove_function",
        vm.remove_function(GUNYAH_FN_SAMPLE_FIRST, &[0; 4]),
    );
}

#[test]
fn vcpu_calls_fail_with_ebadf() {
    let mut vcpu = test_vcpu(3);
    assert_eq!(vcpu.as_raw_fd(), -1);
    assert_eq!(vcpu.id(), 3);
    assert_ebadf("run", vcpu.run());

    // GUNYAH_VCPU_MMAP_SIZE, asked before mapping the run page.
    let vm = VmFd::invalid();
    let registration = Registration::new(
        Arc::clone(vm.inner()),
        FnArg::Vcpu(gunyah_fn_vcpu_arg { id: 4 }),
    );
    assert_ebadf(
        "VcpuFd::new (GUNYAH_VCPU_MMAP_SIZE)",
        VcpuFd::new(Fd::invalid(), registration),
    );
}

#[test]
fn removal_reports_errors_once() {
    let vm = VmFd::invalid();
    let mut registration = Registration::new(
        Arc::clone(vm.inner()),
        FnArg::Irqfd(gunyah_fn_irqfd_arg {
            fd: -1,
            label: 5,
            flags: 0,
            padding: 0,
        }),
    );
    assert_ebadf("remove", registration.remove());
    // Removed (or tried) once: later calls, and drop, do nothing.
    assert!(registration.remove().is_ok());
}

#[test]
fn immediate_exit_is_byte_0_of_the_run_page() {
    let vcpu = test_vcpu(0);
    let stop = vcpu.immediate_exit_handle();
    assert!(!stop.get());
    vcpu.set_immediate_exit(true);
    assert!(stop.get());
    let run = vcpu.run_page();
    // SAFETY: the page is mapped (stop holds it); this thread alone accesses it.
    assert_eq!(unsafe { (*run).immediate_exit }, 1);
    stop.set(false);
    assert!(!stop.get());
    drop(vcpu);
    // The handle keeps the page mapped.
    stop.set(true);
    assert!(stop.get());
}

#[test]
fn decodes_and_completes_mmio_exits() {
    let mut vcpu = test_vcpu(0);
    let run = vcpu.run_page();
    // SAFETY: the page is mapped while vcpu lives; this thread alone accesses it, and the
    // reference ends before vcpu decodes the page.
    unsafe {
        (*run).exit_reason = GUNYAH_VCPU_EXIT_MMIO;
        let mmio = &mut (*run).__bindgen_anon_1.mmio;
        mmio.phys_addr = 0x1000_0000;
        mmio.data = 0x8877_6655_4433_2211_u64.to_le_bytes();
        mmio.len = 4;
        mmio.is_write = 1;
        mmio.resume_action = GUNYAH_VCPU_RESUME_HANDLED as u8;
    }
    match vcpu.exit() {
        VcpuExit::Mmio(mut mmio) => {
            assert_eq!(mmio.addr, 0x1000_0000);
            assert_eq!(mmio.len, 4);
            assert!(mmio.is_write);
            assert_eq!(&mmio.data[..], &[0x11_u8, 0x22, 0x33, 0x44][..]);
            assert_eq!(mmio.data_le(), 0x4433_2211);
            mmio.set_data_le(0xaabb_ccdd_eeff);
            mmio.set_resume_action(ResumeAction::Retry);
        }
        other => panic!("expected an MMIO exit, got {other:?}"),
    }
    // SAFETY: as above.
    let mmio = unsafe { (*run).__bindgen_anon_1.mmio };
    assert_eq!(mmio.data, [0xff, 0xee, 0xdd, 0xcc, 0x55, 0x66, 0x77, 0x88]);
    assert_eq!(mmio.resume_action, GUNYAH_VCPU_RESUME_RETRY as u8);

    // A length the run page cannot carry is clamped to the data buffer.
    // SAFETY: as above.
    unsafe { (*run).__bindgen_anon_1.mmio.len = 9 };
    match vcpu.exit() {
        VcpuExit::Mmio(mmio) => {
            assert_eq!(mmio.len, 8);
            assert_eq!(mmio.data.len(), 8);
        }
        other => panic!("expected an MMIO exit, got {other:?}"),
    }
}

#[test]
fn decodes_status_exits() {
    let mut vcpu = test_vcpu(0);
    let run = vcpu.run_page();
    let mut status_of = |status: u32| {
        // SAFETY: the page is mapped while vcpu lives; this thread alone accesses it.
        unsafe {
            (*run).exit_reason = GUNYAH_VCPU_EXIT_STATUS;
            let exit = &mut (*run).__bindgen_anon_1.status;
            exit.status = status;
            exit.exit_info.type_ = GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF as u16;
            exit.exit_info.reason_size = 4;
            exit.exit_info.reason = [1, 2, 3, 4, 0, 0, 0, 0];
        }
        match vcpu.exit() {
            VcpuExit::Status(status) => status,
            other => panic!("expected a status exit, got {other:?}"),
        }
    };
    let reason = ExitReason {
        size: 4,
        bytes: [1, 2, 3, 4, 0, 0, 0, 0],
    };
    assert_eq!(
        status_of(GUNYAH_VM_STATUS_EXITED),
        VmStatus::Exited {
            exit_type: GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF as u16,
            reason,
        }
    );
    assert_eq!(reason.as_bytes(), &[1, 2, 3, 4]);
    assert_eq!(reason.to_u64_le(), 0x0403_0201);
    assert_eq!(status_of(GUNYAH_VM_STATUS_CRASHED), VmStatus::Crashed);
    assert_eq!(
        status_of(GUNYAH_VM_STATUS_LOAD_FAILED),
        VmStatus::LoadFailed
    );
    assert_eq!(status_of(77), VmStatus::Unknown(77));
}

#[test]
fn unknown_exits_pass_through() {
    let mut vcpu = test_vcpu(0);
    assert!(matches!(vcpu.exit(), VcpuExit::Unknown(0)));
    let run = vcpu.run_page();
    // SAFETY: the page is mapped while vcpu lives; this thread alone accesses it.
    unsafe { (*run).exit_reason = 99 };
    assert!(matches!(vcpu.exit(), VcpuExit::Unknown(99)));
}

#[test]
fn boot_registers_encode_as_the_c_macro() {
    assert_eq!(
        BootReg::X(0).encoding(),
        GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_X_0
    );
    assert_eq!(
        BootReg::X(31).encoding(),
        GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_X_31
    );
    assert_eq!(
        BootReg::Pc.encoding(),
        GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_PC_0
    );
    assert_eq!(
        BootReg::Sp(0).encoding(),
        GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_SP_0
    );
    assert_eq!(
        BootReg::Sp(1).encoding(),
        GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_SP_1
    );
    assert_eq!(
        BootReg::Sp(2).encoding(),
        GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_SP_2
    );
}
