/* SPDX-License-Identifier: ISC */
#include "config.h"

#include "sshd_session.h"

#include "authkeys.h"
#include "escape.h"
#include "jitclient.h"
#include "log.h"
#include "netaddr.h"
#include "sshd_command.h"
#include "sshd_follow.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* After authentication, how long a command may take: jitd answers within 10 s. */
#define COMMAND_SECONDS 30
/* request --wait: until the request is decided or lapses (request_ttl is
 * at most 7 days), and a minute. */
#define WAIT_SECONDS (7 * 86400 + 60)
#define POLL_MS 100
#define CLOSE_WAIT_MS 3000

struct session_state {
	const struct jit_config *cfg;
	ssh_session session;
	struct jit_authkeys keys;
	struct jit_addr addr;
	char addr_text[JIT_CIDR_STRLEN];
	const struct jit_authkey *who;	/* set once a signature verified */
	int failures;
	ssh_channel channel;
	struct ssh_channel_callbacks_struct channel_cb;
	char *command;
	bool refused_request;		/* a pty, shell, subsystem… was asked for */
};

/* Whose the key is: a user's identity, or "host NAME". */
static const char *key_owner(const struct jit_authkey *k, char *buf, size_t size)
{
	if (k == NULL)
		return "?";
	if (k->host[0] == '\0')
		return k->identity;
	(void)snprintf(buf, size, "host %s", k->host);
	return buf;
}

/* --- authentication ------------------------------------------------------------------- */

static int auth_pubkey(ssh_session session, const char *user, struct ssh_key_struct *pubkey,
		       char signature_state, void *userdata)
{
	struct session_state *st = userdata;
	const struct jit_authkey *k = jit_authkeys_find(&st->keys, pubkey);
	char owner[JIT_HOST_MAX + 8];

	(void)session;
	if (k == NULL || !jit_authkey_allows(k, &st->addr)) {
		char fp[JIT_FINGERPRINT_MAX], name[264];

		if (jit_ssh_fingerprint(pubkey, fp, sizeof(fp)) != 0)
			(void)snprintf(fp, sizeof(fp), "%s", "(unknown)");
		log_info("refused key %s from %s (login name '%s'): %s", fp, st->addr_text,
			 jit_escape_text(user, name, sizeof(name)),
			 k == NULL ? "not in the authorized keys" : "not from this address");
		st->failures++;
		return SSH_AUTH_DENIED;
	}
	/* Asked whether the key would do: yes. Granted only on a verified signature. */
	if (signature_state == SSH_PUBLICKEY_STATE_NONE)
		return SSH_AUTH_SUCCESS;
	if (signature_state != SSH_PUBLICKEY_STATE_VALID) {
		log_info("refused key %s from %s: bad signature", k->fingerprint, st->addr_text);
		st->failures++;
		return SSH_AUTH_DENIED;
	}
	st->who = k;
	log_info("accepted key %s from %s for %s", k->fingerprint, st->addr_text,
		 key_owner(k, owner, sizeof(owner)));
	return SSH_AUTH_SUCCESS;
}

/* --- the channel ---------------------------------------------------------------------- */

static int exec_request(ssh_session session, ssh_channel channel, const char *command,
			void *userdata)
{
	struct session_state *st = userdata;

	(void)session, (void)channel;
	if (st->command != NULL || strlen(command) > JIT_SSHD_COMMAND_MAX)
		return SSH_ERROR;
	st->command = strdup(command);
	return st->command != NULL ? SSH_OK : SSH_ERROR;
}

static void refuse(struct session_state *st, const char *what)
{
	char owner[JIT_HOST_MAX + 8];

	st->refused_request = true;
	log_info("%s from %s asked for %s: refused", key_owner(st->who, owner, sizeof(owner)),
		 st->addr_text, what);
}

static int pty_request(ssh_session session, ssh_channel channel, const char *term, int width,
		       int height, int pxwidth, int pxheight, void *userdata)
{
	(void)session, (void)channel, (void)term, (void)width, (void)height, (void)pxwidth,
		(void)pxheight;
	refuse(userdata, "a terminal");
	return SSH_ERROR;
}

/* No command (ssh -p PORT jit@host): no shell, but the usage and exit
 * status 2, as for an unknown command. */
static int shell_request(ssh_session session, ssh_channel channel, void *userdata)
{
	struct session_state *st = userdata;
	char owner[JIT_HOST_MAX + 8];

	(void)session, (void)channel;
	log_info("%s from %s asked for a shell: given the usage",
		 key_owner(st->who, owner, sizeof(owner)), st->addr_text);
	if (st->command != NULL)
		return SSH_ERROR;
	st->command = strdup("");
	return st->command != NULL ? SSH_OK : SSH_ERROR;
}

static int subsystem_request(ssh_session session, ssh_channel channel, const char *subsystem,
			     void *userdata)
{
	(void)session, (void)channel, (void)subsystem;
	refuse(userdata, "a subsystem");
	return SSH_ERROR;
}

static int env_request(ssh_session session, ssh_channel channel, const char *name,
		       const char *value, void *userdata)
{
	(void)session, (void)channel, (void)name, (void)value, (void)userdata;
	return SSH_ERROR;
}

/* One session channel per connection, once authenticated. */
static ssh_channel channel_open(ssh_session session, void *userdata)
{
	struct session_state *st = userdata;

	if (st->who == NULL || st->channel != NULL)
		return NULL;
	st->channel = ssh_channel_new(session);
	if (st->channel == NULL)
		return NULL;
	st->channel_cb = (struct ssh_channel_callbacks_struct){
		.userdata = st,
		.channel_exec_request_function = exec_request,
		.channel_pty_request_function = pty_request,
		.channel_shell_request_function = shell_request,
		.channel_subsystem_request_function = subsystem_request,
		.channel_env_request_function = env_request,
	};
	/* X11 and agent forwarding have no callback here: libssh refuses them. */
	ssh_callbacks_init(&st->channel_cb);
	ssh_set_channel_callbacks(st->channel, &st->channel_cb);
	return st->channel;
}

/* --- the session -------------------------------------------------------------------- */

int jit_sshd_peer(ssh_session session, struct jit_addr *out)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };
	socklen_t len = sizeof(ss);
	char text[INET6_ADDRSTRLEN];
	const void *bytes;

	if (getpeername(ssh_get_fd(session), (struct sockaddr *)&ss, &len) != 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return -1;
	bytes = ss.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr :
					  (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (inet_ntop(ss.ss_family, bytes, text, sizeof(text)) == NULL ||
	    jit_addr_parse(text, out) != 0)
		return -1;
	return 0;
}

static int peer_address(ssh_session session, struct session_state *st)
{
	if (jit_sshd_peer(session, &st->addr) != 0)
		return -1;
	jit_addr_format(&st->addr, st->addr_text, sizeof(st->addr_text));
	return 0;
}

static void log_error_line(const char *line, void *ctx)
{
	(void)ctx;
	log_error("%s", line);
}

static int load_keys(struct session_state *st)
{
	struct jit_config_errors errs;

	memset(&errs, 0, sizeof(errs));
	if (jit_authkeys_load(st->cfg->sshd.authorized_keys, &st->keys, &errs) == 0)
		return 0;
	jit_config_errors_report(&errs, st->cfg->sshd.authorized_keys, log_error_line, NULL);
	return -1;
}

/* Polls until the client has sent its command, or gives up. */
static bool await_command(ssh_session session, struct session_state *st)
{
	ssh_event event = ssh_event_new();
	bool ok = false;

	if (event == NULL || ssh_event_add_session(event, session) != SSH_OK) {
		ssh_event_free(event);
		return false;
	}
	while (st->command == NULL) {
		if (st->failures >= st->cfg->sshd.max_auth_tries) {
			log_info("%s: too many authentication failures", st->addr_text);
			break;
		}
		if (ssh_event_dopoll(event, POLL_MS) == SSH_ERROR ||
		    (ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0 ||
		    (st->channel != NULL && ssh_channel_is_closed(st->channel)))
			break;
	}
	ok = st->command != NULL;
	ssh_event_remove_session(event, session);
	ssh_event_free(event);
	return ok;
}

static void write_all(ssh_channel channel, const char *data, size_t len, bool to_stderr)
{
	while (len > 0) {
		uint32_t chunk = len > 32768 ? 32768 : (uint32_t)len;
		int n = to_stderr ? ssh_channel_write_stderr(channel, data, chunk) :
				    ssh_channel_write(channel, data, chunk);

		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

static void end_channel(ssh_channel channel, int status)
{
	ssh_channel_request_send_exit_status(channel, status);
	ssh_channel_send_eof(channel);
	ssh_channel_close(channel);
}

static void run_command(struct session_state *st)
{
	json_t *remote = json_pack("{s:s, s:s, s:s}", "user", st->who->identity, "address",
				   st->addr_text, "key", st->who->fingerprint);
	struct jit_sshd_output out;
	char command[808];
	int status;

	if (remote == NULL)
		return;
	status = jit_sshd_run(st->command, st->cfg->socket, remote, &out);
	log_info("%s from %s (key %s): '%s' exited %d", st->who->identity, st->addr_text,
		 st->who->fingerprint, jit_escape_text(st->command, command, sizeof(command)), status);
	if (out.out != NULL)
		write_all(st->channel, out.out, out.out_len, false);
	if (out.err != NULL)
		write_all(st->channel, out.err, out.err_len, true);
	jit_sshd_output_free(&out);
	json_decref(remote);
	end_channel(st->channel, status);
}

/* A host's key: `follow`, and nothing else, for as long as it lasts. */
static void run_follow(struct session_state *st)
{
	static const char only[] = "jit-sshd: a host's key (jit-host=) may only run follow\n";
	json_t *remote;
	int rc;

	if (strcmp(st->command, "follow") != 0) {
		char command[808];

		log_info("host %s from %s (key %s): '%s' refused: a host's key may only follow",
			 st->who->host, st->addr_text, st->who->fingerprint,
			 jit_escape_text(st->command, command, sizeof(command)));
		write_all(st->channel, only, sizeof(only) - 1, true);
		end_channel(st->channel, JITCTL_USAGE);
		return;
	}
	remote = json_pack("{s:s, s:s, s:s}", "host", st->who->host, "address", st->addr_text,
			   "key", st->who->fingerprint);
	if (remote == NULL)
		return;
	alarm(0);	/* a stream, for as long as both ends keep it */
	rc = jit_sshd_follow(st->session, st->channel, st->cfg->socket, remote);
	json_decref(remote);
	end_channel(st->channel, rc == 0 ? JITCTL_OK : JITCTL_FAILED);
}

/* Lets the client close first: closing with its last packets unread would
 * reset the connection and lose the exit status on the way. */
static void await_client_close(ssh_session session)
{
	ssh_event event = ssh_event_new();

	if (event == NULL || ssh_event_add_session(event, session) != SSH_OK) {
		ssh_event_free(event);
		return;
	}
	for (int i = 0; i < CLOSE_WAIT_MS / POLL_MS; i++) {
		if ((ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0 ||
		    ssh_event_dopoll(event, POLL_MS) == SSH_ERROR)
			break;
	}
	ssh_event_remove_session(event, session);
	ssh_event_free(event);
}

void jit_sshd_serve(ssh_session session, const struct jit_config *cfg)
{
	struct session_state st = { .cfg = cfg, .session = session };
	struct ssh_server_callbacks_struct server_cb = {
		.userdata = &st,
		.auth_pubkey_function = auth_pubkey,
		.channel_open_request_session_function = channel_open,
	};

	int one = 1;

	if (peer_address(session, &st) != 0 || load_keys(&st) != 0)
		return;
	/* Small packets back and forth: without this, Nagle and delayed ACKs
	 * add some 40 ms to each round of the handshake. */
	(void)setsockopt(ssh_get_fd(session), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* The whole of authentication and the command's arrival, bounded: a
	 * client that lingers is killed by the default action of SIGALRM. */
	alarm((unsigned)cfg->sshd.login_grace);
	ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY);
	ssh_callbacks_init(&server_cb);
	ssh_set_server_callbacks(session, &server_cb);
	if (ssh_handle_key_exchange(session) != SSH_OK) {
		log_info("%s: key exchange failed: %s", st.addr_text, ssh_get_error(session));
	} else if (await_command(session, &st)) {
		alarm(jit_sshd_command_waits(st.command) ? WAIT_SECONDS : COMMAND_SECONDS);
		if (st.who->host[0] != '\0')
			run_follow(&st);
		else
			run_command(&st);
		await_client_close(session);
	}
	alarm(0);
	free(st.command);
	jit_authkeys_free(&st.keys);
}
