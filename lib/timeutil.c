/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int jit_rfc3339_format(time_t t, char buf[JIT_RFC3339_LEN])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	if (strftime(buf, JIT_RFC3339_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

/* Exactly `n` decimal digits at s. */
static int fixed_digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static bool is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* Parses "YYYY-MM-DDTHH:MM:SS" into tm; returns the characters consumed. */
static int parse_date_time(const char *s, struct tm *tm)
{
	int year, mon, day, hour, min, sec;

	if (fixed_digits(s, 4, &year) || s[4] != '-' || fixed_digits(s + 5, 2, &mon) ||
	    s[7] != '-' || fixed_digits(s + 8, 2, &day) || s[10] != 'T' ||
	    fixed_digits(s + 11, 2, &hour) || s[13] != ':' || fixed_digits(s + 14, 2, &min) ||
	    s[16] != ':' || fixed_digits(s + 17, 2, &sec))
		return -1;
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
	    hour > 23 || min > 59 || sec > 59)
		return -1;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = year - 1900;
	tm->tm_mon = mon - 1;
	tm->tm_mday = day;
	tm->tm_hour = hour;
	tm->tm_min = min;
	tm->tm_sec = sec;
	return 19;
}

/* "Z", "+HH:MM" or "-HH:MM" ending the string; seconds east of UTC. */
static int parse_offset(const char *s, long *offset)
{
	int hh, mm;

	if (strcmp(s, "Z") == 0) {
		*offset = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || fixed_digits(s + 1, 2, &hh) || s[3] != ':' ||
	    fixed_digits(s + 4, 2, &mm) || s[6] != '\0' || hh > 23 || mm > 59)
		return -1;
	*offset = (long)(hh * 3600 + mm * 60) * (s[0] == '-' ? -1 : 1);
	return 0;
}

int jit_rfc3339_parse(const char *s, time_t *out)
{
	struct tm tm;
	long offset;
	time_t t;
	int n = parse_date_time(s, &tm);

	if (n < 0)
		return -1;
	s += n;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (parse_offset(s, &offset) != 0)
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - offset;
	return 0;
}

int jit_duration_parse(const char *s, int64_t *seconds)
{
	int64_t v = 0;
	int64_t unit;
	const char *p = s;

	if (*p < '1' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > JIT_DURATION_MAX)
			return -1;
	}
	switch (*p) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -1;
	}
	if (p[1] != '\0' || v > JIT_DURATION_MAX / unit)
		return -1;
	*seconds = v * unit;
	return 0;
}

void jit_duration_format(int64_t seconds, char *buf, size_t size)
{
	if (seconds > 0 && seconds % 86400 == 0)
		(void)snprintf(buf, size, "%lldd", (long long)(seconds / 86400));
	else if (seconds > 0 && seconds % 3600 == 0)
		(void)snprintf(buf, size, "%lldh", (long long)(seconds / 3600));
	else if (seconds > 0 && seconds % 60 == 0)
		(void)snprintf(buf, size, "%lldm", (long long)(seconds / 60));
	else
		(void)snprintf(buf, size, "%llds", (long long)seconds);
}

int64_t jit_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double jit_monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t jit_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
