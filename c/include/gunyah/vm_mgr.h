/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Gunyah VM manager's in-kernel API: the VM object, VM functions, resource tickets and
 * in-kernel MMIO (IO) handlers.
 *
 * C function modules built with this tree use this header directly (it may use kernel types:
 * it is rebuilt with the kernel). Out-of-tree and Rust function modules use the stable,
 * versioned C ABI in <gunyah/fn_abi.h> instead.
 */
#ifndef _GUNYAH_VM_MGR_H
#define _GUNYAH_VM_MGR_H

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/device/driver.h>	/* module_driver() */
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <linux/gunyah.h>
#include <gunyah/rsc_mgr.h>

struct gunyah_vm;
struct gunyah_vm_io_bus;

/**
 * struct gunyah_vm_hash_node - an entry of a struct gunyah_vm_hash (private to the VM manager)
 * @node: in one chain of the table
 * @hash: the entry's 32-bit hash; its top bits pick the chain
 *
 * Protected by the lock of the table it is in.
 */
struct gunyah_vm_hash_node {
	struct hlist_node node;
	u32 hash;
};

/* The chains a struct gunyah_vm_hash has before it first grows: 1 << 3 */
#define GUNYAH_VM_HASH_INLINE_BITS	3

/**
 * struct gunyah_vm_hash - a hash table that grows with its entries (private to the VM manager)
 * @buckets: the chains: @inline_buckets, or an array allocated when the table grew
 * @bits: log2 of the number of chains
 * @nr: entries
 * @inline_buckets: the chains of a small table, so that a VM allocates nothing until it has
 *                  many entries
 *
 * Protected by the lock of the struct gunyah_vm member that embeds it. A table is never moved
 * (@buckets may point into it).
 */
struct gunyah_vm_hash {
	struct hlist_head *buckets;
	unsigned int bits;
	unsigned int nr;
	struct hlist_head inline_buckets[1 << GUNYAH_VM_HASH_INLINE_BITS];
};

/**
 * struct gunyah_resource - a hypervisor resource of a VM (vCPU, doorbell, message queue)
 * @type: enum gunyah_resource_type; constant
 * @capid: capability the host uses for it; constant
 * @irq: Linux interrupt mapped from the RM's virq, or 0 when it has none; constant
 * @rm_label: the label the RM gave it (vCPU: its index; doorbell: its VM config DT label);
 *            constant
 * @list: in gunyah_vm.resources (unclaimed) or gunyah_vm_resource_ticket.resources
 *        (claimed); protected by gunyah_vm.resources_lock
 */
struct gunyah_resource {
	enum gunyah_resource_type type;
	u64 capid;
	unsigned int irq;
	u32 rm_label;
	struct list_head list;
};

/**
 * struct gunyah_vm_resource_ticket - a function's claim on resources of one type and label
 * @vm_list: in gunyah_vm.resource_tickets; protected by gunyah_vm.resources_lock
 * @resources: the resources handed to this ticket; protected by gunyah_vm.resources_lock
 * @resource_type: the type claimed; constant while the ticket is added
 * @label: the label claimed; constant while the ticket is added
 * @owner: module that owns @populate and @unpopulate; the VM holds a reference to it while the
 *         ticket is registered
 * @populate: called when a matching resource arrives (at VM start, or at ticket registration if
 *            the VM has started already); return false to refuse it (the resource then stays
 *            unclaimed for a later ticket). Runs under gunyah_vm.resources_lock (and
 *            gunyah_vm.mm_lock at VM start, or gunyah_vm.fn_lock when the ticket is added from
 *            bind()): may sleep, may take the owner's own locks and add IO handlers, must not
 *            take fn_lock or mm_lock or call into the RM.
 * @unpopulate: called when the resource goes away (ticket removal, under
 *              gunyah_vm.fn_lock when from unbind(), or VM teardown), under
 *              gunyah_vm.resources_lock, in the reverse order of the @populate calls; the same
 *              rules as for @populate apply.
 * @hnode: in gunyah_vm.ticket_index, by @resource_type and @label, while the ticket is added;
 *         protected by gunyah_vm.resources_lock
 *
 * Only gunyah_vm_add_resource_ticket() and gunyah_vm_remove_resource_ticket() touch @vm_list,
 * @resources and @hnode; the owner fills in the other members before adding the ticket.
 */
struct gunyah_vm_resource_ticket {
	struct list_head vm_list;
	struct list_head resources;
	enum gunyah_resource_type resource_type;
	u32 label;
	struct module *owner;
	bool (*populate)(struct gunyah_vm_resource_ticket *ticket, struct gunyah_resource *ghrsc);
	void (*unpopulate)(struct gunyah_vm_resource_ticket *ticket,
			   struct gunyah_resource *ghrsc);
	struct gunyah_vm_hash_node hnode;
};

struct gunyah_vm_io_handler;

/**
 * struct gunyah_vm_io_handler_ops - what an in-kernel MMIO handler does
 * @read: complete a guest read of @len bytes at @addr into *@data
 * @write: take a guest write of @len bytes of @data at @addr
 *
 * Both run in the vCPU thread, in an RCU read-side critical section, or for a handler marked
 * &gunyah_vm_io_handler.sleepable in one of the VM manager's MMIO SRCU (other vCPUs may run
 * handlers concurrently, and handlers may be added or removed meanwhile). They must not sleep
 * (sleepable handlers: not for long), must not add or remove IO handlers (that waits for the
 * readers, the caller included), and return 0 when handled or a negative errno to let the
 * access exit to userspace.
 */
struct gunyah_vm_io_handler_ops {
	int (*read)(struct gunyah_vm_io_handler *io_dev, u64 addr, u32 len, u64 *data);
	int (*write)(struct gunyah_vm_io_handler *io_dev, u64 addr, u32 len, u64 data);
};

/**
 * struct gunyah_vm_io_handler - an in-kernel handler for guest MMIO accesses
 * @node: its links in the chains of gunyah_vm.mmio_bus, a hash table by @addr (one link per
 *        generation of the table, see struct gunyah_vm_io_bus in vm_mgr_fn.c); written under
 *        gunyah_vm.mmio_bus_lock, walked by vCPUs under RCU; only the framework
 *        touches them
 * @addr: guest physical address an access must start at
 * @len: access size handled (1, 2, 4 or 8), or 0 for any size; @addr + @len must not overflow
 * @datamatch: handle only writes of exactly @data (never reads); requires @len != 0
 * @data: the value for @datamatch; ignored without it
 * @ops: what to do
 * @sleepable: @ops may sleep (briefly): they run under SRCU instead of RCU, and removing the
 *             handler waits for both grace periods
 * @added: the handler is on gunyah_vm.mmio_bus; protected by gunyah_vm.mmio_bus_lock; false in a
 *         zeroed handler
 * @free_obj: what gunyah_vm_remove_io_handler_kfree() frees after the grace period; written
 *            under gunyah_vm.mmio_bus_lock, then read once by the RCU (or SRCU) callback
 * @rcu: for that deferred free; private to the framework
 *
 * The owner zeroes it (or at least @added), fills in @addr, @len, @datamatch, @data, @ops and
 * @sleepable, and must not change them while the handler is added. See
 * gunyah_vm_add_io_handler() for collisions and gunyah_vm_mmio_write() for which handler an
 * access reaches.
 */
struct gunyah_vm_io_handler {
	struct hlist_node node[2];
	u64 addr;
	u32 len;
	bool datamatch;
	u64 data;
	const struct gunyah_vm_io_handler_ops *ops;
	bool sleepable;
	bool added;
	const void *free_obj;
	struct rcu_head rcu;
};

/**
 * struct gunyah_vm_function_instance - one function added to a VM by GUNYAH_VM_ADD_FUNCTION
 * @arg_size: size of @argp (at most GUNYAH_FN_MAX_ARG_SIZE; the type checks it is its own);
 *            constant
 * @argp: the kernel's copy of the user's argument (NULL when @arg_size is 0); constant
 * @ghvm: the VM; constant. The instance holds no reference: the VM removes its instances
 *        before it goes away. A function whose objects outlive the instance (a vCPU fd, for
 *        instance) takes its own reference with gunyah_vm_get().
 * @rm: the VM's resource manager; constant
 * @fn: the function type; constant. The instance holds a reference to its module until it is
 *      removed
 * @data: the function's private data; owned, and serialised, by the function
 * @vm_list: in gunyah_vm.functions, oldest first; protected by gunyah_vm.fn_lock
 * @arg_inline: @argp lies in the instance's own allocation (GUNYAH_VM_ADD_FUNCTION allocates
 *              both at once); private to the framework; constant
 * @key_node: in gunyah_vm.fn_index while the instance is added, if its type has a key();
 *            protected by gunyah_vm.fn_lock
 * @key: what the type's key() returned for @argp (0 without key()); constant
 * @seq: gunyah_vm.fn_seq when the instance was added, which orders the instances of a VM (the
 *       oldest has the lowest); constant
 */
struct gunyah_vm_function_instance {
	size_t arg_size;
	void *argp;
	struct gunyah_vm *ghvm;
	struct gunyah_rm *rm;
	struct gunyah_vm_function *fn;
	void *data;
	struct list_head vm_list;
	bool arg_inline;
	struct gunyah_vm_hash_node key_node;
	u64 key;
	u64 seq;
};

/*
 * Function types live in [1, GUNYAH_FN_TYPE_MAX): the in-tree types count up from 1 and the
 * sample / out-of-tree range ends at GUNYAH_FN_SAMPLE_LAST. Keeping the space small and bounded
 * lets the VM manager reject any other number before it loads modules or walks the registry.
 */
#define GUNYAH_FN_TYPE_MAX	(GUNYAH_FN_SAMPLE_LAST + 1)

/**
 * struct gunyah_vm_function - a function type
 * @type: GUNYAH_FN_* (the uapi number), 1 <= @type < GUNYAH_FN_TYPE_MAX; the registry's key
 * @name: for messages
 * @mod: the module implementing it (NULL when built in); each instance holds a reference
 * @bind: create an instance from @f->argp / @f->arg_size (check the size and every field);
 *        runs under gunyah_vm.fn_lock and may add resource tickets and IO handlers. Returns
 *        >= 0 (handed back to userspace, e.g. a new fd) or a negative errno, after undoing
 *        everything it did.
 * @unbind: destroy an instance; runs under gunyah_vm.fn_lock. Once it returns, nothing of the
 *          instance may run any more (tickets and IO handlers removed).
 * @compare: is @f the instance a GUNYAH_VM_REMOVE_FUNCTION argument @arg (@size bytes, NULL
 *           when 0) names? Runs under gunyah_vm.fn_lock; must not sleep for long. The oldest
 *           instance for which it returns true is removed.
 * @validate: optional; checks a GUNYAH_VM_REMOVE_FUNCTION argument once, before any @compare:
 *            returns 0, or -EINVAL when @size is not the size the type takes or a field used
 *            for matching is invalid. Without it such an argument matches nothing (-ENOENT).
 *            Runs without gunyah_vm.fn_lock.
 * @key: optional, requires @validate: the key of an argument (@size bytes at @arg, NULL when
 *       0; @fn is the type), a number that an instance and every REMOVE argument naming it
 *       have in common.
 *       Called once on the argument of each instance bind() accepted (under gunyah_vm.fn_lock)
 *       and on each REMOVE argument validate() accepted (without it); must not sleep. For every
 *       instance and argument for which @compare returns true, @key must return the same value
 *       for the instance's argument and for the REMOVE argument. With it, REMOVE finds the
 *       instances with the argument's key in O(1) and calls @compare on those only; without
 *       it, on every instance of the type in the VM.
 * @nr_instances: private to the VM manager (atomic, no lock): live instances of this type in
 *                all VMs; zero when the type is registered
 * @users: private to the VM manager (atomic; taken under the registry's lock): lookups that
 *         found the type and have not let it go yet (an ADD, REMOVE or CHECK in progress);
 *         zero when the type is registered. gunyah_vm_function_unregister() waits for it to
 *         drop to zero.
 *
 * Register with gunyah_vm_function_register() (or DECLARE_GUNYAH_VM_FUNCTION_INIT()); the
 * structure must stay valid, and unchanged but for @nr_instances and @users, until
 * gunyah_vm_function_unregister() returns.
 */
struct gunyah_vm_function {
	u32 type;
	const char *name;
	struct module *mod;
	long (*bind)(struct gunyah_vm_function_instance *f);
	void (*unbind)(struct gunyah_vm_function_instance *f);
	bool (*compare)(const struct gunyah_vm_function_instance *f, const void *arg, size_t size);
	int (*validate)(const struct gunyah_vm_function *fn, const void *arg, size_t size);
	u64 (*key)(const struct gunyah_vm_function *fn, const void *arg, size_t size);
	atomic_t nr_instances;
	atomic_t users;
};

/**
 * enum gunyah_vm_boot_step - how far GUNYAH_VM_START got with the RM (private to vm_mgr.c)
 * @GUNYAH_VM_BOOT_NONE: nothing sent: the RM holds the VM in LOAD
 * @GUNYAH_VM_BOOT_CONFIG_SENT: VM_CONFIG_IMAGE was sent: the RM may have left LOAD
 * @GUNYAH_VM_BOOT_INIT_DONE: VM_INIT succeeded: the RM holds the VM in READY or later
 * @GUNYAH_VM_BOOT_START_SENT: VM_START was sent: the VM may run
 * @GUNYAH_VM_BOOT_STARTED: VM_START succeeded
 *
 * The teardown decides on it whether to stop the VM and whether to reset it.
 */
enum gunyah_vm_boot_step {
	GUNYAH_VM_BOOT_NONE,
	GUNYAH_VM_BOOT_CONFIG_SENT,
	GUNYAH_VM_BOOT_INIT_DONE,
	GUNYAH_VM_BOOT_START_SENT,
	GUNYAH_VM_BOOT_STARTED,
};

/**
 * struct gunyah_vm - a VM
 * @vmid: the VM id the RM allocated; constant
 * @host_vmid: the host's own VM id (VM_GET_VMID), for the ACLs of shared memory; constant
 * @rm: the resource manager; the VM holds a reference; constant
 * @mm: the address space of the process that created the VM (mmgrab'd); constant
 * @parent: device for messages (the RM's); constant
 * @kref: the VM's lifetime: the VM fd and every vCPU fd hold a reference; function instances
 *        hold none. The last gunyah_vm_put() destroys the VM (see DOC: Lifetime in vm_mgr.c)
 * @nb: notifier block on the RM's notification chain, registered for the VM's whole life;
 *      linked and unlinked under the chain's rwsem (write-held)
 *
 * @status_lock: protects @vm_status, @exit_info, @started; innermost lock of the VM (see
 *               DOC: Locking in vm_mgr.c)
 * @vm_status: the VM's state (enum gunyah_rm_vm_status) from the VM manager's replies and the
 *             RM's notifications; it only moves forward (DOC: VM status in vm_mgr.c), sticks at
 *             INIT_FAILED when the start failed, and becomes EXITED only once @exit_info is
 *             filled in. Written under @status_lock with smp_store_release(); read under it or
 *             with READ_ONCE() (e.g. as a wait_event() condition)
 * @vm_status_wait: woken on every change of @vm_status (after @status_lock is dropped); a wait
 *                  queue, with its own lock
 * @exit_info: why the VM exited (the first VM_EXITED), reported by vCPUs; @status_lock
 * @started: GUNYAH_VM_START (or the first vCPU RUN) has run, successfully or not: @vm_status
 *           tells which. Written once with both @mm_lock and @status_lock held
 *           (smp_store_release()); read under either, or with smp_load_acquire()
 *
 * @mm_lock: serialises configuration (memory, DTB, boot context) against START; held across the
 *           start; protects @mem_mappings (each mapping carries its memory parcel), @dtb,
 *           @boot_context and @boot_step
 * @mem_mappings: user memory regions (struct gunyah_vm_mem_mapping), sorted by guest address;
 *                protected by @mm_lock
 * @dtb: where the VM config DT lies (guest physical address and size; size 0: not set);
 *       protected by @mm_lock
 * @boot_context: register -> value set by GUNYAH_VM_SET_BOOT_CONTEXT (xarray keyed by the uapi
 *                reg id, entries are kmalloc'd u64); protected by @mm_lock, freed without it
 *                by the teardown once the VM is unreachable
 * @boot_step: enum gunyah_vm_boot_step; written under @mm_lock during the start, read and
 *             written without a lock by the teardown once the VM is unreachable
 *
 * @fn_lock: protects @functions, @fn_index and @fn_seq; held across a function's
 *           bind/unbind/compare (see DOC: Locking in vm_mgr_fn.c for the order of the
 *           framework's locks)
 * @functions: struct gunyah_vm_function_instance.vm_list, oldest first; protected by @fn_lock
 * @fn_index: the instances of types with a key(), by type and key
 *            (gunyah_vm_function_instance.key_node); protected by @fn_lock
 * @fn_seq: instances added so far, the next gunyah_vm_function_instance.seq; @fn_lock
 *
 * @resources_lock: protects @resources, @resource_tickets, @ticket_index and the tickets'
 *                  resource lists; held across populate/unpopulate
 * @resources: resources the RM gave the VM that no ticket has claimed yet; @resources_lock
 * @resource_tickets: registered tickets, oldest first; protected by @resources_lock
 * @ticket_index: the same tickets by type and label (gunyah_vm_resource_ticket.hnode);
 *                protected by @resources_lock
 *
 * @mmio_bus_lock: serialises the writers of @mmio_bus (adding and removing IO handlers) and
 *                 protects @nr_io_handlers and each handler's gunyah_vm_io_handler.added;
 *                 vCPUs do not take it
 * @mmio_bus: the IO handlers, a hash table by address (struct gunyah_vm_io_bus, private to
 *            vm_mgr_fn.c), NULL until the first is added; replaced and changed under
 *            @mmio_bus_lock, walked by vCPUs under RCU
 * @nr_io_handlers: IO handlers on @mmio_bus; protected by @mmio_bus_lock
 */
struct gunyah_vm {
	u16 vmid;
	u16 host_vmid;
	struct gunyah_rm *rm;
	struct mm_struct *mm;
	struct device *parent;
	struct kref kref;
	struct notifier_block nb;

	struct mutex status_lock;	/* vm_status, exit_info, started */
	enum gunyah_rm_vm_status vm_status;
	wait_queue_head_t vm_status_wait;
	struct gunyah_vm_exit_info exit_info;
	bool started;

	struct mutex mm_lock;		/* configuration vs. start */
	struct list_head mem_mappings;
	struct gunyah_vm_dtb_config dtb;
	struct xarray boot_context;
	enum gunyah_vm_boot_step boot_step;

	struct mutex fn_lock; /* see above */
	struct list_head functions;
	struct gunyah_vm_hash fn_index;
	u64 fn_seq;

	struct mutex resources_lock; /* see above */
	struct list_head resources;
	struct list_head resource_tickets;
	struct gunyah_vm_hash ticket_index;

	struct mutex mmio_bus_lock; /* see above */
	struct gunyah_vm_io_bus __rcu *mmio_bus;
	unsigned int nr_io_handlers;
};

/* Lifetime */
bool __must_check gunyah_vm_get(struct gunyah_vm *ghvm);
void gunyah_vm_put(struct gunyah_vm *ghvm);

/* Starting (the first vCPU RUN starts a VM that userspace did not start) */
int gunyah_vm_ensure_started(struct gunyah_vm *ghvm);

/* Function types */
int gunyah_vm_function_register(struct gunyah_vm_function *f);
void gunyah_vm_function_unregister(struct gunyah_vm_function *f);

/* Resource tickets */
int gunyah_vm_add_resource_ticket(struct gunyah_vm *ghvm,
				  struct gunyah_vm_resource_ticket *ticket);
void gunyah_vm_remove_resource_ticket(struct gunyah_vm *ghvm,
				      struct gunyah_vm_resource_ticket *ticket);

/* IO handlers */
int gunyah_vm_add_io_handler(struct gunyah_vm *ghvm, struct gunyah_vm_io_handler *io_dev);
void gunyah_vm_remove_io_handler(struct gunyah_vm *ghvm, struct gunyah_vm_io_handler *io_dev);
void gunyah_vm_remove_io_handler_kfree(struct gunyah_vm *ghvm, struct gunyah_vm_io_handler *io_dev,
				       const void *obj);
int gunyah_vm_mmio_write(struct gunyah_vm *ghvm, u64 addr, u32 len, u64 data);
int gunyah_vm_mmio_read(struct gunyah_vm *ghvm, u64 addr, u32 len, u64 *data);

/*
 * MODULE_ALIAS_GUNYAH_VM_FUNCTION(type, number): the alias request_module("ghfunc:%u") finds.
 * @number must be a literal (it is stringified); the build fails unless it equals @type and lies
 * in [1, GUNYAH_FN_TYPE_MAX).
 */
#define MODULE_ALIAS_GUNYAH_VM_FUNCTION(_type, _number)				\
	extern const char __gunyah_fn_alias_must_equal_type_##_number			\
		[((_type) == (_number) && (_type) > 0 && (_type) < GUNYAH_FN_TYPE_MAX) ? 1 : -1]; \
	MODULE_ALIAS("ghfunc:" __stringify(_number))

/*
 * DECLARE_GUNYAH_VM_FUNCTION_INIT(name, type, number, bind, unbind, compare, ...): define a
 * function type, its module alias, and module init/exit that register and unregister it. Extra
 * arguments are further designated initializers, e.g. ".validate = foo_validate".
 */
#define DECLARE_GUNYAH_VM_FUNCTION_INIT(_name, _type, _number, _bind, _unbind, _compare, ...) \
	static struct gunyah_vm_function _name = {					\
		.type = (_type),							\
		.name = __stringify(_name),						\
		.mod = THIS_MODULE,							\
		.bind = (_bind),							\
		.unbind = (_unbind),							\
		.compare = (_compare),							\
		__VA_ARGS__								\
	};										\
	MODULE_ALIAS_GUNYAH_VM_FUNCTION(_type, _number);				\
	module_driver(_name, gunyah_vm_function_register, gunyah_vm_function_unregister)

#endif
