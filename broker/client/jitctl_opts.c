/* SPDX-License-Identifier: ISC */
/* jitctl's messages and option parsing, shared by its commands and by
 * jit-sshd, which runs some of them for remote users. */
#include "config.h"

#include "jitctl.h"

#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

void jitctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("jitctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void jitctl_usage_message(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "jitctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'jitctl %s --help'.\n", cmd);
}

/* jitd speaks JSON, whose strings are UTF-8: an option that is not must be
 * refused here, never dropped on the way (a dropped --for made a grant for
 * the caller). */
bool jitctl_valid_utf8(const char *s)
{
	json_t *probe = json_string(s);

	json_decref(probe);
	return probe != NULL;
}

int jitctl_parse_opts(const char *cmd, const char *usage, int argc, char **argv,
		      const struct jitctl_opt *defs)
{
	struct option longopts[JITCTL_OPTS_MAX + 2];
	size_t n = 0;
	int c;

	for (; n < JITCTL_OPTS_MAX && defs[n].name != NULL; n++)
		longopts[n] = (struct option){ defs[n].name,
					       defs[n].value ? required_argument : no_argument,
					       NULL, (int)n + 256 };
	longopts[n] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		const struct jitctl_opt *d = c >= 256 ? &defs[c - 256] : NULL;

		if (c == 'h') {
			fputs(usage, stdout);
			return JITCTL_OK;
		}
		if (c == ':')
			return jitctl_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		if (d == NULL)
			return jitctl_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		if ((d->value && *d->value) || (d->flag && *d->flag))
			return jitctl_usage_error(cmd, "option '--%s' given twice", d->name);
		if (d->value != NULL && !jitctl_valid_utf8(optarg))
			return jitctl_usage_error(cmd, "option '--%s': the value is not valid UTF-8",
						  d->name);
		if (d->value != NULL)
			*d->value = optarg;
		else if (d->flag != NULL)
			*d->flag = true;
	}
	return -1;
}
