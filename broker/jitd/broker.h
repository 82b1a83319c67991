/* SPDX-License-Identifier: ISC */
/* The broker: configuration, signing key, store and firewall, and the
 * operations of the socket protocol. No I/O of its own beyond the store
 * and the firewall; the event loop (server.c) feeds it request lines. */
#ifndef JIT_BROKER_H
#define JIT_BROKER_H

#include "firewall.h"
#include "jitd_config.h"
#include "keys.h"
#include "metrics.h"
#include "notifier.h"
#include "peer.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

/* The current key and keys retired by reloads since start: tickets they
 * signed stay verifiable until they expire. */
#define JIT_BROKER_KEYS_MAX 8

/* Bounds of what one audit entry stores, whoever sent it. */
#define JIT_AUDIT_SUBJECT_MAX 128
#define JIT_AUDIT_REASON_MAX 512
#define JIT_AUDIT_DETAILS_MAX 4096
/* Callers whose denials are counted at once (the idle longest make room). */
#define JIT_DENIAL_QUOTAS 64

/* One caller's denials in the current window. */
struct jit_denial_quota {
	char key[JIT_RATE_KEY_MAX];	/* "uid:N" or "remote:NAME"; "" when free */
	char actor[JIT_NAME_MAX];
	int64_t window_ms;		/* monotonic start of the window */
	unsigned used;			/* audited in this window */
	unsigned long suppressed;	/* not audited one by one */
};

#define JIT_BROKER_FOLLOWERS_MAX 1024

/* A host whose enforcer is connected, and since when. */
struct jit_follower {
	char host[JIT_HOST_MAX];
	unsigned connections;		/* a reconnect may overlap the old one */
	time_t since;
	int64_t acked;			/* the last change it acked */
};

/* The acks an answer waits for (apply_timeout): each host's change number. */
struct jit_ack_wanted {
	char host[JIT_HOST_MAX];
	int64_t seq;
};
struct jit_apply_wait {
	struct jit_ack_wanted *items;
	size_t n, cap;
};

/* Requests on their way to the controller at once. */
#define JIT_UPSTREAM_UNANSWERED_MAX 64

/* An enforcer's link to its controller: a connection from jit-relay, on
 * which jitd speaks the fleet's requests (follow, ack) as a client and the
 * controller's changes come back. */
struct jit_upstream {
	bool taken;			/* upstream accepted; the server marks the connection */
	bool linked;			/* a relay's connection is the link now */
	bool following;			/* the controller answered follow */
	int64_t applied;		/* the last change applied (as the store has it) */
	int64_t acked;			/* the last number acked */
	unsigned unanswered;		/* requests sent whose answers have not come */
	/* What each of them was, oldest first ('f'ollow, 'a'ck, 'l'ogin and
	 * its id): answers come in order. */
	struct {
		char kind;
		int64_t id;
	} sent[JIT_UPSTREAM_UNANSWERED_MAX];
	unsigned sent_first;
	int64_t login_sent;		/* the last queued login sent on this link */
	uint64_t logins_seen;		/* the store's count when last looked */
	bool logins_left;		/* the store may hold logins not sent yet */
	int64_t heard_ms, said_ms;	/* monotonic: the last line each way */
	char epoch[JIT_EPOCH_MAX];	/* the store's, sent with each login */
};

struct jit_broker {
	struct jit_config *cfg;
	char config_path[JIT_PATH_MAX];
	struct jit_secret_key key;
	struct jit_public_key keys[JIT_BROKER_KEYS_MAX];	/* [0]: the current key's */
	size_t n_keys;
	struct jit_store *store;
	struct jit_firewall *fw;
	time_t started;
	time_t opened_through;		/* windows starting until then are open */
	bool needs_reconcile;		/* a backend error left the kernel unsure */
	unsigned long ticks;		/* reconcile_interval periods so far */
	struct jit_metrics metrics;
	bool metrics_dirty;		/* counted since metrics_file was written */
	time_t metrics_written;
	struct jit_notifier notifier;	/* notify_command runs */
	struct jit_rate_table request_rates;	/* rate_requests' buckets */
	struct jit_rate_table verify_rates;	/* rate_verifications' buckets */
	struct jit_denial_quota denial_quota[JIT_DENIAL_QUOTAS];
	/* The hosts whose enforcer follows this controller now. */
	struct jit_follower followers[JIT_BROKER_FOLLOWERS_MAX];
	size_t n_followers;
	/* How far hosts following other controllers on the database have
	 * acked, as those said (each host once). */
	struct jit_ack_wanted *remote_acks;
	size_t n_remote_acks, cap_remote_acks;
	/* Set by follow, taken by the server (jit_broker_take_follow()). */
	struct {
		bool started;
		char host[JIT_HOST_MAX];
		int64_t since;
	} follow;
	struct jit_upstream upstream;	/* an enforcer's */
	/* Set by a request or revocation for connected enforcers, taken by
	 * the server (jit_broker_take_wait()). */
	struct jit_apply_wait *wait;
	/* Requests decided (approved, denied, expired) since start: a waiter
	 * looks again when it grew. */
	uint64_t decisions;
	/* Set by request_status with a wait, taken by the server
	 * (jit_broker_take_await()): the answer waits for request id to be
	 * decided, ms at most, asked by peer. */
	struct {
		bool set;
		int64_t id;
		int64_t ms;
		struct jit_peer peer;
	} await;
	/* What the operations since the server last armed its timer did to
	 * the next deadline (jit_broker_take_timer_news()). */
	struct {
		bool reread;		/* something other than new grants */
		time_t earliest;	/* the new grants' earliest end or start, or 0 */
	} timer;
};

/* Loads the configuration and key, opens the store and the firewall
 * backend, marks what expired while jitd was away and reconciles the
 * firewall. Returns 0, or -1 with the reason. */
int jit_broker_start(struct jit_broker *b, const char *config_path, jit_error *err);
void jit_broker_stop(struct jit_broker *b);

/* Re-reads the configuration and key; keeps the old ones on any error.
 * Settings that need a restart (socket, socket_group, database, firewall)
 * keep their running values and are logged. */
int jit_broker_reload(struct jit_broker *b);

/* Marks due grants expired and closes their windows; -1 when the database
 * failed (logged), and they are still due. */
int jit_broker_expire(struct jit_broker *b, time_t now);

/* A grant's window the firewall could not open or close: logged, counted,
 * and the firewall reconciled at the next tick. */
void jit_broker_firewall_failed(struct jit_broker *b, int64_t grant_id, const jit_error *err);
/* Gives g's window here its end as recorded (opened at its start,
 * extended, or cut to used_up_grace), elements deleted and added in one
 * batch; a failure is logged and reconciled. */
void jit_broker_update_window(struct jit_broker *b, const struct jit_grant *g);
/* Cuts the established sessions of g's window, closed already (why:
 * "revoked", "expired"), logged; how many, or -1. */
long jit_broker_cut_sessions(struct jit_broker *b, const struct jit_grant *g, const char *why);

/* Makes the firewall hold exactly the active grants. */
int jit_broker_reconcile(struct jit_broker *b, time_t now);

/* Every reconcile_interval: restores jit's firewall rules when someone
 * removed or changed them, and retries a reconcile that failed; every
 * twelfth time, rewrites the grant sets whole from the database. */
void jit_broker_tick(struct jit_broker *b);

/* When the next active grant ends: 1 and *when; 0 when none is active;
 * -1 when the database could not say (logged). */
int jit_broker_next_expiry(struct jit_broker *b, time_t *when);

/* A new grant's end, or its window's start, for the timer. */
void jit_broker_timer_note(struct jit_broker *b, time_t when);
/* After operations: true when the next deadline must be read anew (an
 * operation did more than make grants); else *earliest is the earliest
 * deadline their grants added (0: none). Clears what was noted. */
bool jit_broker_take_timer_news(struct jit_broker *b, time_t *earliest);

/* Answers one request line (without its newline). *bad is set when the
 * line was not a well-formed request, for the server's garbage count.
 * Returns the response object, never NULL. */
json_t *jit_broker_handle(struct jit_broker *b, struct jit_peer *peer, const char *line,
			  size_t len, bool *bad);

/* After jit_broker_handle(): whether that request started a follow, and
 * then the host whose changes the connection follows, from which number on.
 * The server then pushes them (jit_store_changes_each()) as they come. */
void jit_broker_take_follow(struct jit_broker *b, char *host, size_t size, int64_t *since,
			    bool *started);

/* The server's word that a follower of host connected or went away. */
void jit_broker_follower(struct jit_broker *b, const char *host, bool connected, time_t now);

/* After a change for host was queued: when its enforcer is connected (and
 * apply_timeout is not 0), the answer is to wait for its ack; true then. */
bool jit_broker_expect_ack(struct jit_broker *b, const char *host);

/* After jit_broker_handle(): the acks its answer waits for, or NULL (the
 * caller frees them with jit_apply_wait_free()). The server holds the
 * answer until jit_broker_wait_done(), or apply_timeout, then sends what
 * jit_broker_settle() makes of it: each host acked marked applied, the
 * others pending. */
struct jit_apply_wait *jit_broker_take_wait(struct jit_broker *b);
bool jit_broker_wait_done(const struct jit_broker *b, const struct jit_apply_wait *w);
json_t *jit_broker_settle(const struct jit_broker *b, json_t *resp, const struct jit_apply_wait *w);
void jit_apply_wait_free(struct jit_apply_wait *w);

/* After jit_broker_handle(): whether its answer waits for a request's
 * decision (request_status with wait), and then which, how long at most
 * and for whom. The server then holds the answer, asks
 * jit_broker_request_answer() again each time jit_broker_decisions()
 * changed, and sends the first whose *decided is set, or the last at the
 * deadline. An answer with grants for other hosts may then wait for their
 * acks as any other (jit_broker_take_wait()). */
bool jit_broker_take_await(struct jit_broker *b, int64_t *id, int64_t *ms, struct jit_peer *peer);
json_t *jit_broker_request_answer(struct jit_broker *b, const struct jit_peer *peer, int64_t id,
				  bool *decided);

/* Requests whose request_ttl passed by now marked expired (audited, the
 * event sent); and when the next pending one lapses (as
 * jit_broker_next_expiry()). */
void jit_broker_expire_requests(struct jit_broker *b, time_t now);
int jit_broker_next_request_expiry(struct jit_broker *b, time_t *when);

/* The same change to host as jit_broker_expect_ack(), for change seq. */
bool jit_broker_expect_ack_seq(struct jit_broker *b, const char *host, int64_t seq);

/* Whether host's enforcer has acked change seq. */
bool jit_broker_host_acked(const struct jit_broker *b, const char *host, int64_t seq);

/* The acks other controllers on the database said their hosts gave, taken
 * from the store: answers held here for them may go. */
void jit_broker_take_heard_acks(struct jit_broker *b);

/* What an answer says of a host's change its enforcer has not acked. */
json_t *jit_pending_json(const char *host, bool connected);

/* An enforcer's link, as the server drives it. After jit_broker_handle():
 * whether that request (upstream) made the connection the link; the
 * server then sends jit_upstream_hello() on it and hands each line that
 * comes back to jit_upstream_line(), which returns -1 when the link must
 * be dropped (the controller refused, a change is missing). After each
 * batch, and each second, jit_upstream_next() says what to send (an ack,
 * a login to report, a heartbeat; NULL when nothing), and
 * jit_upstream_has_news() whether a login came meanwhile;
 * jit_upstream_stale() whether the controller went silent. */
bool jit_broker_take_upstream(struct jit_broker *b);
json_t *jit_upstream_hello(struct jit_broker *b, int64_t now_ms);
int jit_upstream_line(struct jit_broker *b, const char *line, size_t len, int64_t now_ms);
json_t *jit_upstream_next(struct jit_broker *b, int64_t now_ms);
bool jit_upstream_has_news(const struct jit_broker *b);
bool jit_upstream_stale(const struct jit_broker *b, int64_t now_ms);
void jit_upstream_unlinked(struct jit_broker *b);

/* An enforcer's guard ports with the controller's, as it last said them
 * (kept in the store), into b->cfg before the firewall is configured. */
void jit_upstream_restore_guard(struct jit_broker *b);

/* A grant as jit_grant_json() shows it, back; -1 with err on anything
 * missing or invalid. */
int jit_grant_from_json(json_t *j, struct jit_grant *g, jit_error *err);

/* uid 0, or a member of a role with audit = yes: who may ask verify, and
 * whose connections the server keeps slots for. */
bool jit_broker_may_verify(const struct jit_broker *b, struct jit_peer *peer);

/* Whether peer is jit-sshd's user ([sshd] user): the one local caller
 * jitd believes about remote identities. */
bool jit_broker_is_front_door(const struct jit_broker *b, const struct jit_peer *peer);

/* Whether peer's uid is that of the account name ("" is no one's). */
bool jit_peer_is_user(const struct jit_peer *peer, const char *name);

/* What the firewall layer needs of a grant: its window ends at its expiry,
 * or used_up_grace seconds after its last login when it is used up. */
void jit_fw_entry_from_grant(const struct jit_grant *g, int64_t used_up_grace,
			     struct jit_fw_entry *e);

/* A grant as the protocol shows it. */
json_t *jit_grant_json(const struct jit_grant *g, time_t now);

/* Something operators may want to hear of: "grant", "denial", "revocation",
 * "expiry" or "login". fields (taken over) are merged into the event object
 * {"event":…, "time":…, "host":…} that notify_command gets. */
void jit_broker_event(struct jit_broker *b, const char *event, json_t *fields);
/* Whether events go anywhere (notify_command): a hot path builds one only then. */
bool jit_broker_has_events(const struct jit_broker *b);

/* Whether jit_broker_housekeeping() has work: metrics or notifications. */
bool jit_broker_has_housekeeping(const struct jit_broker *b);

/* Every second while it has work: reaps and times out notify_command runs,
 * and writes metrics_file when something was counted (and at least every
 * 15 s, so that its age shows jitd is alive). */
void jit_broker_housekeeping(struct jit_broker *b);

/* Creates the directory holding path with mode when it does not exist
 * (the last component only, as for /run/jit and /var/lib/jit). */
int jit_make_parent_dir(const char *path, mode_t mode, jit_error *err);

/* Copies in to out (size bytes with the NUL), each control character
 * replaced by '?', cut at a character boundary. */
void jit_audit_clean(const char *in, char *out, size_t size);

/* Who jit-sshd spoke for: {"via","address","key"}; NULL for a local peer. */
json_t *jit_broker_remote_json(const struct jit_peer *peer);

/* Writes one audit entry, every string bounded and cleaned; details (taken
 * over, may be NULL) gain the remote object of a remote peer. */
void jit_broker_audit(struct jit_broker *b, const struct jit_peer *peer, const char *action,
		      const char *subject, const char *result, const char *reason, json_t *details);

/* A denial's entry: the first few per caller and minute are written, the
 * rest counted and written later as one "denials"/"suppressed" entry.
 * uid 0's are always written. */
void jit_broker_audit_denial(struct jit_broker *b, const struct jit_peer *peer,
			     const char *action, const char *subject, const char *reason,
			     json_t *details);

/* Whether some caller's denials wait to be written as a count. */
bool jit_broker_audit_pending(const struct jit_broker *b);

/* Writes the counts of windows that have ended. */
void jit_broker_audit_flush(struct jit_broker *b);

/* The response for a protocol error, e.g. a line that is too long. */
json_t *jit_broker_error(const char *error, const char *reason);

#endif
