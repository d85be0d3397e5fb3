/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Userspace interface of the Gunyah VM manager: /dev/gunyah, VM and vCPU fds.
 */

#ifndef _UAPI_LINUX_GUNYAH_H
#define _UAPI_LINUX_GUNYAH_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * DOC: Gunyah VM manager interface
 *
 * Three kinds of file descriptor carry the ioctls below:
 *
 * * /dev/gunyah: GUNYAH_CREATE_VM and GUNYAH_CHECK_FUNCTION.
 * * A VM fd, returned by GUNYAH_CREATE_VM: memory, DTB location, boot
 *   context, functions (vCPUs, irqfds, ioeventfds) and GUNYAH_VM_START.
 * * A vCPU fd, returned by GUNYAH_VM_ADD_FUNCTION for a GUNYAH_FN_VCPU:
 *   GUNYAH_VCPU_RUN, GUNYAH_VCPU_MMAP_SIZE and mmap() of the run page.
 *
 * A VM lives as long as its VM fd or any of its vCPU fds is open. When the
 * last one is closed the VM is stopped, its functions are removed, its
 * memory is reclaimed from the hypervisor and unpinned, and its VM id is
 * returned to the resource manager (RM).
 *
 * Numbering. All ioctls have type 'G' (GUNYAH_IOCTL_TYPE). Numbers
 * 0x00-0x07 and 0x0a are binary compatible with the Gunyah drivers already
 * deployed (same numbers, sizes and layouts, with the semantics the review
 * of the first posting settled on: a function's argument is always a
 * pointer), so existing VMMs keep working. 0x08 and 0x09 belong to a
 * guest_memfd interface of later Gunyah postings that this driver does not
 * provide: they fail with ENOTTY and are never reused. 0x0b-0x1f stay free
 * for numbers the deployed interface may still grow. This driver's own additions start at 0x20.
 *
 * Errors are given by errno name: the ioctl returns -1 and sets errno (the
 * driver returns the negative value). Besides those listed per ioctl:
 *
 * * ENOTTY: the ioctl is not one of those the fd accepts.
 * * EFAULT: the argument (or a buffer it points to) cannot be read or written.
 * * ENOMEM: the kernel could not allocate its bookkeeping.
 * * Calls that talk to the RM return its error mapped to an errno: ENOMEM
 *   (RM out of memory), ENODEV (RM out of resources), EPERM (denied),
 *   EBUSY, EINVAL (the RM rejected an argument), EOPNOTSUPP (the RM does
 *   not implement the call), EIO or EBADMSG (malformed or failed exchange).
 *
 * Every structure uses fixed-width types only, with all padding explicit,
 * so its size and member offsets are the same on every architecture and for
 * 32-bit processes on a 64-bit kernel. Padding and reserved fields passed in
 * must be zero. User pointers are passed as __u64.
 */

#define GUNYAH_IOCTL_TYPE			'G'

/*
 * ioctls for /dev/gunyah
 */

/**
 * GUNYAH_CREATE_VM - Create a VM.
 *
 * fd: /dev/gunyah. The argument is not used and must be 0.
 *
 * Allocates a VM id from the RM and returns a new VM fd, opened with
 * O_CLOEXEC. The VM is not started: add memory, the DTB location, the boot
 * context and functions through the VM fd, then start it with
 * GUNYAH_VM_START. The calling process's address space is recorded: only
 * that process may add memory to the VM (GUNYAH_VM_SET_USER_MEM_REGION).
 *
 * Return: the VM fd. On error -1, errno:
 *
 * * EINVAL: the argument is not 0.
 * * EMFILE, ENFILE: no file descriptor is available.
 * * ENOMEM, ENODEV: the RM has no memory or VM id left.
 * * Other errors of the RM.
 */
#define GUNYAH_CREATE_VM			_IO(GUNYAH_IOCTL_TYPE, 0x0)

/*
 * ioctls for the VM fd
 */

/**
 * GUNYAH_MEM_ALLOW_READ - The guest may read the memory region.
 */
#define GUNYAH_MEM_ALLOW_READ			(1UL << 0)
/**
 * GUNYAH_MEM_ALLOW_WRITE - The guest may write the memory region.
 */
#define GUNYAH_MEM_ALLOW_WRITE			(1UL << 1)
/**
 * GUNYAH_MEM_ALLOW_EXEC - The guest may execute from the memory region.
 */
#define GUNYAH_MEM_ALLOW_EXEC			(1UL << 2)
/**
 * GUNYAH_MEM_FORCE_LEND - Lend the region instead of sharing it: the host
 * loses access.
 *
 * By default a region is shared: the host keeps its access, and the VMM can
 * keep reading and writing the memory while the guest runs. A lent region
 * belongs to the guest alone from GUNYAH_VM_START until the VM is destroyed.
 * In that time the VMM must neither touch the mapping nor pass it to a
 * system call: the hypervisor has removed the pages from the host, and an
 * access faults (SIGBUS for the process; in the kernel, a crash). The VMM
 * may fill the region (with the guest image, for instance) before
 * GUNYAH_VM_START. The content the host sees after the VM is destroyed is
 * unspecified.
 *
 * This is bit 3, the bit the first posted interface called "LENT", so older
 * binaries that set it keep their meaning.
 */
#define GUNYAH_MEM_FORCE_LEND			(1UL << 3)

/**
 * struct gunyah_userspace_memory_region - Guest memory backed by the VMM's
 * own memory.
 * @label: an identifier chosen by the VMM, unique within the VM. The RM
 *         sees it as the label of the memory parcel, which lets the VM
 *         configuration refer to the region.
 * @flags: GUNYAH_MEM_ALLOW_READ, GUNYAH_MEM_ALLOW_WRITE,
 *         GUNYAH_MEM_ALLOW_EXEC, GUNYAH_MEM_FORCE_LEND. ALLOW_READ is
 *         required: the RM accepts only read, read-execute, read-write and
 *         read-write-execute.
 * @guest_phys_addr: where the region starts in the guest's physical address
 *                   space. Page aligned.
 * @memory_size: size of the region in bytes. Page aligned, not 0.
 * @userspace_addr: start of the memory in the calling process. Page aligned.
 *                  The range must be mapped writable (the pages are pinned
 *                  for writing even when the guest may only read them) and
 *                  be anonymous memory, shmem (memfd, MAP_SHARED |
 *                  MAP_ANONYMOUS) or hugetlbfs (MAP_HUGETLB, MFD_HUGETLB);
 *                  mappings of regular files are refused.
 *
 * Page aligned means aligned to the host kernel's page size
 * (sysconf(_SC_PAGESIZE)).
 */
struct gunyah_userspace_memory_region {
	__u32 label;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
};

/**
 * GUNYAH_VM_SET_USER_MEM_REGION - Give the VM a region of guest memory.
 *
 * fd: VM. Argument: a pointer to a struct gunyah_userspace_memory_region.
 *
 * Pins the pages of the user range at once and charges them to the
 * caller's RLIMIT_MEMLOCK; they stay pinned until the VM is destroyed.
 * GUNYAH_VM_START shares every region with the guest, or lends it when
 * GUNYAH_MEM_FORCE_LEND is set. How the guest sees each region is the RM's
 * policy, driven by the VM configuration (the DTB); a production RM, for
 * instance, accepts the region holding the DTB only if it is lent with all
 * three ALLOW bits.
 *
 * Regions can only be added, and only before the VM starts. This version
 * cannot remove or resize a region: a memory_size of 0 is an error, not a
 * request to delete (as it was in an early posting).
 *
 * Return: 0. On error -1, errno:
 *
 * * EINVAL: an address or the size is not page aligned, memory_size is 0,
 *   guest_phys_addr + memory_size or userspace_addr + memory_size
 *   overflows, flags has an unknown bit or lacks GUNYAH_MEM_ALLOW_READ, or
 *   the user range is not anonymous, shmem or hugetlbfs memory.
 * * EEXIST: the region overlaps an existing region of the VM, in guest
 *   physical or in user addresses, or its label is already used.
 * * EPERM: the caller does not run in the address space (mm) of the process
 *   that created the VM.
 * * ENOMEM: pinning the range would exceed RLIMIT_MEMLOCK (and the caller
 *   lacks CAP_IPC_LOCK), or allocation failed.
 * * EFAULT: part of the user range is not mapped, or not mapped writable.
 * * EBUSY: the VM has been started.
 */
#define GUNYAH_VM_SET_USER_MEM_REGION	_IOW(GUNYAH_IOCTL_TYPE, 0x1, \
					     struct gunyah_userspace_memory_region)

/**
 * struct gunyah_vm_dtb_config - Where the VM's device tree is.
 * @guest_phys_addr: guest physical address of the DTB (no alignment needed).
 * @size: size of the DTB in bytes, not 0.
 *
 * The DTB is the VM configuration the RM reads when the VM starts: it
 * describes the vCPUs, the doorbells and message queues, and the memory.
 */
struct gunyah_vm_dtb_config {
	__u64 guest_phys_addr;
	__u64 size;
};

/**
 * GUNYAH_VM_SET_DTB_CONFIG - Tell the RM where the VM's DTB is.
 *
 * fd: VM. Argument: a pointer to a struct gunyah_vm_dtb_config.
 *
 * The VMM writes the DTB into one of the VM's memory regions; this call
 * records where. It may be called again before GUNYAH_VM_START: the last
 * call wins. GUNYAH_VM_START checks that the range lies inside a single
 * memory region and fails with EINVAL otherwise, so the regions may be
 * added before or after this call.
 *
 * Return: 0. On error -1, errno:
 *
 * * EINVAL: size is 0, or guest_phys_addr + size overflows.
 * * EBUSY: the VM has been started.
 */
#define GUNYAH_VM_SET_DTB_CONFIG	_IOW(GUNYAH_IOCTL_TYPE, 0x2, \
					     struct gunyah_vm_dtb_config)

/**
 * GUNYAH_VM_START - Start the VM.
 *
 * fd: VM. No argument.
 *
 * In order: shares or lends every memory region with the guest, hands the
 * RM the DTB location, has the RM build the VM from its configuration,
 * passes the boot context, gives each resource the RM created (vCPUs,
 * doorbells, message queues) to the function that waits for it, and starts
 * the VM. Resources no function claims stay unused until one is added.
 *
 * A VM starts once. GUNYAH_VCPU_RUN starts a VM that has not been started,
 * so this call is needed only by a VMM that wants to see the start fail
 * before it runs vCPUs. When the start fails the VM cannot be started
 * again: its vCPUs report GUNYAH_VM_STATUS_LOAD_FAILED; destroy it and
 * create a new one.
 *
 * Return: 0. On error -1, errno:
 *
 * * EALREADY: the VM has already been started (by this call or by
 *   GUNYAH_VCPU_RUN), whether or not that start succeeded. Distinct from
 *   EBUSY, which the setup ioctls return when called too late.
 * * EINVAL: no DTB location was set, or it is not inside a single memory
 *   region; or the RM rejected the configuration or a memory region.
 * * EOPNOTSUPP: a boot context register was set and the RM cannot set it.
 * * EINTR: a fatal signal arrived while waiting for the VM's lock.
 * * Other errors of the RM.
 */
#define GUNYAH_VM_START				_IO(GUNYAH_IOCTL_TYPE, 0x3)

/**
 * DOC: VM functions
 *
 * A function is an object attached to a VM: a vCPU, an irqfd, an ioeventfd,
 * or a type provided by another module. It is added with
 * GUNYAH_VM_ADD_FUNCTION and removed with GUNYAH_VM_REMOVE_FUNCTION (or when
 * the VM is destroyed). Each type is implemented by a kernel module, loaded
 * on demand through the module alias "ghfunc:<type>" (decimal); while an
 * instance exists its module cannot be unloaded.
 *
 * Every type takes its argument through a pointer and a size
 * (struct gunyah_fn_desc); the size must be exactly that of the type's
 * argument structure, whose padding must be zero.
 */

/**
 * GUNYAH_FN_VCPU - A vCPU. Argument: struct gunyah_fn_vcpu_arg.
 *
 * GUNYAH_VM_ADD_FUNCTION returns a new vCPU fd, opened with O_CLOEXEC.
 * The vCPU fd keeps the VM alive. @id is the vCPU's index in the VM
 * configuration: the RM names each vCPU resource by it. A vCPU fd whose
 * id the VM configuration lacks gets ENODEV from GUNYAH_VCPU_RUN.
 *
 * Errors: EEXIST, a vCPU with this id was already added.
 * Removal matches @id; the vCPU fd stays open but GUNYAH_VCPU_RUN fails
 * with ENODEV.
 */
#define GUNYAH_FN_VCPU				1
/**
 * GUNYAH_FN_IRQFD - An eventfd that raises a guest interrupt.
 * Argument: struct gunyah_fn_irqfd_arg.
 *
 * Each signal on the eventfd rings the doorbell whose label in the VM
 * configuration is @label, which raises the doorbell's interrupt in the
 * guest. Signals that come before the VM has started, or when no doorbell
 * has this label, are dropped. Can be added before or after
 * GUNYAH_VM_START.
 *
 * Errors: EBADF, @fd is not an open file; EINVAL, @fd is not an eventfd or
 * @flags has an unknown bit; EEXIST, an irqfd with this label exists.
 * Removal matches @label only: @fd and @flags are ignored.
 */
#define GUNYAH_FN_IRQFD				2
/**
 * GUNYAH_FN_IOEVENTFD - An eventfd signalled by guest MMIO writes.
 * Argument: struct gunyah_fn_ioeventfd_arg.
 *
 * A guest write to [@addr, @addr + @len) of exactly @len bytes (any size
 * when @len is 0) signals the eventfd, and the vCPU goes on without an
 * MMIO exit to userspace. With GUNYAH_IOEVENTFD_FLAGS_DATAMATCH the
 * written value (zero-extended, in the guest's byte order) must also equal
 * @datamatch. Writes that do not match, and all reads, still exit to the
 * VMM.
 *
 * Errors: EINVAL, @len is not 0, 1, 2, 4 or 8, or DATAMATCH is set with
 * @len 0, or @addr + @len overflows, or @flags has an unknown bit;
 * EBADF, @fd is not an open file; EINVAL, @fd is not an eventfd; EEXIST,
 * an ioeventfd overlaps the range and some write would match both.
 * Removal matches @addr, then @len if it is not 0, then @datamatch if
 * DATAMATCH is set; @fd is ignored. Removing by @addr alone (len 0,
 * flags 0) removes the oldest ioeventfd at that address.
 */
#define GUNYAH_FN_IOEVENTFD			3

/**
 * GUNYAH_FN_SAMPLE_FIRST - First function type reserved for samples and
 * out-of-tree function modules (the Rust sample, tests, experiments).
 *
 * Types GUNYAH_FN_SAMPLE_FIRST to GUNYAH_FN_SAMPLE_LAST are never given to
 * an in-tree function, so such a module cannot collide with one. Their
 * meaning is whatever the loaded module says: a VMM must not rely on them
 * outside development. In-tree types are numbered from 1 upwards.
 */
#define GUNYAH_FN_SAMPLE_FIRST			0x8000
/**
 * GUNYAH_FN_SAMPLE_LAST - Last function type reserved for samples and
 * out-of-tree function modules. See GUNYAH_FN_SAMPLE_FIRST.
 */
#define GUNYAH_FN_SAMPLE_LAST			0x80ff

/**
 * GUNYAH_FN_MAX_ARG_SIZE - Largest argument a function type may take, in
 * bytes.
 */
#define GUNYAH_FN_MAX_ARG_SIZE			256

/**
 * struct gunyah_fn_vcpu_arg - Argument of GUNYAH_FN_VCPU.
 * @id: index of the vCPU in the VM configuration.
 */
struct gunyah_fn_vcpu_arg {
	__u32 id;
};

/*
 * A note on the fd members below. The deployed interface declared
 * gunyah_fn_irqfd_arg.fd as __u32 and gunyah_fn_ioeventfd_arg.fd as __s32.
 * Both are __s32 here, the type of a file descriptor (int) everywhere else:
 * the size, alignment and offset are unchanged, so the binary layout is
 * identical and old binaries are unaffected, and the kernel reads the
 * value as an int in either case (a negative value fails with EBADF). Only
 * generated bindings see the difference, and for them one type for both
 * siblings is what we want.
 */

/**
 * GUNYAH_IRQFD_FLAGS_LEVEL - Level-triggered irqfd.
 *
 * Without it, each signal is one edge. With it, the interrupt stays
 * asserted until the guest acknowledges it, like a level-sensitive line.
 */
#define GUNYAH_IRQFD_FLAGS_LEVEL		(1UL << 0)

/**
 * struct gunyah_fn_irqfd_arg - Argument of GUNYAH_FN_IRQFD.
 * @fd: the eventfd.
 * @label: label of the doorbell in the VM configuration.
 * @flags: GUNYAH_IRQFD_FLAGS_LEVEL or 0.
 * @padding: must be 0.
 */
struct gunyah_fn_irqfd_arg {
	__s32 fd;
	__u32 label;
	__u32 flags;
	__u32 padding;
};

/**
 * GUNYAH_IOEVENTFD_FLAGS_DATAMATCH - Match the written value too.
 *
 * This is a mask, bit 0, not a bit number: flags = 2 (1 << DATAMATCH, a
 * habit from KVM's bit-number constants) is an unknown flag and fails
 * with EINVAL.
 */
#define GUNYAH_IOEVENTFD_FLAGS_DATAMATCH	(1UL << 0)

/**
 * struct gunyah_fn_ioeventfd_arg - Argument of GUNYAH_FN_IOEVENTFD.
 * @datamatch: the value a write must carry, when
 *             GUNYAH_IOEVENTFD_FLAGS_DATAMATCH is set.
 * @addr: guest physical address of the range.
 * @len: length of the range and of the access: 0 (any), 1, 2, 4 or 8.
 * @fd: the eventfd.
 * @flags: GUNYAH_IOEVENTFD_FLAGS_DATAMATCH or 0.
 * @padding: must be 0.
 */
struct gunyah_fn_ioeventfd_arg {
	__u64 datamatch;
	__u64 addr;
	__u32 len;
	__s32 fd;
	__u32 flags;
	__u32 padding;
};

/**
 * struct gunyah_fn_desc - A function to add or remove.
 * @type: GUNYAH_FN_VCPU, GUNYAH_FN_IRQFD, GUNYAH_FN_IOEVENTFD, or a type
 *        of another module (see GUNYAH_FN_SAMPLE_FIRST).
 * @arg_size: size of the argument @arg points to, at most
 *            GUNYAH_FN_MAX_ARG_SIZE; 0 for a type that takes no argument.
 * @arg: user pointer to the type's argument (for example a
 *       struct gunyah_fn_irqfd_arg), cast to __u64. Always a pointer, never
 *       the value itself.
 */
struct gunyah_fn_desc {
	__u32 type;
	__u32 arg_size;
	__u64 arg;
};

/**
 * GUNYAH_VM_ADD_FUNCTION - Add a function to the VM.
 *
 * fd: VM. Argument: a pointer to a struct gunyah_fn_desc.
 *
 * Loads the module for @type if needed ("ghfunc:<type>"), copies the
 * argument and has the type create an instance. See each GUNYAH_FN_* type
 * for its argument, return value and own errors.
 *
 * Return: what the type returns: a new vCPU fd for GUNYAH_FN_VCPU, 0 for
 * GUNYAH_FN_IRQFD and GUNYAH_FN_IOEVENTFD. On error -1, errno:
 *
 * * EINVAL: arg_size is larger than GUNYAH_FN_MAX_ARG_SIZE (the kernel
 *   logs why), or not the size the type expects, or the argument is
 *   invalid for the type (padding or unknown flags included).
 * * ENOENT: no module provides @type, even after trying to load one.
 * * EFAULT: the descriptor or the argument cannot be read.
 * * EEXIST: the instance would duplicate an existing one (see the type).
 * * EBADF: a file descriptor in the argument is not open.
 * * EMFILE, ENFILE: no file descriptor is available (GUNYAH_FN_VCPU).
 */
#define GUNYAH_VM_ADD_FUNCTION		_IOW(GUNYAH_IOCTL_TYPE, 0x4, \
					     struct gunyah_fn_desc)

/**
 * GUNYAH_VM_REMOVE_FUNCTION - Remove a function from the VM.
 *
 * fd: VM. Argument: a pointer to a struct gunyah_fn_desc, with the same
 * @type and an argument of the same size as for GUNYAH_VM_ADD_FUNCTION.
 *
 * The type compares the argument with its instances (see each GUNYAH_FN_*
 * type for which fields count) and removes the oldest one that matches;
 * call again to remove further matches. Once this returns, the instance
 * does nothing more (an irqfd raises no interrupt, an ioeventfd is no
 * longer signalled).
 *
 * Return: 0. On error -1, errno:
 *
 * * ENOENT: no instance of @type matches.
 * * EINVAL: arg_size is larger than GUNYAH_FN_MAX_ARG_SIZE or not the size
 *   the type expects, or a field used for matching is invalid.
 * * EFAULT: the descriptor or the argument cannot be read.
 */
#define GUNYAH_VM_REMOVE_FUNCTION	_IOW(GUNYAH_IOCTL_TYPE, 0x7, \
					     struct gunyah_fn_desc)

/**
 * GUNYAH_VM_BOOT_CONTEXT_REG_SET_X - General purpose registers X0-X31
 * (index 0 to 31).
 */
#define GUNYAH_VM_BOOT_CONTEXT_REG_SET_X	0
/**
 * GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC - The program counter (index 0).
 */
#define GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC	1
/**
 * GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP - The stack pointers SP_EL0 to SP_EL2
 * (index 0 to 2).
 */
#define GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP	2

/**
 * GUNYAH_VM_BOOT_CONTEXT_REG - Encode a register for
 * struct gunyah_vm_boot_context.
 * @set: GUNYAH_VM_BOOT_CONTEXT_REG_SET_X, _PC or _SP.
 * @index: index of the register within the set.
 */
#define GUNYAH_VM_BOOT_CONTEXT_REG(set, index)	(((set) << 8) | (index))

/**
 * struct gunyah_vm_boot_context - A register of the boot vCPU.
 * @reg: the register, GUNYAH_VM_BOOT_CONTEXT_REG(set, index).
 * @reserved: must be 0.
 * @value: its value when the VM starts.
 */
struct gunyah_vm_boot_context {
	__u32 reg;
	__u32 reserved;
	__u64 value;
};

/**
 * GUNYAH_VM_SET_BOOT_CONTEXT - Set a register of the boot vCPU.
 *
 * fd: VM. Argument: a pointer to a struct gunyah_vm_boot_context.
 *
 * The value is kept and handed to the RM by GUNYAH_VM_START; setting the
 * same register again replaces it. Registers never set keep the values the
 * RM chooses.
 *
 * Return: 0. On error -1, errno:
 *
 * * EINVAL: reserved is not 0, or the register set or index is unknown
 *   (X: index above 31; PC: index not 0; SP: index above 2).
 * * EBUSY: the VM has been started.
 */
#define GUNYAH_VM_SET_BOOT_CONTEXT	_IOW(GUNYAH_IOCTL_TYPE, 0xa, \
					     struct gunyah_vm_boot_context)

/*
 * ioctls added by this driver (0x20 and above), for /dev/gunyah
 */

/**
 * struct gunyah_fn_check - Argument of GUNYAH_CHECK_FUNCTION.
 * @type: the function type to look for (as in struct gunyah_fn_desc).
 * @flags: must be 0.
 */
struct gunyah_fn_check {
	__u32 type;
	__u32 flags;
};

/**
 * GUNYAH_CHECK_FUNCTION - Ask whether a function type is available.
 *
 * fd: /dev/gunyah (no VM needed; a VM fd answers ENOTTY). Argument: a
 * pointer to a struct gunyah_fn_check.
 *
 * Looks the type up as GUNYAH_VM_ADD_FUNCTION would, loading its module if
 * needed, and creates nothing. A VMM can so find out what the kernel
 * offers before it creates a VM. The answer can change later if the
 * module is unloaded; GUNYAH_VM_ADD_FUNCTION still checks.
 *
 * One ioctl asks one question: it is not a multiplexer for other queries,
 * and there is no interface version to compare. The number 0x20 lies
 * outside 0x00-0x0a, where the deployed interface is, and outside the
 * 0x0b-0x1f it may still grow into; it also avoids the numbers 0x11-0x17
 * that the Android kernels use with type 'A' for their own queries.
 *
 * Return: 0 if the type is available. On error -1, errno:
 *
 * * ENOENT: no module provides the type.
 * * EINVAL: flags is not 0.
 * * EFAULT: the argument cannot be read.
 */
#define GUNYAH_CHECK_FUNCTION		_IOW(GUNYAH_IOCTL_TYPE, 0x20, \
					     struct gunyah_fn_check)

/*
 * The vCPU fd and its run page
 */

/**
 * GUNYAH_VCPU_EXIT_UNKNOWN - No exit reported (a page never run).
 */
#define GUNYAH_VCPU_EXIT_UNKNOWN		0
/**
 * GUNYAH_VCPU_EXIT_MMIO - The guest accessed an address with no memory or
 * ioeventfd behind it. See struct gunyah_vcpu_mmio_exit.
 */
#define GUNYAH_VCPU_EXIT_MMIO			1
/**
 * GUNYAH_VCPU_EXIT_STATUS - The VM is not running (it failed to start,
 * exited or crashed). See struct gunyah_vcpu_status_exit.
 */
#define GUNYAH_VCPU_EXIT_STATUS			2

/**
 * GUNYAH_VCPU_RESUME_HANDLED - The VMM emulated the access; for a read
 * the guest gets the value in data. The kernel presets this value.
 */
#define GUNYAH_VCPU_RESUME_HANDLED		0
/**
 * GUNYAH_VCPU_RESUME_FAULT - The VMM cannot handle the access: the guest
 * gets an abort.
 */
#define GUNYAH_VCPU_RESUME_FAULT		1
/**
 * GUNYAH_VCPU_RESUME_RETRY - The guest executes the access again (after
 * the VMM has, for instance, added an ioeventfd for it).
 */
#define GUNYAH_VCPU_RESUME_RETRY		2

/**
 * GUNYAH_VM_STATUS_LOAD_FAILED - Starting the VM failed; exit_info is 0.
 */
#define GUNYAH_VM_STATUS_LOAD_FAILED		1
/**
 * GUNYAH_VM_STATUS_EXITED - The RM reported that the VM exited;
 * exit_info says how.
 */
#define GUNYAH_VM_STATUS_EXITED			2
/**
 * GUNYAH_VM_STATUS_CRASHED - The VM stopped without an exit report from
 * the RM, or the hypervisor reported a vCPU fault it cannot handle;
 * exit_info is 0.
 */
#define GUNYAH_VM_STATUS_CRASHED		3

/**
 * GUNYAH_RM_VM_EXIT_TYPE_VM_EXIT - The guest asked the RM to exit.
 */
#define GUNYAH_RM_VM_EXIT_TYPE_VM_EXIT			0
/**
 * GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF - The guest called PSCI SYSTEM_OFF.
 */
#define GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF			1
/**
 * GUNYAH_RM_VM_EXIT_TYPE_PSCI_RESET - The guest called PSCI SYSTEM_RESET.
 */
#define GUNYAH_RM_VM_EXIT_TYPE_PSCI_RESET		2
/**
 * GUNYAH_RM_VM_EXIT_TYPE_PSCI_SYSTEM_RESET2 - The guest called PSCI
 * SYSTEM_RESET2; the reason carries its arguments.
 */
#define GUNYAH_RM_VM_EXIT_TYPE_PSCI_SYSTEM_RESET2	3
/**
 * GUNYAH_RM_VM_EXIT_TYPE_WATCHDOG_BITE - The guest's watchdog expired.
 */
#define GUNYAH_RM_VM_EXIT_TYPE_WATCHDOG_BITE		4
/**
 * GUNYAH_RM_VM_EXIT_TYPE_HYP_ERROR - The hypervisor stopped the VM after
 * an error (a vCPU fault, for instance).
 */
#define GUNYAH_RM_VM_EXIT_TYPE_HYP_ERROR		5
/**
 * GUNYAH_RM_VM_EXIT_TYPE_ASYNC_EXT_ABORT - An asynchronous external abort
 * stopped the VM.
 */
#define GUNYAH_RM_VM_EXIT_TYPE_ASYNC_EXT_ABORT		6
/**
 * GUNYAH_RM_VM_EXIT_TYPE_VM_FORCE_STOPPED - The VM was stopped from
 * outside (by its host, for instance).
 */
#define GUNYAH_RM_VM_EXIT_TYPE_VM_FORCE_STOPPED		7

/**
 * struct gunyah_vm_exit_info - How the VM exited, as the RM reported it.
 * @type: GUNYAH_RM_VM_EXIT_TYPE_*. A __u16, not an enum, so that its size
 *        is part of the ABI; types unknown to this header may appear.
 * @padding: 0.
 * @reason_size: size of the reason the RM sent, which may exceed
 *               sizeof(@reason).
 * @reason: the first min(@reason_size, 8) bytes of that reason; the rest
 *          is 0.
 */
struct gunyah_vm_exit_info {
	__u16 type;
	__u16 padding;
	__u32 reason_size;
	__u8 reason[8];
};

/**
 * struct gunyah_vcpu_mmio_exit - An MMIO access for the VMM to emulate
 * (exit_reason GUNYAH_VCPU_EXIT_MMIO).
 * @phys_addr: guest physical address of the access.
 * @data: for a write, the @len bytes the guest wrote; for a read, the VMM
 *        puts the @len bytes the guest reads here. In the guest's byte
 *        order, starting at data[0].
 * @len: size of the access in bytes: 1, 2, 4 or 8.
 * @is_write: 1 for a write, 0 for a read.
 * @resume_action: set by the VMM before the next GUNYAH_VCPU_RUN:
 *                 GUNYAH_VCPU_RESUME_HANDLED (preset), _FAULT or _RETRY.
 * @padding: 0.
 *
 * The kernel keeps its own copy of the exit: on the next GUNYAH_VCPU_RUN
 * it reads back only @data (for a read) and @resume_action from the page.
 */
struct gunyah_vcpu_mmio_exit {
	__u64 phys_addr;
	__u8 data[8];
	__u32 len;
	__u8 is_write;
	__u8 resume_action;
	__u8 padding[2];
};

/**
 * struct gunyah_vcpu_status_exit - The VM is not running (exit_reason
 * GUNYAH_VCPU_EXIT_STATUS).
 * @status: GUNYAH_VM_STATUS_LOAD_FAILED, _EXITED or _CRASHED.
 * @exit_info: for GUNYAH_VM_STATUS_EXITED, how the VM exited; else 0.
 *
 * The exit is final: every later GUNYAH_VCPU_RUN on the vCPU reports it
 * again. A stop of the VM reaches every vCPU: each reports it on its next
 * GUNYAH_VCPU_RUN. A fault of one vCPU (GUNYAH_VM_STATUS_CRASHED, exit_info
 * 0) is that vCPU's own: the VM's other vCPUs run on, and the faulted one
 * keeps reporting CRASHED even once the VM stops otherwise.
 */
struct gunyah_vcpu_status_exit {
	__u32 status;
	struct gunyah_vm_exit_info exit_info;
};

/**
 * struct gunyah_vcpu_run - The run page shared by the kernel and the VMM.
 * @immediate_exit: if not 0 when GUNYAH_VCPU_RUN is called, the call
 *                  returns EINTR without running the vCPU. Another thread
 *                  sets it (then sends a signal) to stop a vCPU thread;
 *                  the kernel never clears it.
 * @padding: 0.
 * @exit_reason: why GUNYAH_VCPU_RUN returned: GUNYAH_VCPU_EXIT_*.
 * @padding2: 0. Explicit so that the union is at offset 16 on every
 *            architecture (the deployed layout).
 * @mmio: for GUNYAH_VCPU_EXIT_MMIO.
 * @status: for GUNYAH_VCPU_EXIT_STATUS.
 *
 * The page is mapped with mmap() of the vCPU fd at offset 0, with the
 * length GUNYAH_VCPU_MMAP_SIZE returns and MAP_SHARED. The union is
 * anonymous, as in the deployed interface, so members are reached as
 * run->mmio.len. ISO C gained anonymous unions only in C11: __extension__
 * keeps the header clean under -std=c90 -pedantic (GCC and Clang), and
 * sits before the whole declaration so kernel-doc can still parse it.
 */
__extension__ struct gunyah_vcpu_run {
	__u8 immediate_exit;
	__u8 padding[7];
	__u32 exit_reason;
	__u32 padding2;
	union {
		struct gunyah_vcpu_mmio_exit mmio;
		struct gunyah_vcpu_status_exit status;
	};
};

/**
 * GUNYAH_VCPU_RUN - Run the vCPU until the VMM has something to do.
 *
 * fd: vCPU. No argument.
 *
 * Starts the VM first if it has not been started (see GUNYAH_VM_START).
 * Completes the previous MMIO exit, if any, as the run page says, then
 * runs the vCPU. While the guest vCPU is off or waits for an interrupt the
 * call sleeps. It returns 0 when an exit needs the VMM: read exit_reason
 * in the run page. Calls on one vCPU are serialised.
 *
 * An MMIO exit the VMM has answered stays pending until a call actually
 * runs the vCPU, so a call that fails with EINTR does not lose it.
 *
 * Return: 0, with exit_reason GUNYAH_VCPU_EXIT_MMIO or
 * GUNYAH_VCPU_EXIT_STATUS. On error -1, errno:
 *
 * * EINTR: a signal is pending, or immediate_exit is not 0.
 * * ENODEV: the VM configuration has no vCPU with this id, or the vCPU
 *   function was removed.
 * * EINVAL: resume_action of the previous MMIO exit is unknown.
 * * The errors of GUNYAH_VM_START, when this call starts the VM (except
 *   that a VM that failed to start reports GUNYAH_VCPU_EXIT_STATUS).
 */
#define GUNYAH_VCPU_RUN				_IO(GUNYAH_IOCTL_TYPE, 0x5)

/**
 * GUNYAH_VCPU_MMAP_SIZE - Size of the run page.
 *
 * fd: vCPU. No argument.
 *
 * Return: the length to pass to mmap() at offset 0 to map the
 * struct gunyah_vcpu_run: the host kernel's page size, at least
 * sizeof(struct gunyah_vcpu_run).
 *
 * mmap() of a vCPU fd fails with EINVAL for an offset other than 0, a
 * length larger than this size or a private (not MAP_SHARED) mapping, and
 * with EPERM for PROT_EXEC.
 */
#define GUNYAH_VCPU_MMAP_SIZE			_IO(GUNYAH_IOCTL_TYPE, 0x6)

#endif /* _UAPI_LINUX_GUNYAH_H */
