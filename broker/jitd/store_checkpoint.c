/* SPDX-License-Identifier: ISC */
/* The WAL's checkpoints on a thread of their own, with its own connection:
 * a checkpoint fsyncs the WAL and the database (milliseconds on a real
 * disk), and run by SQLite after a commit, as it would be by default, it
 * stalls whichever request commits the thousandth page. Here the commit
 * only notes the WAL's length; the thread copies it back in the meantime,
 * and SQLite lets a writer go on beside a checkpoint. */
#include "config.h"

#include "log.h"
#include "store_private.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>

/* WAL pages after which a checkpoint is asked for: SQLite's default. */
#define CHECKPOINT_PAGES 1000

struct jit_checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	sqlite3 *db;		/* the thread's own connection */
	bool asked, stop;
	unsigned long runs;	/* checkpoints run, under lock */
};

static void checkpoint_once(struct jit_checkpointer *c)
{
	int log_pages = 0, done = 0,
	    rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_pages,
					   &done);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_warn("database checkpoint: %s", sqlite3_errmsg(c->db));
	else
		log_debug("database checkpoint: %d of %d WAL pages copied", done, log_pages);
}

static void *checkpoint_thread(void *arg)
{
	struct jit_checkpointer *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->asked && !c->stop)
			pthread_cond_wait(&c->wake, &c->lock);
		/* One asked for before the stop still runs. */
		if (!c->asked)
			break;
		c->asked = false;
		pthread_mutex_unlock(&c->lock);
		checkpoint_once(c);
		pthread_mutex_lock(&c->lock);
		c->runs++;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* SQLite's WAL hook: called in the committing thread after each commit. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct jit_checkpointer *c = arg;

	(void)db;
	(void)name;
	if (pages >= CHECKPOINT_PAGES) {
		pthread_mutex_lock(&c->lock);
		c->asked = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
	}
	return SQLITE_OK;
}

static void checkpointer_free(struct jit_checkpointer *c)
{
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The thread takes no signal: jitd reads them all from its signalfd. */
static int start_thread(struct jit_checkpointer *c)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->thread, NULL, checkpoint_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int jit_store_checkpoint_start(struct jit_store *st, jit_error *err)
{
	struct jit_checkpointer *c;
	int rc;

	if (st->checkpointer != NULL || jit_db_engine(st->db) != JIT_DB_SQLITE)
		return 0;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return jit_error_set(err, "out of memory");
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	rc = sqlite3_open_v2(sqlite3_db_filename(jit_db_handle(st->db), "main"), &c->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
	/* A new connection knows the file is in WAL mode only once it has
	 * read it; until then a checkpoint does nothing. */
	if (rc == SQLITE_OK) {
		(void)sqlite3_busy_timeout(c->db, 1000);
		rc = sqlite3_exec(c->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK || start_thread(c) != 0) {
		jit_error_set(err, "starting the database's checkpoints: %s",
			      c->db != NULL ? sqlite3_errmsg(c->db) : "out of memory");
		checkpointer_free(c);
		return -1;
	}
	st->checkpointer = c;
	/* Replaces the hook of SQLite's own checkpoints after a commit. */
	sqlite3_wal_hook(jit_db_handle(st->db), on_commit, c);
	return 0;
}

unsigned long jit_store_checkpoint_stop(struct jit_store *st)
{
	struct jit_checkpointer *c = st->checkpointer;
	unsigned long runs;

	if (c == NULL)
		return 0;
	(void)sqlite3_wal_autocheckpoint(jit_db_handle(st->db), CHECKPOINT_PAGES);
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	runs = c->runs;
	checkpointer_free(c);
	st->checkpointer = NULL;
	return runs;
}
