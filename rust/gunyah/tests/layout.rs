// SPDX-License-Identifier: MIT OR Apache-2.0

//! The generated bindings have the binary layout of `tests/uapi/layout.golden`, the golden
//! file the C side is checked against (scripts/check-uapi.sh): every size, member offset,
//! ioctl number and constant listed there, compared with what Rust sees.
//!
//! A line of the golden file with no counterpart here fails the test, and so does an entry
//! here the golden file lacks: add both together.

use std::collections::{BTreeMap, BTreeSet};
use std::mem::offset_of;

use gunyah::bindings::*;
use gunyah::BootReg;

const GOLDEN: &str = include_str!("../../../tests/uapi/layout.golden");

fn v<T: Into<u64>>(value: T) -> u64 {
    value.into()
}

/// Every fact of the golden file, as Rust computes it: "<kind> <name>" -> value.
fn rust_layout() -> BTreeMap<String, u64> {
    let mut facts = BTreeMap::new();
    let mut add = |key: &str, value: u64| {
        assert!(
            facts.insert(key.to_owned(), value).is_none(),
            "{key} listed twice"
        );
    };

    macro_rules! size {
        ($t:ident) => {
            add(concat!("sizeof ", stringify!($t)), size_of::<$t>() as u64)
        };
    }
    // `$f as "name"`: the member's C name, when bindgen renamed it (a Rust keyword).
    macro_rules! field {
        ($t:ident, $f:ident) => {
            add(
                concat!("offsetof ", stringify!($t), ".", stringify!($f)),
                offset_of!($t, $f) as u64,
            )
        };
        ($t:ident, $f:ident as $c:literal) => {
            add(
                concat!("offsetof ", stringify!($t), ".", $c),
                offset_of!($t, $f) as u64,
            )
        };
    }
    // A member of a member: `$base` is the offset of the outer member.
    macro_rules! nested {
        ($prefix:literal, $base:expr, $t:ident, $f:ident) => {
            add(
                concat!("offsetof ", $prefix, ".", stringify!($f)),
                ($base + offset_of!($t, $f)) as u64,
            )
        };
        ($prefix:literal, $base:expr, $t:ident, $f:ident as $c:literal) => {
            add(
                concat!("offsetof ", $prefix, ".", $c),
                ($base + offset_of!($t, $f)) as u64,
            )
        };
    }
    macro_rules! ioctl {
        ($($name:ident),* $(,)?) => {
            $(add(concat!("ioctl ", stringify!($name)), v($name));)*
        };
    }
    macro_rules! value {
        ($($name:ident),* $(,)?) => {
            $(add(concat!("value ", stringify!($name)), v($name));)*
        };
    }

    size!(gunyah_userspace_memory_region);
    field!(gunyah_userspace_memory_region, label);
    field!(gunyah_userspace_memory_region, flags);
    field!(gunyah_userspace_memory_region, guest_phys_addr);
    field!(gunyah_userspace_memory_region, memory_size);
    field!(gunyah_userspace_memory_region, userspace_addr);
    size!(gunyah_vm_dtb_config);
    field!(gunyah_vm_dtb_config, guest_phys_addr);
    field!(gunyah_vm_dtb_config, size);
    size!(gunyah_fn_vcpu_arg);
    field!(gunyah_fn_vcpu_arg, id);
    size!(gunyah_fn_irqfd_arg);
    field!(gunyah_fn_irqfd_arg, fd);
    field!(gunyah_fn_irqfd_arg, label);
    field!(gunyah_fn_irqfd_arg, flags);
    field!(gunyah_fn_irqfd_arg, padding);
    size!(gunyah_fn_ioeventfd_arg);
    field!(gunyah_fn_ioeventfd_arg, datamatch);
    field!(gunyah_fn_ioeventfd_arg, addr);
    field!(gunyah_fn_ioeventfd_arg, len);
    field!(gunyah_fn_ioeventfd_arg, fd);
    field!(gunyah_fn_ioeventfd_arg, flags);
    field!(gunyah_fn_ioeventfd_arg, padding);
    size!(gunyah_fn_desc);
    field!(gunyah_fn_desc, type_ as "type");
    field!(gunyah_fn_desc, arg_size);
    field!(gunyah_fn_desc, arg);
    size!(gunyah_vm_boot_context);
    field!(gunyah_vm_boot_context, reg);
    field!(gunyah_vm_boot_context, reserved);
    field!(gunyah_vm_boot_context, value);
    size!(gunyah_fn_check);
    field!(gunyah_fn_check, type_ as "type");
    field!(gunyah_fn_check, flags);
    size!(gunyah_vm_exit_info);
    field!(gunyah_vm_exit_info, type_ as "type");
    field!(gunyah_vm_exit_info, padding);
    field!(gunyah_vm_exit_info, reason_size);
    field!(gunyah_vm_exit_info, reason);
    size!(gunyah_vcpu_mmio_exit);
    field!(gunyah_vcpu_mmio_exit, phys_addr);
    field!(gunyah_vcpu_mmio_exit, data);
    field!(gunyah_vcpu_mmio_exit, len);
    field!(gunyah_vcpu_mmio_exit, is_write);
    field!(gunyah_vcpu_mmio_exit, resume_action);
    field!(gunyah_vcpu_mmio_exit, padding);
    size!(gunyah_vcpu_status_exit);
    field!(gunyah_vcpu_status_exit, status);
    field!(gunyah_vcpu_status_exit, exit_info);
    size!(gunyah_vcpu_run);
    field!(gunyah_vcpu_run, immediate_exit);
    field!(gunyah_vcpu_run, padding);
    field!(gunyah_vcpu_run, exit_reason);
    field!(gunyah_vcpu_run, padding2);

    // The anonymous union: C names its members directly.
    let union = offset_of!(gunyah_vcpu_run, __bindgen_anon_1);
    let mmio = union + offset_of!(gunyah_vcpu_run__bindgen_ty_1, mmio);
    let status = union + offset_of!(gunyah_vcpu_run__bindgen_ty_1, status);
    let exit_info = status + offset_of!(gunyah_vcpu_status_exit, exit_info);
    add("offsetof gunyah_vcpu_run.mmio", mmio as u64);
    nested!(
        "gunyah_vcpu_run.mmio",
        mmio,
        gunyah_vcpu_mmio_exit,
        phys_addr
    );
    nested!("gunyah_vcpu_run.mmio", mmio, gunyah_vcpu_mmio_exit, data);
    nested!("gunyah_vcpu_run.mmio", mmio, gunyah_vcpu_mmio_exit, len);
    nested!(
        "gunyah_vcpu_run.mmio",
        mmio,
        gunyah_vcpu_mmio_exit,
        is_write
    );
    nested!(
        "gunyah_vcpu_run.mmio",
        mmio,
        gunyah_vcpu_mmio_exit,
        resume_action
    );
    nested!("gunyah_vcpu_run.mmio", mmio, gunyah_vcpu_mmio_exit, padding);
    add("offsetof gunyah_vcpu_run.status", status as u64);
    nested!(
        "gunyah_vcpu_run.status",
        status,
        gunyah_vcpu_status_exit,
        status
    );
    add(
        "offsetof gunyah_vcpu_run.status.exit_info",
        exit_info as u64,
    );
    nested!("gunyah_vcpu_run.status.exit_info", exit_info, gunyah_vm_exit_info, type_ as "type");
    nested!(
        "gunyah_vcpu_run.status.exit_info",
        exit_info,
        gunyah_vm_exit_info,
        padding
    );
    nested!(
        "gunyah_vcpu_run.status.exit_info",
        exit_info,
        gunyah_vm_exit_info,
        reason_size
    );
    nested!(
        "gunyah_vcpu_run.status.exit_info",
        exit_info,
        gunyah_vm_exit_info,
        reason
    );

    ioctl!(
        GUNYAH_CREATE_VM,
        GUNYAH_VM_SET_USER_MEM_REGION,
        GUNYAH_VM_SET_DTB_CONFIG,
        GUNYAH_VM_START,
        GUNYAH_VM_ADD_FUNCTION,
        GUNYAH_VCPU_RUN,
        GUNYAH_VCPU_MMAP_SIZE,
        GUNYAH_VM_REMOVE_FUNCTION,
        GUNYAH_VM_SET_BOOT_CONTEXT,
        GUNYAH_CHECK_FUNCTION,
    );

    value!(
        GUNYAH_IOCTL_TYPE,
        GUNYAH_MEM_ALLOW_READ,
        GUNYAH_MEM_ALLOW_WRITE,
        GUNYAH_MEM_ALLOW_EXEC,
        GUNYAH_MEM_FORCE_LEND,
        GUNYAH_FN_VCPU,
        GUNYAH_FN_IRQFD,
        GUNYAH_FN_IOEVENTFD,
        GUNYAH_FN_SAMPLE_FIRST,
        GUNYAH_FN_SAMPLE_LAST,
        GUNYAH_FN_MAX_ARG_SIZE,
        GUNYAH_IRQFD_FLAGS_LEVEL,
        GUNYAH_IOEVENTFD_FLAGS_DATAMATCH,
        GUNYAH_VM_BOOT_CONTEXT_REG_SET_X,
        GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC,
        GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP,
    );
    // GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, 1): the crate's encoding,
    // which must also equal clang's expansion of the macro.
    assert_eq!(
        BootReg::Sp(1).encoding(),
        GUNYAH_BINDGEN_CHECK_BOOT_CONTEXT_REG_SP_1
    );
    add("value boot_context_reg_sp_1", v(BootReg::Sp(1).encoding()));
    value!(
        GUNYAH_VCPU_EXIT_UNKNOWN,
        GUNYAH_VCPU_EXIT_MMIO,
        GUNYAH_VCPU_EXIT_STATUS,
        GUNYAH_VCPU_RESUME_HANDLED,
        GUNYAH_VCPU_RESUME_FAULT,
        GUNYAH_VCPU_RESUME_RETRY,
        GUNYAH_VM_STATUS_LOAD_FAILED,
        GUNYAH_VM_STATUS_EXITED,
        GUNYAH_VM_STATUS_CRASHED,
        GUNYAH_RM_VM_EXIT_TYPE_VM_EXIT,
        GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF,
        GUNYAH_RM_VM_EXIT_TYPE_PSCI_RESET,
        GUNYAH_RM_VM_EXIT_TYPE_PSCI_SYSTEM_RESET2,
        GUNYAH_RM_VM_EXIT_TYPE_WATCHDOG_BITE,
        GUNYAH_RM_VM_EXIT_TYPE_HYP_ERROR,
        GUNYAH_RM_VM_EXIT_TYPE_ASYNC_EXT_ABORT,
        GUNYAH_RM_VM_EXIT_TYPE_VM_FORCE_STOPPED,
    );
    facts
}

/// The value of a golden line: hexadecimal for ioctls (0x%08x), else decimal.
fn golden_value(kind: &str, value: &str) -> Option<u64> {
    if kind == "ioctl" {
        u64::from_str_radix(value.strip_prefix("0x")?, 16).ok()
    } else {
        value.parse().ok()
    }
}

#[test]
fn layout_matches_the_golden_file() {
    let rust = rust_layout();
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    for (index, line) in GOLDEN.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("tests/uapi/layout.golden:{}", index + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [kind, name, value] = fields[..] else {
            errors.push(format!("{at}: not \"<kind> <name> <value>\": {line}"));
            continue;
        };
        let Some(want) = golden_value(kind, value) else {
            errors.push(format!("{at}: bad value: {line}"));
            continue;
        };
        let key = format!("{kind} {name}");
        match rust.get(&key) {
            None => errors.push(format!(
                "{at}: {key}: not checked on the Rust side (add it to rust/gunyah/tests/layout.rs)"
            )),
            Some(&got) if got != want => {
                errors.push(format!("{at}: {key}: golden {want}, Rust {got}"))
            }
            Some(_) => {}
        }
        seen.insert(key);
    }
    for key in rust.keys().filter(|key| !seen.contains(*key)) {
        errors.push(format!(
            "{key}: checked on the Rust side, missing from layout.golden"
        ));
    }
    assert!(
        errors.is_empty(),
        "the Rust bindings and tests/uapi/layout.golden differ:\n{}",
        errors.join("\n")
    );
    assert!(seen.len() > 100, "only {} golden lines read", seen.len());
}
