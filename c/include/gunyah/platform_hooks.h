/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Platform hooks of the Gunyah VM manager: what an SoC must do to memory around the time the
 * resource manager (RM) owns it (for instance, reassign it in a memory firewall the hypervisor
 * does not control).
 *
 * The hooks are platform-wide, not per VM or per RM: at most one set is registered at a time.
 */
#ifndef _GUNYAH_PLATFORM_HOOKS_H
#define _GUNYAH_PLATFORM_HOOKS_H

#include <gunyah/rsc_mgr.h>

struct device;

/**
 * struct gunyah_rm_platform_ops - platform hooks around memory sharing
 * @pre_mem_share: called before a parcel is shared with or lent to a VM; a non-zero return
 *                 (a negative errno) cancels the share, which fails with it. Optional.
 * @post_mem_reclaim: called after a parcel was reclaimed from the RM, and to undo
 *                    @pre_mem_share when the share itself failed. A non-zero return makes the
 *                    VM manager leak the parcel's pages (never unpin them) since their state
 *                    is unknown. Optional.
 *
 * Both get the parcel as the RM sees it (ACL, memory entries, label; mem_handle is
 * GUNYAH_MEM_HANDLE_INVAL before a share and after a reclaim) and must not change it. They run
 * in process context, may sleep, and are called with the registration's rw_semaphore held for
 * reading: they must not register or unregister platform ops. A parcel shared while no ops (or
 * other ops) were registered gets no @post_mem_reclaim call from ops registered later, and a
 * parcel shared under ops that are unregistered before it is reclaimed gets none either: a
 * platform that needs every share paired with a reclaim keeps its ops registered while VMs
 * exist (typically from boot on).
 */
struct gunyah_rm_platform_ops {
	int (*pre_mem_share)(struct gunyah_rm *rm, struct gunyah_rm_mem_parcel *mem_parcel);
	int (*post_mem_reclaim)(struct gunyah_rm *rm, struct gunyah_rm_mem_parcel *mem_parcel);
};

int gunyah_rm_register_platform_ops(const struct gunyah_rm_platform_ops *platform_ops);
void gunyah_rm_unregister_platform_ops(const struct gunyah_rm_platform_ops *platform_ops);
int devm_gunyah_rm_register_platform_ops(struct device *dev,
					 const struct gunyah_rm_platform_ops *platform_ops);

#endif
