// SPDX-License-Identifier: MIT OR Apache-2.0

//! A minimal flattened device tree (DTB, version 17) writer, enough for a Gunyah VM
//! configuration: the Rust twin of `tests/lib/gunyah_fdt.h`, with the same output.
//!
//! Nested [`Fdt::begin_node`] / `prop*` / [`Fdt::end_node`] calls starting with the root node
//! `""`, then [`Fdt::finish`].

const MAGIC: u32 = 0xd00d_feed;
const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const END: u32 = 9;

/// Size of the header.
const HEADER_SIZE: usize = 40;
/// Offset of the structure block: the header, then an empty memory reservation map (one
/// 16-byte terminator).
const STRUCT_OFFSET: usize = HEADER_SIZE + 16;

/// A DTB being written.
#[derive(Debug, Default)]
pub struct Fdt {
    structure: Vec<u8>,
    strings: Vec<u8>,
    depth: usize,
}

impl Fdt {
    pub fn new() -> Self {
        Self::default()
    }

    fn put32(&mut self, value: u32) {
        self.structure.extend_from_slice(&value.to_be_bytes());
    }

    /// `bytes`, zero-padded to a multiple of 4.
    fn put_bytes(&mut self, bytes: &[u8]) {
        self.structure.extend_from_slice(bytes);
        let padded = bytes.len().div_ceil(4) * 4;
        self.structure
            .resize(self.structure.len() + padded - bytes.len(), 0);
    }

    /// The offset of `name` in the strings block, added if it is not there yet.
    fn string(&mut self, name: &str) -> u32 {
        let mut offset = 0;
        for existing in self.strings.split(|&b| b == 0) {
            if offset >= self.strings.len() {
                break;
            }
            if existing == name.as_bytes() {
                return offset as u32;
            }
            offset += existing.len() + 1;
        }
        let offset = self.strings.len();
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        offset as u32
    }

    pub fn begin_node(&mut self, name: &str) {
        self.put32(BEGIN_NODE);
        let mut bytes = name.as_bytes().to_vec();
        bytes.push(0);
        self.put_bytes(&bytes);
        self.depth += 1;
    }

    pub fn end_node(&mut self) {
        assert!(self.depth > 0, "end_node without begin_node");
        self.depth -= 1;
        self.put32(END_NODE);
    }

    pub fn prop(&mut self, name: &str, value: &[u8]) {
        let nameoff = self.string(name);
        self.put32(PROP);
        self.put32(u32::try_from(value.len()).expect("property too large"));
        self.put32(nameoff);
        self.put_bytes(value);
    }

    pub fn prop_u32(&mut self, name: &str, value: u32) {
        self.prop(name, &value.to_be_bytes());
    }

    /// A 64-bit value as two cells, most significant first.
    pub fn prop_u64(&mut self, name: &str, value: u64) {
        self.prop(name, &value.to_be_bytes());
    }

    pub fn prop_str(&mut self, name: &str, value: &str) {
        let mut bytes = value.as_bytes().to_vec();
        bytes.push(0);
        self.prop(name, &bytes);
    }

    pub fn prop_empty(&mut self, name: &str) {
        self.prop(name, &[]);
    }

    /// Closes the tree and returns the DTB.
    ///
    /// # Panics
    ///
    /// If a node is still open.
    pub fn finish(mut self) -> Vec<u8> {
        assert_eq!(self.depth, 0, "unbalanced nodes");
        self.put32(END);
        let strings_offset = STRUCT_OFFSET + self.structure.len();
        let total = strings_offset + self.strings.len();
        let header = [
            MAGIC,
            total as u32,                // totalsize
            STRUCT_OFFSET as u32,        // off_dt_struct
            strings_offset as u32,       // off_dt_strings
            HEADER_SIZE as u32,          // off_mem_rsvmap
            17,                          // version
            16,                          // last_comp_version
            0,                           // boot_cpuid_phys
            self.strings.len() as u32,   // size_dt_strings
            self.structure.len() as u32, // size_dt_struct
        ];
        let mut dtb = Vec::with_capacity(total);
        for word in header {
            dtb.extend_from_slice(&word.to_be_bytes());
        }
        dtb.resize(STRUCT_OFFSET, 0);
        dtb.extend_from_slice(&self.structure);
        dtb.extend_from_slice(&self.strings);
        dtb
    }
}

/// A Gunyah VM configuration the simulated resource manager accepts: `n_vcpus` vCPUs, one
/// doorbell per label, memory at `base` (as `ghv_build_config()` of
/// `tests/selftests/gunyah_vm_util.h` writes it).
pub fn vm_config(n_vcpus: u32, bell_labels: &[u32], base: u64) -> Vec<u8> {
    let mut f = Fdt::new();
    f.begin_node("");
    f.prop_u32("#address-cells", 2);
    f.prop_u32("#size-cells", 2);
    f.begin_node("cpus");
    f.prop_u32("#address-cells", 1);
    f.prop_u32("#size-cells", 0);
    for i in 0..n_vcpus {
        f.begin_node(&format!("cpu@{i}"));
        f.prop_str("device_type", "cpu");
        f.prop_u32("reg", i);
        f.end_node();
    }
    f.end_node();
    f.begin_node("qcom,vm-config");
    f.prop_str("vm-type", "aarch64-guest");
    f.begin_node("memory");
    f.prop_u64("base-address", base);
    f.end_node();
    f.begin_node("vdevices");
    for (i, label) in bell_labels.iter().enumerate() {
        f.begin_node(&format!("bell-{i}"));
        f.prop_str("vdevice-type", "doorbell");
        f.prop_u32("label", *label);
        f.end_node();
    }
    f.end_node();
    f.end_node();
    f.end_node();
    f.finish()
}
