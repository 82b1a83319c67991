/* SPDX-License-Identifier: ISC */
/* The messages and the option parser of jitctl's commands, shared with
 * jit-sshd, which runs some of them for remote users. */
#include "config.h"

#include "jitclient.h"

#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

void jit_client_usage(const struct jit_client_io *io, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(io->err, "jitctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(io->err, fmt, ap);
	va_end(ap);
	fprintf(io->err, "\nTry 'jitctl %s --help'.\n", cmd);
}

/* jitd speaks JSON, whose strings are UTF-8: an option that is not must be
 * refused here, never dropped on the way (a dropped --for made a grant for
 * the caller). */
bool jit_client_valid_utf8(const char *s)
{
	json_t *probe = json_string(s);

	json_decref(probe);
	return probe != NULL;
}

/* getopt's option value for defs[i]: above every character. */
#define OPT_BASE 256

int jit_client_parse_opts(const struct jit_client_io *io, const char *cmd, const char *usage,
			  int argc, char **argv, const struct jit_client_opt *defs)
{
	struct option longopts[JIT_CLIENT_OPTS_MAX + 2];
	size_t n = 0;
	int c;

	for (; n < JIT_CLIENT_OPTS_MAX && defs[n].name != NULL; n++)
		longopts[n] = (struct option){ defs[n].name,
					       defs[n].value && defs[n].flag ? optional_argument
					       : defs[n].value ? required_argument : no_argument,
					       NULL, (int)n + OPT_BASE };
	longopts[n] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		const struct jit_client_opt *d = c >= OPT_BASE ? &defs[c - OPT_BASE] : NULL;

		if (c == 'h') {
			fputs(usage, io->out);
			return JITCTL_OK;
		}
		if (c == ':')
			return jit_client_usage_error(io, cmd, "option '%s' needs a value",
						      argv[optind - 1]);
		if (d == NULL)
			return jit_client_usage_error(io, cmd, "unknown option '%s'", argv[optind - 1]);
		if ((d->value && *d->value) || (d->flag && *d->flag))
			return jit_client_usage_error(io, cmd, "option '--%s' given twice", d->name);
		if (d->value != NULL && optarg != NULL && !jit_client_valid_utf8(optarg))
			return jit_client_usage_error(io, cmd, "option '--%s': the value is not"
						      " valid UTF-8", d->name);
		if (d->value != NULL)
			*d->value = optarg;
		if (d->flag != NULL)
			*d->flag = true;
	}
	return -1;
}
