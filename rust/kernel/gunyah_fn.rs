// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions for Gunyah VM functions written in Rust.
//!
//! A Rust VM-function module reaches the Gunyah VM manager only through the stable, versioned C
//! ABI of `<gunyah/fn_abi.h>` (`c/include/gunyah/fn_abi.h`): opaque handles, fixed-width integers
//! and plain function pointers. No layout of a kernel structure crosses that boundary, so a module
//! built on this file does not depend on the kernel's `.config`.
//!
//! An out-of-tree Rust module is a single crate, so this file is not a library: each module
//! includes it as a private module of its crate root,
//!
//! ```ignore
//! #[path = "../kernel/gunyah_fn.rs"]
//! mod gunyah_fn;
//! ```
//!
//! and this file includes the bindgen output of `fn_abi.h` (`bindings/kernel/fn_abi.rs`) by a path
//! relative to itself, which works in and out of the kernel tree.
//!
//! # Contract
//!
//! * A function type is a [`VmFunction`] implementation; [`Registration::new`] registers it with
//!   the ABI version and structure size this file was built with, and dropping the
//!   [`Registration`] (at module exit) unregisters it.
//! * [`VmFunction::bind`] runs for each `GUNYAH_VM_ADD_FUNCTION` of the type. It sees the
//!   argument as bytes and the VM as a [`Vm`] handle, and returns the instance's state, which
//!   the abstraction keeps (boxed, as the instance's private data) until the instance is
//!   removed. Returning an error makes the ioctl fail with it. Bind always returns 0 to
//!   userspace on success: a Rust function cannot hand out a file descriptor (yet).
//! * [`VmFunction::unbind`] gets the state back by value when the instance is removed
//!   (`GUNYAH_VM_REMOVE_FUNCTION`, or VM destruction); dropping it undoes the instance.
//! * [`VmFunction::compare`] and the optional [`VmFunction::validate`] implement
//!   `GUNYAH_VM_REMOVE_FUNCTION`; the optional [`VmFunction::key`] (ABI version 2, with
//!   `validate`) lets the VM find the instances to compare in O(1).
//! * [`Vm::add_io_handler`] has guest MMIO accesses at one address handled in the kernel by an
//!   [`MmioDevice`]. The returned [`IoHandler`] removes the handler when dropped.
//!
//! # Lifetimes
//!
//! Every handle that must not outlive the VM carries the lifetime `'vm` of the [`Instance`] it
//! came from: [`Instance<'vm>`], [`Vm<'vm>`], [`IoHandler<'vm, D>`] and the state
//! `T::Instance<'vm>`. [`VmFunction::bind`] is generic over `'vm`, so the state is the only place
//! where an implementation can keep such a handle beyond the call (no `'static` place, such as a
//! global or a work item, can hold one). The abstraction drops the state in the instance's unbind
//! callback, and the VM manager unbinds every instance of a VM before that VM goes away
//! (`gunyah_vm_destroy()` removes the functions before it frees the VM). Hence no handle is used
//! after its VM is gone; this is what makes [`Vm`] and [`IoHandler`] sound without a reference
//! count on the VM (which would never drop: the VM removes its instances only when its last
//! reference goes).
//!
//! # Context
//!
//! `bind`, `unbind` and `compare` run in process context under the VM's function lock; they may
//! sleep, add and remove IO handlers. `validate` runs under no lock of the VM. The
//! [`MmioDevice`] callbacks run in vCPU threads, concurrently, under the VM's MMIO lock held for
//! reading: they must be quick and cannot add or remove IO handlers (an [`MmioDevice`] is
//! `'static`, so it cannot hold a [`Vm`] or an [`IoHandler`]).

// The items are `pub` for the crate that includes this file as a private module; a given module
// uses only part of them.
#![allow(dead_code, unreachable_pub)]

use core::{
    ffi::{c_int, c_void},
    marker::PhantomData,
    mem::size_of,
    ptr,
};
use kernel::{error::to_result, prelude::*, sync::Arc};

/// The bindgen output of `c/include/gunyah/fn_abi.h` (see `bindings/kernel/`).
///
/// The generated file must not contain inner attributes (`include!` cannot take them): the lints
/// it needs are allowed here.
#[allow(
    clippy::all,
    dead_code,
    improper_ctypes,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    // Generated code: bindgen writes no SAFETY comments.
    clippy::undocumented_unsafe_blocks
)]
mod bindings {
    include!("../../bindings/kernel/fn_abi.rs");
}

// The version 2 layouts the C side asserts too (c/fn_abi.c): a drift fails the build here.
const _: () = {
    assert!(bindings::GUNYAH_FN_ABI_VERSION == 2);
    assert!(core::mem::offset_of!(bindings::gunyah_fn_abi_ops, abi_version) == 0);
    assert!(core::mem::offset_of!(bindings::gunyah_fn_abi_ops, struct_size) == 4);
    assert!(core::mem::offset_of!(bindings::gunyah_fn_abi_ops, name) == 16);
    assert!(core::mem::offset_of!(bindings::gunyah_fn_abi_ops, key) == 16 + 6 * size_of::<usize>());
    assert!(size_of::<bindings::gunyah_fn_abi_ops>() == 16 + 7 * size_of::<usize>());
    assert!(core::mem::offset_of!(bindings::gunyah_fn_abi_io_handler_desc, data) == 16);
    assert!(core::mem::offset_of!(bindings::gunyah_fn_abi_io_handler_desc, read) == 24);
    assert!(size_of::<bindings::gunyah_fn_abi_io_handler_desc>() == 24 + 3 * size_of::<usize>());
};

/// First function type reserved for samples and out-of-tree modules (`GUNYAH_FN_SAMPLE_FIRST`
/// of `<linux/gunyah.h>`).
pub const FN_SAMPLE_FIRST: u32 = 0x8000;

/// Last function type reserved for samples and out-of-tree modules (`GUNYAH_FN_SAMPLE_LAST`).
pub const FN_SAMPLE_LAST: u32 = 0x80ff;

/// Converts an argument pointer and size from the C side into a byte slice.
///
/// An empty slice for a NULL pointer or a size of 0 (or one that does not fit a `usize`).
///
/// # Safety
///
/// Unless `ptr` is NULL or `size` is 0, `ptr` must be valid for reads of `size` bytes, and not
/// be written, for `'a`.
unsafe fn arg_bytes<'a>(ptr: *const c_void, size: u64) -> &'a [u8] {
    if ptr.is_null() || size == 0 {
        return &[];
    }
    let Ok(len) = usize::try_from(size) else {
        return &[];
    };
    // SAFETY: `ptr` is not NULL and, by the safety requirements of this function, valid for
    // reads of `len` bytes and not written for `'a`; `u8` has no alignment requirement.
    unsafe { core::slice::from_raw_parts(ptr.cast::<u8>(), len) }
}

/// A Gunyah VM function type.
///
/// Implement it with `#[vtable]`; [`VmFunction::validate`] is optional (without it a
/// `GUNYAH_VM_REMOVE_FUNCTION` argument of the type matches nothing and fails with `ENOENT`),
/// and so is [`VmFunction::key`], which needs [`VmFunction::validate`] (checked at build time).
///
/// The module must also declare the alias `"ghfunc:<TYPE in decimal>"` in its `module!`, so
/// that `GUNYAH_VM_ADD_FUNCTION` loads it on demand.
#[vtable]
pub trait VmFunction {
    /// The function type number (`struct gunyah_fn_desc.type`). Out-of-tree modules use
    /// [`FN_SAMPLE_FIRST`]..=[`FN_SAMPLE_LAST`]; any other value in `[1, 0x80ff]` is a type of
    /// the project. Checked at build time.
    const TYPE: u32;

    /// The type's name, for the kernel log.
    const NAME: &'static CStr;

    /// The state of one instance, created by [`VmFunction::bind`] and kept until the instance is
    /// removed. It may hold [`IoHandler`]s and other `'vm` handles (see the module
    /// documentation).
    type Instance<'vm>: Send + Sync;

    /// Creates an instance for `GUNYAH_VM_ADD_FUNCTION`.
    ///
    /// Check the size and every field of [`Instance::arg`] (`EINVAL` for a bad one). On error,
    /// everything the call did must be undone: dropping what it made does that for the
    /// abstraction's handles.
    ///
    /// Context: process context, the VM's function lock held; may sleep.
    fn bind<'vm>(inst: &Instance<'vm>) -> Result<Self::Instance<'vm>>;

    /// Destroys an instance: called once, when it is removed, with the state
    /// [`VmFunction::bind`] returned. The default drops the state, which removes its IO
    /// handlers. When this returns nothing of the instance may run any more.
    ///
    /// Context: process context, the VM's function lock held; may sleep.
    fn unbind(_state: Self::Instance<'_>) {}

    /// Returns whether the instance whose state is `state` is the one a
    /// `GUNYAH_VM_REMOVE_FUNCTION` argument `arg` names. The oldest matching instance is
    /// removed.
    ///
    /// Context: process context, the VM's function lock held; should be quick.
    fn compare(state: &Self::Instance<'_>, arg: &[u8]) -> bool;

    /// Checks a `GUNYAH_VM_REMOVE_FUNCTION` argument once, before any
    /// [`VmFunction::compare`]: `EINVAL` if its size is not the size the type takes or a field
    /// used for matching is invalid.
    ///
    /// Context: process context, no lock of the VM held.
    fn validate(_arg: &[u8]) -> Result {
        // Not called unless implemented: without it the ops table has no validate callback.
        Err(EINVAL)
    }

    /// Returns the key of an argument: a number that the argument of an instance and every
    /// `GUNYAH_VM_REMOVE_FUNCTION` argument [`VmFunction::compare`] matches with it have in
    /// common (an address, an id). Called on the argument of each instance
    /// [`VmFunction::bind`] accepted and on each `REMOVE` argument [`VmFunction::validate`]
    /// accepted. With it, `REMOVE` calls [`VmFunction::compare`] only on the instances with
    /// the argument's key, which the VM finds in O(1); without it, on every instance of the
    /// type in the VM.
    ///
    /// Context: process context, the VM's function lock held or no lock of the VM; must not
    /// sleep.
    fn key(_arg: &[u8]) -> u64 {
        // Not called unless implemented: without it the ops table has no key callback.
        0
    }
}

/// The view of a function instance that [`VmFunction::bind`] gets.
///
/// # Invariants
///
/// `ptr` is a valid instance handle for `'vm`: from its bind callback until its unbind callback
/// returns.
pub struct Instance<'vm> {
    ptr: *mut bindings::gunyah_fn_abi_instance,
    _vm: PhantomData<&'vm ()>,
}

impl<'vm> Instance<'vm> {
    /// Wraps an instance handle.
    ///
    /// # Safety
    ///
    /// `ptr` must be an instance handle the VM manager passed to a bind callback, and `'vm` must
    /// end before the instance's unbind callback returns.
    unsafe fn from_raw(ptr: *mut bindings::gunyah_fn_abi_instance) -> Self {
        // INVARIANT: By the safety requirements of this function.
        Self {
            ptr,
            _vm: PhantomData,
        }
    }

    /// The argument userspace gave `GUNYAH_VM_ADD_FUNCTION` (the kernel's copy, constant for
    /// the instance's life); empty when its size was 0.
    pub fn arg(&self) -> &'vm [u8] {
        let mut size: u64 = 0;
        // SAFETY: By the type invariant `self.ptr` is a valid instance; `size` is a valid
        // place for the size.
        let arg = unsafe { bindings::gunyah_fn_abi_arg(self.ptr, &mut size) };
        // SAFETY: The ABI guarantees that the argument is `size` bytes long (NULL when `size` is
        // 0) and constant for the instance's life, which by the type invariant lasts for `'vm`.
        unsafe { arg_bytes(arg, size) }
    }

    /// The VM of the instance.
    pub fn vm(&self) -> Vm<'vm> {
        // SAFETY: By the type invariant `self.ptr` is a valid instance.
        let ptr = unsafe { bindings::gunyah_fn_abi_vm(self.ptr) };
        // INVARIANT: The ABI guarantees that the VM handle is valid while the instance exists,
        // which by the type invariant is for `'vm`.
        Vm {
            ptr,
            _vm: PhantomData,
        }
    }
}

/// A VM, as an instance of a function sees it.
///
/// # Invariants
///
/// `ptr` is a valid VM handle for `'vm` (while the instance it came from exists).
#[derive(Clone, Copy)]
pub struct Vm<'vm> {
    ptr: *mut bindings::gunyah_fn_abi_vm,
    _vm: PhantomData<&'vm ()>,
}

// SAFETY: A VM handle is not tied to a thread: the accessors may be called in any context and
// `gunyah_fn_abi_add_io_handler()` from any thread in process context.
unsafe impl Send for Vm<'_> {}

// SAFETY: `Vm` has no interior state: sharing a `&Vm` only allows the calls `Send` allows.
unsafe impl Sync for Vm<'_> {}

impl<'vm> Vm<'vm> {
    /// The VM id the resource manager gave the VM.
    pub fn id(&self) -> u16 {
        // SAFETY: By the type invariant `self.ptr` is a valid VM.
        unsafe { bindings::gunyah_fn_abi_vmid(self.ptr) }
    }

    /// Has the kernel handle the guest's MMIO accesses that start at `addr`.
    ///
    /// `len` is the access size taken: 1, 2, 4 or 8, or 0 for any size. With `datamatch`, only
    /// writes of exactly that value are taken (not with `len` 0). Accesses the handler does not
    /// take, and those its callbacks fail, go to userspace.
    ///
    /// The handler holds `dev` until the returned [`IoHandler`] is dropped, which removes it.
    ///
    /// Context: process context, may sleep (from [`VmFunction::bind`] or
    /// [`VmFunction::unbind`]).
    ///
    /// Returns `EINVAL` for a bad `len`, `datamatch` with `len` 0, `addr + len` overflowing or a
    /// device with neither `read` nor `write`; `EEXIST` if some access could reach both this
    /// handler and one the VM has; `ENOMEM`.
    pub fn add_io_handler<D: MmioDevice>(
        &self,
        addr: u64,
        len: u32,
        datamatch: Option<u64>,
        dev: Arc<D>,
    ) -> Result<IoHandler<'vm, D>> {
        let (flags, data) = match datamatch {
            Some(value) => (bindings::GUNYAH_FN_ABI_IO_DATAMATCH, value),
            None => (0, 0),
        };
        let ctx: *const D = &*dev;
        let desc = bindings::gunyah_fn_abi_io_handler_desc {
            addr,
            len,
            flags,
            data,
            read: if D::HAS_READ {
                Some(io_read_callback::<D>)
            } else {
                None
            },
            write: if D::HAS_WRITE {
                Some(io_write_callback::<D>)
            } else {
                None
            },
            ctx: ctx.cast_mut().cast::<c_void>(),
        };
        let mut handle: *mut bindings::gunyah_fn_abi_io_handler = ptr::null_mut();
        // SAFETY: By the type invariant `self.ptr` is a valid VM; `desc` and `handle` are valid
        // for the call (`desc` is copied). The callbacks get `ctx`, a pointer to the `D` in
        // `dev`: the `IoHandler` returned below owns `dev` and removes the handler before it
        // drops `dev`, so `ctx` is valid whenever a callback runs. On error `dev` is dropped
        // here and the handler does not exist.
        to_result(unsafe { bindings::gunyah_fn_abi_add_io_handler(self.ptr, &desc, &mut handle) })?;
        // INVARIANT: `handle` is the handler just added, whose context is `dev`; `'vm` is the
        // lifetime of the VM.
        Ok(IoHandler {
            handle,
            dev,
            _vm: PhantomData,
        })
    }
}

/// A device that handles guest MMIO accesses in the kernel (see [`Vm::add_io_handler`]).
///
/// Implement it with `#[vtable]`; implement `read`, `write` or both (the handler of a device
/// without `read` sends reads to userspace, and likewise for writes).
///
/// The callbacks run in vCPU threads, concurrently, in a read-side critical section of the VM
/// manager's MMIO SRCU: they must be quick, must not sleep for long, and must not add or remove
/// IO handlers. An error sends the access to userspace instead.
#[vtable]
pub trait MmioDevice: Send + Sync + 'static {
    /// Completes a guest read of `len` bytes (1, 2, 4 or 8) at `addr`. Only the low `len` bytes
    /// of the value count (the abstraction masks the others).
    fn read(&self, _addr: u64, _len: u32) -> Result<u64> {
        // Not called unless implemented: the handler then has no read callback.
        Err(EINVAL)
    }

    /// Takes a guest write of `len` bytes (1, 2, 4 or 8) at `addr`; `value` is zero-extended.
    fn write(&self, _addr: u64, _len: u32, _value: u64) -> Result {
        // Not called unless implemented: the handler then has no write callback.
        Err(EINVAL)
    }
}

/// The mask of the low `len` bytes of a `u64`.
fn access_mask(len: u32) -> u64 {
    if len >= 8 {
        u64::MAX
    } else {
        (1u64 << (len * 8)) - 1
    }
}

/// The read callback of an IO handler of a `D`.
///
/// # Safety
///
/// `ctx` must be the context of an IO handler added by [`Vm::add_io_handler`] for a `D`, and
/// `data` valid for a write of a `u64`.
unsafe extern "C" fn io_read_callback<D: MmioDevice>(
    ctx: *mut c_void,
    addr: u64,
    len: u32,
    data: *mut u64,
) -> c_int {
    // SAFETY: By the safety requirements of this function `ctx` points to the `D` in the
    // `Arc<D>` of an `IoHandler`, which keeps it alive until the handler is removed, and the
    // removal waits for running callbacks.
    let dev = unsafe { &*ctx.cast::<D>() };
    match dev.read(addr, len) {
        Ok(value) => {
            // SAFETY: By the safety requirements of this function `data` is valid for writes.
            unsafe { *data = value & access_mask(len) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// The write callback of an IO handler of a `D`.
///
/// # Safety
///
/// `ctx` must be the context of an IO handler added by [`Vm::add_io_handler`] for a `D`.
unsafe extern "C" fn io_write_callback<D: MmioDevice>(
    ctx: *mut c_void,
    addr: u64,
    len: u32,
    data: u64,
) -> c_int {
    // SAFETY: As in `io_read_callback`.
    let dev = unsafe { &*ctx.cast::<D>() };
    match dev.write(addr, len, data) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// An MMIO handler of a VM, which hands accesses to a `D`; dropping it removes the handler.
///
/// It cannot outlive the VM: it carries the VM's lifetime `'vm` (see the module documentation).
///
/// # Invariants
///
/// `handle` is an IO handler added to a VM that is valid for `'vm`, whose callbacks are
/// `io_read_callback::<D>` and `io_write_callback::<D>` (or NULL) and whose context points to
/// the `D` in `dev`.
pub struct IoHandler<'vm, D: MmioDevice> {
    handle: *mut bindings::gunyah_fn_abi_io_handler,
    dev: Arc<D>,
    _vm: PhantomData<&'vm ()>,
}

// SAFETY: The handle is only used by `drop`, which may run in any thread in process context;
// `dev` is an `Arc<D>` with `D: Send + Sync`.
unsafe impl<D: MmioDevice> Send for IoHandler<'_, D> {}

// SAFETY: A shared `IoHandler` only gives access to `dev`, an `Arc<D>` with `D: Send + Sync`.
unsafe impl<D: MmioDevice> Sync for IoHandler<'_, D> {}

impl<D: MmioDevice> IoHandler<'_, D> {
    /// The device the handler hands accesses to.
    pub fn device(&self) -> &Arc<D> {
        &self.dev
    }
}

impl<D: MmioDevice> Drop for IoHandler<'_, D> {
    /// Removes the handler; when this returns no vCPU runs its callbacks any more, and `dev` is
    /// dropped after that.
    ///
    /// Context: process context, may sleep; not from an [`MmioDevice`] callback.
    fn drop(&mut self) {
        // SAFETY: By the type invariant `self.handle` is a handler that has not been removed, of
        // a VM that still exists (`'vm` has not ended since `self` is alive). It is removed
        // once, here.
        unsafe { bindings::gunyah_fn_abi_remove_io_handler(self.handle) };
    }
}

/// The C callbacks of a [`VmFunction`] and its ops table.
struct Adapter<T: VmFunction>(PhantomData<T>);

impl<T: VmFunction> Adapter<T> {
    /// Fails the build if `T::TYPE` is not a type the VM manager accepts.
    const TYPE_CHECK: () = assert!(
        T::TYPE >= 1 && T::TYPE <= FN_SAMPLE_LAST,
        "VmFunction::TYPE must be in [1, 0x80ff] (out-of-tree: 0x8000..=0x80ff)"
    );

    /// The ops table of `T`, but for `owner`, which is known only at run time.
    const OPS: bindings::gunyah_fn_abi_ops = bindings::gunyah_fn_abi_ops {
        abi_version: bindings::GUNYAH_FN_ABI_VERSION,
        struct_size: size_of::<bindings::gunyah_fn_abi_ops>() as u32,
        type_: T::TYPE,
        reserved: 0,
        name: T::NAME.as_char_ptr().cast(),
        owner: ptr::null_mut(),
        bind: Some(Self::bind_callback),
        unbind: Some(Self::unbind_callback),
        compare: Some(Self::compare_callback),
        validate: if T::HAS_VALIDATE {
            Some(Self::validate_callback)
        } else {
            None
        },
        key: if T::HAS_KEY {
            Some(Self::key_callback)
        } else {
            None
        },
    };

    /// Fails the build if `T` has a key but no validate (the VM manager would refuse it).
    const KEY_CHECK: () = assert!(
        !T::HAS_KEY || T::HAS_VALIDATE,
        "VmFunction::key needs VmFunction::validate"
    );

    /// The bind callback.
    ///
    /// # Safety
    ///
    /// Only the VM manager calls it, with a new instance of the type `T` registered.
    unsafe extern "C" fn bind_callback(inst: *mut bindings::gunyah_fn_abi_instance) -> i64 {
        // Allocate the state's box first: no failure after `T::bind` succeeded.
        let slot = match KBox::new_uninit(GFP_KERNEL) {
            Ok(slot) => slot,
            Err(e) => return Error::from(e).to_errno().into(),
        };
        // SAFETY: The VM manager passes a valid instance, valid until its unbind callback
        // returns; `instance` does not outlive this call.
        let instance = unsafe { Instance::from_raw(inst) };
        let state = match T::bind(&instance) {
            Ok(state) => state,
            Err(e) => return e.to_errno().into(),
        };
        let state = KBox::write(slot, state);
        // SAFETY: `inst` is valid (see above). The private data is ours: `unbind_callback` and
        // `compare_callback` turn it back into the state, and `unbind_callback` frees it.
        unsafe { bindings::gunyah_fn_abi_set_private(inst, KBox::into_raw(state).cast()) };
        0
    }

    /// The unbind callback.
    ///
    /// # Safety
    ///
    /// Only the VM manager calls it, once, with an instance `bind_callback` succeeded for.
    unsafe extern "C" fn unbind_callback(inst: *mut bindings::gunyah_fn_abi_instance) {
        // SAFETY: The VM manager passes a valid instance.
        let data = unsafe { bindings::gunyah_fn_abi_get_private(inst) };
        // SAFETY: As above; nothing reads the private data after this.
        unsafe { bindings::gunyah_fn_abi_set_private(inst, ptr::null_mut()) };
        if data.is_null() {
            return;
        }
        // SAFETY: `bind_callback` stored `KBox::into_raw()` of a `KBox<T::Instance<'_>>` as the
        // private data, and this is the only place that takes it back, once. The VM and the
        // instance are valid until this returns, so the state's handles are still valid while
        // `T::unbind` drops it (it cannot keep it beyond this call: see the module
        // documentation).
        let state = unsafe { KBox::from_raw(data.cast::<T::Instance<'_>>()) };
        T::unbind(KBox::into_inner(state));
    }

    /// The compare callback.
    ///
    /// # Safety
    ///
    /// Only the VM manager calls it, with an instance `bind_callback` succeeded for and not yet
    /// unbound, and `arg` valid for reads of `size` bytes (or NULL with `size` 0).
    unsafe extern "C" fn compare_callback(
        inst: *const bindings::gunyah_fn_abi_instance,
        arg: *const c_void,
        size: u64,
    ) -> c_int {
        // SAFETY: The VM manager passes a valid instance.
        let data = unsafe { bindings::gunyah_fn_abi_get_private(inst) };
        if data.is_null() {
            return 0;
        }
        // SAFETY: `data` is the state `bind_callback` stored, alive until `unbind_callback`,
        // which cannot run concurrently (both run under the VM's function lock); nothing
        // mutates it meanwhile but through its own interior mutability (it is `Sync`).
        let state = unsafe { &*data.cast::<T::Instance<'_>>() };
        // SAFETY: By the safety requirements of this function.
        let arg = unsafe { arg_bytes(arg, size) };
        c_int::from(T::compare(state, arg))
    }

    /// The validate callback.
    ///
    /// # Safety
    ///
    /// Only the VM manager calls it, with `arg` valid for reads of `size` bytes (or NULL with
    /// `size` 0).
    unsafe extern "C" fn validate_callback(arg: *const c_void, size: u64) -> c_int {
        // SAFETY: By the safety requirements of this function.
        let arg = unsafe { arg_bytes(arg, size) };
        match T::validate(arg) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// The key callback.
    ///
    /// # Safety
    ///
    /// Only the VM manager calls it, with `arg` valid for reads of `size` bytes (or NULL with
    /// `size` 0).
    unsafe extern "C" fn key_callback(arg: *const c_void, size: u64) -> u64 {
        // SAFETY: By the safety requirements of this function.
        let arg = unsafe { arg_bytes(arg, size) };
        T::key(arg)
    }
}

/// The registration of a [`VmFunction`] type; dropping it unregisters the type.
///
/// Keep it in the module's state: it is made in module init and dropped at module exit. While
/// an instance of the type exists the module holds a reference (the ops table's owner), so the
/// module cannot exit before every instance has been unbound.
///
/// It needs no pinning: the VM manager copies the ops table and identifies the registration by
/// the handle it returns, not by the address of anything in this structure.
///
/// # Invariants
///
/// `handle` is the registration of `T`, not yet unregistered.
pub struct Registration<T: VmFunction> {
    handle: *mut bindings::gunyah_fn_abi_registration,
    _fn: PhantomData<fn() -> T>,
}

// SAFETY: The handle is only used by `drop`, which may run in any thread in process context.
unsafe impl<T: VmFunction> Send for Registration<T> {}

// SAFETY: `Registration` has no methods that use the handle through a shared reference.
unsafe impl<T: VmFunction> Sync for Registration<T> {}

impl<T: VmFunction> Registration<T> {
    /// Registers the function type `T` for the module `module` (pass the `module` argument of
    /// `kernel::Module::init`).
    ///
    /// Context: process context, may sleep.
    ///
    /// Returns `EINVAL` if the kernel does not speak this file's ABI version (the kernel log
    /// says which it speaks) or refuses the type; `EEXIST` if the type is registered; `ENOMEM`.
    pub fn new(module: &'static ThisModule) -> Result<Self> {
        #[allow(clippy::let_unit_value)]
        let () = Adapter::<T>::TYPE_CHECK;
        let () = Adapter::<T>::KEY_CHECK;

        let mut ops = Adapter::<T>::OPS;
        ops.owner = module.as_ptr().cast::<c_void>();
        let mut handle: *mut bindings::gunyah_fn_abi_registration = ptr::null_mut();
        // SAFETY: `ops` and `handle` are valid for the call (`ops` is copied). `ops.name` is
        // `T::NAME`, which is `'static`; its callbacks are `Adapter<T>`'s, whose code stays as
        // long as the module, which the VM manager pins while an instance exists and which
        // unregisters the type before it goes.
        to_result(unsafe { bindings::gunyah_fn_abi_register(&ops, &mut handle) })?;
        // INVARIANT: The type was just registered, with this handle.
        Ok(Self {
            handle,
            _fn: PhantomData,
        })
    }
}

impl<T: VmFunction> Drop for Registration<T> {
    /// Unregisters the type.
    ///
    /// Context: process context, may sleep.
    fn drop(&mut self) {
        // SAFETY: By the type invariant `self.handle` is a registration not yet unregistered; it
        // is unregistered once, here.
        unsafe { bindings::gunyah_fn_abi_unregister(self.handle) };
    }
}
