// SPDX-License-Identifier: GPL-2.0
/*
 * The Gunyah hypercall API on arm64: SMCCC fast calls through "hvc".
 *
 * Gunyah's native hypercalls are "hvc #imm" with imm 0x6000..0x61ff; Linux issues them as SMCCC
 * 64-bit fast calls owned by VENDOR_HYP, function number 0x8000 + (imm - 0x6000). Each call has
 * exactly one wrapper here; nothing else in the driver issues a raw hypercall.
 *
 * Loading the module fails with -ENODEV unless the hypervisor is Gunyah (its vendor UID) with
 * API version 1, so everything that depends on these symbols only binds on real Gunyah.
 */
#include <linux/arm-smccc.h>
#include <linux/bitfield.h>
#include <linux/module.h>
#include <linux/printk.h>

#include <gunyah/hypercall.h>

#define GUNYAH_HYPERCALL(fn) \
	ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_64, ARM_SMCCC_OWNER_VENDOR_HYP, (fn))

#define GUNYAH_HYPERCALL_HYP_IDENTIFY		GUNYAH_HYPERCALL(0x8000)
#define GUNYAH_HYPERCALL_BELL_SEND		GUNYAH_HYPERCALL(0x8012)
#define GUNYAH_HYPERCALL_BELL_SET_MASK		GUNYAH_HYPERCALL(0x8015)
#define GUNYAH_HYPERCALL_MSGQ_SEND		GUNYAH_HYPERCALL(0x801B)
#define GUNYAH_HYPERCALL_MSGQ_RECV		GUNYAH_HYPERCALL(0x801C)
#define GUNYAH_HYPERCALL_VCPU_RUN		GUNYAH_HYPERCALL(0x8065)

/* The vendor-hypervisor UID Gunyah returns, as x0..x3 of VENDOR_HYP_CALL_UID. */
static const u32 gunyah_uid[4] = { 0xcd8fd5c1, 0xdb5f53a4, 0x36ce6592, 0x145f3d67 };

/**
 * gunyah_hypercall_hyp_identify() - ask the hypervisor for its API version and features
 * @hyp_identity: filled with the answer
 *
 * Context: any context.
 */
void gunyah_hypercall_hyp_identify(struct gunyah_hypercall_hyp_identify_resp *hyp_identity)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(GUNYAH_HYPERCALL_HYP_IDENTIFY, &res);
	hyp_identity->api_info = res.a0;
	hyp_identity->flags[0] = res.a1;
	hyp_identity->flags[1] = res.a2;
	hyp_identity->flags[2] = res.a3;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_hyp_identify);

/**
 * gunyah_hypercall_bell_send() - OR flags into a doorbell
 * @capid: the doorbell's (send) capability
 * @new_flags: flags to OR in
 * @old_flags: if not NULL, the flags before the send
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK or the hypervisor's error code.
 */
enum gunyah_error gunyah_hypercall_bell_send(u64 capid, u64 new_flags, u64 *old_flags)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(GUNYAH_HYPERCALL_BELL_SEND, capid, new_flags, 0, &res);
	if (res.a0 == GUNYAH_ERROR_OK && old_flags)
		*old_flags = res.a1;
	return res.a0;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_bell_send);

/**
 * gunyah_hypercall_bell_set_mask() - set a doorbell's enable and ack masks
 * @capid: the doorbell's capability
 * @enable_mask: flags that assert the interrupt
 * @ack_mask: flags cleared when the interrupt is delivered
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK or the hypervisor's error code.
 */
enum gunyah_error gunyah_hypercall_bell_set_mask(u64 capid, u64 enable_mask, u64 ack_mask)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(GUNYAH_HYPERCALL_BELL_SET_MASK, capid, enable_mask, ack_mask, 0, &res);
	return res.a0;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_bell_set_mask);

/**
 * gunyah_hypercall_msgq_send() - send one message on a message queue
 * @capid: the queue's transmit capability
 * @size: message size, 1..GUNYAH_MSGQ_MAX_MSG_SIZE
 * @buff: the message
 * @tx_flags: GUNYAH_HYPERCALL_MSGQ_TX_FLAGS_PUSH to wake the receiver now
 * @ready: set to true if the queue can take another message
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK, GUNYAH_ERROR_MSGQ_FULL, or another error code.
 */
enum gunyah_error gunyah_hypercall_msgq_send(u64 capid, size_t size, const void *buff,
					     u64 tx_flags, bool *ready)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(GUNYAH_HYPERCALL_MSGQ_SEND, capid, size, (uintptr_t)buff, tx_flags, 0,
			  &res);
	if (res.a0 == GUNYAH_ERROR_OK)
		*ready = !!res.a1;
	return res.a0;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_msgq_send);

/**
 * gunyah_hypercall_msgq_recv() - receive one message from a message queue
 * @capid: the queue's receive capability
 * @buff: where to copy the message
 * @size: size of @buff
 * @recv_size: set to the size of the message received
 * @ready: set to true if more messages are waiting
 *
 * Context: any context.
 * Return: GUNYAH_ERROR_OK, GUNYAH_ERROR_MSGQ_EMPTY, or another error code.
 */
enum gunyah_error gunyah_hypercall_msgq_recv(u64 capid, void *buff, size_t size,
					     size_t *recv_size, bool *ready)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(GUNYAH_HYPERCALL_MSGQ_RECV, capid, (uintptr_t)buff, size, 0, &res);
	if (res.a0 == GUNYAH_ERROR_OK) {
		*recv_size = res.a1;
		*ready = !!res.a2;
	}
	return res.a0;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_msgq_recv);

/**
 * gunyah_hypercall_vcpu_run() - run a proxy-scheduled vCPU
 * @capid: the vCPU's capability
 * @resume_data: three words for the vCPU (the value of a completed MMIO read in [0])
 * @resp: filled with the state the vCPU stopped in
 *
 * Uses SMCCC 1.2 to get four result registers back.
 *
 * Context: process context.
 * Return: GUNYAH_ERROR_OK, GUNYAH_ERROR_RETRY, GUNYAH_ERROR_BUSY or another error code.
 */
enum gunyah_error gunyah_hypercall_vcpu_run(u64 capid, const u64 *resume_data,
					    struct gunyah_hypercall_vcpu_run_resp *resp)
{
	struct arm_smccc_1_2_regs args = {
		.a0 = GUNYAH_HYPERCALL_VCPU_RUN,
		.a1 = capid,
		.a2 = resume_data[0],
		.a3 = resume_data[1],
		.a4 = resume_data[2],
		/* a5 must be 0 */
	};
	struct arm_smccc_1_2_regs res;

	arm_smccc_1_2_hvc(&args, &res);
	if (res.a0 == GUNYAH_ERROR_OK) {
		resp->state = res.a1;
		resp->state_data[0] = res.a2;
		resp->state_data[1] = res.a3;
		resp->state_data[2] = res.a4;
	}
	return res.a0;
}
EXPORT_SYMBOL_GPL(gunyah_hypercall_vcpu_run);

/**
 * gunyah_detect() - is the hypervisor underneath Gunyah, with an API this driver speaks?
 *
 * Context: process context (module init).
 * Return: true when the vendor UID is Gunyah's, the API version is 1, the hypervisor is
 * 64-bit little endian and it has message queues.
 */
static bool gunyah_detect(void)
{
	struct gunyah_hypercall_hyp_identify_resp id;
	struct arm_smccc_res res;

	if (arm_smccc_1_1_get_conduit() != SMCCC_CONDUIT_HVC)
		return false;

	arm_smccc_1_1_hvc(ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID, &res);
	if ((u32)res.a0 != gunyah_uid[0] || (u32)res.a1 != gunyah_uid[1] ||
	    (u32)res.a2 != gunyah_uid[2] || (u32)res.a3 != gunyah_uid[3])
		return false;

	gunyah_hypercall_hyp_identify(&id);
	if (FIELD_GET(GUNYAH_API_INFO_API_VERSION_MASK, id.api_info) != GUNYAH_API_V1) {
		pr_info("gunyah: unsupported API version %llu\n",
			FIELD_GET(GUNYAH_API_INFO_API_VERSION_MASK, id.api_info));
		return false;
	}
	if (!(id.api_info & GUNYAH_API_INFO_IS_64BIT) ||
	    (id.api_info & GUNYAH_API_INFO_BIG_ENDIAN)) {
		pr_info("gunyah: only 64-bit little-endian Gunyah is supported\n");
		return false;
	}
	if (!(id.flags[0] & GUNYAH_API_FEATURE_MSGQUEUE)) {
		pr_info("gunyah: hypervisor lacks message queues\n");
		return false;
	}
	return true;
}

static int __init gunyah_hypercall_init(void)
{
	return gunyah_detect() ? 0 : -ENODEV;
}
module_init(gunyah_hypercall_init);

static void __exit gunyah_hypercall_exit(void)
{
}
module_exit(gunyah_hypercall_exit);

MODULE_DESCRIPTION("Gunyah hypercalls (arm64 SMCCC)");
MODULE_LICENSE("GPL");
