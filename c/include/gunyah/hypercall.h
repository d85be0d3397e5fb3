/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Gunyah hypercall API: the only seam between the driver and what runs underneath it.
 *
 * Two modules implement these functions with the same names and semantics:
 *  - gunyah_hypercall.ko (arm64): SMCCC "hvc" calls into the real hypervisor;
 *  - gunyah_sim.ko (any arch): a software Gunyah with its own resource manager, for tests.
 * Exactly one of them is built for a given kernel; everything above links against it and never
 * asks which one it got.
 */
#ifndef _GUNYAH_HYPERCALL_H
#define _GUNYAH_HYPERCALL_H

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/types.h>

/**
 * enum gunyah_error - error codes returned by Gunyah hypercalls
 * @GUNYAH_ERROR_OK: success
 * @GUNYAH_ERROR_UNIMPLEMENTED: the hypercall is not implemented
 * @GUNYAH_ERROR_RETRY: transient condition, call again
 * @GUNYAH_ERROR_ARG_INVAL: invalid argument
 * @GUNYAH_ERROR_ARG_SIZE: invalid size argument
 * @GUNYAH_ERROR_ARG_ALIGN: misaligned argument
 * @GUNYAH_ERROR_NOMEM: out of memory in the hypervisor
 * @GUNYAH_ERROR_ADDR_OVFL: address overflow
 * @GUNYAH_ERROR_ADDR_UNFL: address underflow
 * @GUNYAH_ERROR_ADDR_INVAL: invalid address
 * @GUNYAH_ERROR_DENIED: operation not permitted
 * @GUNYAH_ERROR_BUSY: the object is busy
 * @GUNYAH_ERROR_IDLE: the object is idle
 * @GUNYAH_ERROR_IRQ_BOUND: the interrupt is already bound
 * @GUNYAH_ERROR_IRQ_UNBOUND: the interrupt is not bound
 * @GUNYAH_ERROR_CSPACE_CAP_NULL: null capability
 * @GUNYAH_ERROR_CSPACE_CAP_REVOKED: revoked capability
 * @GUNYAH_ERROR_CSPACE_WRONG_OBJ_TYPE: capability of the wrong object type
 * @GUNYAH_ERROR_CSPACE_INSUF_RIGHTS: capability without the needed rights
 * @GUNYAH_ERROR_CSPACE_FULL: capability space full
 * @GUNYAH_ERROR_MSGQ_EMPTY: message queue empty
 * @GUNYAH_ERROR_MSGQ_FULL: message queue full
 */
enum gunyah_error {
	GUNYAH_ERROR_OK = 0,
	GUNYAH_ERROR_UNIMPLEMENTED = -1,
	GUNYAH_ERROR_RETRY = -2,

	GUNYAH_ERROR_ARG_INVAL = 1,
	GUNYAH_ERROR_ARG_SIZE = 2,
	GUNYAH_ERROR_ARG_ALIGN = 3,

	GUNYAH_ERROR_NOMEM = 10,

	GUNYAH_ERROR_ADDR_OVFL = 20,
	GUNYAH_ERROR_ADDR_UNFL = 21,
	GUNYAH_ERROR_ADDR_INVAL = 22,

	GUNYAH_ERROR_DENIED = 30,
	GUNYAH_ERROR_BUSY = 31,
	GUNYAH_ERROR_IDLE = 32,

	GUNYAH_ERROR_IRQ_BOUND = 40,
	GUNYAH_ERROR_IRQ_UNBOUND = 41,

	GUNYAH_ERROR_CSPACE_CAP_NULL = 50,
	GUNYAH_ERROR_CSPACE_CAP_REVOKED = 51,
	GUNYAH_ERROR_CSPACE_WRONG_OBJ_TYPE = 52,
	GUNYAH_ERROR_CSPACE_INSUF_RIGHTS = 53,
	GUNYAH_ERROR_CSPACE_FULL = 54,

	GUNYAH_ERROR_MSGQ_EMPTY = 60,
	GUNYAH_ERROR_MSGQ_FULL = 61,
};

/**
 * gunyah_error_remap() - translate a hypervisor error code into an errno
 * @gunyah_error: the code a hypercall returned
 *
 * Context: any context.
 * Return: 0 for GUNYAH_ERROR_OK, else a negative errno: -ENOMEM, -EACCES (denied, capability
 * errors), -EBUSY (busy, idle, capability space full), -EIO (interrupt and message queue
 * errors), -EOPNOTSUPP (unimplemented), -EAGAIN (retry) or -EINVAL (everything else).
 */
static inline int gunyah_error_remap(enum gunyah_error gunyah_error)
{
	switch (gunyah_error) {
	case GUNYAH_ERROR_OK:
		return 0;
	case GUNYAH_ERROR_NOMEM:
		return -ENOMEM;
	case GUNYAH_ERROR_DENIED:
	case GUNYAH_ERROR_CSPACE_CAP_NULL:
	case GUNYAH_ERROR_CSPACE_CAP_REVOKED:
	case GUNYAH_ERROR_CSPACE_WRONG_OBJ_TYPE:
	case GUNYAH_ERROR_CSPACE_INSUF_RIGHTS:
		return -EACCES;
	case GUNYAH_ERROR_CSPACE_FULL:
	case GUNYAH_ERROR_BUSY:
	case GUNYAH_ERROR_IDLE:
		return -EBUSY;
	case GUNYAH_ERROR_IRQ_BOUND:
	case GUNYAH_ERROR_IRQ_UNBOUND:
	case GUNYAH_ERROR_MSGQ_FULL:
	case GUNYAH_ERROR_MSGQ_EMPTY:
		return -EIO;
	case GUNYAH_ERROR_UNIMPLEMENTED:
		return -EOPNOTSUPP;
	case GUNYAH_ERROR_RETRY:
		return -EAGAIN;
	default:
		return -EINVAL;
	}
}

/* hyp_identify: api_info bit fields */
#define GUNYAH_API_INFO_API_VERSION_MASK	GENMASK_ULL(13, 0)
#define GUNYAH_API_INFO_BIG_ENDIAN		BIT_ULL(14)
#define GUNYAH_API_INFO_IS_64BIT		BIT_ULL(15)
#define GUNYAH_API_INFO_VARIANT_MASK		GENMASK_ULL(63, 56)
#define GUNYAH_API_V1				1

/* hyp_identify: flags[0] feature bits */
#define GUNYAH_API_FEATURE_DOORBELL		BIT_ULL(1)
#define GUNYAH_API_FEATURE_MSGQUEUE		BIT_ULL(2)
#define GUNYAH_API_FEATURE_VCPU			BIT_ULL(5)
#define GUNYAH_API_FEATURE_MEMEXTENT		BIT_ULL(6)
#define GUNYAH_API_FEATURE_VCPU_RUN		BIT_ULL(11)

/**
 * struct gunyah_hypercall_hyp_identify_resp - what hyp_identify reports
 * @api_info: API version, endianness, word size and variant (GUNYAH_API_INFO_*)
 * @flags: feature flags; flags[0] holds GUNYAH_API_FEATURE_*
 */
struct gunyah_hypercall_hyp_identify_resp {
	u64 api_info;
	u64 flags[3];
};

/**
 * gunyah_hypercall_hyp_identify() - ask the hypervisor for its API version and features
 * @hyp_identity: filled with the answer
 *
 * Context: any context.
 */
void gunyah_hypercall_hyp_identify(struct gunyah_hypercall_hyp_identify_resp *hyp_identity);

/**
 * gunyah_hypercall_bell_send() - OR flags into a doorbell
 * @capid: the doorbell's (send) capability
 * @new_flags: flags to OR in; the receiver's interrupt asserts while flags & enable_mask
 * @old_flags: if not NULL, the flags before the send
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK or the hypervisor's error code.
 */
enum gunyah_error gunyah_hypercall_bell_send(u64 capid, u64 new_flags, u64 *old_flags);

/**
 * gunyah_hypercall_bell_set_mask() - set a doorbell's enable and ack masks
 * @capid: the doorbell's capability
 * @enable_mask: flags that assert the interrupt
 * @ack_mask: flags cleared when the interrupt is delivered
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK or the hypervisor's error code.
 */
enum gunyah_error gunyah_hypercall_bell_set_mask(u64 capid, u64 enable_mask, u64 ack_mask);

#define GUNYAH_HYPERCALL_MSGQ_TX_FLAGS_PUSH	BIT_ULL(0)
/* Size of the largest message a Gunyah message queue carries. */
#define GUNYAH_MSGQ_MAX_MSG_SIZE		240

/**
 * gunyah_hypercall_msgq_send() - send one message on a message queue
 * @capid: the queue's transmit capability
 * @size: message size, 1..GUNYAH_MSGQ_MAX_MSG_SIZE
 * @buff: the message
 * @tx_flags: GUNYAH_HYPERCALL_MSGQ_TX_FLAGS_PUSH to wake the receiver now
 * @ready: set to true if the queue can take another message
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK, GUNYAH_ERROR_MSGQ_FULL when the queue is full (wait for the TX
 * interrupt), or another error code.
 */
enum gunyah_error gunyah_hypercall_msgq_send(u64 capid, size_t size, const void *buff,
					     u64 tx_flags, bool *ready);

/**
 * gunyah_hypercall_msgq_recv() - receive one message from a message queue
 * @capid: the queue's receive capability
 * @buff: where to copy the message
 * @size: size of @buff; at least GUNYAH_MSGQ_MAX_MSG_SIZE
 * @recv_size: set to the size of the message received
 * @ready: set to true if more messages are waiting
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK, GUNYAH_ERROR_MSGQ_EMPTY when there is nothing to receive, or
 * another error code.
 */
enum gunyah_error gunyah_hypercall_msgq_recv(u64 capid, void *buff, size_t size,
					     size_t *recv_size, bool *ready);

/**
 * enum gunyah_vcpu_state - what vcpu_run reports about the vCPU when it returns
 * @GUNYAH_VCPU_STATE_READY: ran until preempted, call again
 * @GUNYAH_VCPU_STATE_EXPECTS_WAKEUP: waits for an interrupt; wait for the vCPU IRQ
 * @GUNYAH_VCPU_STATE_POWERED_OFF: powered off; wait for the vCPU IRQ or check the VM status
 * @GUNYAH_VCPU_STATE_BLOCKED: blocked in the hypervisor, call again
 * @GUNYAH_VCPU_STATE_MMIO_READ: MMIO read; state_data = {addr, len}; the value goes back in
 *                               resume_data[0] of the next call
 * @GUNYAH_VCPU_STATE_MMIO_WRITE: MMIO write; state_data = {addr, len, data}
 * @GUNYAH_VCPU_STATE_FAULT: unrecoverable fault
 * @GUNYAH_VCPU_STATE_PSCI_SYSTEM_RESET: the guest asked for a system reset
 */
enum gunyah_vcpu_state {
	GUNYAH_VCPU_STATE_READY = 0,
	GUNYAH_VCPU_STATE_EXPECTS_WAKEUP = 1,
	GUNYAH_VCPU_STATE_POWERED_OFF = 2,
	GUNYAH_VCPU_STATE_BLOCKED = 3,
	GUNYAH_VCPU_STATE_MMIO_READ = 4,
	GUNYAH_VCPU_STATE_MMIO_WRITE = 5,
	GUNYAH_VCPU_STATE_FAULT = 6,
	GUNYAH_VCPU_STATE_PSCI_SYSTEM_RESET = 0x100,
};

/**
 * struct gunyah_hypercall_vcpu_run_resp - what vcpu_run returns
 * @state: one of enum gunyah_vcpu_state
 * @state_data: state specific data (see enum gunyah_vcpu_state)
 */
struct gunyah_hypercall_vcpu_run_resp {
	u64 state;
	u64 state_data[3];
};

/**
 * gunyah_hypercall_vcpu_run() - run a proxy-scheduled vCPU
 * @capid: the vCPU's capability
 * @resume_data: three words for the vCPU (the value of a completed MMIO read in [0])
 * @resp: filled with the state the vCPU stopped in
 *
 * Context: process context; may run for a long time (on real hardware until an interrupt).
 * Return: GUNYAH_ERROR_OK, GUNYAH_ERROR_RETRY (call again), GUNYAH_ERROR_BUSY (the vCPU is not
 * proxy scheduled or already running) or another error code.
 */
enum gunyah_error gunyah_hypercall_vcpu_run(u64 capid, const u64 *resume_data,
					    struct gunyah_hypercall_vcpu_run_resp *resp);

#endif
