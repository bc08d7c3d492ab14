/* One main for every Check test program: forks per test (CK_FORK default) and returns non-zero
 * when any test failed, which ctest reports. */
#ifndef RP_CHECK_MAIN_H
#define RP_CHECK_MAIN_H
#include <check.h>
#include <stdlib.h>

#define RP_CHECK_MAIN(...)                                                                       \
	int main(void)                                                                           \
	{                                                                                        \
		Suite *(*suites[])(void) = {__VA_ARGS__};                                        \
		SRunner *sr = srunner_create(suites[0]());                                      \
		for (size_t i = 1; i < sizeof suites / sizeof suites[0]; i++)                    \
			srunner_add_suite(sr, suites[i]());                                      \
		srunner_run_all(sr, CK_NORMAL);                                                  \
		int failed = srunner_ntests_failed(sr);                                          \
		srunner_free(sr);                                                                \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                     \
	}
#endif
