// SPDX-License-Identifier: GPL-2.0

//! `gunyah_regbank`: a sample Gunyah VM function written in Rust, a bank of guest registers.
//!
//! Function type `0x8000` (`GUNYAH_FN_SAMPLE_FIRST` of `<linux/gunyah.h>`, decimal 32768); the
//! module alias `ghfunc:32768` lets `GUNYAH_VM_ADD_FUNCTION` load the module on demand.
//!
//! Each instance is a bank of `n_regs` 64-bit registers at guest physical addresses
//! `base`, `base + 8`, ..., `base + 8 * (n_regs - 1)`, all zero at first. A guest write to a
//! register stores the value, a guest read returns the stored value; both are handled in the
//! kernel, in the vCPU thread, without an exit to userspace. An access of 1, 2 or 4 bytes (which
//! must start at the register's address) reads or replaces the register's low bytes; accesses
//! at other addresses are not the bank's and go to userspace as usual.
//!
//! The argument of `GUNYAH_VM_ADD_FUNCTION` (16 bytes, host byte order; `struct
//! gunyah_regbank_arg` of `rust/samples/gunyah_regbank.h`):
//!
//! | offset | type  | field    | meaning                                          |
//! |--------|-------|----------|--------------------------------------------------|
//! | 0      | `u64` | `base`   | address of register 0; a multiple of 8           |
//! | 8      | `u32` | `n_regs` | number of registers, 1 to 64                     |
//! | 12     | `u32` | `flags`  | must be 0                                        |
//!
//! `GUNYAH_VM_ADD_FUNCTION` returns 0, or fails with `EINVAL` (wrong size, `base` not a multiple
//! of 8, `n_regs` out of range, the last register past the end of the address space, `flags` not
//! 0), `EEXIST` (a register's address already has an MMIO handler in the VM, for instance one of
//! another bank or an ioeventfd) or `ENOMEM`.
//!
//! `GUNYAH_VM_REMOVE_FUNCTION` takes the same 16 bytes and removes the bank at `base` (`n_regs`
//! is ignored; `flags` must be 0 and `base` a multiple of 8, else `EINVAL`; `ENOENT` if there is
//! no bank at `base`).
//!
//! What it demonstrates: a VM function built out of tree against the stable C ABI of
//! `<gunyah/fn_abi.h>` only, through the safe abstraction of `rust/kernel/gunyah_fn.rs`: the
//! type's registration, an argument checked field by field, per-instance state whose IO handlers
//! cannot outlive the VM, guest MMIO served in the kernel by an [`MmioDevice`] behind a
//! [`SpinLock`], and `REMOVE_FUNCTION` matching with `compare`, `validate` and `key`.

use kernel::{
    c_str,
    prelude::*,
    sync::{new_spinlock, Arc, SpinLock},
};

#[path = "../kernel/gunyah_fn.rs"]
mod gunyah_fn;

use gunyah_fn::{IoHandler, MmioDevice, Registration, VmFunction};

module! {
    type: RegBankModule,
    name: "gunyah_regbank",
    author: "Gunyah VM manager contributors",
    description: "Gunyah sample VM function in Rust: a bank of guest registers",
    license: "GPL",
    alias: ["ghfunc:32768"],
}

/// Most registers a bank may have.
const MAX_REGS: u32 = 64;

/// Length of the register array of a bank.
const BANK_LEN: usize = MAX_REGS as usize;

/// Size of a register, in bytes.
const REG_SIZE: u64 = 8;

/// The argument of `GUNYAH_VM_ADD_FUNCTION` and `GUNYAH_VM_REMOVE_FUNCTION` (see the module
/// documentation and `gunyah_regbank.h`).
#[derive(Clone, Copy)]
struct RegBankArg {
    base: u64,
    n_regs: u32,
    flags: u32,
}

/// The `N` bytes of `arg` at `offset`.
fn arg_field<const N: usize>(arg: &[u8], offset: usize) -> Result<[u8; N]> {
    arg.get(offset..offset + N)
        .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
        .ok_or(EINVAL)
}

impl RegBankArg {
    /// Size of the argument, in bytes.
    const SIZE: usize = 16;

    /// Reads an argument: `EINVAL` unless it is exactly [`Self::SIZE`] bytes long.
    fn parse(arg: &[u8]) -> Result<Self> {
        if arg.len() != Self::SIZE {
            return Err(EINVAL);
        }
        Ok(Self {
            base: u64::from_ne_bytes(arg_field(arg, 0)?),
            n_regs: u32::from_ne_bytes(arg_field(arg, 8)?),
            flags: u32::from_ne_bytes(arg_field(arg, 12)?),
        })
    }

    /// Checks the fields `REMOVE_FUNCTION` uses: `flags` 0 and `base` aligned.
    fn check_match_fields(&self) -> Result {
        if self.flags != 0 || self.base % REG_SIZE != 0 {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Checks every field for `ADD_FUNCTION`.
    fn check(&self) -> Result {
        self.check_match_fields()?;
        if self.n_regs == 0 || self.n_regs > MAX_REGS {
            return Err(EINVAL);
        }
        // The last byte of the last register must be addressable.
        self.base
            .checked_add(u64::from(self.n_regs) * REG_SIZE - 1)
            .ok_or(EINVAL)?;
        Ok(())
    }
}

/// The registers of a bank: what its MMIO handlers read and write.
#[pin_data]
struct RegFile {
    /// Address of register 0.
    base: u64,
    /// Number of registers.
    n_regs: u32,
    /// The values; only the first `n_regs` are used.
    #[pin]
    regs: SpinLock<[u64; BANK_LEN]>,
}

impl RegFile {
    /// The index of the register at `addr`: `EINVAL` if no register starts there (cannot
    /// happen: the handlers are at the registers' addresses).
    fn index(&self, addr: u64) -> Result<usize> {
        let offset = addr.checked_sub(self.base).ok_or(EINVAL)?;
        if offset % REG_SIZE != 0 || offset / REG_SIZE >= u64::from(self.n_regs) {
            return Err(EINVAL);
        }
        Ok(usize::try_from(offset / REG_SIZE)?)
    }
}

/// The mask of the low `len` bytes of a register.
fn width_mask(len: u32) -> u64 {
    if len >= 8 {
        u64::MAX
    } else {
        (1u64 << (len * 8)) - 1
    }
}

#[vtable]
impl MmioDevice for RegFile {
    fn read(&self, addr: u64, _len: u32) -> Result<u64> {
        let index = self.index(addr)?;
        // The abstraction keeps only the low `len` bytes.
        self.regs.lock().get(index).copied().ok_or(EINVAL)
    }

    fn write(&self, addr: u64, len: u32, value: u64) -> Result {
        let index = self.index(addr)?;
        let mask = width_mask(len);
        let mut regs = self.regs.lock();
        let reg = regs.get_mut(index).ok_or(EINVAL)?;
        *reg = (*reg & !mask) | (value & mask);
        Ok(())
    }
}

/// The state of one bank.
struct RegBankInstance<'vm> {
    /// Address of register 0 (what `REMOVE_FUNCTION` matches).
    base: u64,
    /// One handler per register; dropping them (at unbind) removes them from the VM.
    _handlers: KVec<IoHandler<'vm, RegFile>>,
}

/// The function type.
// Only ever used as a type (`Registration<RegBank>`), never as a value.
#[allow(dead_code)]
struct RegBank;

#[vtable]
impl VmFunction for RegBank {
    const TYPE: u32 = gunyah_fn::FN_SAMPLE_FIRST;
    const NAME: &'static CStr = c_str!("gunyah_regbank");

    type Instance<'vm> = RegBankInstance<'vm>;

    fn bind<'vm>(inst: &gunyah_fn::Instance<'vm>) -> Result<RegBankInstance<'vm>> {
        let arg = RegBankArg::parse(inst.arg())?;
        arg.check()?;

        let file = Arc::pin_init(
            pin_init!(RegFile {
                base: arg.base,
                n_regs: arg.n_regs,
                regs <- new_spinlock!([0u64; BANK_LEN], "gunyah_regbank::regs"),
            }),
            GFP_KERNEL,
        )?;

        // One handler of any access size per register: an access reaches a handler only at its
        // exact address. On an error the handlers added so far are dropped, which removes them.
        let vm = inst.vm();
        let mut handlers = KVec::with_capacity(arg.n_regs as usize, GFP_KERNEL)?;
        for i in 0..u64::from(arg.n_regs) {
            let handler = vm.add_io_handler(arg.base + i * REG_SIZE, 0, None, file.clone())?;
            handlers.push(handler, GFP_KERNEL)?;
        }

        Ok(RegBankInstance {
            base: arg.base,
            _handlers: handlers,
        })
    }

    fn compare(state: &RegBankInstance<'_>, arg: &[u8]) -> bool {
        matches!(RegBankArg::parse(arg), Ok(arg) if arg.base == state.base)
    }

    fn validate(arg: &[u8]) -> Result {
        RegBankArg::parse(arg)?.check_match_fields()
    }

    fn key(arg: &[u8]) -> u64 {
        // Only arguments bind or validate accepted get here: they parse
        RegBankArg::parse(arg).map_or(0, |arg| arg.base)
    }
}

// The alias above spells the type out in decimal, as request_module("ghfunc:%u") does.
const _: () = assert!(<RegBank as VmFunction>::TYPE == 32768);

/// The module: it holds the type's registration.
struct RegBankModule {
    _registration: Registration<RegBank>,
}

impl kernel::Module for RegBankModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _registration: Registration::new(module)?,
        })
    }
}
