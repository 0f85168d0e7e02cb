/*
 * A thread that reads the files of a bundle ahead of the writer: it opens,
 * checks and reads them in order into a ring of buffers, so the open, stat,
 * read and close system calls run beside the hashing and compression on the
 * writing thread. Each file is read exactly to the size seen when it was
 * opened; a file that grows or shrinks meanwhile is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow_int.h"
#include "util_int.h"

#include "banned.h"

/* Buffers in the ring, and the size of each: a source file of up to one
 * slot (most of them) is one read. */
#define NSLOTS 32
#define SLOT_SIZE ((size_t)256 << 10)
/* Filled slots before a waiting writer is woken. */
#define WAKE_BATCH 8

struct slot {
	unsigned char *buf;
	struct sp_prefetch_chunk c;
};

struct sp_prefetch {
	sp_ctx *ctx; /**< the reader's own: contexts are not thread-safe */
	char *const *paths;
	size_t npaths;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv_filled; /**< a slot was filled, or the reader ended */
	pthread_cond_t cv_freed;  /**< a slot was freed, or stop */
	struct slot ring[NSLOTS];
	size_t head, count; /**< next slot to hand out; filled slots */
	bool held;          /**< the writer holds ring[head] */
	bool stop, done;
	bool reader_waits, writer_waits;
	int error; /**< the reader's error, after the filled slots */
	char msg[SP_ERRMSG_MAX], hint[SP_ERRMSG_MAX];
};

/* Wait for a free slot; NULL when told to stop. */
static struct slot *
free_slot(struct sp_prefetch *pf)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&pf->mu);
	while (!pf->stop && pf->count == NSLOTS) {
		pf->reader_waits = true;
		pthread_cond_wait(&pf->cv_freed, &pf->mu);
	}
	pf->reader_waits = false;
	if (!pf->stop)
		s = &pf->ring[(pf->head + pf->count) % NSLOTS];
	pthread_mutex_unlock(&pf->mu);
	return s;
}

/*
 * Hand a filled slot over. A waiting writer is woken once a few slots are
 * ready (or at the end of a big file), not for every one: fewer switches
 * between the threads.
 */
static void
publish(struct sp_prefetch *pf, bool big)
{
	pthread_mutex_lock(&pf->mu);
	pf->count++;
	if (pf->writer_waits && (big || pf->count >= WAKE_BATCH))
		pthread_cond_signal(&pf->cv_filled);
	pthread_mutex_unlock(&pf->mu);
}

static int
grew(struct sp_prefetch *pf, const char *path)
{
	return sp_err_set(
	    pf->ctx, SP_EVERIFY, "'%s' grew while it was being packed", path);
}

/* Nothing more to read from @p fd (a read error counts as more). */
static bool
at_eof(int fd)
{
	char c;
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

/* Read file @p i into slots; 1 when told to stop. */
static int
read_file(struct sp_prefetch *pf, size_t i)
{
	const char *path = pf->paths[i];
	uint64_t size, left;
	struct stat st;
	bool first = true;
	int fd, error = 0;

	if ((error = sp_open_read_st(
	         pf->ctx, &fd, path, SP_OPEN_NOFOLLOW, &st)) < 0)
		return error;
	size = left = (uint64_t)st.st_size;
	do {
		struct slot *s = free_slot(pf);
		/* One byte more than is left: a file that grew shows at
		 * once, and a short read is the end of file. */
		size_t want = left < SLOT_SIZE ? (size_t)left + 1 : SLOT_SIZE;
		ssize_t got;

		if (s == NULL) {
			error = 1;
			goto out;
		}
		do
			got = read(fd, s->buf, want);
		while (got < 0 && errno == EINTR);
		if (got < 0) {
			error = sp_err_set(pf->ctx, SP_EIO,
			    "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if ((uint64_t)got > left) {
			error = grew(pf, path);
			goto out;
		}
		if (got == 0 && left > 0) {
			error = sp_err_set(pf->ctx, SP_EVERIFY,
			    "'%s' shrank while it was being packed", path);
			goto out;
		}
		left -= (uint64_t)got;
		/* The last bytes filled a whole read: make sure nothing
		 * follows. */
		if (left == 0 && (size_t)got == want && !at_eof(fd)) {
			error = grew(pf, path);
			goto out;
		}
		s->c.item = i;
		s->c.size = size;
		s->c.data = s->buf;
		s->c.len = (size_t)got;
		s->c.first = first;
		s->c.last = left == 0;
		first = false;
		publish(pf, size >= SLOT_SIZE);
	} while (left > 0);
out:
	close(fd);
	return error;
}

static void *
reader_main(void *arg)
{
	struct sp_prefetch *pf = arg;
	size_t i;
	int error = 0;

	for (i = 0; i < pf->npaths && error == 0; i++)
		error = read_file(pf, i);
	pthread_mutex_lock(&pf->mu);
	if (error < 0) {
		pf->error = error;
		snprintf(
		    pf->msg, sizeof(pf->msg), "%s", sp_ctx_errmsg(pf->ctx));
		snprintf(
		    pf->hint, sizeof(pf->hint), "%s", sp_ctx_errhint(pf->ctx));
	}
	pf->done = true;
	pthread_cond_signal(&pf->cv_filled);
	pthread_mutex_unlock(&pf->mu);
	return NULL;
}

int
sp_prefetch_start(sp_ctx *ctx, sp_prefetch **out, char *const *paths, size_t n)
{
	struct sp_prefetch *pf;
	size_t i;
	int e;

	*out = NULL;
	if ((pf = sp_calloc(ctx, 1, sizeof(*pf))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	pf->paths = paths;
	pf->npaths = n;
	pthread_mutex_init(&pf->mu, NULL);
	pthread_cond_init(&pf->cv_filled, NULL);
	pthread_cond_init(&pf->cv_freed, NULL);
	if (sp_ctx_new(&pf->ctx) < 0)
		goto nomem;
	for (i = 0; i < NSLOTS; i++) {
		if ((pf->ring[i].buf = malloc(SLOT_SIZE)) == NULL)
			goto nomem;
	}
	if ((e = pthread_create(&pf->thread, NULL, reader_main, pf)) != 0) {
		sp_prefetch_stop(pf);
		return sp_err_set(ctx, SP_ERROR,
		    "cannot start the reading thread: %s", strerror(e));
	}
	pf->started = true;
	*out = pf;
	return 0;
nomem:
	sp_prefetch_stop(pf);
	return sp_err_set(ctx, SP_ENOMEM, "out of memory");
}

int
sp_prefetch_next(sp_prefetch *pf, sp_ctx *ctx, struct sp_prefetch_chunk *chunk)
{
	int error = 0;

	pthread_mutex_lock(&pf->mu);
	if (pf->held) {
		/* The previous chunk is done with: its slot is free. The
		 * reader, if it waits, is woken when half the ring is. */
		pf->held = false;
		pf->head = (pf->head + 1) % NSLOTS;
		pf->count--;
		if (pf->reader_waits && pf->count <= NSLOTS / 2)
			pthread_cond_signal(&pf->cv_freed);
	}
	while (pf->count == 0 && !pf->done) {
		pf->writer_waits = true;
		pthread_cond_wait(&pf->cv_filled, &pf->mu);
	}
	pf->writer_waits = false;
	if (pf->count > 0) {
		*chunk = pf->ring[pf->head].c;
		pf->held = true;
	} else if (pf->error < 0) {
		error = sp_err_set(ctx, pf->error, "%s", pf->msg);
		if (pf->hint[0] != '\0')
			sp_err_hint(ctx, "%s", pf->hint);
	} else {
		error = sp_err_set(ctx, SP_ERROR, "no more files to read");
	}
	pthread_mutex_unlock(&pf->mu);
	return error;
}

void
sp_prefetch_stop(sp_prefetch *pf)
{
	size_t i;

	if (pf == NULL)
		return;
	if (pf->started) {
		pthread_mutex_lock(&pf->mu);
		pf->stop = true;
		pthread_cond_broadcast(&pf->cv_freed);
		pthread_mutex_unlock(&pf->mu);
		pthread_join(pf->thread, NULL);
	}
	for (i = 0; i < NSLOTS; i++)
		free(pf->ring[i].buf);
	sp_ctx_free(pf->ctx);
	pthread_cond_destroy(&pf->cv_filled);
	pthread_cond_destroy(&pf->cv_freed);
	pthread_mutex_destroy(&pf->mu);
	free(pf);
}
