/* SPDX-License-Identifier: ISC */
/* Fuzzes the socket protocol as jitd parses and answers it: each input is
 * one request line handed to jit_broker_handle(), for a broker with
 * firewall = none and its database in a private temporary directory. The
 * caller is this process's user, who holds a role that may do everything
 * and is the configured jit-sshd user, so remote identities are reached
 * too. Every answer must be an object with "ok". The broker is restarted
 * on a fresh database every RESTART_EVERY inputs so the store stays small. */
#include "config.h"

#include "broker.h"
#include "keys.h"
#include "log.h"
#include "peer.h"

#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RESTART_EVERY 20000

static char dir[64];
static char conf_path[128], key_path[128], db_path[128];
static struct jit_broker broker;
static struct jit_peer caller;
static unsigned long served;

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0)
		abort();
}

static void write_key(void)
{
	struct jit_secret_key key;
	char paserk[JIT_PASERK_MAX], line[JIT_PASERK_MAX + 1];

	if (jit_key_generate(&key) != 0)
		abort();
	jit_paserk_secret(&key, paserk);
	(void)snprintf(line, sizeof(line), "%s\n", paserk);
	write_file(key_path, line, 0600);
	jit_secret_key_wipe(&key);
	sodium_memzero(paserk, sizeof(paserk));
	sodium_memzero(line, sizeof(line));
}

static void write_config(const char *user)
{
	char text[2048];

	(void)snprintf(text, sizeof(text),
		       "[jitd]\nhost = fuzz01\nsocket = %s/jitd.sock\ndatabase = %s\nkey = %s\n"
		       "firewall = none\n\n"
		       "[policy ssh]\nports = 22/tcp, 3389/tcp\nsources = 192.0.2.0/24, 2001:db8::/32\n"
		       "max_duration = 2h\njustification = required\n\n"
		       "[role all]\nusers = %s\npolicies = ssh\ngrant_others = yes\nrevoke_any = yes\n"
		       "audit = yes\n\n[sshd]\nuser = %s\n",
		       dir, db_path, key_path, user, user);
	write_file(conf_path, text, 0644);
}

static void remove_database(void)
{
	char path[sizeof(db_path) + 4];

	(void)unlink(db_path);
	(void)snprintf(path, sizeof(path), "%s-wal", db_path);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s-shm", db_path);
	(void)unlink(path);
}

static void broker_restart(void)
{
	jit_error err;

	if (served > 0) {
		jit_broker_stop(&broker);
		remove_database();
	}
	if (jit_broker_start(&broker, conf_path, &err) != 0) {
		fprintf(stderr, "fuzz_proto: %s\n", err.msg);
		abort();
	}
}

static void remove_dir(void)
{
	jit_broker_stop(&broker);
	(void)unlink(conf_path);
	(void)unlink(key_path);
	remove_database();
	(void)rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	(void)argc;
	(void)argv;
	jit_log_discard();
	(void)snprintf(dir, sizeof(dir), "%s/jit-fuzz.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	(void)snprintf(conf_path, sizeof(conf_path), "%s/jitd.conf", dir);
	(void)snprintf(key_path, sizeof(key_path), "%s/broker.key", dir);
	(void)snprintf(db_path, sizeof(db_path), "%s/jit.db", dir);
	jit_peer_from_uid(getuid(), &caller);
	write_key();
	write_config(caller.user);
	broker_restart();
	(void)atexit(remove_dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jit_peer peer = caller;
	bool bad = false;
	json_t *resp;

	if (++served % RESTART_EVERY == 0)
		broker_restart();
	resp = jit_broker_handle(&broker, &peer, (const char *)data, size, &bad);
	if (!json_is_object(resp) || !json_is_boolean(json_object_get(resp, "ok")))
		abort();
	json_decref(resp);
	return 0;
}
