// SPDX-License-Identifier: GPL-2.0
/*
 * A KUnit suite with one passing and one failing case. Only the harness self-test
 * (make check-harness) loads it, to prove that a failing KUnit case turns the run red.
 */
#include <kunit/test.h>
#include <linux/module.h>

static void harness_passes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1 + 1, 2);
}

static void harness_fails(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, 1 + 1, 3, "failing on purpose");
}

static struct kunit_case harness_cases[] = {
	KUNIT_CASE(harness_passes),
	KUNIT_CASE(harness_fails),
	{}
};

static struct kunit_suite harness_suite = {
	.name = "gunyah_harness_fail",
	.test_cases = harness_cases,
};

kunit_test_suite(harness_suite);

MODULE_DESCRIPTION("Harness self-test: a failing KUnit case");
MODULE_LICENSE("GPL");
