/*
 * UTC time parsing and formatting without the C library's time zone state.
 */
#include <stdio.h>
#include <string.h>

#include "srcproof/util.h"

#include "banned.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int
digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static unsigned
month_days(unsigned y, unsigned m)
{
	static const unsigned days[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int
sp_time_parse(int64_t *out, const char *s)
{
	unsigned y, mo, d, h = 0, mi = 0, se = 0;
	size_t len = strlen(s);

	if (len > 1 && s[0] == '@') {
		int64_t v = 0;
		size_t i;

		if (len > 13)
			return SP_EPARSE;
		for (i = 1; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return SP_EPARSE;
			v = v * 10 + (s[i] - '0');
		}
		*out = v;
		return 0;
	}
	if (len != 10 && len != 20)
		return SP_EPARSE;
	if (digits(s, 4, &y) < 0 || s[4] != '-' || digits(s + 5, 2, &mo) < 0 ||
	    s[7] != '-' || digits(s + 8, 2, &d) < 0)
		return SP_EPARSE;
	if (len == 20) {
		if (s[10] != 'T' || digits(s + 11, 2, &h) < 0 || s[13] != ':' ||
		    digits(s + 14, 2, &mi) < 0 || s[16] != ':' ||
		    digits(s + 17, 2, &se) < 0 || s[19] != 'Z')
			return SP_EPARSE;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) ||
	    h > 23 || mi > 59 || se > 59)
		return SP_EPARSE;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

int
sp_time_format(char out[SP_TIME_STR_LEN], int64_t t)
{
	char tmp[64];
	int64_t days, y;
	unsigned m, d, secs;
	int n;

	if (t < 0 || t > 253402300799LL)
		return SP_EINVALID;
	days = t / 86400;
	secs = (unsigned)(t % 86400);
	civil_from_days(days, &y, &m, &d);
	n = snprintf(tmp, sizeof(tmp), "%04d-%02u-%02uT%02u:%02u:%02uZ", (int)y,
	    m, d, secs / 3600, secs / 60 % 60, secs % 60);
	if (n != SP_TIME_STR_LEN - 1)
		return SP_EINVALID;
	memcpy(out, tmp, SP_TIME_STR_LEN);
	return 0;
}
