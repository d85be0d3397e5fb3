// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the hypercall layer's error codes and their errno remap.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include <gunyah/hypercall.h>

struct remap_case {
	enum gunyah_error code;
	int errno_expected;
	const char *name;
};

static const struct remap_case remap_cases[] = {
	{ GUNYAH_ERROR_OK, 0, "OK" },
	{ GUNYAH_ERROR_UNIMPLEMENTED, -EOPNOTSUPP, "UNIMPLEMENTED" },
	{ GUNYAH_ERROR_RETRY, -EAGAIN, "RETRY" },
	{ GUNYAH_ERROR_ARG_INVAL, -EINVAL, "ARG_INVAL" },
	{ GUNYAH_ERROR_ARG_SIZE, -EINVAL, "ARG_SIZE" },
	{ GUNYAH_ERROR_ARG_ALIGN, -EINVAL, "ARG_ALIGN" },
	{ GUNYAH_ERROR_NOMEM, -ENOMEM, "NOMEM" },
	{ GUNYAH_ERROR_ADDR_OVFL, -EINVAL, "ADDR_OVFL" },
	{ GUNYAH_ERROR_ADDR_UNFL, -EINVAL, "ADDR_UNFL" },
	{ GUNYAH_ERROR_ADDR_INVAL, -EINVAL, "ADDR_INVAL" },
	{ GUNYAH_ERROR_DENIED, -EACCES, "DENIED" },
	{ GUNYAH_ERROR_BUSY, -EBUSY, "BUSY" },
	{ GUNYAH_ERROR_IDLE, -EBUSY, "IDLE" },
	{ GUNYAH_ERROR_IRQ_BOUND, -EIO, "IRQ_BOUND" },
	{ GUNYAH_ERROR_IRQ_UNBOUND, -EIO, "IRQ_UNBOUND" },
	{ GUNYAH_ERROR_CSPACE_CAP_NULL, -EACCES, "CSPACE_CAP_NULL" },
	{ GUNYAH_ERROR_CSPACE_CAP_REVOKED, -EACCES, "CSPACE_CAP_REVOKED" },
	{ GUNYAH_ERROR_CSPACE_WRONG_OBJ_TYPE, -EACCES, "CSPACE_WRONG_OBJ_TYPE" },
	{ GUNYAH_ERROR_CSPACE_INSUF_RIGHTS, -EACCES, "CSPACE_INSUF_RIGHTS" },
	{ GUNYAH_ERROR_CSPACE_FULL, -EBUSY, "CSPACE_FULL" },
	{ GUNYAH_ERROR_MSGQ_EMPTY, -EIO, "MSGQ_EMPTY" },
	{ GUNYAH_ERROR_MSGQ_FULL, -EIO, "MSGQ_FULL" },
	/* Codes the hypervisor may add later fall back to -EINVAL. */
	{ 99, -EINVAL, "unknown positive" },
	{ -3, -EINVAL, "unknown negative" },
};

static void remap_case_desc(const struct remap_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->name);
}

KUNIT_ARRAY_PARAM(remap, remap_cases, remap_case_desc);

static void gunyah_error_remap_test(struct kunit *test)
{
	const struct remap_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, gunyah_error_remap(c->code), c->errno_expected);
}

static void gunyah_identify_test(struct kunit *test)
{
	struct gunyah_hypercall_hyp_identify_resp id = { };

	gunyah_hypercall_hyp_identify(&id);
	KUNIT_EXPECT_EQ(test, id.api_info & GUNYAH_API_INFO_API_VERSION_MASK, GUNYAH_API_V1);
	KUNIT_EXPECT_TRUE(test, id.api_info & GUNYAH_API_INFO_IS_64BIT);
	KUNIT_EXPECT_FALSE(test, id.api_info & GUNYAH_API_INFO_BIG_ENDIAN);
	KUNIT_EXPECT_TRUE(test, id.flags[0] & GUNYAH_API_FEATURE_MSGQUEUE);
	KUNIT_EXPECT_TRUE(test, id.flags[0] & GUNYAH_API_FEATURE_DOORBELL);
	KUNIT_EXPECT_TRUE(test, id.flags[0] & GUNYAH_API_FEATURE_VCPU_RUN);
}

static struct kunit_case gunyah_hypercall_cases[] = {
	KUNIT_CASE_PARAM(gunyah_error_remap_test, remap_gen_params),
	KUNIT_CASE(gunyah_identify_test),
	{}
};

static struct kunit_suite gunyah_hypercall_suite = {
	.name = "gunyah_hypercall",
	.test_cases = gunyah_hypercall_cases,
};

kunit_test_suite(gunyah_hypercall_suite);

MODULE_DESCRIPTION("KUnit tests of the Gunyah hypercall layer");
MODULE_LICENSE("GPL");
