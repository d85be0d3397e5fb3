// SPDX-License-Identifier: MIT OR Apache-2.0

//! The test helpers write what their C twins write: the DTB writer
//! (`tests/lib/gunyah_fdt.h`) and the guest program assembler
//! (`c/include/gunyah/sim_guest.h`).

mod common;

use common::fdt::{vm_config, Fdt};
use common::sim_guest::{Program, HEADER_SIZE, INSN_SIZE, MAGIC, OP_POWER_OFF};

fn be32(bytes: &[u8], offset: usize) -> u32 {
    u32::from_be_bytes(bytes[offset..offset + 4].try_into().unwrap())
}

fn le32(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap())
}

fn le64(bytes: &[u8], offset: usize) -> u64 {
    u64::from_le_bytes(bytes[offset..offset + 8].try_into().unwrap())
}

#[test]
fn fdt_bytes_are_exact() {
    let mut f = Fdt::new();
    f.begin_node("");
    f.prop_u32("a", 1);
    f.end_node();
    let dtb = f.finish();

    let mut want = Vec::new();
    for word in [
        0xd00d_feed_u32, // magic
        90,              // totalsize: 56 + 32 + 2
        56,              // off_dt_struct
        88,              // off_dt_strings
        40,              // off_mem_rsvmap
        17,              // version
        16,              // last_comp_version
        0,               // boot_cpuid_phys
        2,               // size_dt_strings
        32,              // size_dt_struct
    ] {
        want.extend_from_slice(&word.to_be_bytes());
    }
    want.extend_from_slice(&[0; 16]); // memory reservation map terminator
    for word in [1_u32, 0, 3, 4, 0, 1, 2, 9] {
        // BEGIN_NODE "" (padded), PROP len 4 nameoff 0 value 1, END_NODE, END
        want.extend_from_slice(&word.to_be_bytes());
    }
    want.extend_from_slice(b"a\0");
    assert_eq!(dtb, want);
}

#[test]
fn fdt_shares_property_names() {
    let mut f = Fdt::new();
    f.begin_node("");
    f.prop_u32("reg", 1);
    f.begin_node("node@1");
    f.prop_u32("reg", 2);
    f.prop_str("name", "x");
    f.end_node();
    f.end_node();
    let dtb = f.finish();
    // "reg\0name\0"
    assert_eq!(be32(&dtb, 32), 9);
    assert_eq!(&dtb[dtb.len() - 9..], b"reg\0name\0");
    assert_eq!(be32(&dtb, 4) as usize, dtb.len());
}

#[test]
#[should_panic(expected = "unbalanced nodes")]
fn fdt_refuses_open_nodes() {
    let mut f = Fdt::new();
    f.begin_node("");
    f.finish();
}

#[test]
fn vm_config_is_a_dtb() {
    let dtb = vm_config(1, &[5], 0x8000_0000);
    assert_eq!(be32(&dtb, 0), 0xd00d_feed);
    assert_eq!(be32(&dtb, 4) as usize, dtb.len());
    assert_eq!(be32(&dtb, 8), 56);
    let strings = be32(&dtb, 12) as usize;
    assert_eq!(strings + be32(&dtb, 32) as usize, dtb.len());
    assert_eq!(56 + be32(&dtb, 36) as usize, strings);
    // The structure block opens the root node and ends with END_NODE, END.
    assert_eq!(be32(&dtb, 56), 1);
    assert_eq!(be32(&dtb, strings - 8), 2);
    assert_eq!(be32(&dtb, strings - 4), 9);
    // The base address is there, as two big-endian cells.
    let base = 0x8000_0000_u64.to_be_bytes();
    assert!(dtb.windows(8).any(|w| w == base));
}

#[test]
fn program_layout() {
    let mut p = Program::new();
    p.mmio_write(0x1000, 4, 0x1234);
    p.power_off(1, 0xabcd, 8);
    let bytes = p.to_bytes();
    assert_eq!(bytes.len(), HEADER_SIZE + 2 * INSN_SIZE);
    assert_eq!(&bytes[0..4], b"GSIM");
    assert_eq!(le32(&bytes, 0), MAGIC);
    assert_eq!(le32(&bytes, 4), 1); // version
    assert_eq!(le32(&bytes, 8), 1); // n_entries
    assert_eq!(le32(&bytes, 16), HEADER_SIZE as u32); // entry[0]
    assert!(bytes[20..HEADER_SIZE].iter().all(|&b| b == 0));
    let insn = HEADER_SIZE + INSN_SIZE;
    assert_eq!(le32(&bytes, insn), OP_POWER_OFF);
    assert_eq!(le32(&bytes, insn + 4), 8);
    assert_eq!(le64(&bytes, insn + 16), 1);
    assert_eq!(le64(&bytes, insn + 24), 0xabcd);
}
