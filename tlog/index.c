/*
 * The log's private entry index (docs/spec/log.md, section 3.5): an
 * on-disk open-addressing hash table from leaf hashes to entry indices, so
 * that an append can refuse an entry already in the log without reading
 * every tile. It is a cache: the level-0 tiles are the truth. A record is
 * only a candidate, confirmed against the tiles by the caller, so stale
 * records (from an append that never committed) and torn writes cannot
 * make an entry look present; a header records up to which tree size the
 * records are complete and durable, and the rest is re-read from the
 * tiles. Used only under the log's lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srcproof/util.h"
#include "tlog_int.h"
#include "util_int.h"

#include "banned.h"

#define MAGIC "srcproof-idx/v1\n"
#define MAGIC_LEN 16
#define HEADER_LEN 64
#define SLOT_LEN 16
#define MIN_CAP ((uint64_t)1 << 10)
/* 2^32 slots (a 64 GiB file) index 2^31 entries. */
#define MAX_CAP ((uint64_t)1 << 32)

struct tlog_index {
	sp_ctx *ctx;
	int fd;
	uint8_t *map;
	size_t maplen;
	uint64_t cap, covered;
	/* Slots taken, counting those reserved for an append in progress:
	 * never less than the truth, even after a kill. */
	uint64_t used, reserved;
	bool dirty;
};

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

/* Header: magic, capacity, covered, used, then 8 bytes of SHA-256 over
 * those 40 bytes (a torn header is detected and the index rebuilt). */
static int
header_check(sp_ctx *ctx, const uint8_t *h, uint8_t out[8])
{
	uint8_t md[HASH_LEN];
	int error;

	if ((error = tlog_sha256(ctx, md, h, 40, NULL, 0, NULL, 0)) < 0)
		return error;
	memcpy(out, md, 8);
	return 0;
}

static int
header_write(tlog_index *ix)
{
	uint8_t h[HEADER_LEN];
	int error;

	memset(h, 0, sizeof(h));
	memcpy(h, MAGIC, MAGIC_LEN);
	put_be64(h + 16, ix->cap);
	put_be64(h + 24, ix->covered);
	put_be64(h + 32, ix->used);
	if ((error = header_check(ix->ctx, h, h + 40)) < 0)
		return error;
	memcpy(ix->map, h, HEADER_LEN);
	return 0;
}

static void
unmap(tlog_index *ix)
{
	if (ix->map != NULL)
		munmap(ix->map, ix->maplen);
	if (ix->fd >= 0)
		close(ix->fd);
	ix->map = NULL;
	ix->fd = -1;
}

void
tlog_index_close(tlog_index *ix)
{
	if (ix == NULL)
		return;
	unmap(ix);
	free(ix);
}

static int
map_fd(tlog_index *ix, uint64_t cap)
{
	uint64_t len = HEADER_LEN + cap * SLOT_LEN;
	void *m;

	if (len > SIZE_MAX)
		return sp_err_set(ix->ctx, SP_ELIMIT,
		    "the entry index is too "
		    "large for this system");
	m = mmap(
	    NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, ix->fd, 0);
	if (m == MAP_FAILED)
		return sp_err_set(ix->ctx, SP_EIO,
		    "cannot map the log's entry index: %s", strerror(errno));
	ix->map = m;
	ix->maplen = (size_t)len;
	ix->cap = cap;
	return 0;
}

/*
 * Open an existing index if it is whole and usable at tree size @p size
 * with room for @p more records; *ok says whether it is (else the caller
 * rebuilds it).
 */
static int
open_existing(
    tlog_index *ix, const char *path, uint64_t size, uint64_t more, bool *ok)
{
	uint8_t h[HEADER_LEN], chk[8];
	struct stat st;
	uint64_t cap, covered, used;
	ssize_t got;
	int error;

	*ok = false;
	ix->fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (ix->fd < 0) {
		if (errno == ENOENT || errno == ELOOP)
			return 0;
		return sp_err_set(ix->ctx, SP_EIO, "cannot open '%s': %s", path,
		    strerror(errno));
	}
	if (fstat(ix->fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto stale;
	got = pread(ix->fd, h, sizeof(h), 0);
	if (got != (ssize_t)sizeof(h) || memcmp(h, MAGIC, MAGIC_LEN) != 0)
		goto stale;
	if ((error = header_check(ix->ctx, h, chk)) < 0)
		return error;
	cap = get_be64(h + 16);
	covered = get_be64(h + 24);
	used = get_be64(h + 32);
	if (memcmp(chk, h + 40, 8) != 0 || cap < MIN_CAP || cap > MAX_CAP ||
	    (cap & (cap - 1)) != 0 ||
	    (uint64_t)st.st_size != HEADER_LEN + cap * SLOT_LEN ||
	    covered > size || used > cap)
		goto stale;
	/* Room for what is missing and what comes, at most half full. */
	if (size - covered > cap || more > cap ||
	    used + (size - covered) + more > cap / 2)
		goto stale;
	if ((error = map_fd(ix, cap)) < 0)
		return error;
	ix->covered = covered;
	ix->used = used;
	*ok = true;
	return 0;
stale:
	unmap(ix);
	return 0;
}

int
tlog_index_add(tlog_index *ix, const uint8_t leaf[HASH_LEN], uint64_t index)
{
	uint64_t mask = ix->cap - 1, k = get_be64(leaf) & mask, probes;

	for (probes = 0; probes < ix->cap; probes++) {
		uint8_t *s = ix->map + HEADER_LEN + k * SLOT_LEN;
		uint64_t stored = get_be64(s + 8);

		if (stored == 0) {
			memcpy(s, leaf, 8);
			put_be64(s + 8, index + 1);
			if (ix->reserved > 0)
				ix->reserved--;
			else
				ix->used++;
			ix->dirty = true;
			return 0;
		}
		if (stored == index + 1 && memcmp(s, leaf, 8) == 0)
			return 0; /* already recorded */
		k = (k + 1) & mask;
	}
	return sp_err_set(ix->ctx, SP_ELIMIT, "the log's entry index is full");
}

bool
tlog_index_next(const tlog_index *ix, const uint8_t leaf[HASH_LEN],
    uint64_t *pos, uint64_t *index)
{
	uint64_t mask = ix->cap - 1, home = get_be64(leaf) & mask;

	while (*pos < ix->cap) {
		const uint8_t *s =
		    ix->map + HEADER_LEN + ((home + *pos) & mask) * SLOT_LEN;
		uint64_t stored = get_be64(s + 8);

		if (stored == 0)
			return false;
		(*pos)++;
		if (memcmp(s, leaf, 8) == 0) {
			*index = stored - 1;
			return true;
		}
	}
	return false;
}

/* Record the leaf hashes of entries [from, r->size) from level-0 tiles. */
static int
catch_up(tlog_index *ix, tlog_reader *r, uint64_t from)
{
	const uint8_t(*hashes)[HASH_LEN];
	uint64_t t;
	unsigned w, i;
	int error;

	for (t = from / TILE_W; t * TILE_W < r->size; t++) {
		if ((error = tlog_reader_tile(r, 0, t, &hashes, &w)) < 0)
			return error;
		for (i = 0; i < w; i++) {
			uint64_t idx = t * TILE_W + i;

			if (idx >= from &&
			    (error = tlog_index_add(ix, hashes[i], idx)) < 0)
				return error;
		}
	}
	return 0;
}

int
tlog_index_commit(tlog_index *ix, uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	int error;

	if (!ix->dirty && ix->covered == size)
		return 0;
	/* The records first, then the header that says they are there. */
	if (msync(ix->map, ix->maplen, MS_SYNC) < 0)
		return sp_err_set(ix->ctx, SP_EIO,
		    "cannot write the log's entry index: %s", strerror(errno));
	ix->covered = size;
	if ((error = header_write(ix)) < 0)
		return error;
	if (msync(ix->map,
	        page > 0 && (size_t)page < ix->maplen ? (size_t)page
	                                              : ix->maplen,
	        MS_SYNC) < 0)
		return sp_err_set(ix->ctx, SP_EIO,
		    "cannot write the log's entry index: %s", strerror(errno));
	ix->dirty = false;
	return 0;
}

/* Build a new index of the log at size r->size in a temporary file, then
 * rename it into place. */
static int
rebuild(tlog_index *ix, const char *dir, const char *path, tlog_reader *r,
    uint64_t more)
{
	sp_buf tmp = SP_BUF_INIT;
	uint64_t need, cap = MIN_CAP;
	int error;

	if (more > MAX_CAP || r->size > MAX_CAP - more) {
		error = SP_ELIMIT;
		goto too_big;
	}
	need = r->size + more;
	while (cap / 2 < need + 1) {
		if (cap >= MAX_CAP) {
			error = SP_ELIMIT;
			goto too_big;
		}
		cap *= 2;
	}
	if (sp_buf_printf(&tmp, "%s.tmp", path) < 0) {
		error = sp_err_set(ix->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	ix->fd = open(
	    tmp.ptr, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (ix->fd < 0) {
		error = sp_err_set(ix->ctx, SP_EIO, "cannot create '%s': %s",
		    tmp.ptr, strerror(errno));
		goto out;
	}
	/* Reserve the blocks: a write through the mapping to a hole on a
	 * full file system would be SIGBUS, not an error. */
	if ((error = posix_fallocate(
	         ix->fd, 0, (off_t)(HEADER_LEN + cap * SLOT_LEN))) != 0) {
		error = sp_err_set(ix->ctx, SP_EIO,
		    "cannot allocate the log's entry index '%s': %s", tmp.ptr,
		    strerror(error));
		goto out;
	}
	if ((error = map_fd(ix, cap)) < 0)
		goto out;
	ix->covered = 0;
	ix->used = 0;
	ix->dirty = true;
	if ((error = header_write(ix)) < 0 ||
	    (error = catch_up(ix, r, 0)) < 0 ||
	    (error = tlog_index_commit(ix, r->size)) < 0)
		goto out;
	if (fsync(ix->fd) < 0 || rename(tmp.ptr, path) < 0) {
		error = sp_err_set(ix->ctx, SP_EIO,
		    "cannot write the log's entry index '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	error = tlog_fsync_dir(ix->ctx, dir);
out:
	if (error < 0) {
		unmap(ix);
		unlink(tmp.ptr);
	}
	sp_buf_dispose(&tmp);
	return error;
too_big:
	sp_buf_dispose(&tmp);
	return sp_err_set(ix->ctx, error,
	    "the log's entry index holds at most %" PRIu64
	    " entries; the log would have %" PRIu64 "+%" PRIu64,
	    MAX_CAP / 2 - 1, r->size, more);
}

int
tlog_index_open(sp_ctx *ctx, tlog_index **out, const char *dir, tlog_reader *r,
    uint64_t more)
{
	tlog_index *ix;
	sp_buf path = SP_BUF_INIT;
	bool ok = false;
	int error;

	*out = NULL;
	if ((ix = sp_calloc(ctx, 1, sizeof(*ix))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	ix->ctx = ctx;
	ix->fd = -1;
	if (sp_buf_printf(&path, "%s/%s", dir, TLOG_INDEX) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = open_existing(ix, path.ptr, r->size, more, &ok)) < 0)
		goto out;
	if (ok) {
		if (ix->covered < r->size &&
		    ((error = catch_up(ix, r, ix->covered)) < 0 ||
		        (error = tlog_index_commit(ix, r->size)) < 0))
			goto out;
	} else if ((error = rebuild(ix, dir, path.ptr, r, more)) < 0) {
		goto out;
	}
	/* Reserve the slots the append may fill before it fills them: a
	 * kill then leaves records the header counts (they are stale, not
	 * harmful), so the table never fills up unnoticed. */
	ix->used += more;
	ix->reserved = more;
	if ((error = header_write(ix)) < 0)
		goto out;
	*out = ix;
	ix = NULL;
out:
	tlog_index_close(ix);
	sp_buf_dispose(&path);
	return error;
}
