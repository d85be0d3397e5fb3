// SPDX-License-Identifier: MIT OR Apache-2.0

//! An assembler for the guest programs of the simulated Gunyah hypervisor
//! (`c/include/gunyah/sim_guest.h`): a 64-byte header at the vCPU entry point, then 32-byte
//! instructions, all little-endian.

pub const MAGIC: u32 = 0x4d49_5347; // "GSIM"
pub const VERSION: u32 = 1;
pub const MAX_ENTRIES: usize = 12;
pub const HEADER_SIZE: usize = 64;
pub const INSN_SIZE: usize = 32;

pub const OP_NOP: u32 = 0;
pub const OP_MMIO_WRITE: u32 = 1;
pub const OP_MMIO_READ: u32 = 2;
pub const OP_WAIT_BELL: u32 = 3;
pub const OP_LOOP: u32 = 4;
pub const OP_POWER_OFF: u32 = 5;
pub const OP_CRASH: u32 = 6;
pub const OP_YIELD: u32 = 7;

/// MMIO_READ `arg` flag: the value read must equal `value`.
pub const MMIO_READ_CHECK: u64 = 1;

/// A guest program with one entry: every vCPU runs the same instructions.
#[derive(Debug, Default)]
pub struct Program {
    insns: Vec<[u8; INSN_SIZE]>,
}

impl Program {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn emit(&mut self, op: u32, len: u32, addr: u64, value: u64, arg: u64) {
        let mut insn = [0u8; INSN_SIZE];
        insn[0..4].copy_from_slice(&op.to_le_bytes());
        insn[4..8].copy_from_slice(&len.to_le_bytes());
        insn[8..16].copy_from_slice(&addr.to_le_bytes());
        insn[16..24].copy_from_slice(&value.to_le_bytes());
        insn[24..32].copy_from_slice(&arg.to_le_bytes());
        self.insns.push(insn);
    }

    /// An MMIO write of the low `len` bytes of `value`.
    pub fn mmio_write(&mut self, addr: u64, len: u32, value: u64) {
        self.emit(OP_MMIO_WRITE, len, addr, value, 0);
    }

    /// An MMIO read whose value must be `expect` (else the guest faults).
    pub fn mmio_read_check(&mut self, addr: u64, len: u32, expect: u64) {
        self.emit(OP_MMIO_READ, len, addr, expect, MMIO_READ_CHECK);
    }

    /// Waits for the doorbell labelled `label`.
    pub fn wait_bell(&mut self, label: u32) {
        self.emit(OP_WAIT_BELL, 0, 0, 0, u64::from(label));
    }

    /// Powers the VM off: exit type `exit_type`, a reason of `len` (4 or 8) bytes of `reason`.
    pub fn power_off(&mut self, exit_type: u64, reason: u64, len: u32) {
        self.emit(OP_POWER_OFF, len, 0, exit_type, reason);
    }

    /// The header and the instructions, to place at the entry point (64-byte aligned).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER_SIZE + self.insns.len() * INSN_SIZE);
        bytes.extend_from_slice(&MAGIC.to_le_bytes());
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes()); // n_entries
        bytes.extend_from_slice(&0u32.to_le_bytes()); // reserved
        bytes.extend_from_slice(&(HEADER_SIZE as u32).to_le_bytes()); // entry[0]
        bytes.resize(HEADER_SIZE, 0); // entry[1..MAX_ENTRIES]
        for insn in &self.insns {
            bytes.extend_from_slice(insn);
        }
        bytes
    }
}
