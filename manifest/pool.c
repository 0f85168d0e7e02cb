/*
 * A small pool of hashing threads fed through a bounded queue. The thread
 * that walks the source submits jobs and reports progress; workers only
 * hash. The first worker error stops the walk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest_int.h"
#include "util_int.h"

#include "banned.h"

/* Jobs queued before a sleeping worker is woken. */
#define MF_WAKE_BATCH 16

struct mf_worker {
	struct mf_pool *pool;
	pthread_t thread;
	bool started;
	sp_ctx *ctx; /**< private: the shared context is not thread-safe */
	struct mf_hasher h;
	unsigned char *buf;
	void *data;
};

struct mf_pool {
	struct mf_builder *b;
	struct mf_pool_config cfg;
	pthread_mutex_t mu;
	pthread_cond_t cv_job;  /**< a job was queued, or closing */
	pthread_cond_t cv_done; /**< a slot freed or a job finished */
	struct mf_job ring[MF_QUEUE];
	size_t head, len, busy;
	unsigned idle;         /**< workers waiting for a job */
	bool producer_waiting; /**< the walker waits for room */
	bool closing, failed;
	int err;
	char msg[SP_ERRMSG_MAX], hint[SP_ERRMSG_MAX];
	uint64_t files;
	atomic_uint_fast64_t bytes;
	struct mf_worker *w;
	unsigned n;
};

sp_ctx *
mf_worker_ctx(struct mf_worker *w)
{
	return w->ctx;
}

struct mf_hasher *
mf_worker_hasher(struct mf_worker *w)
{
	return &w->h;
}

unsigned char *
mf_worker_buf(struct mf_worker *w)
{
	return w->buf;
}

const struct mf_builder *
mf_worker_builder(struct mf_worker *w)
{
	return w->pool->b;
}

void **
mf_worker_data(struct mf_worker *w)
{
	return &w->data;
}

void
mf_worker_add_bytes(struct mf_worker *w, uint64_t bytes)
{
	atomic_fetch_add_explicit(&w->pool->bytes, bytes, memory_order_relaxed);
}

static void *
worker_main(void *arg)
{
	struct mf_worker *w = arg;
	struct mf_pool *p = w->pool;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct mf_job job;
		bool skip;
		int rc = 0;

		while (p->len == 0 && !p->closing) {
			p->idle++;
			pthread_cond_wait(&p->cv_job, &p->mu);
			p->idle--;
		}
		if (p->len == 0)
			break;
		job = p->ring[p->head];
		p->head = (p->head + 1) % MF_QUEUE;
		p->len--;
		p->busy++;
		skip = p->failed;
		/* Wake the walker once the queue is down to a quarter, not
		 * for every slot: fewer switches between threads. */
		if (p->producer_waiting && p->len <= MF_QUEUE / 4)
			pthread_cond_signal(&p->cv_done);
		pthread_mutex_unlock(&p->mu);

		if (skip) {
			if (p->cfg.discard != NULL)
				p->cfg.discard(&job);
		} else {
			sp_err_clear(w->ctx);
			rc = p->cfg.run(w, &job);
		}

		pthread_mutex_lock(&p->mu);
		p->busy--;
		if (rc < 0 && !p->failed) {
			p->failed = true;
			p->err = rc;
			snprintf(p->msg, sizeof(p->msg), "%s",
			    sp_ctx_errmsg(w->ctx));
			snprintf(p->hint, sizeof(p->hint), "%s",
			    sp_ctx_errhint(w->ctx));
		} else if (rc == 0 && !skip) {
			p->files++;
		}
		if ((p->closing && p->len == 0 && p->busy == 0) ||
		    (p->failed && p->producer_waiting))
			pthread_cond_signal(&p->cv_done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void
deadline(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_nsec += ms * 1000000L;
	while (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Called with the lock held; drops it around the callback. */
static void
report(struct mf_pool *p)
{
	p->b->done_files = p->files;
	p->b->done_bytes =
	    atomic_load_explicit(&p->bytes, memory_order_relaxed);
	pthread_mutex_unlock(&p->mu);
	mf_builder_progress(p->b, false);
	pthread_mutex_lock(&p->mu);
}

static void
free_workers(struct mf_pool *p)
{
	unsigned i;

	for (i = 0; i < p->n; i++) {
		struct mf_worker *w = &p->w[i];

		if (p->cfg.fini != NULL)
			p->cfg.fini(w);
		mf_hasher_dispose(&w->h);
		free(w->buf);
		sp_ctx_free(w->ctx);
	}
	free(p->w);
}

static void
pool_free(struct mf_pool *p)
{
	free_workers(p);
	pthread_cond_destroy(&p->cv_job);
	pthread_cond_destroy(&p->cv_done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static void
stop_threads(struct mf_pool *p)
{
	unsigned i;

	pthread_mutex_lock(&p->mu);
	p->closing = true;
	pthread_cond_broadcast(&p->cv_job);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->n; i++) {
		if (p->w[i].started)
			pthread_join(p->w[i].thread, NULL);
	}
}

int
mf_pool_start(struct mf_builder *b, struct mf_pool **out,
    const struct mf_pool_config *cfg)
{
	sp_ctx *ctx = b->ctx;
	struct mf_pool *p;
	pthread_condattr_t ca;
	unsigned i;
	int error = 0;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	p->b = b;
	p->cfg = *cfg;
	atomic_init(&p->bytes, 0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv_job, &ca);
	pthread_cond_init(&p->cv_done, &ca);
	pthread_condattr_destroy(&ca);
	p->n = cfg->threads < 1 ? 1 : cfg->threads;
	if ((p->w = calloc(p->n, sizeof(*p->w))) == NULL) {
		p->n = 0;
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < p->n; i++) {
		struct mf_worker *w = &p->w[i];

		w->pool = p;
		if (sp_ctx_new(&w->ctx) < 0 ||
		    (w->buf = malloc(MF_CHUNK)) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto fail;
		}
		if ((error = mf_hasher_init(ctx, &w->h)) < 0)
			goto fail;
		if (cfg->init != NULL &&
		    (error = cfg->init(w, cfg->init_arg)) < 0)
			goto fail;
	}
	for (i = 0; i < p->n; i++) {
		int e = pthread_create(
		    &p->w[i].thread, NULL, worker_main, &p->w[i]);

		if (e != 0) {
			error = sp_err_set(ctx, SP_ERROR,
			    "cannot start a hashing thread: %s", strerror(e));
			goto fail;
		}
		p->w[i].started = true;
	}
	*out = p;
	return 0;
fail:
	if (p->w != NULL)
		stop_threads(p);
	pool_free(p);
	return error;
}

static int
pool_error(struct mf_pool *p)
{
	int err = p->err;

	sp_err_set(p->b->ctx, err, "%s", p->msg);
	if (p->hint[0] != '\0')
		sp_err_hint(p->b->ctx, "%s", p->hint);
	return err;
}

int
mf_pool_submit(struct mf_pool *p, struct mf_job *job)
{
	struct timespec ts;
	int error = 0;

	pthread_mutex_lock(&p->mu);
	while (p->len == MF_QUEUE && !p->failed) {
		pthread_cond_broadcast(&p->cv_job);
		p->producer_waiting = true;
		deadline(&ts, 100);
		if (pthread_cond_timedwait(&p->cv_done, &p->mu, &ts) ==
		    ETIMEDOUT)
			report(p);
	}
	p->producer_waiting = false;
	if (p->failed) {
		if (p->cfg.discard != NULL)
			p->cfg.discard(job);
		error = pool_error(p);
	} else {
		p->ring[(p->head + p->len) % MF_QUEUE] = *job;
		p->len++;
		/* Wake a sleeping worker for a batch of jobs, or at once for
		 * a big file. */
		if (p->idle > 0 &&
		    (p->len >= MF_WAKE_BATCH ||
		        (job->item != NULL && job->item->size >= MF_CHUNK)))
			pthread_cond_signal(&p->cv_job);
		report(p);
	}
	pthread_mutex_unlock(&p->mu);
	return error;
}

int
mf_pool_finish(struct mf_pool *p, int error)
{
	struct timespec ts;

	pthread_mutex_lock(&p->mu);
	if (error < 0)
		p->failed = true; /* workers drop what is left */
	p->closing = true;
	pthread_cond_broadcast(&p->cv_job);
	while (p->len > 0 || p->busy > 0) {
		deadline(&ts, 100);
		if (pthread_cond_timedwait(&p->cv_done, &p->mu, &ts) ==
		    ETIMEDOUT)
			report(p);
	}
	pthread_mutex_unlock(&p->mu);
	stop_threads(p);
	p->b->done_files = p->files;
	p->b->done_bytes = atomic_load(&p->bytes);
	if (error == 0 && p->failed)
		error = pool_error(p);
	pool_free(p);
	return error;
}
