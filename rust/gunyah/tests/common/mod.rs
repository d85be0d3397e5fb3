// SPDX-License-Identifier: MIT OR Apache-2.0

//! Helpers shared by the integration tests: a device tree writer and an assembler for the
//! simulator's guest programs. Each test uses what it needs.

#![allow(dead_code)]

pub mod fdt;
pub mod sim_guest;
