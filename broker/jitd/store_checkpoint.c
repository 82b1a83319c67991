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

/* WAL pages written between two checkpoints on the thread: SQLite's
 * default. */
#define CHECKPOINT_PAGES 1000
/* The WAL's length at which the committing thread copies back what is left
 * itself. SQLite writes the WAL from its start again only in a transaction
 * that begins when every page of it is in the database, and under steady
 * load the thread never gets there: each of its checkpoints ends with pages
 * committed meanwhile, and the WAL would grow for as long as the load lasts
 * (to 650 MB in a benchmark of 40,000 grants). A larger figure stalls a
 * commit less often; this one keeps the WAL within 64 MiB. */
#define RESTART_PAGES (16 * CHECKPOINT_PAGES)

struct jit_checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* to the thread: asked, or stop */
	pthread_cond_t idle;	/* from the thread: a checkpoint done */
	sqlite3 *db;		/* the thread's own connection */
	bool asked, running, stop;
	struct jit_checkpoint_counts counts;	/* under lock */
	/* The committing thread's own: */
	int every, restart_at;	/* CHECKPOINT_PAGES and RESTART_PAGES */
	int asked_at;		/* the WAL's length at the last ask */
	int finished_at;	/* ... when it last copied back the rest itself */
};

static void checkpoint_once(sqlite3 *db, const char *who)
{
	int log_pages = 0, done = 0,
	    rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &done);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_warn("database checkpoint (%s): %s", who, sqlite3_errmsg(db));
	else
		log_debug("database checkpoint (%s): %d of %d WAL pages copied", who, done,
			  log_pages);
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
		c->running = true;
		pthread_mutex_unlock(&c->lock);
		checkpoint_once(c->db, "thread");
		pthread_mutex_lock(&c->lock);
		c->running = false;
		c->counts.thread++;
		pthread_cond_broadcast(&c->idle);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static void ask_thread(struct jit_checkpointer *c)
{
	pthread_mutex_lock(&c->lock);
	c->asked = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

/* The rest of a long WAL copied back here once the thread is done (it is
 * asked only from here), so that the next commit begins the WAL anew. */
static void finish_wal(struct jit_checkpointer *c, sqlite3 *db)
{
	pthread_mutex_lock(&c->lock);
	while (c->asked || c->running)
		pthread_cond_wait(&c->idle, &c->lock);
	pthread_mutex_unlock(&c->lock);
	checkpoint_once(db, "committing thread");
	pthread_mutex_lock(&c->lock);
	c->counts.committing++;
	pthread_mutex_unlock(&c->lock);
}

/* SQLite's WAL hook: called in the committing thread after each commit,
 * pages the WAL's length. The thread is asked every c->every pages; past
 * c->restart_at the committing thread copies the rest. Should that not
 * begin the WAL anew (another process reading an older snapshot), the same
 * again after as many more pages. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct jit_checkpointer *c = arg;

	(void)name;
	if (pages < c->asked_at)
		c->asked_at = c->finished_at = 0;	/* begun anew */
	if (pages >= c->restart_at && pages >= c->finished_at + c->every) {
		finish_wal(c, db);
		c->finished_at = c->asked_at = pages;
	} else if (pages >= c->asked_at + c->every) {
		c->asked_at = pages;
		ask_thread(c);
	}
	return SQLITE_OK;
}

static void checkpointer_free(struct jit_checkpointer *c)
{
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->wake);
	pthread_cond_destroy(&c->idle);
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
	return jit_store_checkpoint_start_every(st, CHECKPOINT_PAGES, RESTART_PAGES, err);
}

int jit_store_checkpoint_start_every(struct jit_store *st, int every, int restart_at,
				     jit_error *err)
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
	pthread_cond_init(&c->idle, NULL);
	c->every = every;
	c->restart_at = restart_at;
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

struct jit_checkpoint_counts jit_store_checkpoint_stop(struct jit_store *st)
{
	struct jit_checkpointer *c = st->checkpointer;
	struct jit_checkpoint_counts counts = { 0, 0 };

	if (c == NULL)
		return counts;
	(void)sqlite3_wal_autocheckpoint(jit_db_handle(st->db), CHECKPOINT_PAGES);
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	counts = c->counts;
	checkpointer_free(c);
	st->checkpointer = NULL;
	return counts;
}
