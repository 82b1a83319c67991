/* SPDX-License-Identifier: ISC */
/* Fault injection: the seam through which tests make SQLite, libnftables,
 * libipset and iptables calls fail.
 *
 * Compiled in only with ./configure --enable-fault-injection (check.sh's
 * sanitizer build); in any other build jit_fault() is a constant 0 and
 * nothing here exists. When compiled in, the file named by JIT_FAULTS holds
 * the rules, one per line, reread whenever it changes:
 *
 *     SITE ERROR [match=WORD] [after=N] [times=M]
 *
 * The calls at SITE (only those whose description, as the log line shows
 * it, holds WORD) after the first N since the rules were read fail with
 * ERROR, M of them (default: every one). Sites: sqlite3_prepare,
 * sqlite3_step, sqlite3_exec, nft, ipset, iptables. Errors: SQLITE_FULL,
 * SQLITE_BUSY, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT for the SQLite
 * sites; EPERM, ENOMEM, ENOBUFS, EBUSY, EEXIST, ENOENT for the others.
 * Each injected failure is logged at warning level. */
#ifndef JIT_FAULT_H
#define JIT_FAULT_H

#include <stdbool.h>

enum jit_fault_site {
	JIT_FAULT_SQLITE_PREPARE,
	JIT_FAULT_SQLITE_STEP,
	JIT_FAULT_SQLITE_EXEC,
	JIT_FAULT_NFT,
	JIT_FAULT_IPSET,
	JIT_FAULT_IPTABLES,
	JIT_FAULT_SITES
};

#ifdef JIT_FAULT_INJECTION
/* 0, or the error code (an SQLite result code or an errno) this call at
 * site must fail with; `what` names the call in the log line. */
int jit_fault(enum jit_fault_site site, const char *what);

/* True when the build has the seam (jitd warns at start). */
#define JIT_FAULT_BUILD true
#else
static inline int jit_fault(enum jit_fault_site site, const char *what)
{
	(void)site;
	(void)what;
	return 0;
}
#define JIT_FAULT_BUILD false
#endif

#endif
