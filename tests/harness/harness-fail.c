// SPDX-License-Identifier: GPL-2.0
/*
 * A kselftest-harness program with one passing and one failing test. Only the harness
 * self-test (make check-harness) runs it, to prove that a failing TAP test turns the run red.
 */
#include "kselftest_harness.h"

TEST(harness_passes)
{
	ASSERT_EQ(2, 1 + 1);
}

TEST(harness_fails)
{
	ASSERT_EQ(3, 1 + 1) {
		TH_LOG("failing on purpose");
	}
}

TEST_HARNESS_MAIN
