// SPDX-License-Identifier: GPL-2.0
/*
 * Print the binary layout of uapi/linux/gunyah.h, one fact per line:
 *
 *   sizeof <struct> <bytes>
 *   offsetof <struct>.<member> <bytes>
 *   ioctl <NAME> 0x<8 hex digits>
 *   value <NAME> <decimal>
 *
 * scripts/check-uapi.sh diffs the output against tests/uapi/layout.golden.
 *
 * Two ways to build it:
 * - normally: a host program that prints the lines with printf();
 * - with -DLAYOUT_ASM -S: no libc is needed, each line is emitted into the
 *   assembly output as "@@LAYOUT <kind> <name> <lo16> <hi16>", which the script
 *   extracts. That checks targets we can compile for but not link or run
 *   (32-bit x86 without a 32-bit libc, arm64, arm).
 */

#include <stddef.h>	/* offsetof(): freestanding, needs no libc */

#include <linux/gunyah.h>

/* One entry per line of output, in the order of the golden file. */
#define LAYOUT(SIZE, OFF, IOCTL, VALUE)						\
	SIZE(gunyah_userspace_memory_region)					\
	OFF(gunyah_userspace_memory_region, label)				\
	OFF(gunyah_userspace_memory_region, flags)				\
	OFF(gunyah_userspace_memory_region, guest_phys_addr)			\
	OFF(gunyah_userspace_memory_region, memory_size)			\
	OFF(gunyah_userspace_memory_region, userspace_addr)			\
	SIZE(gunyah_vm_dtb_config)						\
	OFF(gunyah_vm_dtb_config, guest_phys_addr)				\
	OFF(gunyah_vm_dtb_config, size)						\
	SIZE(gunyah_fn_vcpu_arg)						\
	OFF(gunyah_fn_vcpu_arg, id)						\
	SIZE(gunyah_fn_irqfd_arg)						\
	OFF(gunyah_fn_irqfd_arg, fd)						\
	OFF(gunyah_fn_irqfd_arg, label)						\
	OFF(gunyah_fn_irqfd_arg, flags)						\
	OFF(gunyah_fn_irqfd_arg, padding)					\
	SIZE(gunyah_fn_ioeventfd_arg)						\
	OFF(gunyah_fn_ioeventfd_arg, datamatch)					\
	OFF(gunyah_fn_ioeventfd_arg, addr)					\
	OFF(gunyah_fn_ioeventfd_arg, len)					\
	OFF(gunyah_fn_ioeventfd_arg, fd)					\
	OFF(gunyah_fn_ioeventfd_arg, flags)					\
	OFF(gunyah_fn_ioeventfd_arg, padding)					\
	SIZE(gunyah_fn_desc)							\
	OFF(gunyah_fn_desc, type)						\
	OFF(gunyah_fn_desc, arg_size)						\
	OFF(gunyah_fn_desc, arg)						\
	SIZE(gunyah_vm_boot_context)						\
	OFF(gunyah_vm_boot_context, reg)					\
	OFF(gunyah_vm_boot_context, reserved)					\
	OFF(gunyah_vm_boot_context, value)					\
	SIZE(gunyah_fn_check)							\
	OFF(gunyah_fn_check, type)						\
	OFF(gunyah_fn_check, flags)						\
	SIZE(gunyah_vm_exit_info)						\
	OFF(gunyah_vm_exit_info, type)						\
	OFF(gunyah_vm_exit_info, padding)					\
	OFF(gunyah_vm_exit_info, reason_size)					\
	OFF(gunyah_vm_exit_info, reason)					\
	SIZE(gunyah_vcpu_mmio_exit)						\
	OFF(gunyah_vcpu_mmio_exit, phys_addr)					\
	OFF(gunyah_vcpu_mmio_exit, data)					\
	OFF(gunyah_vcpu_mmio_exit, len)						\
	OFF(gunyah_vcpu_mmio_exit, is_write)					\
	OFF(gunyah_vcpu_mmio_exit, resume_action)				\
	OFF(gunyah_vcpu_mmio_exit, padding)					\
	SIZE(gunyah_vcpu_status_exit)						\
	OFF(gunyah_vcpu_status_exit, status)					\
	OFF(gunyah_vcpu_status_exit, exit_info)					\
	SIZE(gunyah_vcpu_run)							\
	OFF(gunyah_vcpu_run, immediate_exit)					\
	OFF(gunyah_vcpu_run, padding)						\
	OFF(gunyah_vcpu_run, exit_reason)					\
	OFF(gunyah_vcpu_run, padding2)						\
	OFF(gunyah_vcpu_run, mmio)						\
	OFF(gunyah_vcpu_run, mmio.phys_addr)					\
	OFF(gunyah_vcpu_run, mmio.data)						\
	OFF(gunyah_vcpu_run, mmio.len)						\
	OFF(gunyah_vcpu_run, mmio.is_write)					\
	OFF(gunyah_vcpu_run, mmio.resume_action)				\
	OFF(gunyah_vcpu_run, mmio.padding)					\
	OFF(gunyah_vcpu_run, status)						\
	OFF(gunyah_vcpu_run, status.status)					\
	OFF(gunyah_vcpu_run, status.exit_info)					\
	OFF(gunyah_vcpu_run, status.exit_info.type)				\
	OFF(gunyah_vcpu_run, status.exit_info.padding)				\
	OFF(gunyah_vcpu_run, status.exit_info.reason_size)			\
	OFF(gunyah_vcpu_run, status.exit_info.reason)				\
	IOCTL(GUNYAH_CREATE_VM)							\
	IOCTL(GUNYAH_VM_SET_USER_MEM_REGION)					\
	IOCTL(GUNYAH_VM_SET_DTB_CONFIG)						\
	IOCTL(GUNYAH_VM_START)							\
	IOCTL(GUNYAH_VM_ADD_FUNCTION)						\
	IOCTL(GUNYAH_VCPU_RUN)							\
	IOCTL(GUNYAH_VCPU_MMAP_SIZE)						\
	IOCTL(GUNYAH_VM_REMOVE_FUNCTION)					\
	IOCTL(GUNYAH_VM_SET_BOOT_CONTEXT)					\
	IOCTL(GUNYAH_CHECK_FUNCTION)						\
	VALUE(GUNYAH_IOCTL_TYPE)						\
	VALUE(GUNYAH_MEM_ALLOW_READ)						\
	VALUE(GUNYAH_MEM_ALLOW_WRITE)						\
	VALUE(GUNYAH_MEM_ALLOW_EXEC)						\
	VALUE(GUNYAH_MEM_FORCE_LEND)						\
	VALUE(GUNYAH_FN_VCPU)							\
	VALUE(GUNYAH_FN_IRQFD)							\
	VALUE(GUNYAH_FN_IOEVENTFD)						\
	VALUE(GUNYAH_FN_SAMPLE_FIRST)						\
	VALUE(GUNYAH_FN_SAMPLE_LAST)						\
	VALUE(GUNYAH_FN_MAX_ARG_SIZE)						\
	VALUE(GUNYAH_IRQFD_FLAGS_LEVEL)						\
	VALUE(GUNYAH_IOEVENTFD_FLAGS_DATAMATCH)					\
	VALUE(GUNYAH_VM_BOOT_CONTEXT_REG_SET_X)					\
	VALUE(GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC)				\
	VALUE(GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP)				\
	VALUE(boot_context_reg_sp_1)						\
	VALUE(GUNYAH_VCPU_EXIT_UNKNOWN)						\
	VALUE(GUNYAH_VCPU_EXIT_MMIO)						\
	VALUE(GUNYAH_VCPU_EXIT_STATUS)						\
	VALUE(GUNYAH_VCPU_RESUME_HANDLED)					\
	VALUE(GUNYAH_VCPU_RESUME_FAULT)						\
	VALUE(GUNYAH_VCPU_RESUME_RETRY)						\
	VALUE(GUNYAH_VM_STATUS_LOAD_FAILED)					\
	VALUE(GUNYAH_VM_STATUS_EXITED)						\
	VALUE(GUNYAH_VM_STATUS_CRASHED)						\
	VALUE(GUNYAH_RM_VM_EXIT_TYPE_VM_EXIT)					\
	VALUE(GUNYAH_RM_VM_EXIT_TYPE_PSCI_OFF)					\
	VALUE(GUNYAH_RM_VM_EXIT_TYPE_PSCI_RESET)				\
	VALUE(GUNYAH_RM_VM_EXIT_TYPE_PSCI_SYSTEM_RESET2)			\
	VALUE(GUNYAH_RM_VM_EXIT_TYPE_WATCHDOG_BITE)				\
	VALUE(GUNYAH_RM_VM_EXIT_TYPE_HYP_ERROR)					\
	VALUE(GUNYAH_RM_VM_EXIT_TYPE_ASYNC_EXT_ABORT)				\
	VALUE(GUNYAH_RM_VM_EXIT_TYPE_VM_FORCE_STOPPED)

/* An example of the encoding macro (a name without spaces, for the output) */
#define boot_context_reg_sp_1						\
	GUNYAH_VM_BOOT_CONTEXT_REG(GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP, 1)

#ifndef LAYOUT_ASM

#include <stdio.h>

#define PRINT_SIZE(s)							\
	printf("sizeof %s %lu\n", #s, (unsigned long)sizeof(struct s));
#define PRINT_OFF(s, m)							\
	printf("offsetof %s.%s %lu\n", #s, #m,				\
	       (unsigned long)offsetof(struct s, m));
#define PRINT_IOCTL(n)							\
	printf("ioctl %s 0x%08lx\n", #n, (unsigned long)(n));
#define PRINT_VALUE(n)							\
	printf("value %s %lu\n", #n, (unsigned long)(n));

int main(void)
{
	LAYOUT(PRINT_SIZE, PRINT_OFF, PRINT_IOCTL, PRINT_VALUE)
	return 0;
}

#else /* LAYOUT_ASM */

/*
 * Each value goes out as two 16-bit halves, so that no target prints a
 * negative or sign-extended immediate. %c prints a constant bare (no '$'
 * or '#'); the script strips those characters anyway.
 */
#define EMIT(kind, name, v)						\
	__asm__ __volatile__("\n.ascii \"@@LAYOUT " kind " " name	\
			     " %c0 %c1\"\n"				\
			     : : "i" ((unsigned long)(v) & 0xffff),	\
				 "i" (((unsigned long)(v) >> 16) & 0xffff));
#define EMIT_SIZE(s)	EMIT("sizeof", #s, sizeof(struct s))
#define EMIT_OFF(s, m)	EMIT("offsetof", #s "." #m, offsetof(struct s, m))
#define EMIT_IOCTL(n)	EMIT("ioctl", #n, n)
#define EMIT_VALUE(n)	EMIT("value", #n, n)

void gunyah_layout(void)
{
	LAYOUT(EMIT_SIZE, EMIT_OFF, EMIT_IOCTL, EMIT_VALUE)
}

#endif /* LAYOUT_ASM */
