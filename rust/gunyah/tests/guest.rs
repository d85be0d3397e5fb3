// SPDX-License-Identifier: MIT OR Apache-2.0

//! End to end, on a kernel with the Gunyah VM manager and the simulated hypervisor: a VM with
//! memory, its configuration device tree, a guest program, a vCPU, an irqfd and an ioeventfd,
//! run until the guest powers off.
//!
//! Runs only when `/dev/gunyah` exists and `GUNYAH_GUEST_TESTS=1`; otherwise it passes and says
//! on stderr why it was skipped. The layout mirrors `tests/selftests/gunyah_vm_util.h`.

mod common;

use std::io::{self, Write};
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::Duration;
use std::{env, process, thread};

use common::fdt::vm_config;
use common::sim_guest::Program;
use gunyah::bindings::{
    GUNYAH_FN_IOEVENTFD, GUNYAH_FN_IRQFD, GUNYAH_FN_VCPU, GUNYAH_MEM_ALLOW_EXEC,
    GUNYAH_MEM_ALLOW_READ, GUNYAH_MEM_ALLOW_WRITE, GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF,
};
use gunyah::{BootReg, EventFd, ExitReason, GuestMemory, Gunyah, VcpuExit, VmStatus};

/// Guest physical address of the memory region, also the VM configuration's base address.
const BASE: u64 = 0x8000_0000;
/// The region: a multiple of every page size (4, 16 and 64 KiB).
const MEM_SIZE: usize = 0x10000;
const DTB_OFFSET: usize = 0x1000;
const DTB_MAX: usize = 0x1000;
/// The guest program; the boot PC.
const PROG_OFFSET: usize = 0x2000;

/// MMIO addresses, outside guest memory: a register the test emulates, and the ioeventfd's.
const DEV_ADDR: u64 = 0x1000_0000;
const IOEVENT_ADDR: u64 = 0x1000_1000;
/// The label of the configuration's doorbell, which the irqfd rings.
const BELL_LABEL: u32 = 5;

const IOEVENT_VALUE: u64 = 0x1234;
const READ_VALUE: u64 = 0xcafe_f00d;
const WRITE_VALUE: u64 = 0x1122_3344_5566_7788;
const EXIT_REASON: u64 = 0x0123_4567_89ab_cdef;

/// Why the test cannot run here, if it cannot.
fn skip_reason() -> Option<String> {
    if env::var("GUNYAH_GUEST_TESTS").as_deref() != Ok("1") {
        return Some("GUNYAH_GUEST_TESTS is not 1".to_owned());
    }
    if !Path::new(gunyah::DEVICE_PATH).exists() {
        return Some(format!("{} does not exist", gunyah::DEVICE_PATH));
    }
    None
}

/// Ends the process, failing, if the returned sender still exists after `secs`: a call that
/// never returns fails the test instead of blocking it.
fn watchdog(secs: u64) -> mpsc::Sender<()> {
    let (done, wait) = mpsc::channel::<()>();
    thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(Duration::from_secs(secs)) {
            eprintln!("watchdog: the guest test still runs after {secs} s: hang");
            process::exit(1);
        }
    });
    done
}

/// The guest: a write the ioeventfd takes; a checked read of the emulated register (where the
/// test rings the doorbell); a wait for the doorbell; a write to the register; power off.
fn guest_program() -> Vec<u8> {
    let mut p = Program::new();
    p.mmio_write(IOEVENT_ADDR, 4, IOEVENT_VALUE);
    p.mmio_read_check(DEV_ADDR, 4, READ_VALUE);
    p.wait_bell(BELL_LABEL);
    p.mmio_write(DEV_ADDR, 8, WRITE_VALUE);
    p.power_off(u64::from(GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF), EXIT_REASON, 8);
    p.to_bytes()
}

#[test]
fn guest_runs_to_power_off() -> io::Result<()> {
    if let Some(reason) = skip_reason() {
        // Straight to stderr: the test harness would capture eprintln!.
        writeln!(io::stderr(), "SKIP guest_runs_to_power_off: {reason}")?;
        return Ok(());
    }
    let _watchdog = watchdog(60);

    let gunyah = Gunyah::new()?;
    for fn_type in [GUNYAH_FN_VCPU, GUNYAH_FN_IRQFD, GUNYAH_FN_IOEVENTFD] {
        assert!(
            gunyah.check_function(fn_type)?,
            "function type {fn_type} not available"
        );
    }
    let vm = gunyah.create_vm()?;

    // Memory, with the VM configuration and the guest program in it.
    let mem = Arc::new(GuestMemory::new(MEM_SIZE)?);
    let dtb = vm_config(1, &[BELL_LABEL], BASE);
    assert!(dtb.len() <= DTB_MAX, "DTB of {} bytes", dtb.len());
    mem.write_at(DTB_OFFSET, &dtb)?;
    mem.write_at(PROG_OFFSET, &guest_program())?;
    let rwx = GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE | GUNYAH_MEM_ALLOW_EXEC;
    vm.add_memory(0, BASE, rwx, Arc::clone(&mem))?;
    vm.set_dtb_config(BASE + DTB_OFFSET as u64, dtb.len() as u64)?;
    vm.set_boot_context(BootReg::Pc, BASE + PROG_OFFSET as u64)?;

    // Functions.
    let mut vcpu = vm.add_vcpu(0)?;
    assert_eq!(vcpu.id(), 0);
    let irq = EventFd::new()?;
    let irqfd = vm.add_irqfd(&irq, BELL_LABEL, false)?;
    let ioevent = EventFd::new_nonblocking()?;
    let ioeventfd = vm.add_ioeventfd(&ioevent, IOEVENT_ADDR, 4, None)?;

    // Run: the first run starts the VM.
    let mut mmio_exits = 0;
    let status = loop {
        let exit = match vcpu.run() {
            Ok(exit) => exit,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        match exit {
            VcpuExit::Mmio(mut mmio) => {
                mmio_exits += 1;
                match mmio_exits {
                    1 => {
                        assert_eq!((mmio.addr, mmio.len, mmio.is_write), (DEV_ADDR, 4, false));
                        mmio.set_data_le(READ_VALUE);
                        // The write before went to the ioeventfd, with no exit.
                        assert_eq!(ioevent.read()?, 1);
                        // The VM runs: the doorbell the guest waits for next can ring.
                        irq.write(1)?;
                    }
                    2 => {
                        assert_eq!((mmio.addr, mmio.len, mmio.is_write), (DEV_ADDR, 8, true));
                        assert_eq!(mmio.data_le(), WRITE_VALUE);
                    }
                    n => panic!("MMIO exit {n}, two expected: {mmio:?}"),
                }
            }
            VcpuExit::Status(status) => break status,
            VcpuExit::Unknown(reason) => panic!("unknown exit reason {reason}"),
        }
    };
    assert_eq!(mmio_exits, 2);
    assert_eq!(
        status,
        VmStatus::Exited {
            exit_type: GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF as u16,
            reason: ExitReason {
                size: 8,
                bytes: EXIT_REASON.to_le_bytes(),
            },
        }
    );

    // The status is final: the next run reports it again.
    match vcpu.run()? {
        VcpuExit::Status(again) => assert_eq!(again, status),
        other => panic!("a status exit expected again, got {other:?}"),
    }

    // Functions come off the VM, explicitly or when dropped; the VM goes with the last handle.
    ioeventfd.remove()?;
    irqfd.remove()?;
    drop(vcpu);
    drop(vm);
    Ok(())
}

/// A vCPU's `ImmediateExit` handle keeps its run page mapped, and with it the kernel's VM: the
/// VM's memory must stay mapped as long as the handle exists, after the VM and the vCPU
/// objects are gone.
#[test]
fn immediate_exit_handle_keeps_guest_memory() -> io::Result<()> {
    if let Some(reason) = skip_reason() {
        writeln!(
            io::stderr(),
            "SKIP immediate_exit_handle_keeps_guest_memory: {reason}"
        )?;
        return Ok(());
    }
    let _watchdog = watchdog(60);

    let vm = Gunyah::new()?.create_vm()?;
    let mem = Arc::new(GuestMemory::new(MEM_SIZE)?);
    vm.add_memory(
        0,
        BASE,
        GUNYAH_MEM_ALLOW_READ | GUNYAH_MEM_ALLOW_WRITE,
        Arc::clone(&mem),
    )?;
    let vcpu = vm.add_vcpu(0)?;
    let stop = vcpu.immediate_exit_handle();
    drop(vcpu);
    drop(vm);
    assert_eq!(
        Arc::strong_count(&mem),
        2,
        "guest memory let go while the VM lives"
    );
    drop(stop);
    assert_eq!(
        Arc::strong_count(&mem),
        1,
        "guest memory kept after the VM is gone"
    );
    Ok(())
}
