/*
 * The log directory: C2SP tlog-tiles on disk, append under a lock with
 * atomic writes (tiles and bundles first, the checkpoint last), reading
 * tiles back for proofs, consistency proofs and a full audit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srcproof/base64.h"
#include "srcproof/util.h"
#include "tlog_int.h"
#include "util_int.h"

#include "banned.h"

#define CONFIG_FORMAT "srcproof.log-config/v1"
#define CONFIG_MAX ((size_t)64 << 10)
#define BUNDLE_MAX ((size_t)TILE_W * (2 + SP_TLOG_MAX_ENTRY))
#define MAX_LEVELS 8 /* 256^8 = 2^64 */

/* ---- small file helpers ---------------------------------------------------
 */

static int
join(sp_ctx *ctx, sp_buf *out, const char *dir, const char *rel)
{
	sp_buf_clear(out);
	if (sp_buf_printf(out, "%s/%s", dir, rel) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	return 0;
}

int
tlog_fsync_dir(sp_ctx *ctx, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), error = 0;

	if (fd < 0)
		return sp_err_set(ctx, SP_EIO, "cannot open directory '%s': %s",
		    path, strerror(errno));
	if (fsync(fd) < 0 && errno != EINVAL)
		error = sp_err_set(
		    ctx, SP_EIO, "cannot sync '%s': %s", path, strerror(errno));
	close(fd);
	return error;
}

/* mkdir -p for the parents of dir/rel; new directories are synced. */
static int
make_parents(sp_ctx *ctx, const char *dir, const char *rel)
{
	sp_buf path = SP_BUF_INIT;
	const char *p;
	int error = 0;

	for (p = strchr(rel, '/'); p != NULL; p = strchr(p + 1, '/')) {
		sp_buf_clear(&path);
		if (sp_buf_printf(&path, "%s/%.*s", dir, (int)(p - rel), rel) <
		    0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			break;
		}
		if (mkdir(path.ptr, 0755) == 0) {
			char *slash = strrchr(path.ptr, '/');

			*slash = '\0';
			if ((error = tlog_fsync_dir(ctx, path.ptr)) < 0)
				break;
		} else if (errno != EEXIST) {
			error = sp_err_set(ctx, SP_EIO,
			    "cannot create directory '%s': %s", path.ptr,
			    strerror(errno));
			break;
		}
	}
	sp_buf_dispose(&path);
	return error;
}

int
tlog_read_tile_file(sp_ctx *ctx, sp_buf *out, const char *dir, const char *rel,
    size_t want, size_t max)
{
	sp_buf path = SP_BUF_INIT;
	int error;

	if ((error = join(ctx, &path, dir, rel)) < 0)
		goto out;
	error = sp_read_file(ctx, out, path.ptr, max, SP_OPEN_NOFOLLOW);
	if (error == SP_ENOTFOUND) {
		error = sp_err_set(ctx, SP_ENOTFOUND, "'%s' is missing", rel);
		goto out;
	}
	if (error == SP_ELIMIT ||
	    (error == 0 && want != 0 && out->size != want))
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s' is truncated or damaged: %zu bytes, expected %zu",
		    rel, out->size, want);
out:
	sp_buf_dispose(&path);
	return error;
}

/* ---- reader
 * -------------------------------------------------------------------
 */

int
tlog_reader_init(sp_ctx *ctx, tlog_reader *r, const char *dir, uint64_t size)
{
	int error;

	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
	r->size = size;
	if ((r->dir = strdup(dir)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = tlog_hasher_init(ctx, &r->h)) < 0) {
		free(r->dir);
		r->dir = NULL;
		return error;
	}
	return 0;
}

void
tlog_reader_dispose(tlog_reader *r)
{
	size_t i;

	for (i = 0; i < SP_ARRAY_SIZE(r->cache); i++)
		free(r->cache[i].hashes);
	tlog_hasher_dispose(&r->h);
	free(r->dir);
	memset(r, 0, sizeof(*r));
}

/*
 * Read a tile or bundle file of the given width: the partial file, or the
 * full one when the partial is gone (it may be deleted once full). With
 * @p strict the exact file must exist.
 */
static int
read_sized(tlog_reader *r, sp_buf *out, int level, uint64_t index,
    unsigned width, bool strict, bool *fellback)
{
	sp_buf rel = SP_BUF_INIT;
	size_t want, max;
	int error;

	if (fellback != NULL)
		*fellback = false;
	if (level >= 0) {
		want = (size_t)width * HASH_LEN;
		max = TILE_W * HASH_LEN;
	} else {
		want = 0;
		max = BUNDLE_MAX;
	}
	if (sp_tlog_tile_path(&rel, level, index, width) < 0) {
		error = sp_err_set(r->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	error = tlog_read_tile_file(r->ctx, out, r->dir, rel.ptr, want, max);
	if (error == SP_ENOTFOUND && width < TILE_W && !strict) {
		sp_buf_clear(&rel);
		sp_buf_clear(out);
		if (sp_tlog_tile_path(&rel, level, index, TILE_W) < 0) {
			error = sp_err_set(r->ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if (tlog_read_tile_file(r->ctx, out, r->dir, rel.ptr,
		        level >= 0 ? TILE_W * HASH_LEN : 0, max) == 0) {
			if (fellback != NULL)
				*fellback = true;
			error = 0;
			goto out;
		}
		sp_buf_clear(&rel);
		if (sp_tlog_tile_path(&rel, level, index, width) == 0)
			error = sp_err_set(
			    r->ctx, SP_ENOTFOUND, "'%s' is missing", rel.ptr);
	}
out:
	sp_buf_dispose(&rel);
	return error;
}

int
tlog_reader_tile(tlog_reader *r, int level, uint64_t index,
    const uint8_t (**hashes)[HASH_LEN], unsigned *width)
{
	struct tlog_tile_cache *slot = &r->cache[0];
	sp_buf data = SP_BUF_INIT;
	unsigned w = tlog_tile_width(r->size, level, index);
	size_t i;
	int error;

	if (w == 0)
		return sp_err_set(r->ctx, SP_EINVALID,
		    "tile %d/%" PRIu64 " is beyond a tree of size %" PRIu64,
		    level, index, r->size);
	for (i = 0; i < SP_ARRAY_SIZE(r->cache); i++) {
		struct tlog_tile_cache *c = &r->cache[i];

		if (c->hashes != NULL && c->level == level &&
		    c->index == index && c->width == w) {
			c->used = ++r->clock;
			*hashes = (const uint8_t(*)[HASH_LEN])c->hashes;
			*width = w;
			return 0;
		}
		if (c->used < slot->used)
			slot = c;
	}
	if ((error = read_sized(r, &data, level, index, w, false, NULL)) < 0)
		goto out;
	if (slot->hashes == NULL &&
	    (slot->hashes = malloc(TILE_W * HASH_LEN)) == NULL) {
		error = sp_err_set(r->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(slot->hashes, data.ptr, (size_t)w * HASH_LEN);
	slot->level = level;
	slot->index = index;
	slot->width = w;
	slot->used = ++r->clock;
	r->tiles_read++;
	*hashes = (const uint8_t(*)[HASH_LEN])slot->hashes;
	*width = w;
out:
	sp_buf_dispose(&data);
	return error;
}

int
tlog_reader_node(
    void *arg, unsigned height, uint64_t index, uint8_t out[HASH_LEN])
{
	tlog_reader *r = arg;
	const uint8_t(*hashes)[HASH_LEN];
	unsigned level = height / 8, rest = height % 8, width;
	uint64_t first = index << rest, count = (uint64_t)1 << rest;
	int error;

	if ((error = tlog_reader_tile(
	         r, (int)level, first / TILE_W, &hashes, &width)) < 0)
		return error;
	if (first % TILE_W + count > width)
		return sp_err_set(r->ctx, SP_ERROR,
		    "internal error: node %u/%" PRIu64 " is not in its tile",
		    height, index);
	return tlog_hash_perfect(
	    &r->h, out, hashes + first % TILE_W, count, r->scratch);
}

/* "'tile/entries/N[.p/W]'" into @p out, for messages. */
static void
bundle_name(char *out, size_t size, uint64_t index, unsigned width)
{
	sp_buf rel = SP_BUF_INIT;

	if (sp_tlog_tile_path(&rel, -1, index, width) < 0)
		snprintf(out, size, "%" PRIu64, index);
	else
		snprintf(out, size, "'%s'", rel.ptr);
	sp_buf_dispose(&rel);
}

/* Parse an entry bundle holding exactly @p count entries. */
static int
bundle_split(sp_ctx *ctx, const sp_buf *data, unsigned count, bool more,
    const uint8_t **ptrs, size_t *lens, const char *what)
{
	const uint8_t *p = (const uint8_t *)data->ptr, *end = p + data->size;
	unsigned i;

	for (i = 0; i < count; i++) {
		size_t len;

		if (end - p < 2)
			return sp_err_set(ctx, SP_EPARSE,
			    "entry bundle %s is truncated or damaged: %u of "
			    "%u entries",
			    what, i, count);
		len = (size_t)p[0] << 8 | p[1];
		p += 2;
		if ((size_t)(end - p) < len)
			return sp_err_set(ctx, SP_EPARSE,
			    "entry bundle %s is truncated or damaged: entry "
			    "%u runs past its end",
			    what, i);
		ptrs[i] = p;
		lens[i] = len;
		p += len;
	}
	if (p != end && !more)
		return sp_err_set(ctx, SP_EPARSE,
		    "entry bundle %s has data after its %u entries", what,
		    count);
	return 0;
}

/* ---- config
 * ----------------------------------------------------------------------
 */

static int
load_vkey(sp_ctx *ctx, const char *dir, sp_tlog_verifier **out)
{
	sp_buf path = SP_BUF_INIT;
	int error;

	if ((error = join(ctx, &path, dir, TLOG_VKEY)) == 0)
		error = sp_tlog_verifier_load(
		    ctx, out, path.ptr, SP_TLOG_SIG_ED25519, NULL);
	if (error == SP_ENOTFOUND)
		sp_err_hint(ctx,
		    "is '%s' a log? make one with 'srcproof log "
		    "init'",
		    dir);
	sp_buf_dispose(&path);
	return error;
}

static int
load_config_key(sp_ctx *ctx, const char *dir, char **key)
{
	sp_buf path = SP_BUF_INIT, data = SP_BUF_INIT;
	json_t *root = NULL;
	json_error_t jerr;
	const char *fmt, *k;
	int error;

	*key = NULL;
	if ((error = join(ctx, &path, dir, TLOG_CONFIG)) < 0 ||
	    (error = sp_read_file(
	         ctx, &data, path.ptr, CONFIG_MAX, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	root = json_loadb(data.ptr, data.size, JSON_REJECT_DUPLICATES, &jerr);
	fmt = json_string_value(json_object_get(root, "format"));
	k = json_string_value(json_object_get(root, "key"));
	if (fmt == NULL || strcmp(fmt, CONFIG_FORMAT) != 0 || k == NULL) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s' is not a srcproof log configuration", path.ptr);
		goto out;
	}
	if ((*key = strdup(k)) == NULL)
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
out:
	json_decref(root);
	sp_buf_dispose(&data);
	sp_buf_dispose(&path);
	return error;
}

/* Append the @p sep-separated attributes of [p, end) but pin-value. */
static size_t
copy_attrs(char *out, size_t o, const char *p, const char *end, char sep)
{
	bool first = true;

	while (p < end) {
		const char *q = memchr(p, sep, (size_t)(end - p));

		if (q == NULL)
			q = end;
		if ((size_t)(q - p) < 10 || strncmp(p, "pin-value=", 10) != 0) {
			if (!first)
				out[o++] = sep;
			memcpy(out + o, p, (size_t)(q - p));
			o += (size_t)(q - p);
			first = false;
		}
		p = q + 1;
	}
	return o;
}

char *
tlog_uri_without_pin(const char *uri)
{
	size_t len = strlen(uri), o, qstart;
	const char *body = uri, *end = uri + len, *query;
	char *out = malloc(len + 1);

	if (out == NULL)
		return NULL;
	o = 0;
	if (strncmp(uri, "pkcs11:", 7) == 0) {
		memcpy(out, uri, 7);
		o = 7;
		body = uri + 7;
	}
	/* RFC 7512: path attributes separated by ';', then '?' and query
	 * attributes separated by '&' (pin-value is one of those). */
	query = memchr(body, '?', (size_t)(end - body));
	o = copy_attrs(out, o, body, query != NULL ? query : end, ';');
	if (query != NULL) {
		out[o] = '?';
		qstart = o + 1;
		o = copy_attrs(out, qstart, query + 1, end, '&');
		if (o == qstart)
			o--; /* nothing left in the query: no '?' */
	}
	out[o] = '\0';
	return out;
}

static int
write_rel(sp_ctx *ctx, const char *dir, const char *rel, const void *data,
    size_t len, mode_t mode)
{
	sp_buf path = SP_BUF_INIT;
	int error;

	if ((error = make_parents(ctx, dir, rel)) < 0 ||
	    (error = join(ctx, &path, dir, rel)) < 0)
		goto out;
	error = sp_write_file_atomic(ctx, path.ptr, data, len, mode, 0);
out:
	sp_buf_dispose(&path);
	return error;
}

static int
empty_root(sp_ctx *ctx, uint8_t root[HASH_LEN])
{
	return tlog_sha256(ctx, root, NULL, 0, NULL, 0, NULL, 0);
}

int
sp_tlog_init(sp_ctx *ctx, const char *dir, const char *origin,
    const char *keyspec, sp_passphrase_cb cb, void *payload)
{
	tlog_key *key = NULL;
	sp_tlog_verifier *v = NULL;
	sp_buf vkey = SP_BUF_INIT, body = SP_BUF_INIT, note = SP_BUF_INIT;
	json_t *cfg = NULL;
	char *cfgtext = NULL, *abskey = NULL;
	uint8_t root[HASH_LEN];
	struct stat st;
	int error;

	if (!tlog_name_ok(origin, strlen(origin)))
		return sp_err_set(ctx, SP_EINVALID,
		    "origin '%s' must be non-empty, without spaces or '+' "
		    "(e.g. example.com/log)",
		    origin);
	if ((error = tlog_key_load(ctx, &key, keyspec, cb, payload)) < 0)
		goto out;
	/* Where the key is, never a PIN: a pin-value is not recorded (the
	 * PIN is asked for at each append). */
	if (strncmp(keyspec, "pkcs11:", 7) == 0)
		abskey = tlog_uri_without_pin(keyspec);
	else
		abskey = realpath(keyspec, NULL);
	if (abskey == NULL) {
		error = sp_err_set(ctx, SP_EIO, "cannot resolve '%s': %s",
		    keyspec, strerror(errno));
		goto out;
	}
	if (mkdir(dir, 0755) < 0) {
		DIR *d;
		struct dirent *de;
		bool empty = true;

		if (errno != EEXIST || stat(dir, &st) < 0 ||
		    !S_ISDIR(st.st_mode)) {
			error = sp_err_set(ctx, SP_EIO,
			    "cannot create directory '%s': %s", dir,
			    strerror(errno == EEXIST ? ENOTDIR : errno));
			goto out;
		}
		if ((d = opendir(dir)) == NULL) {
			error = sp_err_set(ctx, SP_EIO, "cannot read '%s': %s",
			    dir, strerror(errno));
			goto out;
		}
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				empty = false;
		}
		closedir(d);
		if (!empty) {
			error = sp_err_set(ctx, SP_EEXISTS,
			    "'%s' is not empty; a log needs a directory of its "
			    "own",
			    dir);
			goto out;
		}
	}
	if ((error = tlog_verifier_new(ctx, &v, origin, SP_TLOG_SIG_ED25519,
	         tlog_key_public(key))) < 0 ||
	    (error = sp_tlog_verifier_vkey(ctx, v, &vkey)) < 0)
		goto out;
	if (sp_buf_putc(&vkey, '\n') < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	cfg = json_pack("{s:s, s:s, s:s}", "format", CONFIG_FORMAT, "origin",
	    origin, "key", abskey);
	if (cfg == NULL || (cfgtext = json_dumps(cfg,
	                        JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = empty_root(ctx, root)) < 0)
		goto out;
	if (tlog_checkpoint_format(&body, origin, 0, root) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = tlog_checkpoint_sign(
	         ctx, &note, body.ptr, body.size, origin, key)) < 0)
		goto out;
	/* The checkpoint last: it makes the directory a log. */
	/* 0600: it names where the private key is (docs/spec/log.md 3.4). */
	if ((error = write_rel(
	         ctx, dir, TLOG_CONFIG, cfgtext, strlen(cfgtext), 0600)) < 0 ||
	    (error = write_rel(
	         ctx, dir, TLOG_VKEY, vkey.ptr, vkey.size, 0644)) < 0 ||
	    (error = write_rel(
	         ctx, dir, TLOG_CHECKPOINT, note.ptr, note.size, 0644)) < 0)
		goto out;
out:
	free(cfgtext);
	free(abskey);
	json_decref(cfg);
	sp_buf_dispose(&vkey);
	sp_buf_dispose(&body);
	sp_buf_dispose(&note);
	sp_tlog_verifier_free(v);
	tlog_key_free(key);
	return error;
}

/* ---- lock and current state
 * ---------------------------------------------------
 */

static int
lock_log(sp_ctx *ctx, const char *dir, int *fd_out)
{
	sp_buf path = SP_BUF_INIT;
	int fd = -1, error;

	*fd_out = -1;
	if ((error = join(ctx, &path, dir, TLOG_LOCK)) < 0)
		goto out;
	fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		error = sp_err_set(ctx, SP_EIO, "cannot open the lock '%s': %s",
		    path.ptr, strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			error = sp_err_set(ctx, SP_EIO, "cannot lock '%s': %s",
			    path.ptr, strerror(errno));
			close(fd);
			goto out;
		}
	}
	*fd_out = fd;
out:
	sp_buf_dispose(&path);
	return error;
}

/* Load and verify the current checkpoint with the log's own vkey. */
static int
load_current(
    sp_ctx *ctx, const char *dir, sp_tlog_verifier **v, sp_tlog_checkpoint **cp)
{
	sp_buf path = SP_BUF_INIT;
	int error;

	*cp = NULL;
	if ((error = load_vkey(ctx, dir, v)) < 0 ||
	    (error = join(ctx, &path, dir, TLOG_CHECKPOINT)) < 0 ||
	    (error = sp_tlog_checkpoint_load(ctx, cp, path.ptr)) < 0)
		goto out;
	if ((error = sp_tlog_checkpoint_verify(ctx, *cp, *v, NULL)) < 0)
		error = tlog_err_wrap(ctx, error, "'%s'", path.ptr);
out:
	sp_buf_dispose(&path);
	return error;
}

/* ---- append
 * ---------------------------------------------------------------------
 */

struct full_tile {
	int level;
	uint64_t index;
};

struct appender {
	sp_ctx *ctx;
	const char *dir;
	const sp_tlog_append_opts *opts;
	tlog_hasher h;
	uint64_t start, size;
	uint8_t (*lvl)[TILE_W][HASH_LEN]; /* [MAX_LEVELS] */
	unsigned n[MAX_LEVELS];
	sp_buf bundle;
	unsigned bundle_n;
	struct full_tile *full;
	size_t nfull, afull;
	uint8_t scratch[TILE_W][HASH_LEN];
};

static void
step(struct appender *a, const char *what)
{
	if (a->opts != NULL && a->opts->step != NULL)
		a->opts->step(what, a->opts->step_payload);
}

/*
 * write_rel for an append: the temporary file is written, then step
 * @p what (a kill point between the write and the rename), then it is
 * synced and renamed into place.
 */
static int
write_rel_step(struct appender *a, const char *rel, const void *data,
    size_t len, const char *what)
{
	sp_buf path = SP_BUF_INIT;
	sp_atomic *w = NULL;
	int error;

	if ((error = make_parents(a->ctx, a->dir, rel)) < 0 ||
	    (error = join(a->ctx, &path, a->dir, rel)) < 0 ||
	    (error = sp_atomic_open(a->ctx, &w, path.ptr, 0644, 0)) < 0)
		goto out;
	if ((error = sp_atomic_write(w, data, len)) < 0) {
		sp_atomic_abort(w);
		goto out;
	}
	step(a, what);
	error = sp_atomic_commit(w);
out:
	sp_buf_dispose(&path);
	return error;
}

static int
write_tile(struct appender *a, int level, uint64_t index, unsigned width,
    const void *data, size_t len)
{
	sp_buf rel = SP_BUF_INIT;
	int error;

	if (sp_tlog_tile_path(&rel, level, index, width) < 0) {
		error = sp_err_set(a->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	step(a, level < 0 ? "bundle" : "tile");
	if ((error = write_rel_step(a, rel.ptr, data, len,
	         level < 0 ? "bundle-rename" : "tile-rename")) < 0)
		goto out;
	if (width == TILE_W) {
		if (a->nfull == a->afull) {
			size_t na = a->afull ? 2 * a->afull : 64;
			struct full_tile *nf =
			    realloc(a->full, na * sizeof(*nf));

			if (nf == NULL) {
				error = sp_err_set(
				    a->ctx, SP_ENOMEM, "out of memory");
				goto out;
			}
			a->full = nf;
			a->afull = na;
		}
		a->full[a->nfull].level = level;
		a->full[a->nfull].index = index;
		a->nfull++;
	}
out:
	sp_buf_dispose(&rel);
	return error;
}

static int
push_entry(struct appender *a, const void *data, size_t len)
{
	uint8_t hash[HASH_LEN];
	unsigned L;
	int error;

	if (a->size >= SP_TLOG_MAX_SIZE)
		return sp_err_set(a->ctx, SP_ELIMIT, "the log is full");
	if ((error = tlog_hash_leaf(&a->h, hash, data, len)) < 0)
		return error;
	if (sp_buf_putc(&a->bundle, (char)(len >> 8)) < 0 ||
	    sp_buf_putc(&a->bundle, (char)(len & 0xff)) < 0 ||
	    sp_buf_put(&a->bundle, data, len) < 0)
		return sp_err_set(a->ctx, SP_ENOMEM, "out of memory");
	a->bundle_n++;
	memcpy(a->lvl[0][a->n[0]++], hash, HASH_LEN);
	a->size++;
	if (a->bundle_n == TILE_W) {
		if ((error = write_tile(a, -1, a->size / TILE_W - 1, TILE_W,
		         a->bundle.ptr, a->bundle.size)) < 0)
			return error;
		sp_buf_clear(&a->bundle);
		a->bundle_n = 0;
	}
	for (L = 0; a->n[L] == TILE_W; L++) {
		uint64_t index = (a->size >> (8 * L)) / TILE_W - 1;

		if (L + 1 >= MAX_LEVELS)
			return sp_err_set(a->ctx, SP_ELIMIT, "the log is full");
		if ((error = write_tile(a, (int)L, index, TILE_W, a->lvl[L],
		         sizeof(a->lvl[L]))) < 0 ||
		    (error = tlog_hash_perfect(&a->h, hash,
		         (const uint8_t(*)[HASH_LEN])a->lvl[L], TILE_W,
		         a->scratch)) < 0)
			return error;
		a->n[L] = 0;
		memcpy(a->lvl[L + 1][a->n[L + 1]++], hash, HASH_LEN);
	}
	return 0;
}

/* The root of the tree from its right edge (the partial tiles). */
static int
edge_root(struct appender *a, uint8_t root[HASH_LEN])
{
	uint8_t parts[MAX_LEVELS * 8][HASH_LEN];
	size_t np = 0, i;
	int L, b, error;

	for (L = MAX_LEVELS - 1; L >= 0; L--) {
		unsigned off = 0;

		for (b = 7; b >= 0; b--) {
			unsigned k = 1u << b;

			if (!(a->n[L] & k))
				continue;
			if ((error = tlog_hash_perfect(&a->h, parts[np++],
			         (const uint8_t(*)[HASH_LEN])a->lvl[L] + off, k,
			         a->scratch)) < 0)
				return error;
			off += k;
		}
	}
	if (np == 0)
		return empty_root(a->ctx, root);
	memcpy(root, parts[np - 1], HASH_LEN);
	for (i = np - 1; i-- > 0;) {
		if ((error = tlog_hash_node(&a->h, root, parts[i], root)) < 0)
			return error;
	}
	return 0;
}

/* Load the right edge of the tree of size a->start from its tiles. */
static int
load_edge(struct appender *a, const sp_tlog_checkpoint *cp)
{
	tlog_reader r;
	sp_buf data = SP_BUF_INIT;
	const uint8_t *ptrs[TILE_W];
	size_t lens[TILE_W];
	uint8_t root[HASH_LEN], leaf[HASH_LEN];
	unsigned L, i, w;
	int error;

	if ((error = tlog_reader_init(a->ctx, &r, a->dir, a->start)) < 0)
		return error;
	for (L = 0; L < MAX_LEVELS && (a->start >> (8 * L)) > 0; L++) {
		uint64_t cnt = a->start >> (8 * L);

		w = (unsigned)(cnt % TILE_W);
		if (w == 0)
			continue;
		sp_buf_clear(&data);
		if ((error = read_sized(
		         &r, &data, (int)L, cnt / TILE_W, w, true, NULL)) < 0)
			goto out;
		memcpy(a->lvl[L], data.ptr, (size_t)w * HASH_LEN);
		a->n[L] = w;
	}
	w = (unsigned)(a->start % TILE_W);
	if (w > 0) {
		char what[64];

		bundle_name(what, sizeof(what), a->start / TILE_W, w);
		sp_buf_clear(&data);
		if ((error = read_sized(&r, &data, -1, a->start / TILE_W, w,
		         true, NULL)) < 0 ||
		    (error = bundle_split(
		         a->ctx, &data, w, false, ptrs, lens, what)) < 0)
			goto out;
		for (i = 0; i < w; i++) {
			if ((error = tlog_hash_leaf(
			         &a->h, leaf, ptrs[i], lens[i])) < 0)
				goto out;
			if (!sp_ct_equal(leaf, a->lvl[0][i], HASH_LEN)) {
				error = sp_err_set(a->ctx, SP_EVERIFY,
				    "entry %" PRIu64
				    " does not match its tile hash; the log is "
				    "damaged",
				    a->start - w + i);
				goto out;
			}
		}
		if (sp_buf_put(&a->bundle, data.ptr, data.size) < 0) {
			error = sp_err_set(a->ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		a->bundle_n = w;
	}
	if ((error = edge_root(a, root)) < 0)
		goto out;
	if (!sp_ct_equal(root, cp->root, HASH_LEN))
		error = sp_err_set(a->ctx, SP_EVERIFY,
		    "the tiles at the end of the log do not hash to the "
		    "checkpoint's root; the log is damaged");
out:
	sp_buf_dispose(&data);
	tlog_reader_dispose(&r);
	return error;
}

static void
remove_partials(struct appender *a)
{
	sp_buf rel = SP_BUF_INIT, path = SP_BUF_INIT;
	size_t i;

	for (i = 0; i < a->nfull; i++) {
		DIR *d;
		struct dirent *de;

		sp_buf_clear(&rel);
		if (sp_tlog_tile_path(
		        &rel, a->full[i].level, a->full[i].index, TILE_W) < 0 ||
		    sp_buf_puts(&rel, ".p") < 0 ||
		    join(a->ctx, &path, a->dir, rel.ptr) < 0)
			break;
		if ((d = opendir(path.ptr)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] != '.')
				unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
		rmdir(path.ptr);
	}
	sp_buf_dispose(&rel);
	sp_buf_dispose(&path);
}

/*
 * Record the new entries in the entry index and, unless duplicates are
 * allowed, refuse one whose bytes are already in the log (a candidate of
 * the index confirmed by its level-0 tile hash) or earlier in @p entries.
 * Nothing of the log is written yet.
 */
static int
index_entries(struct appender *a, const sp_tlog_data *entries, size_t n,
    bool allow, tlog_index **ixp)
{
	const sp_tlog_append_opts *o = a->opts;
	sp_tlog_duplicate dup = {0, false, 0};
	tlog_reader r;
	tlog_index *ix = NULL;
	const uint8_t(*hashes)[HASH_LEN];
	uint8_t leaf[HASH_LEN], other[HASH_LEN];
	bool found = false;
	unsigned w;
	size_t i;
	int error;

	*ixp = NULL;
	if ((error = tlog_reader_init(a->ctx, &r, a->dir, a->start)) < 0)
		return error;
	error = tlog_index_open(a->ctx, &ix, a->dir, &r, n);
	if (error == SP_ELIMIT && allow) {
		/* Too large to index: nothing to check, nothing to keep. */
		sp_err_clear(a->ctx);
		error = 0;
		goto out;
	}
	if (error == SP_ELIMIT)
		sp_err_hint(a->ctx, "append with --allow-duplicate (no check)");
	if (error < 0)
		goto out;
	for (i = 0; i < n && !found; i++) {
		uint64_t pos = 0, cand;

		if ((error = tlog_hash_leaf(
		         &a->h, leaf, entries[i].data, entries[i].len)) < 0)
			goto out;
		while (!allow && !found &&
		       tlog_index_next(ix, leaf, &pos, &cand)) {
			if (cand < a->start) {
				if ((error = tlog_reader_tile(&r, 0,
				         cand / TILE_W, &hashes, &w)) < 0)
					goto out;
				found = cand % TILE_W < w &&
				        memcmp(hashes[cand % TILE_W], leaf,
				            HASH_LEN) == 0;
				dup.index = cand;
			} else if (cand - a->start < i) {
				/* A record of this append (or a stale one of
				 * an append that never committed). */
				size_t j = (size_t)(cand - a->start);

				if ((error = tlog_hash_leaf(&a->h, other,
				         entries[j].data, entries[j].len)) < 0)
					goto out;
				found = memcmp(other, leaf, HASH_LEN) == 0;
				dup.in_batch = found;
				dup.index = j;
			}
		}
		if (found) {
			dup.entry = i;
			break;
		}
		if ((error = tlog_index_add(ix, leaf, a->start + i)) < 0)
			goto out;
	}
	if (found) {
		if (o != NULL && o->version >= 2 && o->duplicate != NULL)
			*o->duplicate = dup;
		if (dup.in_batch)
			error = sp_err_set(a->ctx, SP_EEXISTS,
			    "entries %" PRIu64 " and %zu of this append are "
			    "the same",
			    dup.index, dup.entry);
		else
			error = sp_err_set(a->ctx, SP_EEXISTS,
			    "entry %zu of this append is already in the log "
			    "at index %" PRIu64,
			    dup.entry, dup.index);
		sp_err_hint(a->ctx, "the log is unchanged; to log the same "
		                    "bytes again, use --allow-duplicate");
		goto out;
	}
	*ixp = ix;
	ix = NULL;
out:
	tlog_index_close(ix);
	tlog_reader_dispose(&r);
	return error;
}

int
sp_tlog_append(sp_ctx *ctx, const char *dir, const sp_tlog_append_opts *opts,
    const sp_tlog_data *entries, size_t n, uint64_t *first)
{
	struct appender a;
	sp_tlog_verifier *v = NULL;
	sp_tlog_checkpoint *cp = NULL;
	tlog_key *key = NULL;
	char *keypath = NULL;
	sp_buf body = SP_BUF_INIT, note = SP_BUF_INIT;
	uint8_t root[HASH_LEN];
	sp_tlog_entry parsed;
	tlog_index *ix = NULL;
	bool allow;
	size_t i;
	unsigned L;
	int lockfd = -1, error;

	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	a.dir = dir;
	a.opts = opts;
	sp_buf_init(&a.bundle, BUNDLE_MAX);
	if (opts != NULL && opts->version != 1 &&
	    opts->version != SP_TLOG_APPEND_OPTS_VERSION)
		return sp_err_set(ctx, SP_EINVALID, "unknown append options");
	allow = opts != NULL && opts->version >= 2 && opts->allow_duplicate;
	for (i = 0; i < n; i++) {
		if (entries[i].len > SP_TLOG_MAX_ENTRY)
			return sp_err_set(ctx, SP_EINVALID,
			    "entry %zu is %zu bytes, more than %d", i,
			    entries[i].len, SP_TLOG_MAX_ENTRY);
		if ((error = sp_tlog_entry_parse(
		         ctx, &parsed, entries[i].data, entries[i].len)) < 0)
			return tlog_err_wrap(ctx, SP_EINVALID, "entry %zu", i);
	}
	if ((error = tlog_hasher_init(ctx, &a.h)) < 0)
		return error;
	if ((a.lvl = calloc(MAX_LEVELS, sizeof(*a.lvl))) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = load_vkey(ctx, dir, &v)) < 0 ||
	    (error = lock_log(ctx, dir, &lockfd)) < 0)
		goto out;
	sp_tlog_verifier_free(v);
	v = NULL;
	if ((error = load_current(ctx, dir, &v, &cp)) < 0)
		goto out;
	if (opts == NULL || opts->keyspec == NULL) {
		if ((error = load_config_key(ctx, dir, &keypath)) < 0)
			goto out;
	} else if ((keypath = strdup(opts->keyspec)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = tlog_key_load(ctx, &key, keypath,
	         opts != NULL ? opts->passphrase : NULL,
	         opts != NULL ? opts->passphrase_payload : NULL)) < 0)
		goto out;
	if (memcmp(tlog_key_public(key), v->pub, 32) != 0) {
		error = sp_err_set(ctx, SP_EINVALID,
		    "'%s' is not the key of this log (see its %s)", keypath,
		    TLOG_VKEY);
		goto out;
	}
	if (n > SP_TLOG_MAX_SIZE - cp->size) {
		error = sp_err_set(ctx, SP_ELIMIT, "the log is full");
		goto out;
	}
	a.start = a.size = cp->size;
	if ((error = load_edge(&a, cp)) < 0)
		goto out;
	if (n == 0) {
		/* Nothing to add: keep the checkpoint and its cosignatures. */
		if (first != NULL)
			*first = a.start;
		goto out;
	}
	if ((error = index_entries(&a, entries, n, allow, &ix)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((error = push_entry(&a, entries[i].data, entries[i].len)) <
		    0)
			goto out;
	}
	for (L = 0; L < MAX_LEVELS; L++) {
		uint64_t cnt = a.size >> (8 * L);

		if (a.n[L] == 0 || cnt == a.start >> (8 * L))
			continue;
		if ((error = write_tile(&a, (int)L, cnt / TILE_W, a.n[L],
		         a.lvl[L], (size_t)a.n[L] * HASH_LEN)) < 0)
			goto out;
	}
	if (a.bundle_n > 0 &&
	    (error = write_tile(&a, -1, a.size / TILE_W, a.bundle_n,
	         a.bundle.ptr, a.bundle.size)) < 0)
		goto out;
	if ((error = edge_root(&a, root)) < 0)
		goto out;
	if (tlog_checkpoint_format(&body, cp->origin, a.size, root) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = tlog_checkpoint_sign(
	         ctx, &note, body.ptr, body.size, v->name, key)) < 0)
		goto out;
	step(&a, "checkpoint");
	if ((error = write_rel_step(&a, TLOG_CHECKPOINT, note.ptr, note.size,
	         "checkpoint-rename")) < 0)
		goto out;
	step(&a, "cleanup");
	remove_partials(&a);
	/* The entries are in: an index that cannot be written now catches
	 * up from the tiles at the next append. */
	step(&a, "index");
	if (ix != NULL && tlog_index_commit(ix, a.size) < 0)
		sp_err_clear(ctx);
	if (first != NULL)
		*first = a.start;
out:
	tlog_index_close(ix);
	if (lockfd >= 0)
		close(lockfd);
	free(keypath);
	tlog_key_free(key);
	sp_tlog_checkpoint_free(cp);
	sp_tlog_verifier_free(v);
	sp_buf_dispose(&body);
	sp_buf_dispose(&note);
	sp_buf_dispose(&a.bundle);
	free(a.full);
	free(a.lvl);
	tlog_hasher_dispose(&a.h);
	return error;
}

/* ---- cosignatures in the log's checkpoint
 * -----------------------------------------
 */

int
sp_tlog_add_cosignatures(sp_ctx *ctx, const char *dir, const char *note,
    size_t len, const sp_tlog_verifier *const *witnesses, size_t nwitnesses,
    size_t *added)
{
	sp_tlog_verifier *v = NULL;
	sp_tlog_checkpoint *cp = NULL, *in = NULL;
	sp_buf out = SP_BUF_INIT;
	size_t i, j, k, count = 0;
	int lockfd = -1, error;
	int64_t ts;

	if (added != NULL)
		*added = 0;
	if ((error = sp_tlog_checkpoint_parse(ctx, &in, note, len)) < 0 ||
	    (error = load_vkey(ctx, dir, &v)) < 0 ||
	    (error = lock_log(ctx, dir, &lockfd)) < 0)
		goto out;
	sp_tlog_verifier_free(v);
	v = NULL;
	if ((error = load_current(ctx, dir, &v, &cp)) < 0)
		goto out;
	if (in->note.text_len != cp->note.text_len ||
	    memcmp(in->note.text, cp->note.text, cp->note.text_len) != 0) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "the cosigned checkpoint (size %" PRIu64
		    ") is not the log's current checkpoint (size %" PRIu64 ")",
		    in->size, cp->size);
		sp_err_hint(ctx,
		    "witnesses must cosign the current checkpoint; "
		    "the log has grown since");
		goto out;
	}
	if (sp_buf_put(&out, cp->whole, cp->whole_len) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < in->note.nsigs; i++) {
		const tlog_sig *s = &in->note.sigs[i];
		bool known = false, present = false;

		if (strcmp(s->name, v->name) == 0 && s->rawlen >= 4 &&
		    memcmp(s->raw, v->id, 4) == 0)
			continue; /* the log's own signature */
		for (j = 0; j < nwitnesses && !known; j++) {
			const sp_tlog_verifier *w = witnesses[j];

			if (strcmp(s->name, w->name) != 0 || s->rawlen < 4 ||
			    memcmp(s->raw, w->id, 4) != 0)
				continue;
			if ((error = tlog_cosig_check(ctx, in, s, w, &ts)) < 0)
				goto out;
			known = true;
		}
		if (!known) {
			error = sp_err_set(ctx, SP_EVERIFY,
			    "signature line by unknown key '%s'; give the "
			    "witness's vkey with --witness",
			    s->name);
			goto out;
		}
		for (k = 0; k < cp->note.nsigs && !present; k++)
			present = cp->note.sigs[k].linelen == s->linelen &&
			          memcmp(cp->note.sigs[k].line, s->line,
			              s->linelen) == 0;
		if (present)
			continue;
		if (sp_buf_put(&out, s->line, s->linelen) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		count++;
	}
	if (count > 0 && (error = write_rel(ctx, dir, TLOG_CHECKPOINT, out.ptr,
	                      out.size, 0644)) < 0)
		goto out;
	if (added != NULL)
		*added = count;
out:
	if (lockfd >= 0)
		close(lockfd);
	sp_buf_dispose(&out);
	sp_tlog_checkpoint_free(in);
	sp_tlog_checkpoint_free(cp);
	sp_tlog_verifier_free(v);
	return error;
}

/* ---- reading
 * ---------------------------------------------------------------------------
 */

struct sp_tlog {
	char *dir;
	sp_tlog_verifier *v;
	sp_tlog_checkpoint *cp;
	tlog_reader r;
};

int
sp_tlog_open(sp_ctx *ctx, sp_tlog **out, const char *dir)
{
	sp_tlog *log;
	int error;

	*out = NULL;
	if ((log = calloc(1, sizeof(*log))) == NULL ||
	    (log->dir = strdup(dir)) == NULL) {
		free(log);
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	}
	if ((error = load_current(ctx, dir, &log->v, &log->cp)) < 0 ||
	    (error = tlog_reader_init(ctx, &log->r, dir, log->cp->size)) < 0) {
		sp_tlog_close(log);
		return error;
	}
	*out = log;
	return 0;
}

void
sp_tlog_close(sp_tlog *log)
{
	if (log == NULL)
		return;
	if (log->r.dir != NULL)
		tlog_reader_dispose(&log->r);
	sp_tlog_checkpoint_free(log->cp);
	sp_tlog_verifier_free(log->v);
	free(log->dir);
	free(log);
}

const sp_tlog_checkpoint *
sp_tlog_checkpoint_of(const sp_tlog *log)
{
	return log->cp;
}

const sp_tlog_verifier *
sp_tlog_verifier_of(const sp_tlog *log)
{
	return log->v;
}

static int
read_bundle(sp_tlog *log, uint64_t t, sp_buf *data, const uint8_t **ptrs,
    size_t *lens, unsigned *width, bool strict)
{
	char what[64];
	bool fellback = false;
	int error;

	*width = tlog_tile_width(log->cp->size, 0, t);
	if ((error = read_sized(
	         &log->r, data, -1, t, *width, strict, &fellback)) < 0)
		return error;
	bundle_name(what, sizeof(what), t, fellback ? TILE_W : *width);
	/* A full bundle read in place of a partial one: take its prefix. */
	return bundle_split(
	    log->r.ctx, data, *width, fellback, ptrs, lens, what);
}

int
sp_tlog_read_entry(sp_ctx *ctx, sp_tlog *log, uint64_t index, sp_buf *out)
{
	sp_buf data = SP_BUF_INIT;
	const uint8_t *ptrs[TILE_W];
	size_t lens[TILE_W];
	unsigned width;
	int error;

	if (index >= log->cp->size)
		return sp_err_set(ctx, SP_EINVALID,
		    "entry %" PRIu64 " is not in the log (size %" PRIu64 ")",
		    index, log->cp->size);
	if ((error = read_bundle(
	         log, index / TILE_W, &data, ptrs, lens, &width, false)) < 0)
		goto out;
	if (sp_buf_put(out, ptrs[index % TILE_W], lens[index % TILE_W]) < 0)
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
out:
	sp_buf_dispose(&data);
	return error;
}

int
sp_tlog_find(
    sp_ctx *ctx, sp_tlog *log, const void *entry, size_t len, uint64_t *index)
{
	const uint8_t(*hashes)[HASH_LEN];
	uint8_t leaf[HASH_LEN];
	sp_buf e = SP_BUF_INIT;
	uint64_t t, ntiles = (log->cp->size + TILE_W - 1) / TILE_W;
	unsigned w, i;
	int error;

	if ((error = sp_tlog_leaf_hash(ctx, leaf, entry, len)) < 0)
		return error;
	for (t = 0; t < ntiles; t++) {
		if ((error = tlog_reader_tile(&log->r, 0, t, &hashes, &w)) < 0)
			return error;
		for (i = 0; i < w; i++) {
			if (memcmp(hashes[i], leaf, HASH_LEN) != 0)
				continue;
			sp_buf_clear(&e);
			if ((error = sp_tlog_read_entry(
			         ctx, log, t * TILE_W + i, &e)) < 0)
				goto out;
			if (e.size == len && memcmp(e.ptr, entry, len) == 0) {
				*index = t * TILE_W + i;
				goto out;
			}
		}
	}
	error = sp_err_set(ctx, SP_ENOTFOUND, "the entry is not in the log");
out:
	sp_buf_dispose(&e);
	return error;
}

int
sp_tlog_prove(sp_ctx *ctx, sp_tlog *log, uint64_t index, sp_buf *out)
{
	uint8_t(*proof)[HASH_LEN] = NULL;
	uint8_t leaf[HASH_LEN];
	sp_buf entry = SP_BUF_INIT;
	tlog_tree t = {&log->r.h, tlog_reader_node, &log->r};
	size_t n, i;
	int error;

	if ((error = sp_tlog_read_entry(ctx, log, index, &entry)) < 0)
		goto out;
	if ((proof = calloc(TLOG_MAX_PROOF, HASH_LEN)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = tlog_inclusion_proof(
	         &t, index, log->cp->size, proof, &n)) < 0 ||
	    (error = sp_tlog_leaf_hash(ctx, leaf, entry.ptr, entry.size)) < 0)
		goto out;
	/* Check what we hand out. */
	if ((error = sp_tlog_verify_inclusion(ctx, index, log->cp->size, leaf,
	         (const uint8_t(*)[HASH_LEN])proof, n, log->cp->root)) < 0) {
		error = tlog_err_wrap(ctx, SP_EVERIFY,
		    "the log's tiles do not prove entry %" PRIu64
		    " in its checkpoint; the log is damaged",
		    index);
		goto out;
	}
	if (sp_buf_puts(out, SP_TLOG_PROOF_HEADER "\nextra ") < 0 ||
	    sp_base64_encode(out, entry.ptr, entry.size) < 0 ||
	    sp_buf_printf(out, "\nindex %" PRIu64 "\n", index) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (sp_base64_encode(out, proof[i], HASH_LEN) < 0 ||
		    sp_buf_putc(out, '\n') < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (sp_buf_putc(out, '\n') < 0 ||
	    sp_buf_put(out, log->cp->whole, log->cp->whole_len) < 0)
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
out:
	free(proof);
	sp_buf_dispose(&entry);
	return error;
}

int
sp_tlog_prove_file(sp_ctx *ctx, const char *dir, uint64_t index, sp_buf *out)
{
	sp_tlog *log = NULL;
	int error;

	if ((error = sp_tlog_open(ctx, &log, dir)) < 0)
		return error;
	error = sp_tlog_prove(ctx, log, index, out);
	sp_tlog_close(log);
	return error;
}

int
sp_tlog_consistency(
    sp_ctx *ctx, sp_tlog *log, const sp_tlog_checkpoint *old, sp_buf *out)
{
	uint8_t(*proof)[HASH_LEN] = NULL;
	uint8_t oldroot[HASH_LEN];
	tlog_reader r;
	tlog_tree t = {&log->r.h, tlog_reader_node, &log->r};
	uint64_t m = old->size, nsize = log->cp->size;
	size_t n = 0, i;
	bool have_r = false;
	int error;

	if (strcmp(old->origin, log->cp->origin) != 0)
		return sp_err_set(ctx, SP_EVERIFY,
		    "the old checkpoint is for log '%s', not '%s'", old->origin,
		    log->cp->origin);
	if (m > nsize)
		return sp_err_set(ctx, SP_EVERIFY,
		    "the old checkpoint (size %" PRIu64
		    ") is larger than the log (size %" PRIu64
		    "): the log was rolled back",
		    m, nsize);
	if (m == 0) {
		error = empty_root(ctx, oldroot);
	} else {
		tlog_tree ot;

		if ((error = tlog_reader_init(ctx, &r, log->dir, m)) < 0)
			return error;
		have_r = true;
		ot.h = &r.h;
		ot.node = tlog_reader_node;
		ot.arg = &r;
		error = tlog_mth(&ot, 0, m, oldroot);
	}
	if (error < 0)
		goto out;
	if (!sp_ct_equal(oldroot, old->root, HASH_LEN)) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "fork: the old checkpoint's tree of size %" PRIu64
		    " is not a prefix of this log",
		    m);
		goto out;
	}
	if ((proof = calloc(TLOG_MAX_PROOF, HASH_LEN)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = tlog_consistency_proof(&t, m, nsize, proof, &n)) < 0)
		goto out;
	if ((error = sp_tlog_verify_consistency(ctx, m, nsize,
	         (const uint8_t(*)[HASH_LEN])proof, n, old->root,
	         log->cp->root)) < 0) {
		error = tlog_err_wrap(ctx, SP_EVERIFY,
		    "the log's tiles do not prove its own consistency; the "
		    "log is damaged");
		goto out;
	}
	if (sp_buf_printf(out, "old %" PRIu64 "\n", m) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (sp_base64_encode(out, proof[i], HASH_LEN) < 0 ||
		    sp_buf_putc(out, '\n') < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (sp_buf_putc(out, '\n') < 0 ||
	    sp_buf_put(out, log->cp->whole, log->cp->whole_len) < 0)
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
out:
	if (have_r)
		tlog_reader_dispose(&r);
	free(proof);
	return error;
}

int
sp_tlog_check(sp_ctx *ctx, sp_tlog *log, sp_tlog_check_result *result)
{
	sp_tlog_check_result local;
	tlog_reader r;
	tlog_tree tree;
	sp_buf data = SP_BUF_INIT;
	const uint8_t *ptrs[TILE_W];
	size_t lens[TILE_W];
	uint8_t hash[HASH_LEN], root[HASH_LEN];
	uint64_t size = log->cp->size, t;
	unsigned L, i, w;
	int error;

	if (result == NULL)
		result = &local;
	memset(result, 0, sizeof(*result));
	result->size = size;
	if ((error = tlog_reader_init(ctx, &r, log->dir, size)) < 0)
		return error;
	for (L = 0; L < MAX_LEVELS && (size >> (8 * L)) > 0; L++) {
		uint64_t cnt = size >> (8 * L);
		uint64_t ntiles = (cnt + TILE_W - 1) / TILE_W;

		for (t = 0; t < ntiles; t++) {
			const uint8_t(*hashes)[HASH_LEN];
			uint8_t copy[TILE_W][HASH_LEN];

			w = tlog_tile_width(size, (int)L, t);
			/* The exact file the checkpoint needs must exist. */
			sp_buf_clear(&data);
			if ((error = read_sized(
			         &r, &data, (int)L, t, w, true, NULL)) < 0)
				goto out;
			memcpy(copy, data.ptr, (size_t)w * HASH_LEN);
			hashes = (const uint8_t(*)[HASH_LEN])copy;
			result->tiles++;
			if (L == 0) {
				char what[64];

				bundle_name(what, sizeof(what), t, w);
				sp_buf_clear(&data);
				if ((error = read_sized(&r, &data, -1, t, w,
				         true, NULL)) < 0 ||
				    (error = bundle_split(ctx, &data, w, false,
				         ptrs, lens, what)) < 0)
					goto out;
				result->bundles++;
				for (i = 0; i < w; i++) {
					sp_tlog_entry e;

					if ((error = sp_tlog_entry_parse(ctx,
					         &e, ptrs[i], lens[i])) < 0) {
						error = tlog_err_wrap(ctx,
						    error, "entry %" PRIu64,
						    t * TILE_W + i);
						goto out;
					}
					if ((error = tlog_hash_leaf(&r.h, hash,
					         ptrs[i], lens[i])) < 0)
						goto out;
					if (!sp_ct_equal(
					        hash, hashes[i], HASH_LEN)) {
						error =
						    sp_err_set(ctx, SP_EVERIFY,
						        "entry %" PRIu64
						        " does not hash to its "
						        "level-0 tile hash",
						        t * TILE_W + i);
						goto out;
					}
					result->entries++;
				}
			}
			if (w == TILE_W && (size >> (8 * (L + 1))) > t) {
				const uint8_t(*up)[HASH_LEN];
				unsigned uw;

				if ((error = tlog_hash_perfect(&r.h, hash,
				         hashes, TILE_W, r.scratch)) < 0 ||
				    (error = tlog_reader_tile(&r, (int)L + 1,
				         t / TILE_W, &up, &uw)) < 0)
					goto out;
				if (!sp_ct_equal(
				        hash, up[t % TILE_W], HASH_LEN)) {
					error = sp_err_set(ctx, SP_EVERIFY,
					    "tile %u/%" PRIu64
					    " does not hash to its entry in "
					    "level %u",
					    L, t, L + 1);
					goto out;
				}
			}
		}
	}
	if (size == 0) {
		error = empty_root(ctx, root);
	} else {
		tree.h = &r.h;
		tree.node = tlog_reader_node;
		tree.arg = &r;
		error = tlog_mth(&tree, 0, size, root);
	}
	if (error < 0)
		goto out;
	if (!sp_ct_equal(root, log->cp->root, HASH_LEN))
		error = sp_err_set(ctx, SP_EVERIFY,
		    "the tiles do not hash to the checkpoint's root");
out:
	sp_buf_dispose(&data);
	tlog_reader_dispose(&r);
	return error;
}
