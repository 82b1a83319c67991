/* SPDX-License-Identifier: ISC */
/* jitd's state in SQLite: grants and the audit log. The database is the
 * truth; the firewall is made to match it. */
#ifndef JIT_STORE_H
#define JIT_STORE_H

#include "claims.h"
#include "jit_error.h"
#include "jit_limits.h"
#include "netaddr.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The schema version this build writes; older databases are migrated. */
#define JIT_STORE_SCHEMA_VERSION 11
#define JIT_JUSTIFICATION_MAX 1024	/* with the NUL */
#define JIT_GRANT_PORTS_MAX 32
#define JIT_POLICY_LIST_MAX 512

struct jit_grant {
	int64_t id;
	char user[JIT_NAME_MAX];
	char requested_by[JIT_NAME_MAX];
	char role[JIT_NAME_MAX];
	char policy[JIT_POLICY_LIST_MAX];	/* policy names, comma-separated */
	struct jit_cidr source;
	struct jit_portspec ports[JIT_GRANT_PORTS_MAX];
	size_t n_ports;
	char host[JIT_HOST_MAX];
	time_t created, not_before, expires;
	time_t revoked_at;			/* 0: not revoked */
	char revoked_by[JIT_NAME_MAX];
	time_t expired_at;			/* 0: not yet marked expired */
	char justification[JIT_JUSTIFICATION_MAX];
	char jti[JIT_JTI_LEN];
	int64_t uses;
	time_t last_used;			/* 0: never */
	bool cut_on_revoke;			/* its sessions are cut when revoked */
	bool cut_on_expiry;			/* ... when it ends */
	int64_t max_logins;			/* logins its ticket allows; 0: no limit */
	time_t used_up_at;			/* the last of them; 0: not used up */
};

enum jit_grant_state { JIT_GRANT_ACTIVE, JIT_GRANT_EXPIRED, JIT_GRANT_REVOKED,
		       JIT_GRANT_SCHEDULED };

/* Revoked, expired (marked, or past `expires` at `now`), scheduled (its
 * window starts after `now`), else active. */
enum jit_grant_state jit_grant_state(const struct jit_grant *g, time_t now);
const char *jit_grant_state_name(enum jit_grant_state s);

struct jit_audit_entry {
	int64_t id;			/* set by the store */
	time_t time;
	const char *actor;		/* who acted: a user name, or "jitd" */
	const char *action;		/* request, revoke, expire, verify, ... */
	const char *subject;		/* whom it concerns: a user, or NULL */
	const char *result;		/* granted, denied, ok, refused, error */
	const char *reason;		/* NULL when there is nothing to explain */
	const char *details;		/* compact JSON object, or NULL */
};

struct jit_store;

/* Opens or creates the database, migrated to JIT_STORE_SCHEMA_VERSION:
 * an SQLite file (mode 0600, WAL mode) at an absolute path, or PostgreSQL
 * when database is a libpq URI or conninfo
 * (jit_config_database_is_postgresql()), its
 * password from passfile (NULL: libpq's own default). Refuses a database
 * newer than this build. */
struct jit_store *jit_store_open(const char *database, jit_error *err);
struct jit_store *jit_store_open_with(const char *database, const char *passfile,
				      jit_error *err);
void jit_store_close(struct jit_store *st);
/* Moves the WAL's checkpoints off the committing thread onto one of their
 * own (store_checkpoint.c). Start it in the process that will use the
 * store: a fork() takes no thread along. 0, or -1 with err and SQLite's
 * own checkpoints left in place. */
int jit_store_checkpoint_start(struct jit_store *st, jit_error *err);
/* The same, the thread asked every `every` WAL pages, and the committing
 * thread copying back the rest itself once the WAL is restart_at pages
 * long (the defaults: 1,000 and 16,000). */
int jit_store_checkpoint_start_every(struct jit_store *st, int every, int restart_at,
				     jit_error *err);
struct jit_checkpoint_counts {
	unsigned long thread;		/* checkpoints run on the thread */
	unsigned long committing;	/* ... by the committing thread */
};
/* Joins the thread once it has run what was asked of it; SQLite's own
 * checkpoints again. */
struct jit_checkpoint_counts jit_store_checkpoint_stop(struct jit_store *st);

/* The schema version of the open database. */
int jit_store_schema_version(struct jit_store *st);

/* Inserts the grant and its audit entry in one transaction; sets g->id.
 * A grant for another host queues its change with the signed ticket (which
 * that host's enforcer checks before it opens).
 * The entry's details are filled here: the grant's id, source, ports,
 * expiry and ticket id, and as "remote" the entry's own details when it
 * has any (a JSON object: who jit-sshd spoke for). */
int jit_store_grant_add(struct jit_store *st, struct jit_grant *g, const char *ticket,
			const struct jit_audit_entry *audit, jit_error *err);

/* 1 and the grant when found, 0 when not, -1 on error. */
int jit_store_grant_get(struct jit_store *st, int64_t id, struct jit_grant *g, jit_error *err);
int jit_store_grant_by_jti(struct jit_store *st, const char *jti, struct jit_grant *g,
			   jit_error *err);

/* Marks an active grant revoked, with its audit entry, in one transaction;
 * terminate: its sessions are cut, whatever its policy said. 1 when
 * revoked, 0 when it was no longer active, -1 on error. */
int jit_store_grant_revoke(struct jit_store *st, int64_t id, const char *by, time_t now,
			   bool terminate, const struct jit_audit_entry *audit, jit_error *err);

/* Gives an active grant, not used up, that still ends at `was`, a later
 * end, with its audit entry, in one transaction; another host's enforcer
 * is sent the change with the ticket signed for it. 1 when extended, 0
 * when it was no longer active (or used up) or no longer ended at `was`
 * (extended meanwhile, perhaps by another controller), -1 on error. */
int jit_store_grant_extend(struct jit_store *st, int64_t id, time_t was, time_t expires,
			   const char *ticket, time_t now, const struct jit_audit_entry *audit,
			   jit_error *err);

/* The earliest start after `after` of this host's scheduled grants (those
 * made to start later than they were made) still to come; 1 with *when,
 * 0 when there is none, -1. */
int jit_store_next_start(struct jit_store *st, const char *host, time_t after, time_t *when,
			 jit_error *err);

/* This host's scheduled grants, neither revoked nor over, whose start is
 * after `after` and at or before `now`, each to fn (which returns as for
 * jit_store_grants_each()). A grant that started when it was made is
 * never among them: it opened then. */
int jit_store_started_each(struct jit_store *st, const char *host, time_t after, time_t now,
			   int (*fn)(const struct jit_grant *g, void *ctx), void *ctx, jit_error *err);

enum jit_lock_kind { JIT_LOCK_USER, JIT_LOCK_ROLE, JIT_LOCK_SOURCE, JIT_LOCK_HOST };

/* Who or what may have no window: requests and logins matching it are
 * refused with its reason until it is removed or its ttl ends. */
struct jit_lock {
	int64_t id;
	enum jit_lock_kind kind;
	char target[JIT_HOST_MAX];	/* a user, role, CIDR or host id */
	char reason[JIT_JUSTIFICATION_MAX];
	char by[JIT_NAME_MAX];
	time_t created;
	time_t expires;			/* 0: until removed */
};

const char *jit_lock_kind_name(enum jit_lock_kind k);

/* Records a lock (l->id set) with its audit entry, in one transaction; the
 * entry's details are the lock's (its target validated: a name, host id
 * or CIDR). */
int jit_store_lock_add(struct jit_store *st, struct jit_lock *l, const struct jit_audit_entry *audit,
		       jit_error *err);

/* Removes lock id (still in force at now), audited: 1, 0 when there is no
 * such lock in force, -1. */
int jit_store_lock_remove(struct jit_store *st, int64_t id, const char *by, time_t now,
			  const struct jit_audit_entry *audit, jit_error *err);

/* The locks in force at now, oldest first, each to fn (which returns as
 * for jit_store_grants_each()). */
int jit_store_locks_each(struct jit_store *st, time_t now,
			 int (*fn)(const struct jit_lock *l, void *ctx), void *ctx, jit_error *err);

/* One login with a grant's ticket. */
#define JIT_EPOCH_MAX 33

struct jit_login {
	int64_t id;			/* an enforcer's number for it (the store's) */
	char epoch[JIT_EPOCH_MAX];	/* ... within this epoch of its database */
	int64_t grant_id;
	char jti[JIT_JTI_LEN];
	char user[JIT_NAME_MAX];
	char from[JIT_CIDR_STRLEN];	/* the address it came from */
	char port[JIT_PORTSPEC_STRLEN];
	time_t time;
};

/* Counts one use of the grant's ticket (l->grant_id, at l->time), with its
 * audit entry; on an enforcer (jit_store_report_logins()) the login is
 * queued for the controller in the same transaction. The use that reaches
 * the grant's max_logins marks it used up. 1 when counted, 0 when it was
 * used up already (nothing recorded), -1 on error. */
int jit_store_grant_use(struct jit_store *st, const struct jit_login *l,
			const struct jit_audit_entry *audit, jit_error *err);

/* An enforcer's: queue each login for the controller. */
void jit_store_report_logins(struct jit_store *st, bool on);

/* How many logins this process has queued: the link has news when it grew. */
uint64_t jit_store_logins_queued(const struct jit_store *st);

/* The logins queued after id `after`, oldest first, at most limit; fn
 * returns as for jit_store_grants_each(). */
int jit_store_logins_each(struct jit_store *st, int64_t after, int64_t limit,
			  int (*fn)(const struct jit_login *l, void *ctx), void *ctx, jit_error *err);

/* An enforcer's database's epoch: a random name made with it, so that a
 * controller tells its login numbers from those of the database before. */
int jit_store_upstream_epoch(struct jit_store *st, char *buf, size_t size, jit_error *err);

/* The controller has login id: no longer queued. */
int jit_store_login_reported(struct jit_store *st, int64_t id, jit_error *err);

/* A controller's: host's login l (l->id its enforcer's number in epoch
 * l->epoch) counted on its grant with the audit entry, in one transaction:
 * 1; 0 when that host's login l->id (or a later one) of that epoch was
 * taken already, and nothing is written. */
int jit_store_host_login(struct jit_store *st, const char *host, const struct jit_login *l,
			 const struct jit_audit_entry *audit, jit_error *err);

/* Grants marked expired per transaction. */
#define JIT_STORE_EXPIRE_BATCH 256

/* Marks every active grant whose window ended by `now` expired, auditing
 * each, a batch of up to JIT_STORE_EXPIRE_BATCH grants per transaction;
 * calls fn for each once its batch is committed (fn may be NULL). Returns
 * the number marked, or -1 when a batch failed (those before it stay
 * marked). */
int jit_store_expire_due(struct jit_store *st, time_t now,
			 void (*fn)(const struct jit_grant *g, void *ctx), void *ctx,
			 jit_error *err);

/* The earliest `expires` among active grants: 1 and *when, 0 when none. */
int jit_store_next_expiry(struct jit_store *st, time_t *when, jit_error *err);

/* Calls fn for each matching grant, newest first. user: NULL for everyone,
 * else grants for or requested by that user. host: NULL for every host,
 * else that host's grants. active_only: grants whose window is still open
 * at `now`. limit: at most that many (0: no limit). fn returns non-zero to
 * stop. Returns 0, or -1. */
struct jit_grant_filter {
	const char *user;
	const char *host;
	bool active_only;
	time_t now;
	int64_t limit;
};
int jit_store_grants_each(struct jit_store *st, const struct jit_grant_filter *f,
			  int (*fn)(const struct jit_grant *g, void *ctx), void *ctx,
			  jit_error *err);

/* How many grants are active at `now`. */
int jit_store_count_active(struct jit_store *st, time_t now, int64_t *count, jit_error *err);

/* This jitd's own host. A grant for any other host, and its revocation,
 * queue a change for that host in the same transaction, numbered one past
 * its last (1, 2, ...: no gap, none twice): what its enforcer follows. */
void jit_store_set_host(struct jit_store *st, const char *host);

struct jit_host_change {
	int64_t seq;
	char kind[16];			/* "grant" or "revoke" */
	time_t time;
	struct jit_grant grant;		/* as it is now */
	const char *ticket;		/* a grant's signed ticket; NULL for a revocation */
};

/* The hosts with changes queued since jit_store_changed_clear() (in the
 * order queued; a host may come more than once), for the server to push
 * to their followers alone; *overflow (taken, then reset) when a host could
 * not be noted for want of memory: every follower may then have news. */
const char *const *jit_store_changed_hosts(struct jit_store *st, size_t *n);
/* On PostgreSQL, changes other controllers queued reach this one's list:
 * the descriptor readable when they may have come (-1 on SQLite) and the
 * number of the connection it is (both change after a lost one), the hosts heard of noted as changed, and
 * a catch-up that has every follower looked at (for a notification lost
 * with a connection). */
int jit_store_listen_fd(struct jit_store *st, unsigned long *connection);
void jit_store_take_notifications(struct jit_store *st);
void jit_store_changes_catch_up(struct jit_store *st);
/* A step towards a lost connection to PostgreSQL made anew, without
 * waiting (nothing on SQLite): run it about every second. */
void jit_store_tend(struct jit_store *st);
bool jit_store_changes_overflow(struct jit_store *st);
void jit_store_changed_clear(struct jit_store *st);

/* The number of the last change queued (for its host): what its enforcer
 * acks once it has applied it. */
int64_t jit_store_last_seq_queued(const struct jit_store *st);

/* host's changes after since, oldest first, at most limit (0: all); fn
 * returns as for jit_store_grants_each(). */
int jit_store_changes_each(struct jit_store *st, const char *host, int64_t since, int64_t limit,
			   int (*fn)(const struct jit_host_change *c, void *ctx), void *ctx,
			   jit_error *err);

/* host has applied every change up to seq: refused (-1) for a change never
 * queued or one before what it acked already. */
int jit_store_host_ack(struct jit_store *st, const char *host, int64_t seq, time_t now,
		       jit_error *err);

struct jit_host_state {
	char host[JIT_HOST_MAX];
	int64_t last_seq;		/* its last change */
	int64_t acked;			/* the last it applied */
	time_t acked_at;		/* 0: never */
};

/* An enforcer's side: the last change of its controller's it applied (0
 * for none). */
int jit_store_upstream_applied(struct jit_store *st, int64_t *seq, jit_error *err);

/* The ports the controller's policies guard on this host, as it last said
 * ("22/tcp,3389/tcp"; "" for none), and their update. */
int jit_store_upstream_guard(struct jit_store *st, char *buf, size_t size, jit_error *err);
int jit_store_upstream_set_guard(struct jit_store *st, const char *ports, jit_error *err);

/* Applies the controller's change number seq in one transaction: the grant
 * as the change shows it (inserted under the controller's id, or its
 * revocation recorded; NULL: nothing, for a change refused), the number
 * as the last applied, and the audit entry (may be NULL). */
int jit_store_mirror(struct jit_store *st, const struct jit_grant *g, int64_t seq,
		     const struct jit_audit_entry *audit, jit_error *err);

/* Every host that has had a change, by name. */
int jit_store_hosts_each(struct jit_store *st, int (*fn)(const struct jit_host_state *h, void *ctx),
			 void *ctx, jit_error *err);

/* --- controllers sharing a database ------------------------------------------------ */

/* Another controller's host's ack, heard (jit_store_take_notifications()). */
struct jit_heard_ack {
	char host[JIT_HOST_MAX];
	int64_t seq;
};

/* Acks heard and not yet taken are kept up to this many. */
#define JIT_STORE_HEARD_ACKS_MAX 4096

const struct jit_heard_ack *jit_store_heard_acks(const struct jit_store *st, size_t *n);
void jit_store_heard_acks_clear(struct jit_store *st);

/* Records that host follows this controller (followed) or no longer does,
 * for the others on the database (PostgreSQL; nothing on SQLite). */
int jit_store_host_follow(struct jit_store *st, const char *host, bool followed, jit_error *err);
/* 1 when host follows another controller on the database, 0, -1. */
int jit_store_host_followed_elsewhere(struct jit_store *st, const char *host);
/* At start: no host follows this controller yet (a crash left its names). */
int jit_store_hosts_unfollow_own(struct jit_store *st, jit_error *err);

/* --- copying a store --------------------------------------------------------------- */

/* Copies every row of from (grants, audit, hosts and their changes, an
 * enforcer's upstream and logins, requests, reviews, locks) into to, ids
 * kept, in one transaction of to from one snapshot of from; copied (may be
 * NULL) gets each table's count. Refuses a target with any row of its own
 * (err says which table): nothing is overwritten. 0, or -1 and nothing
 * written. */
int jit_store_copy(struct jit_store *from, struct jit_store *to,
		   void (*copied)(const char *table, int64_t rows, void *ctx), void *ctx,
		   jit_error *err);

/* --- rate limits shared by controllers ---------------------------------------------- */

/* Whether other controllers may write the database too (PostgreSQL). */
bool jit_store_is_shared(const struct jit_store *st);

/* Whether rate limits' buckets live in the database, shared by every
 * controller on it (PostgreSQL), rather than in this jitd's memory. */
bool jit_store_shares_rates(const struct jit_store *st);

/* Takes a token from key's bucket in the database (burst tokens, all
 * given back over period seconds), on the database server's clock, so the
 * controllers' clocks need not agree: 1 taken, 0 over the limit, -1. */
int jit_store_rate_take(struct jit_store *st, const char *key, unsigned burst, int64_t period,
			jit_error *err);

/* Forgets the buckets untouched for period seconds (full again by now):
 * the number forgotten, or -1. */
int jit_store_rates_forget(struct jit_store *st, int64_t period, jit_error *err);

/* --- requests waiting for approvals ------------------------------------------------ */

enum jit_request_state {
	JIT_REQ_PENDING,		/* waiting for its reviews */
	JIT_REQ_APPROVED,		/* granted at its last approval */
	JIT_REQ_DENIED,			/* a reviewer said no (or a break-glass grant revoked) */
	JIT_REQ_EXPIRED,		/* request_ttl passed first */
	JIT_REQ_FAILED,			/* approved, but the grant could not be made */
	JIT_REQ_BREAK_GLASS,		/* opened at once, waiting for its review after the fact */
	JIT_REQ_REVIEWED,		/* a break-glass grant a reviewer approved after the fact */
};

const char *jit_request_state_name(enum jit_request_state s);

/* At most this many reviews are kept per request: a denial ends it, and
 * approvals are at most JIT_APPROVALS_MAX. */
#define JIT_REVIEWS_MAX 16
#define JIT_REVIEW_REASON_MAX 512

struct jit_review {
	char reviewer[JIT_NAME_MAX];
	bool remote;			/* a jit-sshd identity */
	bool approve;
	char reason[JIT_REVIEW_REASON_MAX];
	time_t time;
};

/* A request recorded for review. Its strings on the heap are freed by
 * jit_access_request_clear(). */
struct jit_access_request {
	int64_t id;
	enum jit_request_state state;
	char user[JIT_NAME_MAX];		/* whom the window is for */
	char requested_by[JIT_NAME_MAX];
	int64_t requester_uid;			/* -1: a remote identity */
	char policy[JIT_POLICY_LIST_MAX];	/* the policies deciding, comma-separated */
	int approvals;				/* approvals it needs */
	time_t created, expires, decided;	/* expires: when a pending one lapses */
	char *remote;				/* jit-sshd's {"via","address","key"}, or NULL */
	char *request;				/* the request's fields, as JSON */
	char *result;				/* approved or break-glass: the answer, as JSON */
	char reason[JIT_REVIEW_REASON_MAX];	/* denied, expired or failed: why */
	struct jit_review reviews[JIT_REVIEWS_MAX];
	size_t n_reviews;
};

void jit_access_request_clear(struct jit_access_request *r);

/* Records r (everything but id, decided and reviews) with
 * its audit entry in one transaction; sets r->id. */
int jit_store_request_add(struct jit_store *st, struct jit_access_request *r,
			  const struct jit_audit_entry *audit, jit_error *err);

/* 1 and the request with its reviews, 0 when there is none, -1. */
int jit_store_request_get(struct jit_store *st, int64_t id, struct jit_access_request *r,
			  jit_error *err);

/* What a pending (or break-glass) request becomes with a review, given the
 * approvals it then has (the review's own among them) and those it needs. */
enum jit_request_state jit_request_after_review(enum jit_request_state from, bool approve,
						int approvals, int needed);

enum jit_review_result {
	JIT_REVIEW_ERROR = -1,
	JIT_REVIEW_DUPLICATE = 0,	/* the reviewer had reviewed it: nothing written */
	JIT_REVIEW_WRITTEN = 1,
	JIT_REVIEW_DECIDED = 2,		/* it left `from` meanwhile: nothing written */
};

/* One review, with its audit entry (details: the request, the approvals
 * and those needed), in one transaction. The request's row is held first
 * and its approvals counted after this one is written, so reviews given at
 * once (on two controllers) each count the other: the request moves, to
 * jit_request_after_review(from, rv->approve, *approvals, needed), once,
 * with the review's reason when it moves. *to and *approvals are set when
 * written. */
enum jit_review_result jit_store_request_review(struct jit_store *st, int64_t id,
						const struct jit_review *rv,
						enum jit_request_state from, int needed,
						const struct jit_audit_entry *audit,
						enum jit_request_state *to, int *approvals,
						jit_error *err);

/* Moves the request from state `from` to `to` at `now`, with reason and
 * result (either may be NULL), and the audit entry (may be NULL), in one
 * transaction. 1; 0 when it was not in `from`. */
int jit_store_request_move(struct jit_store *st, int64_t id, enum jit_request_state from,
			   enum jit_request_state to, time_t now, const char *reason,
			   const char *result, const struct jit_audit_entry *audit,
			   jit_error *err);

/* Requests still open (pending, or break-glass awaiting review), newest
 * first, at most limit; fn gets each with its reviews and returns as for
 * jit_store_grants_each(). */
int jit_store_requests_open_each(struct jit_store *st, int64_t limit,
				 int (*fn)(const struct jit_access_request *r, void *ctx),
				 void *ctx, jit_error *err);

/* Marks every pending request whose request_ttl passed by now expired,
 * each with its audit entry; fn (may be NULL) gets each after the commit.
 * The number marked, or -1. */
int jit_store_requests_expire_due(struct jit_store *st, time_t now,
				  void (*fn)(const struct jit_access_request *r, void *ctx),
				  void *ctx, jit_error *err);

/* When the next pending request lapses: 1 and *when, 0 when none is pending. */
int jit_store_next_request_expiry(struct jit_store *st, time_t *when, jit_error *err);

int jit_store_audit_add(struct jit_store *st, const struct jit_audit_entry *e, jit_error *err);

/* Audit entries at or after `since`, oldest first (newest first with
 * newest_first); the newest `limit` when there are more. user: NULL for all, else entries where that user is the
 * actor or the subject. Strings passed to fn live until fn returns; fn
 * returns as for jit_store_grants_each(). */
int jit_store_audit_each(struct jit_store *st, time_t since, const char *user, int64_t limit,
			 bool newest_first,
			 int (*fn)(const struct jit_audit_entry *e, void *ctx), void *ctx,
			 jit_error *err);

#endif
