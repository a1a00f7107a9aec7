/* check.h - a tiny header-only test harness for the unit tests.
 *
 *   TEST(parse_foo) { CHECK_INT(parse_foo("1"), 1); ... }
 *   int main(void) { RUN(parse_foo); return check_summary(); }
 *
 * A failed check prints "FAIL file:line [test]: ..." with the expression (and, for the typed checks,
 * both values), counts the failure and continues. check_summary() prints "N checks, M failed" and
 * returns the exit code: 0 when every check passed. */
#ifndef CIRQUE_CHECK_H
#define CIRQUE_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int check_total, check_failed;
static const char *check_test_name = "";

/* Counts one check; on failure prints where and what (the caller adds details). */
static inline bool check_record(bool ok, const char *file, int line, const char *what)
{
	check_total++;
	if (!ok) {
		check_failed++;
		printf("FAIL %s:%d [%s]: %s\n", file, line, check_test_name, what);
	}
	fflush(stdout);
	return ok;
}

static inline bool check_str(const char *a, const char *b, const char *file, int line,
			     const char *what)
{
	bool ok = (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);

	if (!check_record(ok, file, line, what)) {
		printf("     got      %s%s%s\n", a ? "\"" : "", a ? a : "NULL", a ? "\"" : "");
		printf("     expected %s%s%s\n", b ? "\"" : "", b ? b : "NULL", b ? "\"" : "");
	}
	return ok;
}

static inline bool check_int(long long a, long long b, const char *file, int line, const char *what)
{
	if (!check_record(a == b, file, line, what))
		printf("     got %lld, expected %lld\n", a, b);
	return a == b;
}

/* Doubles are compared with a tolerance: durations such as 0.001 * 500 are not exact. */
static inline bool check_dbl(double a, double b, const char *file, int line, const char *what)
{
	double diff = a > b ? a - b : b - a;
	bool ok = diff <= 1e-9 * (b < 0 ? -b : b) + 1e-12;

	if (!check_record(ok, file, line, what))
		printf("     got %.17g, expected %.17g\n", a, b);
	return ok;
}

static inline bool check_contains(const char *haystack, const char *needle, const char *file,
				  int line, const char *what)
{
	bool ok = haystack && needle && strstr(haystack, needle) != NULL;

	if (!check_record(ok, file, line, what))
		printf("     \"%s\" does not contain \"%s\"\n", haystack ? haystack : "NULL",
		       needle ? needle : "NULL");
	return ok;
}

#define CHECK(cond) check_record((cond) ? true : false, __FILE__, __LINE__, "CHECK(" #cond ")")
#define CHECK_STR(a, b) check_str((a), (b), __FILE__, __LINE__, "CHECK_STR(" #a ", " #b ")")
#define CHECK_INT(a, b) \
	check_int((long long)(a), (long long)(b), __FILE__, __LINE__, "CHECK_INT(" #a ", " #b ")")
#define CHECK_DBL(a, b) check_dbl((a), (b), __FILE__, __LINE__, "CHECK_DBL(" #a ", " #b ")")
#define CHECK_CONTAINS(haystack, needle) \
	check_contains((haystack), (needle), __FILE__, __LINE__, \
		       "CHECK_CONTAINS(" #haystack ", " #needle ")")

/* TEST(name) { ... } defines a group of checks; RUN(name) runs it with its name in messages. */
#define TEST(name) static void test_##name(void)
#define RUN(name) (check_test_name = #name, test_##name(), check_test_name = "")

static inline int check_summary(void)
{
	printf("%d checks, %d failed\n", check_total, check_failed);
	fflush(stdout);
	return check_failed == 0 ? 0 : 1;
}

#endif
