// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM function GUNYAH_FN_VCPU: a proxy-scheduled vCPU and its fd.
 *
 * GUNYAH_VM_ADD_FUNCTION with a struct gunyah_fn_vcpu_arg makes a vCPU and returns its fd. The
 * vCPU claims the RM's vCPU resource whose label is its id (a resource ticket), and
 * GUNYAH_VCPU_RUN runs it with the vcpu_run hypercall until something needs the VMM: an MMIO
 * access no in-kernel IO handler takes, or the VM not running any more. The fd's run page
 * (struct gunyah_vcpu_run, mmap()ed by the VMM) reports the exit.
 */

#include <linux/anon_inodes.h>
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/kref.h>
#include <linux/limits.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#include <gunyah/compat.h>
#include <linux/wait.h>

#include <linux/gunyah.h>
#include <gunyah/hypercall.h>
#include <gunyah/rsc_mgr.h>
#include <gunyah/vm_mgr.h>

/**
 * DOC: Locking
 *
 * Each vCPU has one mutex, &gunyah_vcpu.run_lock. It serialises GUNYAH_VCPU_RUN (held across
 * the whole call: the hypercall, in-kernel MMIO dispatch and the interruptible waits for the
 * vCPU's interrupt) and protects the vCPU's resource, its copy of the pending MMIO exit and the
 * resume data. In acquisition order, outermost first, with the VM's locks:
 *
 * 1. gunyah_vm.mm_lock or gunyah_vm.fn_lock, one rank, never held together. mm_lock: only
 *    through gunyah_vm_ensure_started(), which GUNYAH_VCPU_RUN calls *before* it takes
 *    run_lock, because the start takes resources_lock and populate() (below). fn_lock: held
 *    around bind() and unbind(); unbind() takes run_lock under it.
 * 2. gunyah_vm.resources_lock: held around populate() and unpopulate(), which take run_lock.
 * 3. &gunyah_vcpu.run_lock.
 * 4. Under run_lock a vCPU takes only gunyah_vm.status_lock (to copy the exit information),
 *    and dispatches MMIO in an RCU read-side critical section, or the framework's MMIO SRCU one
 *    for sleepable handlers (inside gunyah_vm_mmio_write() and gunyah_vm_mmio_read()), which
 *    takes no lock but those of the IO handler it runs (an ioeventfd's lock, an eventfd's
 *    wait-queue lock); never fn_lock, resources_lock, mmio_bus_lock or mm_lock, and it never
 *    drops a VM reference.
 *
 * So: [mm_lock | fn_lock ->] resources_lock -> run_lock -> {RCU or MMIO SRCU read side,
 * status_lock}.
 * Two run_locks are never held together.
 *
 * A RUN sleeps holding run_lock, so whoever needs run_lock while a RUN may be waiting for the
 * vCPU's interrupt (unpopulate(), unbind()) first sets &gunyah_vcpu.detached and wakes
 * gunyah_vm.vm_status_wait (gunyah_vcpu_kick()); the RUN then leaves with -ENODEV at its next
 * check, and only then is run_lock taken.
 *
 * Without a lock:
 *
 * * &gunyah_vcpu.detached goes from false to true once; written with WRITE_ONCE(), read with
 *   READ_ONCE() (also as a wait condition).
 * * &gunyah_vcpu.flags holds GUNYAH_VCPU_IRQ_PENDING, set by the interrupt handler (hard IRQ
 *   context, which takes no lock but the wait queue's) and cleared by the RUN before each
 *   vcpu_run; atomic bit operations.
 * * gunyah_vm.vm_status is read with READ_ONCE() for the wait condition and the fast path, and
 *   under status_lock when the exit information is copied.
 * * The run page is shared with userspace, which may write it at any time. The kernel reads
 *   only the fields userspace may write (immediate_exit, and for an MMIO exit data and
 *   resume_action), each once per use, and acts on its own copy of everything else.
 *
 * Waits: the RUN waits on gunyah_vm.vm_status_wait, which the VM manager wakes on every status
 * change; the vCPU's interrupt handler and gunyah_vcpu_kick() wake it too. Other sleepers on
 * that queue (the VM teardown, other vCPUs) only see spurious wake-ups and check again.
 */

/**
 * DOC: Lifetime
 *
 * A struct gunyah_vcpu has two owners, counted by &gunyah_vcpu.kref: the function instance
 * (dropped by unbind(), at GUNYAH_VM_REMOVE_FUNCTION or when the VM is destroyed) and the vCPU
 * fd (dropped when the file is released, which an mmap() of the run page delays until it is
 * unmapped). The run page lives as long as the struct.
 *
 * The fd holds a VM reference (gunyah_vm_get()): the VM outlives the fd, so closing the VM fd
 * while a vCPU runs is fine; the RUN returns when the VM stops. The instance holds none: the VM
 * removes its instances before it goes. Hence &gunyah_vcpu.ghvm is valid whenever any code of
 * this file runs for the vCPU, the interrupt handler included (the interrupt is freed by
 * unpopulate(), before unbind() returns). Releasing the last vCPU fd may destroy the VM, which
 * unbinds this very vCPU: the fd's release holds no lock when it drops the VM reference.
 *
 * The fd's file operations carry THIS_MODULE, and every instance holds a reference to this
 * module (taken by the VM-function framework), so the module cannot go while a vCPU exists.
 */

/*
 * resume_data[1] of a vcpu_run that completes an MMIO exit: what the hypervisor does with the
 * access (hypervisors without this word ignore it and always emulate).
 */
#define GUNYAH_VCPU_VMMIO_ACTION_EMULATE	0
#define GUNYAH_VCPU_VMMIO_ACTION_RETRY		1
#define GUNYAH_VCPU_VMMIO_ACTION_FAULT		2

/* Bits of gunyah_vcpu.flags */
#define GUNYAH_VCPU_IRQ_PENDING			0

static_assert(sizeof(struct gunyah_vcpu_run) <= PAGE_SIZE);

/**
 * enum gunyah_vcpu_mmio_state - where the last MMIO exit of a vCPU stands
 * @GUNYAH_VCPU_MMIO_NONE: nothing to complete; the resume data is zero
 * @GUNYAH_VCPU_MMIO_USER: an MMIO exit was reported to userspace; its answer is read from the
 *                         run page by the next GUNYAH_VCPU_RUN
 * @GUNYAH_VCPU_MMIO_ANSWERED: the resume data holds the completion of the last exit (from
 *                             userspace or an in-kernel handler); the next successful vcpu_run
 *                             delivers it
 */
enum gunyah_vcpu_mmio_state {
	GUNYAH_VCPU_MMIO_NONE,
	GUNYAH_VCPU_MMIO_USER,
	GUNYAH_VCPU_MMIO_ANSWERED,
};

/**
 * struct gunyah_vcpu_mmio - the kernel's copy of an MMIO exit reported to userspace
 * @addr: guest physical address of the access
 * @len: its size: 1, 2, 4 or 8
 * @is_write: a write (else a read)
 */
struct gunyah_vcpu_mmio {
	u64 addr;
	u32 len;
	bool is_write;
};

/**
 * struct gunyah_vcpu - a vCPU function instance and its fd
 * @ghvm: the VM; constant. Valid while the vCPU exists (DOC: Lifetime)
 * @id: the vCPU's index in the VM configuration (the label of its RM resource); constant
 * @kref: the instance's and the fd's references (DOC: Lifetime)
 * @run_page: the page shared with userspace through mmap(); constant
 * @run: page_address(@run_page); constant pointer, contents written by userspace too
 * @ticket: the claim on the vCPU resource labelled @id; its lists belong to the VM-function
 *          framework (gunyah_vm.resources_lock), the other members are constant
 * @flags: GUNYAH_VCPU_IRQ_PENDING; atomic bit operations, no lock
 * @detached: the vCPU lost its resource or its instance: RUN returns -ENODEV from now on.
 *            Goes from false to true once; WRITE_ONCE()/READ_ONCE(), no lock
 * @run_lock: serialises GUNYAH_VCPU_RUN; protects the members below (DOC: Locking)
 * @rsc: the vCPU resource (capability and interrupt), or NULL; @run_lock, written only by
 *       populate() and unpopulate() (which also hold gunyah_vm.resources_lock)
 * @mmio_state: enum gunyah_vcpu_mmio_state; @run_lock
 * @mmio: the MMIO exit reported to userspace while @mmio_state is GUNYAH_VCPU_MMIO_USER;
 *        @run_lock
 * @resume_data: what the next vcpu_run passes the hypervisor; @run_lock
 * @stopped: a status exit was reported: every later RUN reports the same one again (the exit
 *           is final, whatever the VM's status does afterwards); @run_lock
 * @stop_status: its GUNYAH_VM_STATUS_*; @run_lock
 * @stop_info: its exit information; @run_lock
 * @nr_mmio_kernel: MMIO accesses completed by in-kernel IO handlers; @run_lock
 * @nr_mmio_user: MMIO exits reported to userspace; @run_lock
 */
struct gunyah_vcpu {
	struct gunyah_vm *ghvm;
	u32 id;
	struct kref kref;
	struct page *run_page;
	struct gunyah_vcpu_run *run;
	struct gunyah_vm_resource_ticket ticket;

	unsigned long flags;
	bool detached;

	struct mutex run_lock; /* see DOC: Locking */
	struct gunyah_resource *rsc;
	enum gunyah_vcpu_mmio_state mmio_state;
	struct gunyah_vcpu_mmio mmio;
	u64 resume_data[3];
	bool stopped;
	u32 stop_status;
	struct gunyah_vm_exit_info stop_info;
	u64 nr_mmio_kernel;
	u64 nr_mmio_user;
};

/* ---------------------------------------------------------------------------------------- */
/* Lifetime and wake-ups                                                                    */

/**
 * gunyah_vcpu_free() - kref release: free a vCPU once its instance and its fd are gone
 * @kref: &gunyah_vcpu.kref
 *
 * Context: process context; no lock of the vCPU held.
 */
static void gunyah_vcpu_free(struct kref *kref)
{
	struct gunyah_vcpu *vcpu = container_of(kref, struct gunyah_vcpu, kref);

	__free_page(vcpu->run_page);
	mutex_destroy(&vcpu->run_lock);
	kfree(vcpu);
}

/**
 * gunyah_vcpu_kick() - make a RUN in progress leave, for good
 * @vcpu: the vCPU
 *
 * Sets &gunyah_vcpu.detached and wakes a RUN waiting for the vCPU's interrupt, so that the
 * caller can then take &gunyah_vcpu.run_lock without waiting for an interrupt that may never
 * come.
 *
 * Context: process context; any lock but @vcpu's run_lock may be held.
 */
static void gunyah_vcpu_kick(struct gunyah_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->detached, true);
	wake_up_all(&vcpu->ghvm->vm_status_wait);
}

/**
 * gunyah_vcpu_irq() - the vCPU's interrupt: the hypervisor wants it run again
 * @irq: the interrupt
 * @data: the vCPU
 *
 * Raised when a vCPU that waited for an interrupt (EXPECTS_WAKEUP) or was powered off may run.
 * Records it, for a RUN that has not started waiting yet, and wakes a RUN that has.
 *
 * Context: hard IRQ context.
 * Return: IRQ_HANDLED.
 */
static irqreturn_t gunyah_vcpu_irq(int irq, void *data)
{
	struct gunyah_vcpu *vcpu = data;

	set_bit(GUNYAH_VCPU_IRQ_PENDING, &vcpu->flags);
	wake_up_all(&vcpu->ghvm->vm_status_wait);

	return IRQ_HANDLED;
}

/* ---------------------------------------------------------------------------------------- */
/* The vCPU resource (resource ticket)                                                      */

/**
 * gunyah_vcpu_populate() - take the vCPU resource the RM created for this id
 * @ticket: &gunyah_vcpu.ticket
 * @ghrsc: a resource of type GUNYAH_RESOURCE_TYPE_VCPU and label &gunyah_vcpu.id
 *
 * Requests the resource's interrupt, which wakes the vCPU's RUN. A resource without an
 * interrupt cannot be woken, and is refused (RUN then answers -ENODEV), as is a second one.
 *
 * Context: process context, may sleep; gunyah_vm.resources_lock held (and gunyah_vm.fn_lock or
 * gunyah_vm.mm_lock, depending on the caller); takes &gunyah_vcpu.run_lock.
 * Return: true if the vCPU took the resource.
 */
static bool gunyah_vcpu_populate(struct gunyah_vm_resource_ticket *ticket,
				 struct gunyah_resource *ghrsc)
{
	struct gunyah_vcpu *vcpu = container_of(ticket, struct gunyah_vcpu, ticket);
	struct gunyah_vm *ghvm = vcpu->ghvm;
	bool taken = false;
	int ret;

	mutex_lock(&vcpu->run_lock);

	if (vcpu->rsc) {
		dev_warn_ratelimited(ghvm->parent, "VM %u vCPU %u: second vCPU resource ignored\n",
				     ghvm->vmid, vcpu->id);
		goto out_unlock;
	}
	if (!ghrsc->irq) {
		dev_err_ratelimited(ghvm->parent, "VM %u vCPU %u: its resource has no interrupt\n",
				    ghvm->vmid, vcpu->id);
		goto out_unlock;
	}

	ret = request_irq(ghrsc->irq, gunyah_vcpu_irq, 0, "gunyah_vcpu", vcpu);
	if (ret) {
		dev_err_ratelimited(ghvm->parent,
				    "VM %u vCPU %u: cannot request interrupt %u: %d\n",
				    ghvm->vmid, vcpu->id, ghrsc->irq, ret);
		goto out_unlock;
	}

	vcpu->rsc = ghrsc;
	taken = true;

out_unlock:
	mutex_unlock(&vcpu->run_lock);
	return taken;
}

/**
 * gunyah_vcpu_unpopulate() - give the vCPU resource back
 * @ticket: &gunyah_vcpu.ticket
 * @ghrsc: the resource gunyah_vcpu_populate() took
 *
 * Makes a RUN in progress leave (it returns -ENODEV), forgets the resource and any pending
 * MMIO exit, then frees the interrupt. The vCPU never runs again.
 *
 * Context: process context, may sleep; gunyah_vm.resources_lock held (and gunyah_vm.fn_lock
 * when called from unbind()); takes &gunyah_vcpu.run_lock.
 */
static void gunyah_vcpu_unpopulate(struct gunyah_vm_resource_ticket *ticket,
				   struct gunyah_resource *ghrsc)
{
	struct gunyah_vcpu *vcpu = container_of(ticket, struct gunyah_vcpu, ticket);

	gunyah_vcpu_kick(vcpu);

	mutex_lock(&vcpu->run_lock);
	if (WARN_ON_ONCE(vcpu->rsc != ghrsc)) {
		mutex_unlock(&vcpu->run_lock);
		return;
	}
	vcpu->rsc = NULL;
	vcpu->mmio_state = GUNYAH_VCPU_MMIO_NONE;
	memset(vcpu->resume_data, 0, sizeof(vcpu->resume_data));
	mutex_unlock(&vcpu->run_lock);

	/* Waits for a handler still running on another CPU */
	free_irq(ghrsc->irq, vcpu);
}

/* ---------------------------------------------------------------------------------------- */
/* Exits reported in the run page                                                           */

/**
 * gunyah_vcpu_clear_exit() - zero the exit union of the run page
 * @run: the run page
 *
 * Context: any context.
 */
static void gunyah_vcpu_clear_exit(struct gunyah_vcpu_run *run)
{
	const size_t offset = offsetof(struct gunyah_vcpu_run, mmio);

	memset((u8 *)run + offset, 0, sizeof(*run) - offset);
}

/**
 * gunyah_vcpu_status_exit() - report that the VM (or this vCPU) does not run any more
 * @vcpu: the vCPU
 * @status: GUNYAH_VM_STATUS_LOAD_FAILED, _EXITED or _CRASHED
 * @info: for GUNYAH_VM_STATUS_EXITED, how the VM exited; else NULL (zeros are reported)
 *
 * Fills the run page with a GUNYAH_VCPU_EXIT_STATUS exit. The exit is final: the vCPU keeps
 * it (gunyah_vcpu_check() reports it again on every later RUN), and a pending MMIO exit is
 * dropped.
 *
 * Context: process context; @vcpu's run_lock held.
 */
static void gunyah_vcpu_status_exit(struct gunyah_vcpu *vcpu, u32 status,
				    const struct gunyah_vm_exit_info *info)
{
	struct gunyah_vcpu_run *run = vcpu->run;

	lockdep_assert_held(&vcpu->run_lock);

	vcpu->stopped = true;
	vcpu->stop_status = status;
	if (info)
		vcpu->stop_info = *info;
	else
		memset(&vcpu->stop_info, 0, sizeof(vcpu->stop_info));

	gunyah_vcpu_clear_exit(run);
	run->status.status = status;
	run->status.exit_info = vcpu->stop_info;
	run->exit_reason = GUNYAH_VCPU_EXIT_STATUS;

	vcpu->mmio_state = GUNYAH_VCPU_MMIO_NONE;
	memset(vcpu->resume_data, 0, sizeof(vcpu->resume_data));
}

/**
 * gunyah_vcpu_vm_stopped() - is a VM with this status no longer running?
 * @status: gunyah_vm.vm_status of a started VM
 *
 * A started VM is RUNNING (or PAUSED) until it fails to start, exits or is reset; the status
 * never moves back. Lockless, so usable as a wait condition.
 *
 * Context: any context.
 * Return: true if its vCPUs will not run again.
 */
static bool gunyah_vcpu_vm_stopped(enum gunyah_rm_vm_status status)
{
	switch (status) {
	case GUNYAH_RM_VM_STATUS_INIT_FAILED:
	case GUNYAH_RM_VM_STATUS_EXITED:
	case GUNYAH_RM_VM_STATUS_RESETTING:
	case GUNYAH_RM_VM_STATUS_RESET:
		return true;
	default:
		return false;
	}
}

/**
 * gunyah_vcpu_report_vm_status() - report a VM that does not run any more
 * @vcpu: the vCPU
 *
 * The VM failed to start: GUNYAH_VM_STATUS_LOAD_FAILED. The RM reported its exit:
 * GUNYAH_VM_STATUS_EXITED with the exit information, copied under gunyah_vm.status_lock (the
 * VM manager sets EXITED only once the information is filled in). Stopped otherwise (reset
 * without an exit report): GUNYAH_VM_STATUS_CRASHED.
 *
 * Context: process context, may sleep; @vcpu's run_lock held; takes gunyah_vm.status_lock.
 * Return: true if the VM has stopped and the exit is in the run page, false if it runs.
 */
static bool gunyah_vcpu_report_vm_status(struct gunyah_vcpu *vcpu)
{
	struct gunyah_vm *ghvm = vcpu->ghvm;
	struct gunyah_vm_exit_info info = {};
	u32 status;

	lockdep_assert_held(&vcpu->run_lock);

	/* A stopped VM stays stopped: the status is only read again below for the details */
	if (!gunyah_vcpu_vm_stopped(READ_ONCE(ghvm->vm_status)))
		return false;

	mutex_lock(&ghvm->status_lock);
	switch (ghvm->vm_status) {
	case GUNYAH_RM_VM_STATUS_INIT_FAILED:
		status = GUNYAH_VM_STATUS_LOAD_FAILED;
		break;
	case GUNYAH_RM_VM_STATUS_EXITED:
		status = GUNYAH_VM_STATUS_EXITED;
		info = ghvm->exit_info;
		break;
	default:
		status = GUNYAH_VM_STATUS_CRASHED;
		break;
	}
	mutex_unlock(&ghvm->status_lock);

	gunyah_vcpu_status_exit(vcpu, status, &info);
	return true;
}

/* ---------------------------------------------------------------------------------------- */
/* MMIO                                                                                     */

/**
 * gunyah_vcpu_mmio_len_valid() - is this an access size the run page can carry?
 * @len: the size the hypervisor reported
 *
 * Context: any context.
 * Return: true for 1, 2, 4 and 8.
 */
static bool gunyah_vcpu_mmio_len_valid(u64 len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

/**
 * gunyah_vcpu_mmio_mask() - the bits an access of some size carries
 * @len: 1, 2, 4 or 8
 *
 * Context: any context.
 * Return: the mask of the low @len bytes.
 */
static u64 gunyah_vcpu_mmio_mask(u32 len)
{
	return len >= sizeof(u64) ? U64_MAX : BIT_ULL(len * BITS_PER_BYTE) - 1;
}

/**
 * gunyah_vcpu_mmio_exit() - report an MMIO access to userspace
 * @vcpu: the vCPU
 * @addr: guest physical address
 * @len: size, 1, 2, 4 or 8
 * @is_write: a write (else a read)
 * @data: the value written (masked to @len bytes); 0 for a read
 *
 * Keeps the kernel's own copy of the exit and fills the run page: the data as little-endian
 * bytes (the guest's byte order), resume_action preset to GUNYAH_VCPU_RESUME_HANDLED.
 *
 * Context: process context; @vcpu's run_lock held.
 */
static void gunyah_vcpu_mmio_exit(struct gunyah_vcpu *vcpu, u64 addr, u32 len, bool is_write,
				  u64 data)
{
	struct gunyah_vcpu_run *run = vcpu->run;

	lockdep_assert_held(&vcpu->run_lock);

	vcpu->mmio.addr = addr;
	vcpu->mmio.len = len;
	vcpu->mmio.is_write = is_write;
	vcpu->mmio_state = GUNYAH_VCPU_MMIO_USER;
	vcpu->nr_mmio_user++;

	gunyah_vcpu_clear_exit(run);
	run->mmio.phys_addr = addr;
	put_unaligned_le64(data, run->mmio.data);
	run->mmio.len = len;
	run->mmio.is_write = is_write;
	run->mmio.resume_action = GUNYAH_VCPU_RESUME_HANDLED;
	run->exit_reason = GUNYAH_VCPU_EXIT_MMIO;
}

/**
 * gunyah_vcpu_handle_mmio() - deal with an MMIO exit of the hypervisor
 * @vcpu: the vCPU
 * @resp: what vcpu_run returned: state_data = {address, size, value written}
 * @is_write: a VMMIO_WRITE (else a VMMIO_READ)
 *
 * Offers the access to the VM's in-kernel IO handlers first; if one takes it, the completion
 * goes into the resume data and the vCPU runs on. Otherwise the access exits to userspace.
 * An access of a size the run page cannot carry (a hypervisor bug) faults the guest.
 *
 * Context: process context, may sleep briefly (IO handlers); @vcpu's run_lock held; enters the
 * RCU (or the framework's MMIO SRCU) read side (no lock of the VM).
 * Return: true if the access was completed in the kernel, false if it exits to userspace.
 */
static bool gunyah_vcpu_handle_mmio(struct gunyah_vcpu *vcpu,
				    const struct gunyah_hypercall_vcpu_run_resp *resp,
				    bool is_write)
{
	struct gunyah_vm *ghvm = vcpu->ghvm;
	u64 addr = resp->state_data[0];
	u64 data = 0;
	u32 len;

	lockdep_assert_held(&vcpu->run_lock);

	if (!gunyah_vcpu_mmio_len_valid(resp->state_data[1])) {
		dev_warn_ratelimited(ghvm->parent,
				     "VM %u vCPU %u: MMIO %s at %#llx of size %llu: guest faulted\n",
				     ghvm->vmid, vcpu->id, is_write ? "write" : "read", addr,
				     resp->state_data[1]);
		vcpu->resume_data[1] = GUNYAH_VCPU_VMMIO_ACTION_FAULT;
		vcpu->mmio_state = GUNYAH_VCPU_MMIO_ANSWERED;
		return true;
	}
	len = resp->state_data[1];

	if (is_write) {
		data = resp->state_data[2] & gunyah_vcpu_mmio_mask(len);
		if (!gunyah_vm_mmio_write(ghvm, addr, len, data)) {
			vcpu->resume_data[1] = GUNYAH_VCPU_VMMIO_ACTION_EMULATE;
			vcpu->mmio_state = GUNYAH_VCPU_MMIO_ANSWERED;
			vcpu->nr_mmio_kernel++;
			return true;
		}
	} else {
		if (!gunyah_vm_mmio_read(ghvm, addr, len, &data)) {
			vcpu->resume_data[0] = data & gunyah_vcpu_mmio_mask(len);
			vcpu->resume_data[1] = GUNYAH_VCPU_VMMIO_ACTION_EMULATE;
			vcpu->mmio_state = GUNYAH_VCPU_MMIO_ANSWERED;
			vcpu->nr_mmio_kernel++;
			return true;
		}
		data = 0;	/* whatever a failing handler left there */
	}

	gunyah_vcpu_mmio_exit(vcpu, addr, len, is_write, data);
	return false;
}

/**
 * gunyah_vcpu_take_answer() - read userspace's answer to the last MMIO exit
 * @vcpu: the vCPU
 *
 * Only while an MMIO exit is pending with userspace: reads resume_action, and for a handled
 * read the data, from the run page, once, and turns them into the resume data. The answer then
 * stays pending, in the kernel's copy, until a vcpu_run delivers it, so a RUN that fails with
 * -EINTR before does not lose it. An unknown resume_action leaves the exit pending, for the VMM
 * to fix.
 *
 * Context: process context; @vcpu's run_lock held.
 * Return: 0, or -EINVAL if resume_action is unknown.
 */
static int gunyah_vcpu_take_answer(struct gunyah_vcpu *vcpu)
{
	struct gunyah_vcpu_run *run = vcpu->run;
	u8 data[sizeof(u64)];
	u8 action;

	lockdep_assert_held(&vcpu->run_lock);

	if (vcpu->mmio_state != GUNYAH_VCPU_MMIO_USER)
		return 0;

	action = READ_ONCE(run->mmio.resume_action);
	switch (action) {
	case GUNYAH_VCPU_RESUME_HANDLED:
		if (!vcpu->mmio.is_write) {
			memcpy(data, run->mmio.data, sizeof(data));
			vcpu->resume_data[0] = get_unaligned_le64(data) &
					       gunyah_vcpu_mmio_mask(vcpu->mmio.len);
		}
		vcpu->resume_data[1] = GUNYAH_VCPU_VMMIO_ACTION_EMULATE;
		break;
	case GUNYAH_VCPU_RESUME_FAULT:
		vcpu->resume_data[1] = GUNYAH_VCPU_VMMIO_ACTION_FAULT;
		break;
	case GUNYAH_VCPU_RESUME_RETRY:
		vcpu->resume_data[1] = GUNYAH_VCPU_VMMIO_ACTION_RETRY;
		break;
	default:
		dev_dbg_ratelimited(vcpu->ghvm->parent,
				    "VM %u vCPU %u: unknown resume_action %u for MMIO at %#llx\n",
				    vcpu->ghvm->vmid, vcpu->id, action, vcpu->mmio.addr);
		return -EINVAL;
	}

	vcpu->mmio_state = GUNYAH_VCPU_MMIO_ANSWERED;
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* GUNYAH_VCPU_RUN                                                                          */

/**
 * gunyah_vcpu_should_wake() - may a RUN waiting for the vCPU's interrupt go on?
 * @vcpu: the vCPU
 *
 * Lockless: the wait condition of gunyah_vcpu_wait().
 *
 * Context: any context.
 * Return: true if the interrupt came, the vCPU was detached or the VM stopped.
 */
static bool gunyah_vcpu_should_wake(struct gunyah_vcpu *vcpu)
{
	return test_bit(GUNYAH_VCPU_IRQ_PENDING, &vcpu->flags) || READ_ONCE(vcpu->detached) ||
	       gunyah_vcpu_vm_stopped(READ_ONCE(vcpu->ghvm->vm_status));
}

/**
 * gunyah_vcpu_wait() - wait until the hypervisor may run the vCPU again
 * @vcpu: the vCPU, which vcpu_run reported waiting for an interrupt or powered off
 *
 * Waits for the vCPU's interrupt, or for the VM to stop (a powered-off vCPU of an exiting VM
 * gets no interrupt on every hypervisor), or for the vCPU to be detached. An interrupt that
 * came during the vcpu_run call was recorded and ends the wait at once.
 *
 * Context: process context, sleeps; @vcpu's run_lock held.
 * Return: 0, or -EINTR if a signal arrived.
 */
static int gunyah_vcpu_wait(struct gunyah_vcpu *vcpu)
{
	lockdep_assert_held(&vcpu->run_lock);

	if (wait_event_interruptible(vcpu->ghvm->vm_status_wait, gunyah_vcpu_should_wake(vcpu)))
		return -EINTR;
	return 0;
}

/**
 * gunyah_vcpu_check() - what to do before running the vCPU once more
 * @vcpu: the vCPU
 *
 * In this order: a detached vCPU fails with -ENODEV; a vCPU that reported a status exit
 * reports the same again; a VM that stopped reports a status exit; a vCPU without a resource
 * (the VM configuration has no vCPU with this id) fails with -ENODEV; immediate_exit or a
 * pending signal fail with -EINTR; a pending MMIO exit takes userspace's answer.
 *
 * Context: process context, may sleep; @vcpu's run_lock held.
 * Return: 0 to run the vCPU; 1 if an exit is in the run page; -ENODEV, -EINTR, or -EINVAL (an
 * unknown resume_action).
 */
static int gunyah_vcpu_check(struct gunyah_vcpu *vcpu)
{
	lockdep_assert_held(&vcpu->run_lock);

	if (READ_ONCE(vcpu->detached))
		return -ENODEV;

	if (vcpu->stopped) {
		gunyah_vcpu_status_exit(vcpu, vcpu->stop_status, &vcpu->stop_info);
		return 1;
	}

	if (gunyah_vcpu_report_vm_status(vcpu))
		return 1;

	if (!vcpu->rsc)
		return -ENODEV;

	if (READ_ONCE(vcpu->run->immediate_exit) || signal_pending(current))
		return -EINTR;

	return gunyah_vcpu_take_answer(vcpu);
}

/**
 * gunyah_vcpu_handle_state() - act on the state vcpu_run returned
 * @vcpu: the vCPU
 * @resp: the answer of a successful vcpu_run
 *
 * READY and BLOCKED: run again. EXPECTS_WAKEUP, POWERED_OFF and PSCI_SYSTEM_RESET: wait until
 * the vCPU may run again (the next gunyah_vcpu_check() reports the VM's status if it stopped).
 * MMIO: see gunyah_vcpu_handle_mmio(). FAULT: the vCPU reports GUNYAH_VM_STATUS_CRASHED from
 * now on, even once the VM has stopped otherwise.
 *
 * Context: process context, may sleep; @vcpu's run_lock held.
 * Return: 0 to run the vCPU again; 1 if an exit for userspace is in the run page; -EINTR if a
 * wait was interrupted; -EIO for a state this driver does not know.
 */
static int gunyah_vcpu_handle_state(struct gunyah_vcpu *vcpu,
				    const struct gunyah_hypercall_vcpu_run_resp *resp)
{
	struct gunyah_vm *ghvm = vcpu->ghvm;

	lockdep_assert_held(&vcpu->run_lock);

	switch (resp->state) {
	case GUNYAH_VCPU_STATE_READY:
	case GUNYAH_VCPU_STATE_BLOCKED:
		return 0;
	case GUNYAH_VCPU_STATE_EXPECTS_WAKEUP:
	case GUNYAH_VCPU_STATE_POWERED_OFF:
	case GUNYAH_VCPU_STATE_PSCI_SYSTEM_RESET:
		return gunyah_vcpu_wait(vcpu);
	case GUNYAH_VCPU_STATE_MMIO_READ:
		return gunyah_vcpu_handle_mmio(vcpu, resp, false) ? 0 : 1;
	case GUNYAH_VCPU_STATE_MMIO_WRITE:
		return gunyah_vcpu_handle_mmio(vcpu, resp, true) ? 0 : 1;
	case GUNYAH_VCPU_STATE_FAULT:
		dev_info_ratelimited(ghvm->parent,
				     "VM %u vCPU %u: unrecoverable fault (%#llx %#llx %#llx)\n",
				     ghvm->vmid, vcpu->id, resp->state_data[0],
				     resp->state_data[1], resp->state_data[2]);
		gunyah_vcpu_status_exit(vcpu, GUNYAH_VM_STATUS_CRASHED, NULL);
		return 1;
	default:
		dev_err_ratelimited(ghvm->parent, "VM %u vCPU %u: unknown vCPU state %#llx\n",
				    ghvm->vmid, vcpu->id, resp->state);
		return -EIO;
	}
}

/**
 * gunyah_vcpu_run() - GUNYAH_VCPU_RUN
 * @vcpu: the vCPU
 *
 * Starts the VM if nobody did (gunyah_vm_ensure_started(), before run_lock: see DOC: Locking),
 * then runs the vCPU until an exit needs userspace, delivering the completion of the previous
 * MMIO exit with the first vcpu_run that succeeds. RETRY from the hypervisor, READY, BLOCKED
 * and MMIO accesses completed in the kernel loop without returning.
 *
 * Context: process context, sleeps; takes @vcpu's run_lock (interruptibly).
 * Return: 0 with an exit in the run page; -EINTR (signal, immediate_exit, or waiting for
 * run_lock interrupted); -ENODEV (no vCPU resource, or the function was removed); -EINVAL
 * (unknown resume_action); the errno of a failed start of the VM by this call; the remapped
 * hypervisor error of vcpu_run (-EBUSY, ...); -EIO for an unknown vCPU state.
 */
static long gunyah_vcpu_run(struct gunyah_vcpu *vcpu)
{
	struct gunyah_hypercall_vcpu_run_resp resp;
	struct gunyah_vm *ghvm = vcpu->ghvm;
	enum gunyah_error gh_error;
	int ret;

	if (READ_ONCE(vcpu->run->immediate_exit))
		return -EINTR;
	/* A removed vCPU must not start the VM: it could never run in it */
	if (READ_ONCE(vcpu->detached))
		return -ENODEV;

	/* 0 once the VM has been started, even if that start failed: the check below reports it */
	ret = gunyah_vm_ensure_started(ghvm);
	if (ret)
		return ret;

	ret = mutex_lock_interruptible(&vcpu->run_lock);
	if (ret)
		return ret;

	for (;;) {
		ret = gunyah_vcpu_check(vcpu);
		if (ret)
			break;

		/* An interrupt from now on may be for the state this vcpu_run returns */
		clear_bit(GUNYAH_VCPU_IRQ_PENDING, &vcpu->flags);
		/*
		 * Order the clear before the hypercall reads the vCPU's state, so that it cannot
		 * wipe out an interrupt raised for that state; the wait's test_bit() pairs with
		 * the set_bit() in gunyah_vcpu_irq().
		 */
		smp_mb__after_atomic();

		gh_error = gunyah_hypercall_vcpu_run(vcpu->rsc->capid, vcpu->resume_data, &resp);
		if (gh_error == GUNYAH_ERROR_RETRY) {
			cond_resched();
			continue;
		}
		if (gh_error != GUNYAH_ERROR_OK) {
			dev_err_ratelimited(ghvm->parent, "VM %u vCPU %u: vcpu_run failed: %d\n",
					    ghvm->vmid, vcpu->id, gh_error);
			ret = gunyah_error_remap(gh_error);
			break;
		}

		/* The hypervisor has taken the completion of the previous exit */
		vcpu->mmio_state = GUNYAH_VCPU_MMIO_NONE;
		memset(vcpu->resume_data, 0, sizeof(vcpu->resume_data));

		ret = gunyah_vcpu_handle_state(vcpu, &resp);
		if (ret)
			break;

		cond_resched();
	}

	mutex_unlock(&vcpu->run_lock);

	return ret > 0 ? 0 : ret;
}

/* ---------------------------------------------------------------------------------------- */
/* The vCPU fd                                                                              */

/**
 * gunyah_vcpu_ioctl() - ioctls of the vCPU fd
 * @filp: the vCPU fd
 * @cmd: the ioctl
 * @arg: unused (both ioctls take no argument)
 *
 * Context: process context, may sleep.
 * Return: GUNYAH_VCPU_RUN: see gunyah_vcpu_run(); GUNYAH_VCPU_MMAP_SIZE: PAGE_SIZE; -ENOTTY
 * for any other ioctl.
 */
static long gunyah_vcpu_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct gunyah_vcpu *vcpu = filp->private_data;

	switch (cmd) {
	case GUNYAH_VCPU_RUN:
		return gunyah_vcpu_run(vcpu);
	case GUNYAH_VCPU_MMAP_SIZE:
		return PAGE_SIZE;
	default:
		return -ENOTTY;
	}
}

/**
 * gunyah_vcpu_fault() - map the run page on a fault
 * @vmf: the fault
 *
 * Context: process context (page fault), mmap lock or VMA lock held for reading; takes no lock
 * of the vCPU.
 * Return: 0 with @vmf->page set (and referenced), or VM_FAULT_SIGBUS beyond the first page.
 */
static vm_fault_t gunyah_vcpu_fault(struct vm_fault *vmf)
{
	struct gunyah_vcpu *vcpu = vmf->vma->vm_file->private_data;

	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;

	get_page(vcpu->run_page);
	vmf->page = vcpu->run_page;
	return 0;
}

static const struct vm_operations_struct gunyah_vcpu_vm_ops = {
	.fault = gunyah_vcpu_fault,
};

/**
 * gunyah_vcpu_mmap() - mmap() of the vCPU fd: the run page
 * @filp: the vCPU fd
 * @vma: the new mapping
 *
 * Only one page at offset 0, shared (the kernel and the VMM talk through it), and never
 * executable. The mapping cannot grow (mremap()) and is left out of core dumps.
 *
 * Context: process context, the mm's mmap lock held for writing.
 * Return: 0; -EINVAL for another offset or length, or a private mapping; -EPERM for an
 * executable one.
 */
static int gunyah_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma_pages(vma) != 1)
		return -EINVAL;
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;

	vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP, VM_MAYEXEC);
	vma->vm_ops = &gunyah_vcpu_vm_ops;
	return 0;
}

/**
 * gunyah_vcpu_release() - close of the vCPU fd
 * @inode: its inode
 * @filp: the vCPU fd
 *
 * Removes nothing from the VM: the instance stays until GUNYAH_VM_REMOVE_FUNCTION or the VM's
 * end. Drops the fd's reference to the vCPU, then its VM reference, which may destroy the VM
 * (and unbind this vCPU) before it returns.
 *
 * Context: process context (the last fput()), no lock held.
 * Return: 0.
 */
static int gunyah_vcpu_release(struct inode *inode, struct file *filp)
{
	struct gunyah_vcpu *vcpu = filp->private_data;
	struct gunyah_vm *ghvm = vcpu->ghvm;

	kref_put(&vcpu->kref, gunyah_vcpu_free);
	gunyah_vm_put(ghvm);
	return 0;
}

/* Neither ioctl takes an argument: compat_ptr_ioctl() has nothing to convert */
static const struct file_operations gunyah_vcpu_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = gunyah_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = gunyah_vcpu_mmap,
	.release = gunyah_vcpu_release,
	.llseek = noop_llseek,
};

/* ---------------------------------------------------------------------------------------- */
/* The function type                                                                        */

/**
 * gunyah_vcpu_bind() - GUNYAH_VM_ADD_FUNCTION of a vCPU
 * @f: the new instance; @f->argp is a struct gunyah_fn_vcpu_arg
 *
 * Makes the vCPU and its zeroed run page, claims the vCPU resource labelled with its id (taken
 * at once if the VM has started), takes a VM reference for the fd and, last, installs the fd.
 * Everything is undone on failure.
 *
 * Context: process context, may sleep; gunyah_vm.fn_lock held; takes gunyah_vm.resources_lock
 * and the new vCPU's run_lock (populate()). The caller holds a VM reference (its VM fd), so the
 * gunyah_vm_put() of the failure path never destroys the VM.
 * Return: the vCPU fd (O_CLOEXEC); -EINVAL if the argument is not a struct gunyah_fn_vcpu_arg;
 * -EEXIST if a vCPU with this id exists; -ENOMEM; -EMFILE or -ENFILE; -ENODEV if the VM is
 * going away.
 */
static long gunyah_vcpu_bind(struct gunyah_vm_function_instance *f)
{
	const struct gunyah_fn_vcpu_arg *arg = f->argp;
	struct gunyah_vm *ghvm = f->ghvm;
	struct gunyah_vcpu *vcpu;
	long ret;
	int fd;

	if (!arg || f->arg_size != sizeof(*arg))
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;

	vcpu->ghvm = ghvm;
	vcpu->id = arg->id;
	kref_init(&vcpu->kref);		/* the instance's reference */
	mutex_init(&vcpu->run_lock);
	vcpu->mmio_state = GUNYAH_VCPU_MMIO_NONE;

	vcpu->run_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->run_page) {
		ret = -ENOMEM;
		goto err_free_vcpu;
	}
	vcpu->run = page_address(vcpu->run_page);

	vcpu->ticket.resource_type = GUNYAH_RESOURCE_TYPE_VCPU;
	vcpu->ticket.label = vcpu->id;
	vcpu->ticket.owner = THIS_MODULE;
	vcpu->ticket.populate = gunyah_vcpu_populate;
	vcpu->ticket.unpopulate = gunyah_vcpu_unpopulate;

	ret = gunyah_vm_add_resource_ticket(ghvm, &vcpu->ticket);
	if (ret)
		goto err_free_page;

	if (!gunyah_vm_get(ghvm)) {
		ret = -ENODEV;
		goto err_remove_ticket;
	}

	f->data = vcpu;
	kref_get(&vcpu->kref);		/* the fd's, before the fd can be closed */
	fd = anon_inode_getfd("gunyah-vcpu", &gunyah_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_put_vm;
	}

	return fd;

err_put_vm:
	/* No fd was made: both references are ours, and the vCPU is freed below */
	f->data = NULL;
	gunyah_vm_put(ghvm);
err_remove_ticket:
	gunyah_vm_remove_resource_ticket(ghvm, &vcpu->ticket);
err_free_page:
	__free_page(vcpu->run_page);
err_free_vcpu:
	mutex_destroy(&vcpu->run_lock);
	kfree(vcpu);
	return ret;
}

/**
 * gunyah_vcpu_unbind() - remove a vCPU from its VM
 * @f: the instance
 *
 * Makes a RUN in progress leave with -ENODEV, gives the resource back (freeing the interrupt),
 * waits until no RUN is inside (run_lock) and drops the instance's reference. The fd, if still
 * open, keeps the vCPU and its run page; its RUN fails with -ENODEV.
 *
 * Context: process context, may sleep; gunyah_vm.fn_lock held; takes gunyah_vm.resources_lock
 * and the vCPU's run_lock.
 */
static void gunyah_vcpu_unbind(struct gunyah_vm_function_instance *f)
{
	struct gunyah_vcpu *vcpu = f->data;
	struct gunyah_vm *ghvm = vcpu->ghvm;

	gunyah_vcpu_kick(vcpu);
	gunyah_vm_remove_resource_ticket(ghvm, &vcpu->ticket);

	/* A RUN still inside has seen the kick or sees it at its next check: wait for it */
	mutex_lock(&vcpu->run_lock);
	dev_dbg(ghvm->parent,
		"VM %u vCPU %u removed: %llu MMIO accesses handled in the kernel, %llu by userspace\n",
		ghvm->vmid, vcpu->id, vcpu->nr_mmio_kernel, vcpu->nr_mmio_user);
	mutex_unlock(&vcpu->run_lock);

	kref_put(&vcpu->kref, gunyah_vcpu_free);
}

/**
 * gunyah_vcpu_validate() - check a GUNYAH_VM_REMOVE_FUNCTION argument for a vCPU
 * @fn: the vCPU function type
 * @arg: the argument, or NULL when @size is 0
 * @size: its size
 *
 * Context: process context, no framework lock held.
 * Return: 0 if @arg is a struct gunyah_fn_vcpu_arg, else -EINVAL.
 */
static int gunyah_vcpu_validate(const struct gunyah_vm_function *fn, const void *arg,
				size_t size)
{
	return arg && size == sizeof(struct gunyah_fn_vcpu_arg) ? 0 : -EINVAL;
}

/**
 * gunyah_vcpu_compare() - does a GUNYAH_VM_REMOVE_FUNCTION argument name this vCPU?
 * @f: a vCPU instance
 * @arg: the argument (checked by gunyah_vcpu_validate())
 * @size: its size
 *
 * Context: process context; gunyah_vm.fn_lock held.
 * Return: true if @arg is a struct gunyah_fn_vcpu_arg with this vCPU's id.
 */
static bool gunyah_vcpu_compare(const struct gunyah_vm_function_instance *f, const void *arg,
				size_t size)
{
	const struct gunyah_fn_vcpu_arg *vcpu_arg = arg;
	const struct gunyah_vcpu *vcpu = f->data;

	return vcpu_arg && size == sizeof(*vcpu_arg) && vcpu_arg->id == vcpu->id;
}

/**
 * gunyah_vcpu_key() - the key of an ADD or REMOVE argument: the vCPU's id
 * @fn: the type (unused)
 * @arg: a struct gunyah_fn_vcpu_arg that gunyah_vcpu_bind() or gunyah_vcpu_validate() accepted
 * @size: its size
 *
 * gunyah_vcpu_compare() matches on the id alone, so the id is the key: REMOVE finds the vCPU
 * in O(1).
 *
 * Context: any context.
 * Return: the argument's id.
 */
static u64 gunyah_vcpu_key(const struct gunyah_vm_function *fn, const void *arg, size_t size)
{
	const struct gunyah_fn_vcpu_arg *vcpu_arg = arg;

	return vcpu_arg->id;
}

DECLARE_GUNYAH_VM_FUNCTION_INIT(gunyah_vcpu, GUNYAH_FN_VCPU, 1, gunyah_vcpu_bind,
				gunyah_vcpu_unbind, gunyah_vcpu_compare,
				.validate = gunyah_vcpu_validate, .key = gunyah_vcpu_key);

MODULE_DESCRIPTION("Gunyah VM function: proxy-scheduled vCPUs");
MODULE_LICENSE("GPL");
