// SPDX-License-Identifier: GPL-2.0
/*
 * Gunyah VM manager: /dev/gunyah (one misc device per resource manager), GUNYAH_CREATE_VM, the
 * VM fd and its ioctls, and the VM lifecycle: start, status tracking and teardown.
 *
 * Guest memory is in vm_mgr_mem.c; the VM-function framework (functions, resource tickets, IO
 * handlers) in vm_mgr_fn.c.
 */

#include <linux/anon_inodes.h>
#include <linux/build_bug.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/miscdevice.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <asm/barrier.h>

#include <linux/gunyah.h>
#include <gunyah/rsc_mgr.h>
#include <gunyah/vm_mgr.h>

#include "rsc_mgr.h"
#include "vm_mgr.h"
#include "vm_mgr_fn.h"

/**
 * DOC: Lifetime
 *
 * /dev/gunyah: each RM gets a struct gunyah_vm_mgr with a misc device named "gunyah" (mode 0600),
 * a child of the RM's device, registered by gunyah_vm_mgr_register() at the end of the RM's
 * probe and deregistered by gunyah_vm_mgr_unregister() at the start of its remove. The misc
 * devices are kept in a list keyed by RM pointer (gunyah_vm_mgrs) so that the RM, whose struct
 * is private to rsc_mgr.c, needs no field for them. Only one misc device can have the name: a
 * second RM would fail its probe with -EEXIST (a system has one RM). Opening /dev/gunyah takes a
 * reference to the RM and keeps it in the file, so an fd opened before the RM was unbound keeps
 * a valid RM whose calls fail with -ENODEV, and never touches the freed struct gunyah_vm_mgr.
 *
 * A VM (struct gunyah_vm) is reference counted by gunyah_vm.kref: the VM fd holds one reference
 * and every vCPU fd one (the vCPU function takes it with gunyah_vm_get()); function instances
 * hold none, since the VM removes them when it goes. The VM holds a reference to its RM,
 * mmgrab() of its creator's mm (the pinned pages are charged to it) and its notifier block on
 * the RM's chain. The file operations carry THIS_MODULE, so the module stays while a VM fd is
 * open; a vCPU fd's module depends on this one.
 *
 * The last gunyah_vm_put() destroys the VM at once, in its caller's context (see
 * gunyah_vm_destroy() for the order). It runs in process context without locks: from the
 * release of the last VM or vCPU fd, or from the failure path of GUNYAH_CREATE_VM.
 */

/**
 * DOC: Locking
 *
 * The locks of a VM, in acquisition order (outermost first), with the VM-function framework's
 * (vm_mgr_fn.c) and the RM's (rsc_mgr.c) in their place:
 *
 * 1. gunyah_vm.mm_lock (mutex): serialises the configuration ioctls (memory, DTB, boot context)
 *    against GUNYAH_VM_START and gunyah_vm_ensure_started(). Protects gunyah_vm.mem_mappings
 *    (with each mapping's parcel handle and leak flag), dtb, boot_context and boot_step. Held
 *    across the whole start, RPCs, platform hooks and gunyah_vm_populate_resources() included,
 *    and by the teardown while it reclaims memory (MEM_RECLAIM, its retries and the platform
 *    hook included). Pinning user memory happens without it.
 * 2. gunyah_vm.fn_lock -> gunyah_vm.resources_lock -> gunyah_vm.mmio_bus_lock: the framework's
 *    (DOC: Locking in vm_mgr_fn.c). This file takes none of them itself. It calls
 *    gunyah_vm_populate_resources() under mm_lock (hence mm_lock -> resources_lock), and the
 *    function ioctls, gunyah_vm_remove_functions() and gunyah_vm_release_resources() with no
 *    lock held. mm_lock and fn_lock share a rank and are never nested: bind() and unbind()
 *    must not take mm_lock nor call gunyah_vm_ensure_started().
 * 3. gunyah_rm_platform_ops_lock (rw_semaphore, vm_mgr_mem.c): read-held around a platform
 *    hook, under mm_lock; this file makes no RPC under it (a hook that calls the RM nests
 *    send_lock inside it).
 * 4. The RM's send_lock and its calls' xa_lock, taken inside every RPC one after the other,
 *    never nested (DOC: Locking in rsc_mgr.c). RPCs are made under mm_lock or with no lock,
 *    never under status_lock.
 * 5. gunyah_vm.status_lock (mutex): innermost. Protects vm_status, exit_info and started.
 *    Nothing is taken under it and nothing waits or calls the RM under it.
 *
 * The RM's notifications: gunyah_vm_rm_notification() runs on the RM's ordered workqueue with
 * the chain's rwsem read-held and takes only status_lock (chain rwsem -> status_lock). It never
 * takes mm_lock, and RPC replies come through the RM's RX thread, not that workqueue, so RPCs
 * made under mm_lock never wait for it. Nothing waits for a notification while holding
 * status_lock: the teardown waits for EXITED and RESET holding no lock at all. The notifier is
 * registered and unregistered (chain rwsem write-held) holding no VM lock. Replies may overtake
 * notifications, so gunyah_vm.vm_status only ever moves forward (DOC: VM status).
 *
 * Lockless reads: vm_status is written with smp_store_release() under status_lock and may be
 * read with READ_ONCE() without it, for instance as the condition of a wait on vm_status_wait
 * (a wait_event() condition must not sleep on a mutex). started is written with
 * smp_store_release() holding both mm_lock and status_lock, so it is stable under either, and
 * gunyah_vm_ensure_started() reads it with smp_load_acquire() as a fast path.
 *
 * Global: gunyah_vm_mgrs_lock (mutex) protects the list of VM managers; misc_register() and
 * misc_deregister() (misc_mtx) are called outside it, and the open of /dev/gunyah, which runs
 * under misc_mtx, takes no lock of ours.
 *
 * Callers from outside: gunyah_vm_put() may destroy the VM, which stops it and waits for the RM
 * (up to a few timeouts): call it in process context holding no lock of the VM or the framework
 * and not from an RM notifier callback. gunyah_vm_ensure_started() takes mm_lock and, through
 * gunyah_vm_populate_resources(), resources_lock and the tickets' populate(): a vCPU calls it
 * before it takes its own run lock.
 */

/**
 * DOC: VM status
 *
 * gunyah_vm.vm_status is the VM's state as vCPUs and the teardown see it, in the RM's encoding
 * (enum gunyah_rm_vm_status). The VM manager sets it from its own RPC replies (INIT after
 * VM_CONFIG_IMAGE, READY after VM_INIT, RUNNING after VM_START, INIT_FAILED when the start
 * fails), VM_STATUS notifications set it too, and VM_EXITED sets EXITED after recording
 * gunyah_vm.exit_info. A VM_STATUS of EXITED is not applied: it comes before VM_EXITED, and a
 * vCPU that sees EXITED must find the exit information filled in.
 *
 * Replies can overtake notifications, so an update only applies if it does not move the state
 * back (gunyah_vm_status_rank()): LOAD < INIT, AUTH < READY < RUNNING, PAUSED < INIT_FAILED <
 * EXITED < RESETTING < RESET. A late VM_STATUS(READY) cannot hide the RUNNING set after
 * VM_START's reply, a RUNNING set after a slow reply cannot hide an EXITED that came first, and
 * INIT_FAILED sticks whatever the RM reports about the steps before.
 *
 * gunyah_vm.boot_step records which start RPCs were sent and which succeeded; the teardown
 * decides on it whether to stop and to reset the VM.
 *
 * The teardown cannot give up on a VM the way a failed ioctl can: whatever the RM keeps (a
 * running VM, its parcels, its VM id) stays lost, and its pages stay pinned. So each teardown
 * RPC that fails with an error that can go away (-EBUSY, -EAGAIN, -ENOMEM, -ETIMEDOUT, -EIO:
 * the RM was busy or short of memory, or a message was lost) is retried teardown_retries
 * times, 10 ms apart doubling each time (gunyah_vm_teardown_retry()). Any other error is the
 * RM's answer and is not retried. A lost reply can hide a VM_STOP or VM_RESET that took
 * effect (the retry is then refused), and a lost notification a state that was reached: after
 * a failed VM_STOP or VM_RESET, and after waiting out vm_status_timeout_ms, the VM manager
 * asks the RM for the VM's state (VM_GET_STATE) before it gives up. VM_DEALLOC_VMID is the
 * exception: after a lost message (-ETIMEDOUT, -EIO) the id may be free already and given to
 * a VM created meanwhile, which a retry would free; it is retried only on the RM's answers
 * that it cannot do it yet (-EBUSY, -EAGAIN, -ENOMEM).
 */

static unsigned int vm_status_timeout_ms = 10000;
module_param(vm_status_timeout_ms, uint, 0644);
MODULE_PARM_DESC(vm_status_timeout_ms,
		 "How long VM teardown waits for the RM's exited and reset notifications, in ms (default 10000)");

static unsigned int teardown_retries = 3;
module_param(teardown_retries, uint, 0644);
MODULE_PARM_DESC(teardown_retries,
		 "How often VM teardown retries an RM call that failed transiently (busy, no memory, timed out, I/O error), default 3");

/**
 * struct gunyah_vm_mgr - /dev/gunyah of one RM
 * @miscdev: the misc device "gunyah"
 * @rm: the RM; valid from gunyah_vm_mgr_register() to gunyah_vm_mgr_unregister() (the RM's
 *      probe and remove), so no reference is held
 * @list: in gunyah_vm_mgrs; protected by gunyah_vm_mgrs_lock
 */
struct gunyah_vm_mgr {
	struct miscdevice miscdev;
	struct gunyah_rm *rm;
	struct list_head list;
};

static LIST_HEAD(gunyah_vm_mgrs);
static DEFINE_MUTEX(gunyah_vm_mgrs_lock);

static_assert(GUNYAH_VM_BOOT_CONTEXT_REG_SET_X == GUNYAH_RM_BOOT_REG_SET_X);
static_assert(GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC == GUNYAH_RM_BOOT_REG_SET_PC);
static_assert(GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP == GUNYAH_RM_BOOT_REG_SET_SP);
static_assert(sizeof_field(struct gunyah_vm_exit_info, reason) ==
	      sizeof_field(struct gunyah_rm_vm_exited_payload, exit_reason));

/* ---------------------------------------------------------------------------------------- */
/* VM status                                                                                */

/**
 * gunyah_vm_status_rank() - where a VM status lies in the VM's life
 * @status: a status, possibly an unknown value from the RM
 *
 * Context: any context.
 * Return: the rank (see DOC: VM status), or -1 for a value this driver does not know.
 */
static int gunyah_vm_status_rank(enum gunyah_rm_vm_status status)
{
	switch (status) {
	case GUNYAH_RM_VM_STATUS_NO_STATE:
		return 0;
	case GUNYAH_RM_VM_STATUS_LOAD:
		return 1;
	case GUNYAH_RM_VM_STATUS_INIT:
	case GUNYAH_RM_VM_STATUS_AUTH:
		return 2;
	case GUNYAH_RM_VM_STATUS_READY:
		return 3;
	case GUNYAH_RM_VM_STATUS_RUNNING:
	case GUNYAH_RM_VM_STATUS_PAUSED:
		return 4;
	case GUNYAH_RM_VM_STATUS_INIT_FAILED:
		return 5;
	case GUNYAH_RM_VM_STATUS_EXITED:
		return 6;
	case GUNYAH_RM_VM_STATUS_RESETTING:
		return 7;
	case GUNYAH_RM_VM_STATUS_RESET:
		return 8;
	}
	return -1;
}

/**
 * gunyah_vm_status_reached() - has the VM reached a status (or a later one)?
 * @ghvm: the VM
 * @status: the status
 *
 * Lockless, so usable as a wait_event() condition.
 *
 * Context: any context.
 * Return: true if the rank of the VM's status is at least that of @status.
 */
static bool gunyah_vm_status_reached(struct gunyah_vm *ghvm, enum gunyah_rm_vm_status status)
{
	return gunyah_vm_status_rank(READ_ONCE(ghvm->vm_status)) >= gunyah_vm_status_rank(status);
}

/**
 * gunyah_vm_set_status_locked() - move the VM's status forward
 * @ghvm: the VM
 * @status: the new status; ignored if unknown or if it would move the status back
 *
 * The caller wakes gunyah_vm.vm_status_wait once it has dropped the lock.
 *
 * Context: @ghvm's status_lock held.
 */
static void gunyah_vm_set_status_locked(struct gunyah_vm *ghvm, enum gunyah_rm_vm_status status)
{
	int rank = gunyah_vm_status_rank(status);

	lockdep_assert_held(&ghvm->status_lock);

	if (rank < 0 || rank < gunyah_vm_status_rank(ghvm->vm_status))
		return;
	/* Pairs with the READ_ONCE() of lockless readers; orders exit_info before it */
	smp_store_release(&ghvm->vm_status, status);
}

/**
 * gunyah_vm_set_status() - move the VM's status forward and wake its waiters
 * @ghvm: the VM
 * @status: the new status (see gunyah_vm_set_status_locked())
 *
 * Context: process context, may sleep; takes @ghvm's status_lock.
 */
static void gunyah_vm_set_status(struct gunyah_vm *ghvm, enum gunyah_rm_vm_status status)
{
	mutex_lock(&ghvm->status_lock);
	gunyah_vm_set_status_locked(ghvm, status);
	mutex_unlock(&ghvm->status_lock);
	wake_up_all(&ghvm->vm_status_wait);
}

/**
 * gunyah_vm_wait_status() - wait until the VM reaches a status, with the teardown timeout
 * @ghvm: the VM
 * @status: the status to wait for (or a later one)
 *
 * Context: process context, may sleep; holding no lock the notifier callback takes.
 * Return: true if the status was reached, false on timeout.
 */
static bool gunyah_vm_wait_status(struct gunyah_vm *ghvm, enum gunyah_rm_vm_status status)
{
	unsigned long timeout = msecs_to_jiffies(READ_ONCE(vm_status_timeout_ms));

	return wait_event_timeout(ghvm->vm_status_wait, gunyah_vm_status_reached(ghvm, status),
				  timeout) > 0;
}

/**
 * gunyah_vm_notif_status() - handle a VM_STATUS notification
 * @ghvm: the VM
 * @notif: the notification; ignored unless it is well formed and about @ghvm
 *
 * Context: the RM's notification workqueue; takes @ghvm's status_lock.
 */
static void gunyah_vm_notif_status(struct gunyah_vm *ghvm, const struct gunyah_rm_notif *notif)
{
	struct gunyah_rm_vm_status_payload payload;

	if (gunyah_rm_notif_vm_status(notif->payload, notif->size, &payload)) {
		dev_dbg(ghvm->parent, "VM %u: malformed VM_STATUS notification\n", ghvm->vmid);
		return;
	}
	if (payload.vmid != ghvm->vmid)
		return;

	/* EXITED is applied with VM_EXITED, which carries the exit information */
	if (payload.vm_status == GUNYAH_RM_VM_STATUS_EXITED)
		return;

	gunyah_vm_set_status(ghvm, payload.vm_status);
}

/**
 * gunyah_vm_notif_exited() - handle a VM_EXITED notification
 * @ghvm: the VM
 * @notif: the notification; ignored unless it is well formed and about @ghvm
 *
 * Records the exit information, then sets the status to EXITED: a vCPU that sees EXITED finds
 * the information. Only the first exit is recorded.
 *
 * Context: the RM's notification workqueue; takes @ghvm's status_lock.
 */
static void gunyah_vm_notif_exited(struct gunyah_vm *ghvm, const struct gunyah_rm_notif *notif)
{
	struct gunyah_rm_vm_exited_payload payload;

	if (gunyah_rm_notif_vm_exited(notif->payload, notif->size, &payload)) {
		dev_dbg(ghvm->parent, "VM %u: malformed VM_EXITED notification\n", ghvm->vmid);
		return;
	}
	if (payload.vmid != ghvm->vmid)
		return;

	mutex_lock(&ghvm->status_lock);
	if (!gunyah_vm_status_reached(ghvm, GUNYAH_RM_VM_STATUS_EXITED)) {
		ghvm->exit_info.type = payload.exit_type;
		ghvm->exit_info.padding = 0;
		ghvm->exit_info.reason_size = payload.exit_reason_size;
		memcpy(ghvm->exit_info.reason, payload.exit_reason, sizeof(ghvm->exit_info.reason));
		gunyah_vm_set_status_locked(ghvm, GUNYAH_RM_VM_STATUS_EXITED);
	}
	mutex_unlock(&ghvm->status_lock);
	wake_up_all(&ghvm->vm_status_wait);
}

/**
 * gunyah_vm_rm_notification() - the VM's callback on the RM's notifier chain
 * @nb: gunyah_vm.nb
 * @action: the notification's message id
 * @data: the struct gunyah_rm_notif
 *
 * VM_STATUS and VM_EXITED about this VM are handled; everything else is ignored.
 *
 * Context: process context on the RM's ordered notification workqueue, the chain's rwsem
 * read-held; may sleep.
 * Return: NOTIFY_OK for a notification this VM manager handles, else NOTIFY_DONE (the chain
 * always goes on: other VMs need the same notifications).
 */
static int gunyah_vm_rm_notification(struct notifier_block *nb, unsigned long action, void *data)
{
	struct gunyah_vm *ghvm = container_of(nb, struct gunyah_vm, nb);
	const struct gunyah_rm_notif *notif = data;

	switch (action) {
	case GUNYAH_RM_NOTIFICATION_VM_STATUS:
		gunyah_vm_notif_status(ghvm, notif);
		return NOTIFY_OK;
	case GUNYAH_RM_NOTIFICATION_VM_EXITED:
		gunyah_vm_notif_exited(ghvm, notif);
		return NOTIFY_OK;
	default:
		return NOTIFY_DONE;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Start                                                                                    */

/**
 * gunyah_vm_send_boot_context() - hand the boot registers userspace set to the RM
 * @ghvm: the VM, initialised by the RM (VM_INIT)
 *
 * Nothing is sent when userspace set no register, so an RM without VM_SET_BOOT_CONTEXT (the
 * open-source RM answers UNIMPLEMENTED) starts such VMs.
 *
 * Context: process context, may sleep; @ghvm's mm_lock held.
 * Return: 0, or the errno of gunyah_rm_vm_set_boot_context() (-EOPNOTSUPP if the RM cannot).
 */
static int gunyah_vm_send_boot_context(struct gunyah_vm *ghvm)
{
	unsigned long reg;
	u64 *value;
	int ret;

	lockdep_assert_held(&ghvm->mm_lock);

	xa_for_each(&ghvm->boot_context, reg, value) {
		ret = gunyah_rm_vm_set_boot_context(ghvm->rm, ghvm->vmid, reg >> 8, reg & 0xff,
						    *value);
		if (ret) {
			dev_err_ratelimited(ghvm->parent,
					    "VM %u: failed to set boot register %#lx: %d\n",
					    ghvm->vmid, reg, ret);
			return ret;
		}
	}
	return 0;
}

/**
 * gunyah_vm_get_resources() - get the VM's hypervisor resources and hand them to the functions
 * @ghvm: the VM, initialised by the RM (VM_INIT)
 *
 * Context: process context, may sleep; @ghvm's mm_lock held (gunyah_vm_populate_resources()
 * takes resources_lock).
 * Return: 0, or the errno of gunyah_rm_get_hyp_resources() or gunyah_vm_populate_resources().
 */
static int gunyah_vm_get_resources(struct gunyah_vm *ghvm)
{
	struct gunyah_rm_hyp_resources *resources;
	int ret;

	lockdep_assert_held(&ghvm->mm_lock);

	ret = gunyah_rm_get_hyp_resources(ghvm->rm, ghvm->vmid, &resources);
	if (ret) {
		dev_err_ratelimited(ghvm->parent, "VM %u: failed to get its resources: %d\n",
				    ghvm->vmid, ret);
		return ret;
	}

	ret = gunyah_vm_populate_resources(ghvm, resources);
	kfree(resources);
	if (ret)
		dev_err_ratelimited(ghvm->parent, "VM %u: failed to set up its resources: %d\n",
				    ghvm->vmid, ret);
	return ret;
}

/**
 * gunyah_vm_boot() - the steps of GUNYAH_VM_START, in the order the RM expects
 * @ghvm: the VM, never started
 *
 * Checks the DTB location, shares or lends every memory region, configures the VM with the
 * region that holds the DTB (VM_CONFIG_IMAGE), initialises it (VM_INIT), sets the boot context,
 * gets and hands out its resources, and starts it (VM_START). gunyah_vm.boot_step records how
 * far it got; every intermediate state is one the teardown undoes.
 *
 * Context: process context, may sleep; @ghvm's mm_lock held.
 * Return: 0; -EINVAL if no DTB location was set or it is not inside one memory region; or the
 * errno of the step that failed (platform hook, share/lend, or an RPC).
 */
static int gunyah_vm_boot(struct gunyah_vm *ghvm)
{
	struct gunyah_vm_mem_mapping *dtb_mapping;
	u64 dtb_offset;
	int ret;

	lockdep_assert_held(&ghvm->mm_lock);

	if (!ghvm->dtb.size) {
		dev_err_ratelimited(ghvm->parent, "VM %u: no DTB location was set\n", ghvm->vmid);
		return -EINVAL;
	}

	/* Checked before anything is given to the RM */
	dtb_mapping = gunyah_vm_mem_find(ghvm, ghvm->dtb.guest_phys_addr, ghvm->dtb.size);
	if (!dtb_mapping) {
		dev_err_ratelimited(ghvm->parent,
				    "VM %u: the DTB [%#llx, +%#llx) is not inside one memory region\n",
				    ghvm->vmid, ghvm->dtb.guest_phys_addr, ghvm->dtb.size);
		return -EINVAL;
	}
	dtb_offset = ghvm->dtb.guest_phys_addr - dtb_mapping->guest_phys_addr;

	ret = gunyah_vm_mem_share_all(ghvm);
	if (ret)
		return ret;

	ghvm->boot_step = GUNYAH_VM_BOOT_CONFIG_SENT;
	ret = gunyah_rm_vm_configure(ghvm->rm, ghvm->vmid, GUNYAH_RM_VM_AUTH_NONE,
				     dtb_mapping->parcel.mem_handle, 0, 0, dtb_offset,
				     ghvm->dtb.size);
	if (ret) {
		dev_err_ratelimited(ghvm->parent, "VM %u: failed to configure the image: %d\n",
				    ghvm->vmid, ret);
		return ret;
	}
	gunyah_vm_set_status(ghvm, GUNYAH_RM_VM_STATUS_INIT);

	ret = gunyah_rm_vm_init(ghvm->rm, ghvm->vmid);
	if (ret) {
		dev_err_ratelimited(ghvm->parent, "VM %u: failed to initialise: %d\n",
				    ghvm->vmid, ret);
		return ret;
	}
	ghvm->boot_step = GUNYAH_VM_BOOT_INIT_DONE;
	gunyah_vm_set_status(ghvm, GUNYAH_RM_VM_STATUS_READY);

	ret = gunyah_vm_send_boot_context(ghvm);
	if (ret)
		return ret;

	ret = gunyah_vm_get_resources(ghvm);
	if (ret)
		return ret;

	ghvm->boot_step = GUNYAH_VM_BOOT_START_SENT;
	ret = gunyah_rm_vm_start(ghvm->rm, ghvm->vmid);
	if (ret) {
		dev_err_ratelimited(ghvm->parent, "VM %u: failed to start: %d\n", ghvm->vmid, ret);
		return ret;
	}
	ghvm->boot_step = GUNYAH_VM_BOOT_STARTED;
	return 0;
}

/**
 * gunyah_vm_start() - start the VM, once
 * @ghvm: the VM
 *
 * Whatever the outcome, the VM counts as started from now on: the configuration ioctls answer
 * -EBUSY and further starts -EALREADY. On failure the status becomes INIT_FAILED, for good.
 *
 * Context: process context, may sleep; @ghvm's mm_lock held; takes status_lock.
 * Return: 0; -EALREADY if the VM was started before; or an errno of gunyah_vm_boot().
 */
static int gunyah_vm_start(struct gunyah_vm *ghvm)
{
	int ret;

	lockdep_assert_held(&ghvm->mm_lock);

	if (ghvm->started)
		return -EALREADY;

	ret = gunyah_vm_boot(ghvm);

	mutex_lock(&ghvm->status_lock);
	gunyah_vm_set_status_locked(ghvm, ret ? GUNYAH_RM_VM_STATUS_INIT_FAILED :
						GUNYAH_RM_VM_STATUS_RUNNING);
	/* Pairs with smp_load_acquire() in gunyah_vm_ensure_started() */
	smp_store_release(&ghvm->started, true);
	mutex_unlock(&ghvm->status_lock);
	wake_up_all(&ghvm->vm_status_wait);

	return ret;
}

/**
 * gunyah_vm_ensure_started() - start the VM unless it has been started
 * @ghvm: the VM; the caller holds a reference
 *
 * The first GUNYAH_VCPU_RUN of a VM that userspace did not start with GUNYAH_VM_START starts it
 * through this function. A VM whose start failed is not started again: the vCPU then finds
 * gunyah_vm.vm_status at GUNYAH_RM_VM_STATUS_INIT_FAILED and reports
 * GUNYAH_VM_STATUS_LOAD_FAILED.
 *
 * Context: process context, may sleep (for the whole start); takes @ghvm's mm_lock and, through
 * the start, resources_lock and the tickets' populate(): call it before taking locks those take
 * (a vCPU's run lock).
 * Return: 0 if the VM has been started, by this call or before, whether or not that start
 * succeeded (read gunyah_vm.vm_status); if this call started the VM and the start failed, the
 * errno of GUNYAH_VM_START; -EINTR if a fatal signal arrived while waiting for the lock.
 */
int gunyah_vm_ensure_started(struct gunyah_vm *ghvm)
{
	int ret;

	/* Pairs with smp_store_release() in gunyah_vm_start(): a started VM is fully set up */
	if (smp_load_acquire(&ghvm->started))
		return 0;

	ret = mutex_lock_killable(&ghvm->mm_lock);
	if (ret)
		return ret;
	ret = ghvm->started ? 0 : gunyah_vm_start(ghvm);
	mutex_unlock(&ghvm->mm_lock);

	return ret;
}
EXPORT_SYMBOL_GPL(gunyah_vm_ensure_started);

/* ---------------------------------------------------------------------------------------- */
/* Teardown                                                                                 */

/**
 * gunyah_vm_teardown_retry() - should the teardown retry an RM call that failed?
 * @ghvm: the VM being torn down
 * @what: the call, for the debug message
 * @ret: the error it failed with
 * @attempt: retries made so far; counted up when the answer is yes
 *
 * Yes for an error that can go away (-EBUSY, -EAGAIN, -ENOMEM, -ETIMEDOUT, -EIO), at most
 * teardown_retries times; it then sleeps 10 ms, doubled at each retry, before returning.
 *
 * Context: process context, may sleep; no lock held, or @ghvm's mm_lock (gunyah_vm_mem_reclaim(),
 * on a VM nobody else can reach).
 * Return: true if the caller should make the call again.
 */
bool gunyah_vm_teardown_retry(struct gunyah_vm *ghvm, const char *what, int ret,
			      unsigned int *attempt)
{
	switch (ret) {
	case -EBUSY:
	case -EAGAIN:
	case -ENOMEM:
	case -ETIMEDOUT:
	case -EIO:
		break;
	default:
		return false;
	}
	if (*attempt >= READ_ONCE(teardown_retries))
		return false;

	dev_dbg(ghvm->parent, "VM %u: %s failed (%d), retrying\n", ghvm->vmid, what, ret);
	msleep(10U << min(*attempt, 6U));
	(*attempt)++;
	return true;
}

/**
 * gunyah_vm_teardown_call() - make a VM-id-only RM call, retried as the teardown does
 * @ghvm: the VM being torn down
 * @what: the call, for the debug message
 * @call: the RPC
 *
 * Context: process context, may sleep (each attempt up to the RPC timeout); no lock held.
 * Return: 0, or the error of the last attempt.
 */
static int gunyah_vm_teardown_call(struct gunyah_vm *ghvm, const char *what,
				   int (*call)(struct gunyah_rm *rm, u16 vmid))
{
	unsigned int attempt = 0;
	int ret;

	do {
		ret = call(ghvm->rm, ghvm->vmid);
	} while (ret && gunyah_vm_teardown_retry(ghvm, what, ret, &attempt));
	return ret;
}

/**
 * gunyah_vm_sync_status() - learn the VM's state from the RM (VM_GET_STATE)
 * @ghvm: the VM being torn down
 *
 * For when a reply or a notification may have been lost. The state the RM reports moves
 * gunyah_vm.vm_status forward like a notification would (an EXITED included: no vCPU is left
 * to look for the exit information).
 *
 * Context: process context, may sleep; no lock held; takes @ghvm's status_lock.
 * Return: true if the RM answered, false if not (the status is unchanged).
 */
static bool gunyah_vm_sync_status(struct gunyah_vm *ghvm)
{
	struct gunyah_rm_vm_status_payload state;
	unsigned int attempt = 0;
	int ret;

	do {
		ret = gunyah_rm_vm_get_state(ghvm->rm, ghvm->vmid, &state);
	} while (ret && gunyah_vm_teardown_retry(ghvm, "VM_GET_STATE", ret, &attempt));
	if (ret) {
		dev_dbg(ghvm->parent, "VM %u: VM_GET_STATE failed: %d\n", ghvm->vmid, ret);
		return false;
	}
	gunyah_vm_set_status(ghvm, state.vm_status);
	return true;
}

/**
 * gunyah_vm_stop() - stop the VM if it may be running, and wait until it has
 * @ghvm: the VM, unreachable
 *
 * Nothing is done unless VM_START was sent and the VM has not been seen exiting. VM_STOP is
 * retried while it fails transiently. When it still fails, the RM is asked for the VM's state:
 * the VM may have stopped anyway (a lost reply), exited on its own meanwhile, or never started;
 * the failure is logged only when VM_START had succeeded and the VM still has not exited. When
 * no exit notification comes in time, the RM is asked too before that is logged.
 *
 * Context: process context, may sleep (up to the RPC timeout per attempt and
 * vm_status_timeout_ms); no lock held.
 */
static void gunyah_vm_stop(struct gunyah_vm *ghvm)
{
	int ret;

	if (ghvm->boot_step < GUNYAH_VM_BOOT_START_SENT ||
	    gunyah_vm_status_reached(ghvm, GUNYAH_RM_VM_STATUS_EXITED))
		return;

	ret = gunyah_vm_teardown_call(ghvm, "VM_STOP", gunyah_rm_vm_stop);
	if (ret) {
		gunyah_vm_sync_status(ghvm);
		if (ghvm->boot_step == GUNYAH_VM_BOOT_STARTED &&
		    !gunyah_vm_status_reached(ghvm, GUNYAH_RM_VM_STATUS_EXITED))
			dev_err_ratelimited(ghvm->parent, "VM %u: failed to stop: %d\n",
					    ghvm->vmid, ret);
		return;
	}

	if (gunyah_vm_wait_status(ghvm, GUNYAH_RM_VM_STATUS_EXITED))
		return;
	if (gunyah_vm_sync_status(ghvm) &&
	    gunyah_vm_status_reached(ghvm, GUNYAH_RM_VM_STATUS_EXITED))
		return;
	dev_err_ratelimited(ghvm->parent, "VM %u: no exit notification after VM_STOP\n",
			    ghvm->vmid);
}

/**
 * gunyah_vm_reset() - have the RM reset the VM, and wait until it has
 * @ghvm: the VM, unreachable, stopped if it ran
 *
 * The RM resets a VM in EXITED, READY or INIT_FAILED; in LOAD, INIT or AUTH it refuses and no
 * RESET notification ever comes (gunyah-abi-facts 4.3). So nothing is sent while the RM cannot
 * have left LOAD (VM_CONFIG_IMAGE never sent), and the wait for the RESET notification happens
 * only when the RM accepted VM_RESET. A VM whose VM_INIT did not complete may sit in INIT: it is
 * sent VM_INIT once more, so that VM_RESET (and later VM_DEALLOC_VMID) can succeed. Each call
 * is retried while it fails transiently; when VM_RESET still fails, the RM is asked whether
 * the VM is resetting anyway (a lost reply). A refusal is an error only when VM_INIT had
 * succeeded; after a failed VM_CONFIG_IMAGE the RM may legitimately be in a state it cannot
 * reset from. When no RESET notification comes in time, the RM is asked before that is
 * logged.
 *
 * Context: process context, may sleep (up to the RPC timeout per attempt and
 * vm_status_timeout_ms); no lock held.
 */
static void gunyah_vm_reset(struct gunyah_vm *ghvm)
{
	int ret;

	if (ghvm->boot_step < GUNYAH_VM_BOOT_CONFIG_SENT)
		return;

	ret = gunyah_vm_teardown_call(ghvm, "VM_RESET", gunyah_rm_vm_reset);
	if (ret && ghvm->boot_step == GUNYAH_VM_BOOT_CONFIG_SENT) {
		/*
		 * VM_INIT never completed (it failed on the way, or timed out), so the RM may hold
		 * the VM in INIT, which it neither resets nor deallocates: the VM id would be lost
		 * until the RM restarts. The only way out of INIT is VM_INIT (to READY, or to
		 * INIT_FAILED if it fails in the RM); VM_RESET is accepted from both.
		 */
		if (!gunyah_vm_teardown_call(ghvm, "VM_INIT", gunyah_rm_vm_init))
			ghvm->boot_step = GUNYAH_VM_BOOT_INIT_DONE;
		ret = gunyah_vm_teardown_call(ghvm, "VM_RESET", gunyah_rm_vm_reset);
	}
	if (ret && !(gunyah_vm_sync_status(ghvm) &&
		     gunyah_vm_status_reached(ghvm, GUNYAH_RM_VM_STATUS_RESETTING))) {
		if (ghvm->boot_step >= GUNYAH_VM_BOOT_INIT_DONE)
			dev_err_ratelimited(ghvm->parent, "VM %u: failed to reset: %d\n",
					    ghvm->vmid, ret);
		else
			dev_dbg(ghvm->parent, "VM %u: not reset (%d): it was never initialised\n",
				ghvm->vmid, ret);
		return;
	}

	if (gunyah_vm_wait_status(ghvm, GUNYAH_RM_VM_STATUS_RESET))
		return;
	if (gunyah_vm_sync_status(ghvm) &&
	    gunyah_vm_status_reached(ghvm, GUNYAH_RM_VM_STATUS_RESET))
		return;
	dev_err_ratelimited(ghvm->parent, "VM %u: no RESET notification after VM_RESET\n",
			    ghvm->vmid);
}

/**
 * gunyah_vm_dealloc_vmid() - give the VM id back to the RM
 * @ghvm: the VM, reset (or never configured)
 *
 * VM_DEALLOC_VMID is retried only while the RM answers that it cannot do it yet (-EBUSY,
 * -EAGAIN, -ENOMEM). Not after a lost message (-ETIMEDOUT, -EIO): the RM may have freed the id
 * and given it to a VM created since, and a retry would free that VM's id. When the call
 * failed, the RM is asked whether it knows the VM at all: after a lost reply it may have
 * freed the id already, which is not an error. (If a new VM has the id by then, the failure
 * is logged although this VM's id was freed.)
 *
 * Context: process context, may sleep; no lock held.
 */
static void gunyah_vm_dealloc_vmid(struct gunyah_vm *ghvm)
{
	struct gunyah_rm_vm_status_payload state;
	unsigned int attempt = 0;
	int ret;

	do {
		ret = gunyah_rm_dealloc_vmid(ghvm->rm, ghvm->vmid);
	} while ((ret == -EBUSY || ret == -EAGAIN || ret == -ENOMEM) &&
		 gunyah_vm_teardown_retry(ghvm, "VM_DEALLOC_VMID", ret, &attempt));
	if (ret && gunyah_rm_vm_get_state(ghvm->rm, ghvm->vmid, &state) != -ENODEV)
		dev_err_ratelimited(ghvm->parent, "VM %u: failed to free the VM id: %d\n",
				    ghvm->vmid, ret);
}

/**
 * gunyah_vm_free_boot_context() - free the stored boot registers
 * @ghvm: the VM, unreachable
 *
 * Context: process context.
 */
static void gunyah_vm_free_boot_context(struct gunyah_vm *ghvm)
{
	unsigned long reg;
	u64 *value;

	xa_for_each(&ghvm->boot_context, reg, value)
		kfree(value);
	xa_destroy(&ghvm->boot_context);
}

/**
 * gunyah_vm_destroy() - tear a VM down once its last reference is gone
 * @ghvm: the VM; nobody else can reach it any more
 *
 * In this order (gunyah-abi-facts 4.3), each RM call retried while it fails transiently (see
 * DOC: VM status), each failure logged and the following steps run anyway:
 * stop the VM if it may run, and wait for its exit; remove the function instances; release the
 * resources (tickets, interrupts); reset the VM if the RM can, and wait for the reset; reclaim
 * every memory parcel and unpin its pages (leaking those that cannot be reclaimed); free the
 * boot context; give the VM id back; leave the RM's notifier chain; drop the mm and the RM.
 *
 * Context: process context, may sleep for seconds; no lock held, not from an RM notifier.
 */
static void gunyah_vm_destroy(struct gunyah_vm *ghvm)
{
	struct gunyah_rm *rm = ghvm->rm;
	int ret;

	gunyah_vm_stop(ghvm);
	gunyah_vm_remove_functions(ghvm);
	gunyah_vm_release_resources(ghvm);
	gunyah_vm_reset(ghvm);
	gunyah_vm_mem_reclaim_all(ghvm);
	gunyah_vm_free_boot_context(ghvm);

	gunyah_vm_dealloc_vmid(ghvm);

	/* After this no notification callback runs for the VM: it may be freed */
	ret = gunyah_rm_notifier_unregister(rm, &ghvm->nb);
	if (ret)
		dev_err_ratelimited(ghvm->parent, "VM %u: failed to leave the RM's notifier: %d\n",
				    ghvm->vmid, ret);

	mmdrop(ghvm->mm);
	mutex_destroy(&ghvm->mm_lock);
	mutex_destroy(&ghvm->status_lock);
	kfree(ghvm);
	gunyah_rm_put(rm);
}

/**
 * gunyah_vm_release() - kref release of a VM
 * @kref: gunyah_vm.kref
 *
 * Context: see gunyah_vm_put().
 */
static void gunyah_vm_release(struct kref *kref)
{
	gunyah_vm_destroy(container_of(kref, struct gunyah_vm, kref));
}

/**
 * gunyah_vm_get() - take a reference to a VM
 * @ghvm: the VM
 *
 * For objects that outlive the call they were made in, such as a vCPU fd.
 *
 * Context: any context.
 * Return: true, or false if the VM is being destroyed (its last reference is gone).
 */
bool __must_check gunyah_vm_get(struct gunyah_vm *ghvm)
{
	return kref_get_unless_zero(&ghvm->kref);
}
EXPORT_SYMBOL_GPL(gunyah_vm_get);

/**
 * gunyah_vm_put() - drop a reference to a VM
 * @ghvm: the VM
 *
 * Dropping the last reference destroys the VM before this returns (gunyah_vm_destroy()): it
 * stops the VM, removes its functions and waits for the RM.
 *
 * Context: process context, may sleep for seconds; holding no lock of the VM or the framework,
 * and not from an RM notifier callback.
 */
void gunyah_vm_put(struct gunyah_vm *ghvm)
{
	might_sleep();
	kref_put(&ghvm->kref, gunyah_vm_release);
}
EXPORT_SYMBOL_GPL(gunyah_vm_put);

/* ---------------------------------------------------------------------------------------- */
/* The VM fd                                                                                */

/**
 * gunyah_vm_ioctl_set_user_mem_region() - GUNYAH_VM_SET_USER_MEM_REGION
 * @ghvm: the VM
 * @argp: user pointer to a struct gunyah_userspace_memory_region
 *
 * Context: process context, may sleep.
 * Return: 0, -EFAULT if the argument cannot be read, or an errno of
 * gunyah_vm_mem_add_user_region().
 */
static long gunyah_vm_ioctl_set_user_mem_region(struct gunyah_vm *ghvm, void __user *argp)
{
	struct gunyah_userspace_memory_region region;

	if (copy_from_user(&region, argp, sizeof(region)))
		return -EFAULT;

	return gunyah_vm_mem_add_user_region(ghvm, &region);
}

/**
 * gunyah_vm_ioctl_set_dtb_config() - GUNYAH_VM_SET_DTB_CONFIG
 * @ghvm: the VM
 * @argp: user pointer to a struct gunyah_vm_dtb_config
 *
 * Only records the location: GUNYAH_VM_START checks that it lies inside one memory region.
 *
 * Context: process context, may sleep; takes @ghvm's mm_lock.
 * Return: 0; -EFAULT; -EINVAL if the size is 0 or the range overflows; -EBUSY if the VM has
 * been started; -EINTR on a fatal signal.
 */
static long gunyah_vm_ioctl_set_dtb_config(struct gunyah_vm *ghvm, void __user *argp)
{
	struct gunyah_vm_dtb_config dtb;
	u64 end;
	int ret;

	if (copy_from_user(&dtb, argp, sizeof(dtb)))
		return -EFAULT;

	if (!dtb.size || check_add_overflow(dtb.guest_phys_addr, dtb.size, &end))
		return -EINVAL;

	ret = mutex_lock_killable(&ghvm->mm_lock);
	if (ret)
		return ret;
	if (ghvm->started)
		ret = -EBUSY;
	else
		ghvm->dtb = dtb;
	mutex_unlock(&ghvm->mm_lock);

	return ret;
}

/**
 * gunyah_vm_boot_context_check() - check a boot register of GUNYAH_VM_SET_BOOT_CONTEXT
 * @ctx: the argument
 *
 * Context: any context.
 * Return: 0, or -EINVAL if @ctx->reserved is not 0, the register set is unknown, or the index
 * is out of its set (X: 0-31; PC: 0; SP: 0-2).
 */
static int gunyah_vm_boot_context_check(const struct gunyah_vm_boot_context *ctx)
{
	u32 reg_set = ctx->reg >> 8;	/* bits above the set's byte make it unknown */
	u32 index = ctx->reg & 0xff;

	if (ctx->reserved)
		return -EINVAL;

	switch (reg_set) {
	case GUNYAH_VM_BOOT_CONTEXT_REG_SET_X:
		return index <= 31 ? 0 : -EINVAL;
	case GUNYAH_VM_BOOT_CONTEXT_REG_SET_PC:
		return index == 0 ? 0 : -EINVAL;
	case GUNYAH_VM_BOOT_CONTEXT_REG_SET_SP:
		return index <= 2 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/**
 * gunyah_vm_ioctl_set_boot_context() - GUNYAH_VM_SET_BOOT_CONTEXT
 * @ghvm: the VM
 * @argp: user pointer to a struct gunyah_vm_boot_context
 *
 * Stores the value, replacing an earlier one for the same register; GUNYAH_VM_START sends it.
 *
 * Context: process context, may sleep; takes @ghvm's mm_lock.
 * Return: 0; -EFAULT; -EINVAL (see gunyah_vm_boot_context_check()); -EBUSY if the VM has been
 * started; -ENOMEM; -EINTR on a fatal signal.
 */
static long gunyah_vm_ioctl_set_boot_context(struct gunyah_vm *ghvm, void __user *argp)
{
	struct gunyah_vm_boot_context ctx;
	u64 *value, *old;
	int ret;

	if (copy_from_user(&ctx, argp, sizeof(ctx)))
		return -EFAULT;

	ret = gunyah_vm_boot_context_check(&ctx);
	if (ret)
		return ret;

	value = kmalloc(sizeof(*value), GFP_KERNEL_ACCOUNT);
	if (!value)
		return -ENOMEM;
	*value = ctx.value;

	ret = mutex_lock_killable(&ghvm->mm_lock);
	if (ret)
		goto err_free;

	if (ghvm->started) {
		ret = -EBUSY;
	} else {
		old = xa_store(&ghvm->boot_context, ctx.reg, value, GFP_KERNEL_ACCOUNT);
		ret = xa_err(old);
		if (!ret)
			kfree(old);
	}
	mutex_unlock(&ghvm->mm_lock);

	if (ret)
		goto err_free;
	return 0;

err_free:
	kfree(value);
	return ret;
}

/**
 * gunyah_vm_ioctl_start() - GUNYAH_VM_START
 * @ghvm: the VM
 *
 * Context: process context, may sleep; takes @ghvm's mm_lock.
 * Return: 0; -EALREADY if the VM was started before (successfully or not); -EINTR on a fatal
 * signal; or an errno of gunyah_vm_boot().
 */
static long gunyah_vm_ioctl_start(struct gunyah_vm *ghvm)
{
	int ret;

	ret = mutex_lock_killable(&ghvm->mm_lock);
	if (ret)
		return ret;
	ret = gunyah_vm_start(ghvm);
	mutex_unlock(&ghvm->mm_lock);

	return ret;
}

/**
 * gunyah_vm_ioctl_function() - GUNYAH_VM_ADD_FUNCTION and GUNYAH_VM_REMOVE_FUNCTION
 * @ghvm: the VM
 * @argp: user pointer to a struct gunyah_fn_desc
 * @add: add (true) or remove (false)
 *
 * The descriptor is copied to the stack; the framework copies the argument it points to.
 *
 * Context: process context, may sleep; no VM lock held (the framework takes fn_lock).
 * Return: -EFAULT, or what gunyah_vm_add_function() / gunyah_vm_rm_function() return.
 */
static long gunyah_vm_ioctl_function(struct gunyah_vm *ghvm, void __user *argp, bool add)
{
	struct gunyah_fn_desc desc;

	if (copy_from_user(&desc, argp, sizeof(desc)))
		return -EFAULT;

	return add ? gunyah_vm_add_function(ghvm, &desc) : gunyah_vm_rm_function(ghvm, &desc);
}

/**
 * gunyah_vm_ioctl() - ioctls of the VM fd
 * @filp: the VM fd
 * @cmd: the ioctl
 * @arg: its argument: a user pointer, or unused
 *
 * Context: process context, may sleep.
 * Return: see each ioctl; -ENOTTY for an ioctl the VM fd does not take.
 */
static long gunyah_vm_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct gunyah_vm *ghvm = filp->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case GUNYAH_VM_SET_USER_MEM_REGION:
		return gunyah_vm_ioctl_set_user_mem_region(ghvm, argp);
	case GUNYAH_VM_SET_DTB_CONFIG:
		return gunyah_vm_ioctl_set_dtb_config(ghvm, argp);
	case GUNYAH_VM_START:
		return gunyah_vm_ioctl_start(ghvm);
	case GUNYAH_VM_ADD_FUNCTION:
		return gunyah_vm_ioctl_function(ghvm, argp, true);
	case GUNYAH_VM_REMOVE_FUNCTION:
		return gunyah_vm_ioctl_function(ghvm, argp, false);
	case GUNYAH_VM_SET_BOOT_CONTEXT:
		return gunyah_vm_ioctl_set_boot_context(ghvm, argp);
	default:
		return -ENOTTY;
	}
}

/**
 * gunyah_vm_file_release() - close of the VM fd
 * @inode: its inode
 * @filp: the VM fd
 *
 * Drops the fd's reference: the last one destroys the VM.
 *
 * Context: process context (the last fput()), no lock held.
 * Return: 0.
 */
static int gunyah_vm_file_release(struct inode *inode, struct file *filp)
{
	gunyah_vm_put(filp->private_data);
	return 0;
}

/*
 * Every ioctl argument is a pointer to a structure with the same layout for 32-bit and 64-bit
 * processes (fixed-width members, explicit padding), or unused: compat_ptr_ioctl() only has to
 * convert the pointer.
 */
static const struct file_operations gunyah_vm_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = gunyah_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = gunyah_vm_file_release,
	.llseek = noop_llseek,
};

/* ---------------------------------------------------------------------------------------- */
/* /dev/gunyah                                                                              */

/**
 * gunyah_vm_alloc() - create a VM object with a VM id from the RM
 * @rm: the RM
 *
 * Asks the RM for the host's VM id (for the ACLs of shared memory) and a new VM id, records the
 * caller's mm, and joins the RM's notifier chain. On failure everything done is undone.
 *
 * Context: process context, may sleep; no lock held.
 * Return: the VM with one reference, status LOAD; or ERR_PTR() of -ENOMEM or an errno of
 * gunyah_rm_get_vmid(), gunyah_rm_alloc_vmid() or gunyah_rm_notifier_register().
 */
static struct gunyah_vm *gunyah_vm_alloc(struct gunyah_rm *rm)
{
	struct gunyah_vm *ghvm;
	u16 host_vmid;
	int vmid, ret;

	ghvm = kzalloc(sizeof(*ghvm), GFP_KERNEL_ACCOUNT);
	if (!ghvm)
		return ERR_PTR(-ENOMEM);

	ret = gunyah_rm_get_vmid(rm, &host_vmid);
	if (ret) {
		dev_err_ratelimited(gunyah_rm_dev(rm), "failed to get the host's VM id: %d\n", ret);
		goto err_free;
	}

	vmid = gunyah_rm_alloc_vmid(rm, 0);
	if (vmid < 0) {
		ret = vmid;
		dev_err_ratelimited(gunyah_rm_dev(rm), "failed to allocate a VM id: %d\n", ret);
		goto err_free;
	}

	ghvm->vmid = vmid;
	ghvm->host_vmid = host_vmid;
	ghvm->rm = gunyah_rm_get(rm);
	ghvm->parent = gunyah_rm_dev(rm);
	mmgrab(current->mm);
	ghvm->mm = current->mm;
	kref_init(&ghvm->kref);

	mutex_init(&ghvm->status_lock);
	ghvm->vm_status = GUNYAH_RM_VM_STATUS_LOAD;
	init_waitqueue_head(&ghvm->vm_status_wait);

	mutex_init(&ghvm->mm_lock);
	INIT_LIST_HEAD(&ghvm->mem_mappings);
	xa_init(&ghvm->boot_context);
	ghvm->boot_step = GUNYAH_VM_BOOT_NONE;

	gunyah_vm_fn_init(ghvm);

	ghvm->nb.notifier_call = gunyah_vm_rm_notification;
	ret = gunyah_rm_notifier_register(rm, &ghvm->nb);
	if (ret)
		goto err_undo;

	return ghvm;

err_undo:
	if (gunyah_rm_dealloc_vmid(rm, ghvm->vmid))
		dev_err_ratelimited(ghvm->parent, "VM %u: failed to free the VM id\n", ghvm->vmid);
	mmdrop(ghvm->mm);
	mutex_destroy(&ghvm->mm_lock);
	mutex_destroy(&ghvm->status_lock);
	gunyah_rm_put(ghvm->rm);
err_free:
	kfree(ghvm);
	return ERR_PTR(ret);
}

/**
 * gunyah_dev_ioctl_create_vm() - GUNYAH_CREATE_VM
 * @rm: the RM of this /dev/gunyah
 * @arg: the ioctl argument, which must be 0
 *
 * The fd is reserved first and installed last, when nothing can fail any more: userspace never
 * sees a VM that is half made.
 *
 * Context: process context, may sleep.
 * Return: the new VM fd (O_CLOEXEC); -EINVAL if @arg is not 0; -EMFILE or -ENFILE; or an errno
 * of gunyah_vm_alloc() or anon_inode_getfile().
 */
static long gunyah_dev_ioctl_create_vm(struct gunyah_rm *rm, unsigned long arg)
{
	struct gunyah_vm *ghvm;
	struct file *file;
	int fd, ret;

	if (arg)
		return -EINVAL;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	ghvm = gunyah_vm_alloc(rm);
	if (IS_ERR(ghvm)) {
		ret = PTR_ERR(ghvm);
		goto err_put_fd;
	}

	file = anon_inode_getfile("gunyah-vm", &gunyah_vm_fops, ghvm, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put_vm;
	}

	fd_install(fd, file);
	return fd;

err_put_vm:
	gunyah_vm_put(ghvm);
err_put_fd:
	put_unused_fd(fd);
	return ret;
}

/**
 * gunyah_dev_ioctl_check_function() - GUNYAH_CHECK_FUNCTION
 * @argp: user pointer to a struct gunyah_fn_check
 *
 * Context: process context, may sleep (may load a module).
 * Return: -EFAULT, or what gunyah_check_function() returns (0, -ENOENT, -EINVAL).
 */
static long gunyah_dev_ioctl_check_function(void __user *argp)
{
	struct gunyah_fn_check check;

	if (copy_from_user(&check, argp, sizeof(check)))
		return -EFAULT;

	return gunyah_check_function(&check);
}

/**
 * gunyah_dev_ioctl() - ioctls of /dev/gunyah
 * @filp: an open /dev/gunyah; private_data is the RM
 * @cmd: the ioctl
 * @arg: its argument
 *
 * Context: process context, may sleep.
 * Return: see each ioctl; -ENOTTY for an ioctl /dev/gunyah does not take.
 */
static long gunyah_dev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct gunyah_rm *rm = filp->private_data;

	switch (cmd) {
	case GUNYAH_CREATE_VM:
		return gunyah_dev_ioctl_create_vm(rm, arg);
	case GUNYAH_CHECK_FUNCTION:
		return gunyah_dev_ioctl_check_function((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

/**
 * gunyah_dev_open() - open of /dev/gunyah
 * @inode: its inode
 * @filp: the new file; misc_open() put our struct miscdevice in private_data
 *
 * Replaces private_data with a reference to the RM, so the file does not depend on the
 * struct gunyah_vm_mgr, which gunyah_vm_mgr_unregister() frees.
 *
 * Context: process context, under misc_mtx (which gunyah_vm_mgr_unregister()'s
 * misc_deregister() takes too, so the struct gunyah_vm_mgr is alive here).
 * Return: 0.
 */
static int gunyah_dev_open(struct inode *inode, struct file *filp)
{
	struct gunyah_vm_mgr *vm_mgr = container_of(filp->private_data, struct gunyah_vm_mgr,
						    miscdev);

	filp->private_data = gunyah_rm_get(vm_mgr->rm);
	return 0;
}

/**
 * gunyah_dev_release() - close of /dev/gunyah
 * @inode: its inode
 * @filp: the file
 *
 * Context: process context.
 * Return: 0.
 */
static int gunyah_dev_release(struct inode *inode, struct file *filp)
{
	gunyah_rm_put(filp->private_data);
	return 0;
}

/* GUNYAH_CREATE_VM takes no argument (0) and GUNYAH_CHECK_FUNCTION a fixed-layout struct */
static const struct file_operations gunyah_dev_fops = {
	.owner = THIS_MODULE,
	.open = gunyah_dev_open,
	.release = gunyah_dev_release,
	.unlocked_ioctl = gunyah_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * gunyah_vm_mgr_register() - make VMs available on an RM (/dev/gunyah)
 * @rm: the RM, fully set up
 *
 * Registers the misc device "gunyah" (mode 0600), a child of the RM's device (DOC: Lifetime).
 * Called at the end of the RM's probe; a failure fails the probe.
 *
 * Context: process context, the RM platform device's lock held.
 * Return: 0, -ENOMEM, or an errno of misc_register() (-EEXIST if another RM has
 * /dev/gunyah already).
 */
int gunyah_vm_mgr_register(struct gunyah_rm *rm)
{
	struct gunyah_vm_mgr *vm_mgr;
	int ret;

	vm_mgr = kzalloc(sizeof(*vm_mgr), GFP_KERNEL);
	if (!vm_mgr)
		return -ENOMEM;

	vm_mgr->rm = rm;
	vm_mgr->miscdev.minor = MISC_DYNAMIC_MINOR;
	vm_mgr->miscdev.name = "gunyah";
	vm_mgr->miscdev.fops = &gunyah_dev_fops;
	vm_mgr->miscdev.parent = gunyah_rm_dev(rm);
	vm_mgr->miscdev.mode = 0600;

	ret = misc_register(&vm_mgr->miscdev);
	if (ret) {
		kfree(vm_mgr);
		return ret;
	}

	mutex_lock(&gunyah_vm_mgrs_lock);
	list_add_tail(&vm_mgr->list, &gunyah_vm_mgrs);
	mutex_unlock(&gunyah_vm_mgrs_lock);

	return 0;
}

/**
 * gunyah_vm_mgr_unregister() - undo gunyah_vm_mgr_register()
 * @rm: the RM, still fully working (RPCs and notifications)
 *
 * Removes /dev/gunyah. Files already open keep their RM reference, and existing VMs keep
 * theirs; their calls fail with -ENODEV once the RM's remove goes on.
 *
 * Context: process context, the RM platform device's lock held.
 */
void gunyah_vm_mgr_unregister(struct gunyah_rm *rm)
{
	struct gunyah_vm_mgr *vm_mgr = NULL, *iter;

	mutex_lock(&gunyah_vm_mgrs_lock);
	list_for_each_entry(iter, &gunyah_vm_mgrs, list) {
		if (iter->rm == rm) {
			vm_mgr = iter;
			list_del(&vm_mgr->list);
			break;
		}
	}
	mutex_unlock(&gunyah_vm_mgrs_lock);

	if (!vm_mgr)
		return;

	/* Waits for opens in progress (misc_mtx): none can reach @vm_mgr afterwards */
	misc_deregister(&vm_mgr->miscdev);
	kfree(vm_mgr);
}
