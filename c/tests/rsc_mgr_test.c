// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the RM client's transport and RPCs.
 *
 * gunyah_rm_transport: framing helpers (pure functions).
 * gunyah_rm_rpc: calls against the simulated RM, checked by the simulator's own decoder;
 *                every RM error code; malformed inbound fragments; sequence wrap-around;
 *                notification dispatch; each transport fault knob and the recovery after it.
 * gunyah_rm_vm: every VM and memory RPC in the order of a VM's life, including a parcel of more
 *               than 512 entries (MEM_APPEND).
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/timex.h>
#include <gunyah/compat.h>

#include <gunyah/hypercall.h>
#include <gunyah/rsc_mgr.h>
#include <gunyah/sim.h>
#include <gunyah/sim_guest.h>

#include "../rsc_mgr.h"
#include "gunyah_fdt.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define RM_MSG_GET_VMID		0x56000024
#define RM_MSG_ALLOC_VMID	0x56000001
#define RM_MSG_VM_STOP		0x56000005
#define RM_MSG_DEALLOC_VMID	0x56000002
#define RM_MSG_VM_GET_STATE	0x56000017
#define RM_MSG_UNKNOWN		0x5600ff00
#define RM_MSG_MEM_LEND		0x51000012
#define RM_ERR_MEM_INVALID	0xa
#define HOST_VMID		3

/* ---------------------------------------------------------------------------------------- */
/* gunyah_rm_transport */

struct cont_case {
	size_t size;
	unsigned int continuations;
};

static struct cont_case cont_cases[2 * 64];

static const void *cont_gen(const void *prev, char *desc)
{
	const struct cont_case *c = prev ? (const struct cont_case *)prev + 1 : cont_cases;

	if (c >= cont_cases + ARRAY_SIZE(cont_cases) || (c != cont_cases && !c->size))
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu bytes -> %u continuations", c->size,
		 c->continuations);
	return c;
}

static int transport_init(struct kunit_suite *suite)
{
	unsigned int k, i = 0;

	/* k full fragments exactly, then one byte more: every count 0..62 and each boundary */
	cont_cases[i++] = (struct cont_case){ 0, 0 };
	for (k = 1; k <= 63 && i + 1 < ARRAY_SIZE(cont_cases); k++) {
		cont_cases[i++] = (struct cont_case){ k * 232, k - 1 };
		if (k < 63)
			cont_cases[i++] = (struct cont_case){ k * 232 + 1, k };
	}
	return 0;
}

static void continuations_test(struct kunit *test)
{
	const struct cont_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, gunyah_rm_num_continuations(c->size), c->continuations);
}

static void header_roundtrip_test(struct kunit *test)
{
	static const u8 types[] = { GUNYAH_RM_RPC_TYPE_CONTINUATION, GUNYAH_RM_RPC_TYPE_REQUEST,
				    GUNYAH_RM_RPC_TYPE_REPLY, GUNYAH_RM_RPC_TYPE_NOTIFICATION };
	struct gunyah_rm_msg_info in, out;
	struct gunyah_rm_rpc_hdr hdr;
	unsigned int t, n;

	for (t = 0; t < ARRAY_SIZE(types); t++) {
		for (n = 0; n <= GUNYAH_RM_MAX_CONTINUATIONS; n++) {
			in = (struct gunyah_rm_msg_info){
				.type = types[t], .num_continuations = n,
				.seq = 0xa5a5 ^ n, .msg_id = 0x56000000 + n,
			};
			gunyah_rm_encode_hdr(&hdr, &in);
			KUNIT_ASSERT_EQ(test, hdr.api, 0x21);
			KUNIT_ASSERT_EQ(test, hdr.type, types[t] | (n << 2));
			KUNIT_ASSERT_EQ(test, get_unaligned_le16(&hdr.seq), in.seq);
			KUNIT_ASSERT_EQ(test, get_unaligned_le32(&hdr.msg_id), in.msg_id);
			KUNIT_ASSERT_EQ(test, gunyah_rm_decode_hdr(&hdr, sizeof(hdr), &out), 0);
			KUNIT_ASSERT_EQ(test, out.type, in.type);
			KUNIT_ASSERT_EQ(test, out.num_continuations, in.num_continuations);
			KUNIT_ASSERT_EQ(test, out.seq, in.seq);
			KUNIT_ASSERT_EQ(test, out.msg_id, in.msg_id);
		}
	}
}

static void header_malformed_test(struct kunit *test)
{
	u8 msg[GUNYAH_MSGQ_MAX_MSG_SIZE + 1] = { 0x21, 0x02, 0x01, 0x00, 0x24, 0x00, 0x00, 0x56 };
	struct gunyah_rm_msg_info info;

	KUNIT_EXPECT_EQ(test, gunyah_rm_decode_hdr(msg, 8, &info), 0);
	KUNIT_EXPECT_EQ(test, gunyah_rm_decode_hdr(msg, GUNYAH_MSGQ_MAX_MSG_SIZE, &info), 0);
	KUNIT_EXPECT_EQ(test, gunyah_rm_decode_hdr(msg, 7, &info), -EBADMSG);
	KUNIT_EXPECT_EQ(test, gunyah_rm_decode_hdr(msg, 0, &info), -EBADMSG);
	KUNIT_EXPECT_EQ(test, gunyah_rm_decode_hdr(msg, GUNYAH_MSGQ_MAX_MSG_SIZE + 1, &info),
			-EBADMSG);
	msg[0] = 0x11;	/* header words 1 */
	KUNIT_EXPECT_EQ(test, gunyah_rm_decode_hdr(msg, 8, &info), -EBADMSG);
	msg[0] = 0x22;	/* version 2 */
	KUNIT_EXPECT_EQ(test, gunyah_rm_decode_hdr(msg, 8, &info), -EBADMSG);
	msg[0] = 0x21;
	msg[1] = GUNYAH_RM_RPC_TYPE_REPLY | (63 << 2);	/* 63 continuations */
	KUNIT_EXPECT_EQ(test, gunyah_rm_decode_hdr(msg, 8, &info), -EBADMSG);
	msg[1] = GUNYAH_RM_RPC_TYPE_REPLY | (62 << 2);
	KUNIT_EXPECT_EQ(test, gunyah_rm_decode_hdr(msg, 8, &info), 0);
	KUNIT_EXPECT_EQ(test, info.num_continuations, 62);
}

struct remap_case {
	u32 code;
	int err;
};

static const struct remap_case remap_cases[] = {
	{ 0x0, 0 }, { 0xffffffff, -EOPNOTSUPP }, { 0x1, -ENOMEM }, { 0x2, -ENODEV },
	{ 0x3, -EPERM }, { 0x4, -EINVAL }, { 0x5, -EBUSY }, { 0x6, -EINVAL }, { 0x7, -EINVAL },
	{ 0x8, -EINVAL }, { 0x9, -EINVAL }, { 0xa, -EINVAL }, { 0xb, -EINVAL }, { 0xc, -EINVAL },
	{ 0xd, -EINVAL }, { 0xe, -EINVAL }, { 0xf, -EINVAL }, { 0x10, -EINVAL },
	{ 0x11, -EINVAL }, { 0x12, -EBADMSG }, { 0x13, -EBADMSG }, { 0x14, -EBADMSG },
	{ 0x15, -EBADMSG }, { 0x7fffffff, -EBADMSG },
};

static void remap_desc(const struct remap_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "RM error 0x%x -> %d", c->code, c->err);
}

KUNIT_ARRAY_PARAM(remap, remap_cases, remap_desc);

static void remap_error_test(struct kunit *test)
{
	const struct remap_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, gunyah_rm_remap_error(c->code), c->err);
}

static struct kunit_case transport_cases[] = {
	KUNIT_CASE_PARAM(continuations_test, cont_gen),
	KUNIT_CASE(header_roundtrip_test),
	KUNIT_CASE(header_malformed_test),
	KUNIT_CASE_PARAM(remap_error_test, remap_gen_params),
	{}
};

static struct kunit_suite transport_suite = {
	.name = "gunyah_rm_transport",
	.suite_init = transport_init,
	.test_cases = transport_cases,
};

/* ---------------------------------------------------------------------------------------- */
/* gunyah_rm_rpc: against the simulator */

struct rpc_ctx {
	struct gunyah_rm *rm;
	unsigned int old_timeout;
};

static int rpc_init(struct kunit *test)
{
	struct device *dev = gunyah_sim_rm_device();
	struct rpc_ctx *ctx;

	KUNIT_ASSERT_NOT_NULL(test, dev);
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->rm = gunyah_rm_get_by_dev(dev);
	KUNIT_ASSERT_NOT_NULL_MSG(test, ctx->rm, "gunyah_rsc_mgr is not bound to the simulator");
	test->priv = ctx;
	ctx->old_timeout = gunyah_rm_test_swap_timeout(10000);
	gunyah_sim_fault_clear();
	test->priv = ctx;
	return 0;
}

static void rpc_exit(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;

	if (!ctx)
		return;
	gunyah_sim_fault_clear();
	gunyah_rm_test_swap_timeout(ctx->old_timeout);
	gunyah_rm_put(ctx->rm);
}

static void expect_get_vmid_works(struct kunit *test, struct gunyah_rm *rm)
{
	u16 vmid = 0;

	KUNIT_EXPECT_EQ(test, gunyah_rm_get_vmid(rm, &vmid), 0);
	KUNIT_EXPECT_EQ(test, vmid, HOST_VMID);
}

static void get_vmid_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_sim_request req;

	expect_get_vmid_works(test, ctx->rm);
	KUNIT_ASSERT_EQ(test, gunyah_sim_last_request(&req), 0);
	KUNIT_EXPECT_EQ(test, req.msg_id, RM_MSG_GET_VMID);
	KUNIT_EXPECT_EQ(test, req.payload_len, 0);
	KUNIT_EXPECT_EQ(test, req.rm_error, 0);
}

static void alloc_vmid_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_sim_vm_info info;
	struct gunyah_sim_request req;
	struct gunyah_sim_counters before, after;
	int vmid;

	gunyah_sim_get_counters(&before);
	vmid = gunyah_rm_alloc_vmid(ctx->rm, 0);
	KUNIT_ASSERT_GE(test, vmid, 0x80);
	KUNIT_ASSERT_EQ(test, gunyah_sim_last_request(&req), 0);
	KUNIT_EXPECT_EQ(test, req.msg_id, RM_MSG_ALLOC_VMID);
	KUNIT_EXPECT_EQ(test, req.payload_len, 4);
	KUNIT_ASSERT_GE(test, req.n_fields, 1);
	KUNIT_EXPECT_EQ(test, req.fields[0], 0);
	KUNIT_ASSERT_EQ(test, gunyah_sim_vm_info(vmid, &info), 0);
	KUNIT_EXPECT_EQ(test, info.state, GUNYAH_RM_VM_STATUS_LOAD);
	gunyah_sim_get_counters(&after);
	KUNIT_EXPECT_EQ(test, after.vmids_live, before.vmids_live + 1);

	KUNIT_EXPECT_EQ(test, gunyah_rm_dealloc_vmid(ctx->rm, vmid), 0);
	KUNIT_EXPECT_NE(test, gunyah_sim_vm_info(vmid, &info), 0);
	gunyah_sim_get_counters(&after);
	KUNIT_EXPECT_EQ(test, after.vmids_live, before.vmids_live);

	/* A static vmid is granted as asked; asking for it twice fails. */
	KUNIT_ASSERT_EQ(test, gunyah_rm_alloc_vmid(ctx->rm, 0x30), 0x30);
	KUNIT_EXPECT_LT(test, gunyah_rm_alloc_vmid(ctx->rm, 0x30), 0);
	KUNIT_EXPECT_EQ(test, gunyah_rm_dealloc_vmid(ctx->rm, 0x30), 0);
	/* Deallocating what is not allocated is the RM's error, not a hang. */
	KUNIT_EXPECT_LT(test, gunyah_rm_dealloc_vmid(ctx->rm, 0x30), 0);
}

/* Requests of every size from 0 to 62 fragments reach the RM whole; 63 is refused. */
static void request_sizes_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_sim_counters before, after;
	struct gunyah_sim_request req;
	size_t sizes[3 * 62 + 1], n = 0, i, max = GUNYAH_RM_MAX_REQUEST_PAYLOAD;
	unsigned int k;
	u8 *buf;

	buf = kunit_kmalloc(test, max + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i <= max; i++)
		buf[i] = (u8)(i * 7 + 3);
	sizes[n++] = 0;
	for (k = 1; k <= 62; k++) {
		sizes[n++] = k * 232 - 1;
		sizes[n++] = k * 232;
		if (k < 62)
			sizes[n++] = k * 232 + 1;
	}
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ_MSG(test, gunyah_rm_call(ctx->rm, RM_MSG_UNKNOWN, buf, sizes[i],
							 NULL, NULL), -EOPNOTSUPP,
				    "size %zu", sizes[i]);
		KUNIT_ASSERT_EQ(test, gunyah_sim_last_request(&req), 0);
		KUNIT_ASSERT_EQ(test, req.msg_id, RM_MSG_UNKNOWN);
		KUNIT_ASSERT_EQ_MSG(test, req.payload_len, sizes[i], "size %zu", sizes[i]);
		KUNIT_ASSERT_EQ(test, req.rm_error, 0xffffffff);
	}

	gunyah_sim_get_counters(&before);
	KUNIT_EXPECT_EQ(test, gunyah_rm_call(ctx->rm, RM_MSG_UNKNOWN, buf, max + 1, NULL, NULL),
			-E2BIG);
	gunyah_sim_get_counters(&after);
	KUNIT_EXPECT_EQ(test, after.tx_fragments, before.tx_fragments);
	/* msg_id 0 is reserved */
	KUNIT_EXPECT_EQ(test, gunyah_rm_call(ctx->rm, 0, NULL, 0, NULL, NULL), -EINVAL);
	expect_get_vmid_works(test, ctx->rm);
}

/*
 * The simulator's PAD_REPLY: replies of 1 to 63 fragments (the most a reply has) reach the
 * caller whole and in order, with each fragment count and boundary around 1, 2 and 62.
 */
static void pad_reply_test(struct kunit *test)
{
	static const u32 sizes[] = {
		0, 1, 228, 229, 460, 461, 62 * 232 - 4, 62 * 232 - 3, GUNYAH_SIM_RM_PAD_REPLY_MAX,
	};
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_sim_counters before, after;
	size_t resp_size, i, j;
	__le32 req;
	void *resp;
	u8 *data;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		req = cpu_to_le32(sizes[i]);
		gunyah_sim_get_counters(&before);
		KUNIT_ASSERT_EQ_MSG(test, gunyah_rm_call(ctx->rm, GUNYAH_SIM_RM_MSG_PAD_REPLY, &req,
							 sizeof(req), &resp, &resp_size),
				    0, "size %u", sizes[i]);
		gunyah_sim_get_counters(&after);
		KUNIT_EXPECT_EQ_MSG(test, after.rx_fragments - before.rx_fragments,
				    DIV_ROUND_UP(sizes[i] + 4, 232), "size %u", sizes[i]);
		KUNIT_EXPECT_EQ(test, resp_size, sizes[i]);
		if (!sizes[i]) {
			KUNIT_EXPECT_NULL(test, resp);
			continue;
		}
		KUNIT_ASSERT_NOT_NULL(test, resp);
		data = resp;
		for (j = 0; j < resp_size && data[j] == (u8)j; j++)
			;
		KUNIT_EXPECT_EQ_MSG(test, j, resp_size, "size %u: byte %zu differs", sizes[i], j);
		kfree(resp);
	}
	KUNIT_EXPECT_EQ(test, after.rx_fragments - before.rx_fragments, 63);

	/* One byte more than a reply holds, and a request of the wrong length: the RM refuses */
	req = cpu_to_le32(GUNYAH_SIM_RM_PAD_REPLY_MAX + 1);
	KUNIT_EXPECT_EQ(test, gunyah_rm_call(ctx->rm, GUNYAH_SIM_RM_MSG_PAD_REPLY, &req,
					     sizeof(req), NULL, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, gunyah_rm_call(ctx->rm, GUNYAH_SIM_RM_MSG_PAD_REPLY, &req, 2,
					     NULL, NULL), -EINVAL);
	expect_get_vmid_works(test, ctx->rm);
}

/* Every RM error code, sent by the simulated RM in a real reply, becomes the mapped errno. */
static void rpc_error_test(struct kunit *test)
{
	const struct remap_case *c = test->param_value;
	struct rpc_ctx *ctx = test->priv;
	u16 vmid;

	if (!c->code)
		return;
	gunyah_sim_fault_rpc(1, RM_MSG_GET_VMID, c->code);
	KUNIT_EXPECT_EQ(test, gunyah_rm_get_vmid(ctx->rm, &vmid), c->err);
	expect_get_vmid_works(test, ctx->rm);
}

static void seq_wrap_test(struct kunit *test)
{
	static const u16 expect[] = { 0xfffe, 0xffff, 0x0000, 0x0001 };
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_sim_request req;
	unsigned int i;

	xa_lock(&ctx->rm->calls);
	ctx->rm->next_seq = 0xfffe;
	xa_unlock(&ctx->rm->calls);
	for (i = 0; i < ARRAY_SIZE(expect); i++) {
		expect_get_vmid_works(test, ctx->rm);
		KUNIT_ASSERT_EQ(test, gunyah_sim_last_request(&req), 0);
		KUNIT_EXPECT_EQ(test, req.seq, expect[i]);
	}
}

struct notif_rec {
	struct notifier_block nb;
	struct completion done;
	unsigned long action;
	u8 payload[512];
	size_t size;
	unsigned int count;
};

static int notif_cb(struct notifier_block *nb, unsigned long action, void *data)
{
	struct notif_rec *rec = container_of(nb, struct notif_rec, nb);
	struct gunyah_rm_notif *notif = data;

	if (action != 0x5610fff0 && action != 0x5610fff1)
		return NOTIFY_DONE;	/* a real notification of some other test's VM */
	rec->action = action;
	rec->size = min(notif->size, sizeof(rec->payload));
	memcpy(rec->payload, notif->payload, rec->size);
	rec->count++;
	complete(&rec->done);
	return NOTIFY_OK;
}

static void put_hdr(u8 *msg, u8 type, u8 cont, u16 seq, u32 msg_id)
{
	msg[0] = 0x21;
	msg[1] = type | (cont << 2);
	put_unaligned_le16(seq, msg + 2);
	put_unaligned_le32(msg_id, msg + 4);
}

/* Queue a raw fragment for the host, waiting while the RX queue (8 deep) is full. */
static int inject(const void *msg, size_t len)
{
	int i, ret;

	for (i = 0; i < 250; i++) {
		ret = gunyah_sim_inject_rx(msg, len);
		if (ret != -EBUSY)
			return ret;
		usleep_range(10000, 20000);
	}
	return ret;
}

static void notification_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	struct notif_rec *rec;
	u8 msg[240];
	unsigned int i;

	rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rec);
	init_completion(&rec->done);
	rec->nb.notifier_call = notif_cb;
	KUNIT_ASSERT_EQ(test, gunyah_rm_notifier_register(ctx->rm, &rec->nb), 0);

	/* one fragment */
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_NOTIFICATION, 0, 0, 0x5610fff0);
	for (i = 8; i < 20; i++)
		msg[i] = i;
	KUNIT_ASSERT_EQ(test, inject(msg, 20), 0);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&rec->done, 5 * HZ), 0);
	KUNIT_EXPECT_EQ(test, rec->action, 0x5610fff0);
	KUNIT_EXPECT_EQ(test, rec->size, 12);
	KUNIT_EXPECT_EQ(test, rec->payload[0], 8);
	KUNIT_EXPECT_EQ(test, rec->payload[11], 19);

	/* two fragments: 232 + 68 payload bytes */
	reinit_completion(&rec->done);
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_NOTIFICATION, 1, 0, 0x5610fff1);
	memset(msg + 8, 0xaa, 232);
	KUNIT_ASSERT_EQ(test, inject(msg, 240), 0);
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_CONTINUATION, 1, 0, 0x5610fff1);
	memset(msg + 8, 0xbb, 68);
	KUNIT_ASSERT_EQ(test, inject(msg, 8 + 68), 0);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&rec->done, 5 * HZ), 0);
	KUNIT_EXPECT_EQ(test, rec->action, 0x5610fff1);
	KUNIT_EXPECT_EQ(test, rec->size, 300);
	KUNIT_EXPECT_EQ(test, rec->payload[231], 0xaa);
	KUNIT_EXPECT_EQ(test, rec->payload[232], 0xbb);
	KUNIT_EXPECT_EQ(test, rec->count, 2);

	KUNIT_EXPECT_EQ(test, gunyah_rm_notifier_unregister(ctx->rm, &rec->nb), 0);
}

/* Malformed fragments from the RM are dropped; nothing is delivered; the next call works. */
static void malformed_rx_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	struct notif_rec *rec;
	u8 msg[240];

	rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rec);
	init_completion(&rec->done);
	rec->nb.notifier_call = notif_cb;
	KUNIT_ASSERT_EQ(test, gunyah_rm_notifier_register(ctx->rm, &rec->nb), 0);
	memset(msg, 0, sizeof(msg));

	/* too short */
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_NOTIFICATION, 0, 0, 0x5610fff0);
	KUNIT_EXPECT_EQ(test, inject(msg, 7), 0);
	/* bad api byte */
	msg[0] = 0x31;
	KUNIT_EXPECT_EQ(test, gunyah_rm_decode_hdr(msg, 12, &(struct gunyah_rm_msg_info){}),
			-EBADMSG);
	KUNIT_EXPECT_EQ(test, inject(msg, 12), 0);
	/* a request (the RM never sends one) */
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_REQUEST, 0, 0, 0x5610fff0);
	KUNIT_EXPECT_EQ(test, inject(msg, 12), 0);
	/* a continuation with nothing in progress */
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_CONTINUATION, 1, 0, 0x5610fff0);
	KUNIT_EXPECT_EQ(test, inject(msg, 12), 0);
	/* a reply nobody waits for */
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_REPLY, 0, 0x1234, RM_MSG_GET_VMID);
	KUNIT_EXPECT_EQ(test, inject(msg, 16), 0);
	/* a two-fragment notification whose continuation has another msg_id */
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_NOTIFICATION, 1, 0, 0x5610fff0);
	KUNIT_EXPECT_EQ(test, inject(msg, 240), 0);
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_CONTINUATION, 1, 0, 0x5610fff1);
	KUNIT_EXPECT_EQ(test, inject(msg, 20), 0);
	/* ... and one whose continuation announces another fragment count */
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_NOTIFICATION, 1, 0, 0x5610fff0);
	KUNIT_EXPECT_EQ(test, inject(msg, 240), 0);
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_CONTINUATION, 2, 0, 0x5610fff0);
	KUNIT_EXPECT_EQ(test, inject(msg, 20), 0);

	/* The RX path is still sound: a call works, then a valid notification arrives alone. */
	expect_get_vmid_works(test, ctx->rm);
	put_hdr(msg, GUNYAH_RM_RPC_TYPE_NOTIFICATION, 0, 0, 0x5610fff1);
	KUNIT_EXPECT_EQ(test, inject(msg, 12), 0);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&rec->done, 5 * HZ), 0);
	KUNIT_EXPECT_EQ(test, rec->count, 1);
	KUNIT_EXPECT_EQ(test, rec->action, 0x5610fff1);
	KUNIT_EXPECT_EQ(test, gunyah_rm_notifier_unregister(ctx->rm, &rec->nb), 0);
}

static void fault_drop_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	u16 vmid;

	gunyah_rm_test_swap_timeout(500);
	gunyah_sim_fault_rx_drop(1);
	KUNIT_EXPECT_EQ(test, gunyah_rm_get_vmid(ctx->rm, &vmid), -ETIMEDOUT);
	gunyah_rm_test_swap_timeout(10000);
	expect_get_vmid_works(test, ctx->rm);
}

static void fault_duplicate_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;

	gunyah_sim_fault_rx_duplicate(1);
	expect_get_vmid_works(test, ctx->rm);
	expect_get_vmid_works(test, ctx->rm);
}

static void fault_corrupt_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	u16 vmid;

	/* The api byte of the reply is corrupted: the fragment is dropped, the call times out. */
	gunyah_rm_test_swap_timeout(500);
	gunyah_sim_fault_rx_corrupt(1, 0, 0xff);
	KUNIT_EXPECT_EQ(test, gunyah_rm_get_vmid(ctx->rm, &vmid), -ETIMEDOUT);
	gunyah_rm_test_swap_timeout(10000);
	expect_get_vmid_works(test, ctx->rm);
}

static void fault_delay_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;

	gunyah_sim_fault_rx_delay(1, 200);
	expect_get_vmid_works(test, ctx->rm);
	/* A delay longer than the timeout: -ETIMEDOUT, and the late reply is dropped. */
	gunyah_rm_test_swap_timeout(100);
	gunyah_sim_fault_rx_delay(1, 400);
	{
		u16 vmid;

		KUNIT_EXPECT_EQ(test, gunyah_rm_get_vmid(ctx->rm, &vmid), -ETIMEDOUT);
	}
	gunyah_rm_test_swap_timeout(10000);
	msleep(500);
	expect_get_vmid_works(test, ctx->rm);
}

/*
 * The simulator's rm_cycles counts the RM thread's time on a call: more than nothing, never
 * more than the call took, and a reply the rx_delay knob holds back is the RM's time too.
 */
static void rm_cycles_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_sim_counters before, after;
	cycles_t c0, c1;
	u64 rm, wall, ns;
	ktime_t t0;

	c0 = get_cycles();
	if (c0 == get_cycles() && !c0)
		kunit_skip(test, "no cycle counter on this architecture");

	/* Idle before and after: the RM adds its time once it is done with a fragment */
	KUNIT_ASSERT_EQ(test, gunyah_sim_rm_wait_idle(1000), 0);
	gunyah_sim_get_counters(&before);
	c0 = get_cycles();
	expect_get_vmid_works(test, ctx->rm);
	KUNIT_ASSERT_EQ(test, gunyah_sim_rm_wait_idle(1000), 0);
	c1 = get_cycles();
	gunyah_sim_get_counters(&after);
	rm = after.rm_cycles - before.rm_cycles;
	KUNIT_EXPECT_GT(test, rm, 0);
	KUNIT_EXPECT_LE(test, rm, (u64)(c1 - c0));

	/* 200 ms of delay, against the call's own length in ns and ticks */
	gunyah_sim_fault_rx_delay(1, 200);
	gunyah_sim_get_counters(&before);
	t0 = ktime_get();
	c0 = get_cycles();
	expect_get_vmid_works(test, ctx->rm);
	KUNIT_ASSERT_EQ(test, gunyah_sim_rm_wait_idle(1000), 0);
	c1 = get_cycles();
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	gunyah_sim_get_counters(&after);
	rm = after.rm_cycles - before.rm_cycles;
	wall = c1 - c0;
	KUNIT_ASSERT_GE(test, ns, 190 * NSEC_PER_MSEC);
	KUNIT_EXPECT_LE(test, rm, wall);
	/* At least 3/4 of 200 ms in ticks: the clock may step by a tick of a few ms */
	KUNIT_EXPECT_GE(test, rm, div64_u64(wall * 150, div64_u64(ns, NSEC_PER_MSEC)));
}

static void fault_tx_full_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	u16 vmid;

	/* Full for a while: the sender waits for the not-full interrupt, then goes on. */
	gunyah_sim_fault_tx_full(200);
	expect_get_vmid_works(test, ctx->rm);
	/* Full for longer than the timeout: -ETIMEDOUT, not a hang. */
	gunyah_rm_test_swap_timeout(200);
	gunyah_sim_fault_tx_full(1000);
	KUNIT_EXPECT_EQ(test, gunyah_rm_get_vmid(ctx->rm, &vmid), -ETIMEDOUT);
	gunyah_rm_test_swap_timeout(10000);
	msleep(1000);
	expect_get_vmid_works(test, ctx->rm);
}

/*
 * The hypervisor answers RETRY to receives, far more often in a row than the RX thread tries
 * at once, while a reply of several fragments is queued. The RX interrupt does not come again
 * for a queue that is not empty: the thread must keep trying (with sleeps) until it gets the
 * reply, and the call then succeeds with the whole of it.
 */
static void fault_rx_retry_test(struct kunit *test)
{
	const u32 retries = 40, size = 3 * 232;
	struct gunyah_sim_counters before, after;
	struct rpc_ctx *ctx = test->priv;
	__le32 req = cpu_to_le32(size);
	size_t resp_size, j;
	void *resp;
	u8 *data;

	gunyah_sim_get_counters(&before);
	gunyah_sim_fault_rx_retry(retries);
	KUNIT_ASSERT_EQ(test, gunyah_rm_call(ctx->rm, GUNYAH_SIM_RM_MSG_PAD_REPLY, &req,
					     sizeof(req), &resp, &resp_size), 0);
	gunyah_sim_get_counters(&after);
	KUNIT_EXPECT_EQ(test, after.faults_injected - before.faults_injected, retries);
	KUNIT_EXPECT_EQ(test, resp_size, size);
	KUNIT_ASSERT_NOT_NULL(test, resp);
	data = resp;
	for (j = 0; j < resp_size && data[j] == (u8)j; j++)
		;
	KUNIT_EXPECT_EQ(test, j, resp_size);
	kfree(resp);
	expect_get_vmid_works(test, ctx->rm);
}

static void fault_nth_rpc_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	u16 vmid;

	gunyah_sim_fault_rpc(2, RM_MSG_GET_VMID, 5 /* BUSY */);
	expect_get_vmid_works(test, ctx->rm);
	KUNIT_EXPECT_EQ(test, gunyah_rm_get_vmid(ctx->rm, &vmid), -EBUSY);
	expect_get_vmid_works(test, ctx->rm);
}

/* A run of failures: COUNT matching RPCs in a row, then the RM answers again. */
static void fault_rpc_repeat_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_sim_counters before, after;
	unsigned int i;
	u16 vmid;

	gunyah_sim_get_counters(&before);
	gunyah_sim_fault_rpc_repeat(1, RM_MSG_GET_VMID, 5 /* BUSY */, 3);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ_MSG(test, gunyah_rm_get_vmid(ctx->rm, &vmid), -EBUSY, "call %u", i);
	expect_get_vmid_works(test, ctx->rm);
	gunyah_sim_get_counters(&after);
	KUNIT_EXPECT_EQ(test, after.faults_injected, before.faults_injected + 3);
}

/* VM_GET_STATE: the state of each VM the RM knows, -ENODEV for one it does not */
static void vm_get_state_test(struct kunit *test)
{
	struct gunyah_rm_vm_status_payload state = { };
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_sim_request req;
	int vmid;

	vmid = gunyah_rm_alloc_vmid(ctx->rm, 0);
	KUNIT_ASSERT_GT(test, vmid, 0);
	KUNIT_ASSERT_EQ(test, gunyah_rm_vm_get_state(ctx->rm, vmid, &state), 0);
	KUNIT_EXPECT_EQ(test, state.vmid, vmid);
	KUNIT_EXPECT_EQ(test, state.vm_status, GUNYAH_RM_VM_STATUS_LOAD);
	KUNIT_EXPECT_EQ(test, state.os_status, 0);
	KUNIT_EXPECT_EQ(test, state.app_status, 0);
	KUNIT_ASSERT_EQ(test, gunyah_sim_last_request(&req), 0);
	KUNIT_EXPECT_EQ(test, req.msg_id, RM_MSG_VM_GET_STATE);
	KUNIT_EXPECT_EQ(test, req.payload_len, 4);
	KUNIT_ASSERT_GE(test, req.n_fields, 2);
	KUNIT_EXPECT_EQ(test, req.fields[0], vmid);
	KUNIT_EXPECT_EQ(test, req.fields[1], 0);

	KUNIT_EXPECT_EQ(test, gunyah_rm_dealloc_vmid(ctx->rm, vmid), 0);
	KUNIT_EXPECT_EQ(test, gunyah_rm_vm_get_state(ctx->rm, vmid, &state), -ENODEV);
}

/*
 * A lost reply: the RM did what was asked, the host times out. VM_GET_STATE tells the two
 * apart: the VM id is gone. A later call gets its own reply, not the lost one.
 */
static void fault_lose_reply_test(struct kunit *test)
{
	struct gunyah_rm_vm_status_payload state;
	struct gunyah_sim_counters before, after;
	struct gunyah_sim_vm_info info;
	struct rpc_ctx *ctx = test->priv;
	int vmid;

	vmid = gunyah_rm_alloc_vmid(ctx->rm, 0);
	KUNIT_ASSERT_GT(test, vmid, 0);
	gunyah_sim_get_counters(&before);
	gunyah_rm_test_swap_timeout(200);
	gunyah_sim_fault_lose_reply(1, RM_MSG_DEALLOC_VMID);
	KUNIT_EXPECT_EQ(test, gunyah_rm_dealloc_vmid(ctx->rm, vmid), -ETIMEDOUT);
	gunyah_rm_test_swap_timeout(10000);
	gunyah_sim_get_counters(&after);
	KUNIT_EXPECT_EQ(test, after.faults_injected, before.faults_injected + 1);
	KUNIT_EXPECT_EQ(test, after.vmids_live, before.vmids_live - 1);
	KUNIT_EXPECT_NE(test, gunyah_sim_vm_info(vmid, &info), 0);
	/* A retry is refused: the RM knows no such VM any more */
	KUNIT_EXPECT_EQ(test, gunyah_rm_dealloc_vmid(ctx->rm, vmid), -EINVAL);
	KUNIT_EXPECT_EQ(test, gunyah_rm_vm_get_state(ctx->rm, vmid, &state), -ENODEV);
	expect_get_vmid_works(test, ctx->rm);
}

static struct kunit_case rpc_cases[] = {
	KUNIT_CASE(get_vmid_test),
	KUNIT_CASE(alloc_vmid_test),
	KUNIT_CASE(request_sizes_test),
	KUNIT_CASE(pad_reply_test),
	KUNIT_CASE_PARAM(rpc_error_test, remap_gen_params),
	KUNIT_CASE(seq_wrap_test),
	KUNIT_CASE(notification_test),
	KUNIT_CASE(malformed_rx_test),
	KUNIT_CASE(fault_drop_test),
	KUNIT_CASE(fault_duplicate_test),
	KUNIT_CASE(fault_corrupt_test),
	KUNIT_CASE(fault_delay_test),
	KUNIT_CASE(rm_cycles_test),
	KUNIT_CASE(fault_tx_full_test),
	KUNIT_CASE(fault_rx_retry_test),
	KUNIT_CASE(fault_nth_rpc_test),
	KUNIT_CASE(fault_rpc_repeat_test),
	KUNIT_CASE(fault_lose_reply_test),
	KUNIT_CASE(vm_get_state_test),
	{}
};

static struct kunit_suite rpc_suite = {
	.name = "gunyah_rm_rpc",
	.init = rpc_init,
	.exit = rpc_exit,
	.test_cases = rpc_cases,
};

/* ---------------------------------------------------------------------------------------- */
/* gunyah_rm_vm: a VM's life, RPC by RPC */

#define VM_BASE		0x80000000ULL

static size_t build_vm_config(void *buf, size_t cap, unsigned int n_vcpus)
{
	static const u32 labels[] = { 5, 6 };
	struct gunyah_fdt *f = kzalloc(sizeof(*f), GFP_KERNEL);
	size_t size;

	if (!f)
		return 0;
	size = gunyah_fdt_vm_config(f, buf, cap, n_vcpus, labels, ARRAY_SIZE(labels), VM_BASE);
	kfree(f);
	return size;
}

static bool wait_sim_state(u16 vmid, u8 state)
{
	struct gunyah_sim_vm_info info;
	int i;

	for (i = 0; i < 500; i++) {
		if (!gunyah_sim_vm_info(vmid, &info) && info.state == state)
			return true;
		usleep_range(10000, 20000);
	}
	return false;
}

static void vm_lifecycle_test(struct kunit *test)
{
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_rm *rm = ctx->rm;
	struct gunyah_rm_mem_acl_entry acl[2];
	struct gunyah_rm_mem_entry entry;
	struct gunyah_rm_mem_parcel parcel = { };
	struct gunyah_rm_hyp_resources *res = NULL;
	struct gunyah_sim_parcel_info pinfo;
	struct gunyah_sim_vm_info info;
	struct gunyah_sim_request req;
	unsigned int i, vcpus = 0, bells = 0;
	struct gunyah_hypercall_vcpu_run_resp resp;
	u64 resume[3] = { }, vcpu_cap = 0;
	struct page *pages;
	size_t dtb_size;
	int vmid;

	pages = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_COMP, 2);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	dtb_size = build_vm_config(page_address(pages) + 256, 4096, 3);
	KUNIT_ASSERT_GT(test, dtb_size, 0);

	vmid = gunyah_rm_alloc_vmid(rm, 0);
	KUNIT_ASSERT_GT(test, vmid, 0);

	acl[0] = (struct gunyah_rm_mem_acl_entry){ .vmid = vmid,
		.perms = GUNYAH_RM_ACL_R | GUNYAH_RM_ACL_W | GUNYAH_RM_ACL_X };
	acl[1] = (struct gunyah_rm_mem_acl_entry){ .vmid = HOST_VMID,
		.perms = GUNYAH_RM_ACL_R | GUNYAH_RM_ACL_W | GUNYAH_RM_ACL_X };
	entry = (struct gunyah_rm_mem_entry){ .phys_addr = page_to_phys(pages),
					      .size = 4 * PAGE_SIZE };
	parcel = (struct gunyah_rm_mem_parcel){ .mem_type = GUNYAH_RM_MEM_TYPE_NORMAL,
		.label = 0, .n_acl_entries = 2, .acl_entries = acl, .n_mem_entries = 1,
		.mem_entries = &entry, .mem_handle = GUNYAH_MEM_HANDLE_INVAL };
	KUNIT_ASSERT_EQ(test, gunyah_rm_mem_share(rm, &parcel), 0);
	KUNIT_ASSERT_NE(test, parcel.mem_handle, GUNYAH_MEM_HANDLE_INVAL);
	KUNIT_ASSERT_EQ(test, gunyah_sim_parcel_info(parcel.mem_handle, &pinfo), 0);
	KUNIT_EXPECT_EQ(test, pinfo.trans_type, GUNYAH_SIM_PARCEL_SHARE);
	KUNIT_EXPECT_EQ(test, pinfo.n_acl, 2);
	KUNIT_EXPECT_EQ(test, pinfo.acl[0].vmid, vmid);
	KUNIT_EXPECT_EQ(test, pinfo.acl[0].perms, 7);
	KUNIT_EXPECT_EQ(test, pinfo.acl[1].vmid, HOST_VMID);
	KUNIT_EXPECT_EQ(test, pinfo.n_entries, 1);
	KUNIT_EXPECT_EQ(test, pinfo.bytes, 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pinfo.first_phys, page_to_phys(pages));
	KUNIT_EXPECT_FALSE(test, pinfo.pending);

	KUNIT_ASSERT_EQ(test, gunyah_rm_vm_configure(rm, vmid, GUNYAH_RM_VM_AUTH_NONE,
						     parcel.mem_handle, 0, 0, 256, dtb_size), 0);
	KUNIT_ASSERT_EQ(test, gunyah_sim_vm_info(vmid, &info), 0);
	KUNIT_EXPECT_EQ(test, info.image_handle, parcel.mem_handle);
	KUNIT_EXPECT_EQ(test, info.dtb_offset, 256);
	KUNIT_EXPECT_EQ(test, info.dtb_size, dtb_size);
	KUNIT_ASSERT_EQ(test, gunyah_sim_last_request(&req), 0);
	KUNIT_EXPECT_EQ(test, req.payload_len, 40);

	KUNIT_ASSERT_EQ(test, gunyah_rm_vm_init(rm, vmid), 0);
	KUNIT_ASSERT_EQ(test, gunyah_sim_vm_info(vmid, &info), 0);
	KUNIT_EXPECT_EQ(test, info.n_vcpus, 3);
	KUNIT_EXPECT_EQ(test, info.n_doorbells, 2);
	KUNIT_EXPECT_EQ(test, info.base_address, VM_BASE);

	KUNIT_ASSERT_EQ(test, gunyah_rm_get_hyp_resources(rm, vmid, &res), 0);
	KUNIT_ASSERT_NOT_NULL(test, res);
	KUNIT_EXPECT_EQ(test, res->n_entries, 5);
	for (i = 0; i < res->n_entries; i++) {
		if (res->entries[i].type == GUNYAH_RESOURCE_TYPE_VCPU) {
			KUNIT_EXPECT_LT(test, res->entries[i].resource_label, 3);
			KUNIT_EXPECT_GE(test, res->entries[i].virq, 32);
			vcpu_cap = res->entries[i].cap_id;
			vcpus++;
		} else if (res->entries[i].type == GUNYAH_RESOURCE_TYPE_BELL_TX) {
			KUNIT_EXPECT_GE(test, res->entries[i].resource_label, 5);
			KUNIT_EXPECT_LE(test, res->entries[i].resource_label, 6);
			bells++;
		}
	}
	KUNIT_EXPECT_EQ(test, vcpus, 3);
	KUNIT_EXPECT_EQ(test, bells, 2);
	kfree(res);

	KUNIT_ASSERT_EQ(test, gunyah_rm_vm_set_boot_context(rm, vmid, GUNYAH_RM_BOOT_REG_SET_PC, 0,
							    VM_BASE + 0x1000), 0);
	KUNIT_ASSERT_EQ(test, gunyah_rm_vm_set_boot_context(rm, vmid, GUNYAH_RM_BOOT_REG_SET_X, 3,
							    0x1234), 0);
	KUNIT_ASSERT_EQ(test, gunyah_sim_vm_info(vmid, &info), 0);
	KUNIT_EXPECT_TRUE(test, info.boot_pc_set);
	KUNIT_EXPECT_EQ(test, info.boot_pc, VM_BASE + 0x1000);
	KUNIT_EXPECT_EQ(test, info.boot_x[3], 0x1234);

	KUNIT_ASSERT_EQ(test, gunyah_rm_vm_start(rm, vmid), 0);
	KUNIT_EXPECT_TRUE(test, wait_sim_state(vmid, GUNYAH_RM_VM_STATUS_RUNNING));
	/*
	 * vcpu_run: the RETRY knob first, then a real run. There is no guest program in this
	 * VM's memory, so the vCPU faults on a bad header.
	 */
	gunyah_sim_fault_vcpu_retry(1);
	KUNIT_EXPECT_EQ(test, gunyah_hypercall_vcpu_run(vcpu_cap, resume, &resp),
			GUNYAH_ERROR_RETRY);
	KUNIT_ASSERT_EQ(test, gunyah_hypercall_vcpu_run(vcpu_cap, resume, &resp), GUNYAH_ERROR_OK);
	KUNIT_EXPECT_EQ(test, resp.state, GUNYAH_VCPU_STATE_FAULT);
	KUNIT_EXPECT_EQ(test, resp.state_data[0], GUNYAH_SIM_FAULT_BAD_HEADER);
	/* A capability that is not a vCPU */
	KUNIT_EXPECT_NE(test, gunyah_hypercall_vcpu_run(~0ULL, resume, &resp), GUNYAH_ERROR_OK);

	/* The VM holds the parcel: it cannot be reclaimed while running. */
	KUNIT_EXPECT_LT(test, gunyah_rm_mem_reclaim(rm, &parcel), 0);

	KUNIT_ASSERT_EQ(test, gunyah_rm_vm_stop(rm, vmid), 0);
	KUNIT_ASSERT_EQ(test, gunyah_sim_last_request(&req), 0);
	KUNIT_EXPECT_EQ(test, req.msg_id, RM_MSG_VM_STOP);
	KUNIT_ASSERT_GE(test, req.n_fields, 4);
	KUNIT_EXPECT_EQ(test, req.fields[1], GUNYAH_RM_VM_STOP_FLAG_FORCE_STOP);
	KUNIT_EXPECT_EQ(test, req.fields[3], GUNYAH_RM_VM_STOP_REASON_FORCE_STOP);
	KUNIT_EXPECT_TRUE(test, wait_sim_state(vmid, GUNYAH_RM_VM_STATUS_EXITED));
	KUNIT_ASSERT_EQ(test, gunyah_sim_vm_info(vmid, &info), 0);
	KUNIT_EXPECT_TRUE(test, info.exited);
	KUNIT_EXPECT_EQ(test, info.exit_type, 7);

	KUNIT_ASSERT_EQ(test, gunyah_rm_vm_reset(rm, vmid), 0);
	KUNIT_EXPECT_TRUE(test, wait_sim_state(vmid, GUNYAH_RM_VM_STATUS_RESET));
	KUNIT_EXPECT_EQ(test, gunyah_rm_mem_reclaim(rm, &parcel), 0);
	KUNIT_EXPECT_NE(test, gunyah_sim_parcel_info(pinfo.handle, &pinfo), 0);
	KUNIT_EXPECT_EQ(test, gunyah_rm_dealloc_vmid(rm, vmid), 0);
	__free_pages(pages, 2);
}

/* More than 512 entries: APPEND in the first message, then MEM_APPEND with END. */
static void big_parcel_test(struct kunit *test)
{
	const unsigned int n = 600;
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_sim_counters before, after;
	struct gunyah_rm_mem_acl_entry acl;
	struct gunyah_rm_mem_entry *entries;
	struct gunyah_rm_mem_parcel parcel;
	struct gunyah_sim_parcel_info pinfo;
	struct page **pages;
	unsigned int i;
	int vmid;

	pages = kunit_kcalloc(test, n, sizeof(*pages), GFP_KERNEL);
	entries = kunit_kcalloc(test, n, sizeof(*entries), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_ASSERT_NOT_NULL(test, entries);
	/* The first page of each order-1 block: no two are adjacent. */
	for (i = 0; i < n; i++) {
		pages[i] = alloc_pages(GFP_KERNEL, 1);
		if (!pages[i])
			break;
		entries[i] = (struct gunyah_rm_mem_entry){ .phys_addr = page_to_phys(pages[i]),
							   .size = PAGE_SIZE };
	}
	if (i < n)
		goto out;

	vmid = gunyah_rm_alloc_vmid(ctx->rm, 0);
	KUNIT_ASSERT_GT(test, vmid, 0);
	acl = (struct gunyah_rm_mem_acl_entry){ .vmid = vmid,
						.perms = GUNYAH_RM_ACL_R | GUNYAH_RM_ACL_W };
	parcel = (struct gunyah_rm_mem_parcel){ .mem_type = GUNYAH_RM_MEM_TYPE_NORMAL,
		.label = 9, .n_acl_entries = 1, .acl_entries = &acl, .n_mem_entries = n,
		.mem_entries = entries, .mem_handle = GUNYAH_MEM_HANDLE_INVAL };
	gunyah_sim_get_counters(&before);
	KUNIT_EXPECT_EQ(test, gunyah_rm_mem_lend(ctx->rm, &parcel), 0);
	gunyah_sim_get_counters(&after);
	KUNIT_EXPECT_EQ(test, after.mem_append_msgs, before.mem_append_msgs + 1);
	KUNIT_EXPECT_EQ(test, after.pages_shared, before.pages_shared + n);
	KUNIT_EXPECT_EQ(test, gunyah_sim_parcel_info(parcel.mem_handle, &pinfo), 0);
	KUNIT_EXPECT_EQ(test, pinfo.trans_type, GUNYAH_SIM_PARCEL_LEND);
	KUNIT_EXPECT_EQ(test, pinfo.label, 9);
	KUNIT_EXPECT_EQ(test, pinfo.n_entries, n);
	KUNIT_EXPECT_EQ(test, pinfo.bytes, (u64)n * PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, pinfo.pending);
	KUNIT_EXPECT_EQ(test, gunyah_rm_mem_reclaim(ctx->rm, &parcel), 0);
	gunyah_sim_get_counters(&after);
	KUNIT_EXPECT_EQ(test, after.pages_shared, before.pages_shared);
	KUNIT_EXPECT_EQ(test, gunyah_rm_dealloc_vmid(ctx->rm, vmid), 0);
out:
	KUNIT_EXPECT_EQ(test, i, n);
	while (i--)
		__free_pages(pages[i], 1);
}

/*
 * Memory may be in one live parcel only: the RM answers MEM_INVALID to an entry that overlaps
 * a live parcel's memory, and takes nothing of a refused request. Checked where the simulator
 * keeps its record page by page (RAM, here across the 64 MiB boundary of its blocks), where it
 * keeps ranges (far above RAM), for an entry across the two, and for a MEM_APPEND that
 * overlaps its own parcel. The addresses are made up: parcels that no VM uses are never read.
 */
#define OV_RAM		((u64)SZ_64M)	/* in RAM, a block boundary of the record */
#define OV_HIGH		BIT_ULL(44)	/* far above RAM */
#define OV_FAR		BIT_ULL(45)

/*
 * Lend one parcel of @n entries to the VM of @acl (read only): the errno, and the RM's answer
 * in *@rm_err on success
 */
static int ov_lend(struct kunit *test, struct gunyah_rm_mem_acl_entry *acl,
		   const struct gunyah_rm_mem_entry *entries, unsigned int n,
		   struct gunyah_rm_mem_parcel *parcel, u32 *rm_err)
{
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_sim_request req;
	int ret;

	*parcel = (struct gunyah_rm_mem_parcel){ .mem_type = GUNYAH_RM_MEM_TYPE_NORMAL,
		.label = 1, .n_acl_entries = 1, .acl_entries = acl, .n_mem_entries = n,
		.mem_entries = (struct gunyah_rm_mem_entry *)entries,
		.mem_handle = GUNYAH_MEM_HANDLE_INVAL };
	ret = gunyah_rm_mem_lend(ctx->rm, parcel);
	*rm_err = ~0U;
	if (ret) {
		/* A failed MEM_APPEND is followed by the driver's MEM_RECLAIM of the parcel */
		KUNIT_EXPECT_EQ(test, parcel->mem_handle, GUNYAH_MEM_HANDLE_INVAL);
		return ret;
	}
	KUNIT_EXPECT_EQ(test, gunyah_sim_last_request(&req), 0);
	*rm_err = req.rm_error;
	return 0;
}

/*
 * Lend @start..+@size alone, then reclaim it unless @kept is given (the parcel goes there):
 * 0, or the RM's error (RM_ERR_MEM_INVALID on an overlap)
 */
static u32 ov_try(struct kunit *test, struct gunyah_rm_mem_acl_entry *acl, u64 start, u64 size,
		  struct gunyah_rm_mem_parcel *kept)
{
	struct gunyah_rm_mem_entry e = { .phys_addr = start, .size = size };
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_rm_mem_parcel parcel;
	struct gunyah_sim_request req;
	u32 rm_err;

	if (ov_lend(test, acl, &e, 1, &parcel, &rm_err)) {
		KUNIT_EXPECT_EQ(test, gunyah_sim_last_request(&req), 0);
		KUNIT_EXPECT_EQ(test, req.msg_id, RM_MSG_MEM_LEND);
		return req.rm_error;
	}
	if (kept)
		*kept = parcel;
	else
		KUNIT_EXPECT_EQ(test, gunyah_rm_mem_reclaim(ctx->rm, &parcel), 0);
	return rm_err;
}

static void parcel_overlap_test(struct kunit *test)
{
	const u64 pg = PAGE_SIZE;
	struct rpc_ctx *ctx = test->priv;
	struct gunyah_sim_counters before, after;
	struct gunyah_rm_mem_parcel a, h, x, big;
	struct gunyah_rm_mem_acl_entry acl;
	struct gunyah_rm_mem_entry *entries;
	struct gunyah_rm_mem_entry two[2];
	const unsigned int n = 520;
	unsigned int i;
	u32 rm_err;
	int vmid;

	vmid = gunyah_rm_alloc_vmid(ctx->rm, 0);
	KUNIT_ASSERT_GT(test, vmid, 0);
	acl = (struct gunyah_rm_mem_acl_entry){ .vmid = vmid, .perms = GUNYAH_RM_ACL_R };
	gunyah_sim_get_counters(&before);

	/* Four pages across a block boundary of the RM's page record */
	KUNIT_ASSERT_EQ(test, ov_try(test, &acl, OV_RAM - 2 * pg, 4 * pg, &a), 0);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_RAM - 2 * pg, 4 * pg, NULL),
			RM_ERR_MEM_INVALID);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_RAM - 3 * pg, 2 * pg, NULL),
			RM_ERR_MEM_INVALID);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_RAM + pg, 2 * pg, NULL), RM_ERR_MEM_INVALID);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_RAM, pg, NULL), RM_ERR_MEM_INVALID);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_RAM - 4 * pg, 8 * pg, NULL),
			RM_ERR_MEM_INVALID);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_RAM - SZ_64M, 2 * SZ_64M, NULL),
			RM_ERR_MEM_INVALID);
	/* Touching is not overlapping */
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_RAM + 2 * pg, pg, NULL), 0);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_RAM - 3 * pg, pg, NULL), 0);

	/* A refused request takes nothing: its first entry was free, and is still */
	two[0] = (struct gunyah_rm_mem_entry){ .phys_addr = OV_RAM + SZ_64M, .size = pg };
	two[1] = (struct gunyah_rm_mem_entry){ .phys_addr = OV_RAM, .size = pg };
	KUNIT_EXPECT_EQ(test, ov_lend(test, &acl, two, 2, &x, &rm_err), -EINVAL);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_RAM + SZ_64M, pg, NULL), 0);

	/* Far above RAM, where the RM keeps ranges */
	KUNIT_ASSERT_EQ(test, ov_try(test, &acl, OV_HIGH, 4 * pg, &h), 0);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_HIGH + pg, pg, NULL), RM_ERR_MEM_INVALID);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_HIGH - pg, 2 * pg, NULL), RM_ERR_MEM_INVALID);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_HIGH + 4 * pg, pg, NULL), 0);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_HIGH - pg, pg, NULL), 0);

	/*
	 * An entry from RAM to far above: refused while it overlaps the high parcel, and its
	 * RAM part is free again afterwards; taken once that parcel is gone.
	 */
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, 2 * OV_RAM, OV_FAR - 2 * OV_RAM, NULL),
			RM_ERR_MEM_INVALID);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, 2 * OV_RAM, pg, NULL), 0);
	KUNIT_EXPECT_EQ(test, gunyah_rm_mem_reclaim(ctx->rm, &h), 0);
	KUNIT_ASSERT_EQ(test, ov_try(test, &acl, 2 * OV_RAM, OV_FAR - 2 * OV_RAM, &x), 0);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, 3 * OV_RAM, pg, NULL), RM_ERR_MEM_INVALID);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_HIGH, pg, NULL), RM_ERR_MEM_INVALID);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_FAR - pg, pg, NULL), RM_ERR_MEM_INVALID);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, OV_FAR, pg, NULL), 0);
	KUNIT_EXPECT_EQ(test, ov_try(test, &acl, 2 * OV_RAM - pg, pg, NULL), 0);
	KUNIT_EXPECT_EQ(test, gunyah_rm_mem_reclaim(ctx->rm, &x), 0);
	KUNIT_EXPECT_EQ(test, gunyah_rm_mem_reclaim(ctx->rm, &a), 0);

	/* A MEM_APPEND whose last entry is its parcel's first: refused, the parcel undone */
	entries = kunit_kcalloc(test, n, sizeof(*entries), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, entries);
	for (i = 0; i < n; i++)
		entries[i] = (struct gunyah_rm_mem_entry){ .phys_addr = OV_RAM + 2 * i * pg,
							   .size = pg };
	entries[n - 1] = entries[0];
	KUNIT_EXPECT_EQ(test, ov_lend(test, &acl, entries, n, &big, &rm_err), -EINVAL);
	entries[n - 1].phys_addr = OV_RAM + 2 * (n - 1) * pg;
	KUNIT_EXPECT_EQ(test, ov_lend(test, &acl, entries, n, &big, &rm_err), 0);
	KUNIT_EXPECT_EQ(test, gunyah_rm_mem_reclaim(ctx->rm, &big), 0);

	gunyah_sim_get_counters(&after);
	KUNIT_EXPECT_EQ(test, after.pages_shared, before.pages_shared);
	KUNIT_EXPECT_EQ(test, after.parcels_live, before.parcels_live);
	KUNIT_EXPECT_EQ(test, gunyah_rm_dealloc_vmid(ctx->rm, vmid), 0);
}

static struct kunit_case vm_cases[] = {
	KUNIT_CASE(vm_lifecycle_test),
	KUNIT_CASE(big_parcel_test),
	KUNIT_CASE(parcel_overlap_test),
	{}
};

static struct kunit_suite vm_suite = {
	.name = "gunyah_rm_vm",
	.init = rpc_init,
	.exit = rpc_exit,
	.test_cases = vm_cases,
};

kunit_test_suites(&transport_suite, &rpc_suite, &vm_suite);

MODULE_DESCRIPTION("KUnit tests of the Gunyah RM client against the simulator");
MODULE_LICENSE("GPL");
