/* SPDX-License-Identifier: ISC */
/* jitd.conf: daemon settings, policies and roles. INI-like, '#' comments;
 * unknown sections and keys are errors, each reported as FILE:LINE: reason. */
#ifndef JIT_JITD_CONFIG_H
#define JIT_JITD_CONFIG_H

#include "jit_error.h"
#include "jit_limits.h"
#include "netaddr.h"
#include "ratelimit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JIT_POLICY_PORTS_MAX 32
#define JIT_POLICY_SOURCES_MAX 64
#define JIT_CONFIG_ERRORS_MAX 64
/* Distinct ports all policies together may guard: what the firewall
 * backends hold. More is a configuration error, never an unguarded port. */
#define JIT_GUARDED_PORTS_MAX 256
/* The longest window ipset can time (its timeout is at most 2147483 s). */
#define JIT_IPSET_TIMEOUT_MAX 2147483

enum jit_firewall_kind { JIT_FW_NFTABLES, JIT_FW_IPTABLES, JIT_FW_NONE };

/* Host ids (as [jitd] host names a host), or for a policy's hosts as
 * written also "@GROUP". */
struct jit_hosts {
	char (*items)[JIT_HOST_MAX];
	size_t n;
};

/* [hostgroup NAME]: hosts a policy may name at once as @NAME. */
struct jit_hostgroup {
	char name[JIT_NAME_MAX];
	struct jit_hosts hosts;
	unsigned line;
};

/* Who may review a request under a policy with approvals: a role's
 * members (local users, groups and remote_users alike), a local group's
 * members, a local user, or a remote identity (jit-sshd's jit-user=). */
enum jit_approver_kind { JIT_APPROVER_ROLE, JIT_APPROVER_GROUP, JIT_APPROVER_USER,
			 JIT_APPROVER_REMOTE };

#define JIT_POLICY_APPROVERS_MAX 32
/* The most approvals a policy may ask for. */
#define JIT_APPROVALS_MAX 10
/* The longest a request may stay pending. */
#define JIT_REQUEST_TTL_MAX (7 * 86400)
/* The most logins a policy's max_logins may allow. */
#define JIT_MAX_LOGINS_MAX 1000
/* The furthest ahead a policy's max_advance may let a window start. */
#define JIT_MAX_ADVANCE_MAX (366 * 86400)
/* The longest used_up_grace. */
#define JIT_USED_UP_GRACE_MAX 300

struct jit_approver {
	enum jit_approver_kind kind;
	char name[JIT_NAME_MAX];
};

struct jit_policy {
	char name[JIT_NAME_MAX];
	struct jit_hosts hosts_written;	/* hosts = as written; none: this host only */
	struct jit_hosts hosts;		/* the hosts it covers, groups expanded, once each */
	unsigned hosts_line;
	struct jit_portspec ports[JIT_POLICY_PORTS_MAX];
	size_t n_ports;
	struct jit_cidr sources[JIT_POLICY_SOURCES_MAX];
	size_t n_sources;
	bool any_source;		/* sources = any: every address may ask */
	int64_t max_duration;		/* seconds */
	bool justification_required;
	int approvals;			/* reviews needed before it opens; 0: at once */
	struct jit_approver approvers[JIT_POLICY_APPROVERS_MAX];
	size_t n_approvers;
	unsigned approvers_line;
	int64_t request_ttl;		/* seconds a request may wait for its reviews */
	bool self_approve;		/* the requester's own review counts */
	bool break_glass;		/* --break-glass opens at once, reviewed after */
	bool terminate_on_revoke;	/* on_revoke = terminate: its sessions are cut */
	bool terminate_on_expiry;	/* on_expiry = terminate */
	int max_logins;			/* logins a grant allows; 0: no limit */
	int64_t max_advance;		/* how far ahead a window may start, s */
	unsigned line;
};

/* A list of names (users, groups, policies) as written. */
struct jit_names {
	char (*items)[JIT_NAME_MAX];
	size_t n;
};

struct jit_role {
	char name[JIT_NAME_MAX];
	struct jit_names users, groups;
	struct jit_names remote_users;	/* jit-sshd's identities (jit-user=), never local */
	struct jit_names policy_names;	/* as written */
	size_t *policies;		/* the same, as indexes into jit_config.policies */
	size_t n_policies;
	unsigned policies_line;
	int64_t max_duration;		/* seconds; 0: the policies' maxima alone */
	bool grant_others, revoke_any, audit;
	bool lock;			/* may lock users, roles, sources and hosts out */
	unsigned line;
};

/* Where jitd, jitctl, jit-sshd and jit-relay read jitd.conf unless told. */
#define JIT_DEFAULT_CONFIG "/etc/jit/jitd.conf"

#define JIT_SSHD_LISTEN_MAX 8

struct jit_listen {
	struct jit_addr addr;
	unsigned port;
};

/* [sshd]: the SSH front door, jit-sshd. jitd reads only `user`. */
struct jit_sshd_config {
	char user[JIT_NAME_MAX];	/* the account jit-sshd runs as; "" when no [sshd] */
	struct jit_listen listen[JIT_SSHD_LISTEN_MAX];
	size_t n_listen;
	char host_key[JIT_PATH_MAX];
	char authorized_keys[JIT_PATH_MAX];
	int64_t login_grace;		/* seconds to authenticate and send a command */
	int max_auth_tries;
	int max_startups;		/* connections served at once: "full" */
	int startups_begin;		/* from this many, drop at random ("start") */
	int startups_rate;		/* percent dropped at startups_begin ("rate") */
	int per_source_max_startups;	/* from one address (IPv6: one /64) */
};

#define JIT_CONTROLLER_ADDRESSES_MAX 8

/* USER@HOST[:PORT] of a controller's front door. */
struct jit_controller_address {
	char user[JIT_NAME_MAX];
	char host[JIT_HOST_MAX];
	unsigned port;
};

/* [controller]: an enforcer's way to its controller. */
struct jit_controller_config {
	struct jit_controller_address address[JIT_CONTROLLER_ADDRESSES_MAX];	/* tried in order */
	size_t n_address;
	char identity[JIT_PATH_MAX];	/* this host's SSH private key */
	char known_hosts[JIT_PATH_MAX];	/* the controller's host key */
	struct jit_portspec guard[JIT_POLICY_PORTS_MAX];	/* closed from the first second */
	size_t n_guard;
	char user[JIT_NAME_MAX];	/* jit-relay's: the only one jitd takes changes from */
	int64_t reconnect_max;		/* jit-relay's longest wait between attempts, s */
	int64_t heartbeat;		/* a silent link is tested after this, dropped after twice */
};

struct jit_config {
	char host[JIT_HOST_MAX];
	char socket[JIT_PATH_MAX];
	char socket_group[JIT_NAME_MAX];
	char database[JIT_PATH_MAX];	/* an SQLite file, or PostgreSQL's URI or conninfo */
	char passfile[JIT_PATH_MAX];	/* PostgreSQL's password file; "" for libpq's default */
	char key[JIT_PATH_MAX];
	char pubkey[JIT_PATH_MAX];	/* an enforcer's: the broker's public key */
	bool enforcer;			/* [controller] given: follows it, signs nothing */
	bool fleet;			/* a policy covers another host: a controller */
	struct jit_controller_config controller;
	enum jit_firewall_kind firewall;
	int64_t default_duration;
	int64_t skew;
	int64_t reconcile_interval;	/* seconds between checks of jit's firewall rules */
	int64_t apply_timeout;		/* a controller's wait for its enforcers' acks, s */
	int64_t used_up_grace;		/* a used-up grant's window closes this much later, s */
	char metrics_file[JIT_PATH_MAX];	/* "": no metrics written */
	char notify_command[JIT_PATH_MAX];	/* "": no notifications */
	unsigned notify_line;		/* where notify_command was set, for errors */
	unsigned passfile_line;		/* ... and passfile */
	int64_t notify_timeout;		/* seconds a notification may run */
	struct jit_rate_limit rate_requests;	/* per caller, and per source */
	struct jit_rate_limit rate_verifications;	/* per login source, and per user */
	struct jit_rate_limit audit_denials;	/* denials audited one by one, per caller */
	int connections_per_uid;	/* socket connections one uid (but 0) may hold */
	struct jit_sshd_config sshd;	/* [sshd] */
	int64_t duration_cap;		/* what the firewall backend can time; seconds */
	struct jit_portspec guarded[JIT_GUARDED_PORTS_MAX];	/* every policy's ports, once each */
	size_t n_guarded;
	struct jit_policy *policies;
	size_t n_policies;
	struct jit_role *roles;
	size_t n_roles;
	struct jit_hostgroup *hostgroups;
	size_t n_hostgroups;
};

/* Every error found, "FILE:LINE: reason" each; parsing goes on after an
 * error so that one run shows them all. */
struct jit_config_errors {
	char msg[JIT_CONFIG_ERRORS_MAX][512];	/* in line order */
	unsigned line[JIT_CONFIG_ERRORS_MAX];	/* 0: the file as a whole */
	size_t n;
	size_t dropped;			/* errors beyond JIT_CONFIG_ERRORS_MAX */
	/* Warnings ("FILE:LINE: warning: ..."): the file is still accepted. */
	char warning[JIT_CONFIG_ERRORS_MAX][512];
	size_t n_warnings;
};

/* Hands every warning, then every error (and how many more were found
 * than kept) to emit as one line each: the one way they are shown, on
 * stderr or in the log. */
void jit_config_errors_report(const struct jit_config_errors *errs, const char *path,
			      void (*emit)(const char *line, void *ctx), void *ctx);

/* An emit for jit_config_errors_report: ctx is a FILE *. */
void jit_config_errors_to_file(const char *line, void *ctx);

/* Whether names holds name. */
bool jit_names_contain(const struct jit_names *names, const char *name);

/* User, group, section and policy names: letters, digits, '_', '.', '-'
 * (not first), and a final '$' as machine accounts have; shorter than
 * JIT_NAME_MAX. */
bool jit_config_valid_name(const char *s);

/* Parses the file at path. Returns a new configuration, or NULL with at
 * least one error in errs. */
struct jit_config *jit_config_load(const char *path, struct jit_config_errors *errs);

/* Parses text already in memory; `name` stands for the file in messages. */
struct jit_config *jit_config_parse(const char *name, const char *text, size_t len,
				    struct jit_config_errors *errs);

void jit_config_free(struct jit_config *cfg);

struct stat;

/* Whether a file a daemon trusts (jitd.conf, notify_command, jit-sshd's
 * authorized_keys) could be changed by someone other than root and the
 * user reading it: owned by another uid, or writable by group or others.
 * True with the reason in why. */
bool jit_config_unsafe_owner(const struct stat *st, char *why, size_t size);

/* Reads such a file the safe way (jit_file_read()) with that owner and mode
 * rule: at most max bytes into *text, which the caller frees. -1 with the
 * reason in err. */
int jit_config_file_read(const char *path, size_t max, char **text, size_t *len, jit_error *err);

/* The role of that name, or NULL. */
const struct jit_role *jit_config_role(const struct jit_config *cfg, const char *name);
const struct jit_policy *jit_config_policy(const struct jit_config *cfg, const char *name);
const struct jit_hostgroup *jit_config_hostgroup(const struct jit_config *cfg, const char *name);

/* The ports the policies covering host guard, each once, into out: 0 and
 * their count in *n, or -1 with the policy that went beyond max in *over
 * (out then holds the first max). */
int jit_config_host_ports(const struct jit_config *cfg, const char *host,
			  struct jit_portspec *out, size_t max, size_t *n,
			  const struct jit_policy **over);

/* Whether the policy's hosts include host. */
bool jit_policy_covers(const struct jit_policy *pol, const char *host);

/* A host id: letters, digits, '.', '-', '_', shorter than JIT_HOST_MAX. */
bool jit_config_valid_host(const char *s);
/* Whether a database setting names PostgreSQL (a postgresql:// URI or a
 * key=value conninfo) rather than an SQLite file (an absolute path). */
bool jit_config_database_is_postgresql(const char *database);
/* Whether a PostgreSQL URI or conninfo carries a password itself. */
bool jit_config_database_names_password(const char *database);
/* Whether a PostgreSQL password file may not be used (not there, not a
 * regular file, an unsafe owner, readable by others), with why. */
bool jit_config_passfile_unsafe(const char *path, char *why, size_t size);
const char *jit_firewall_name(enum jit_firewall_kind kind);

#endif
