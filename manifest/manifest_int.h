/*
 * Internals of the manifest module: the manifest object, the builder that
 * sources fill, the pool of hashing threads, the git tree hasher.
 */
#ifndef SP_MANIFEST_INT_H
#define SP_MANIFEST_INT_H

#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "srcproof/manifest.h"
#include "srcproof/util.h"

/** Bytes read at a time from a file or an archive entry. */
#define MF_CHUNK (256 * 1024)

/** Jobs waiting for a hashing thread. */
#define MF_QUEUE 64

/** Most hashing threads. */
#define MF_MAX_THREADS 8

#define MF_SHA1_LEN 20

/* ---- string arena ---------------------------------------------------------
 */

struct mf_chunk;

/** Strings that live as long as their manifest, allocated in big chunks. */
struct mf_arena {
	struct mf_chunk *head;
};

/** Copy @p len bytes plus a NUL into the arena; NULL when out of memory. */
char *mf_arena_strndup(struct mf_arena *a, const char *s, size_t len);

/** Free every string of the arena. */
void mf_arena_dispose(struct mf_arena *a);

/* ---- the manifest --------------------------------------------------------
 */

struct sp_manifest {
	struct mf_arena arena;
	char *product; /**< arena, or NULL */
	char *release; /**< arena, or NULL */
	sp_manifest_kind kind;
	bool has_previous;
	char previous[SP_SHA256_HEX_LEN + 1];
	char git_tree[SP_MANIFEST_GIT_HEX_LEN + 1];
	char swhid[10 + SP_MANIFEST_GIT_HEX_LEN + 1];
	uint64_t files, symlinks, bytes;
	sp_manifest_entry *entries; /**< sorted by path bytes */
	size_t n;
};

/** An empty manifest (kind release, no entries). */
sp_manifest *mf_manifest_new(sp_ctx *ctx);

/** Limits of the parser (the public one uses the SP_MANIFEST_MAX_* values). */
struct mf_limits {
	size_t max_size;
	size_t max_entries;
	size_t max_path;
	size_t max_target;
};

/** sp_manifest_parse with explicit limits (for tests of the limits). */
int sp_manifest__parse_limited(sp_ctx *ctx, sp_manifest **out, const char *data,
    size_t len, const struct mf_limits *limits) SP_WUR;

/* ---- names ----------------------------------------------------------------
 */

/** True when @p s is valid UTF-8 (controls allowed, no NUL, no overlongs,
 * no surrogates, nothing above U+10FFFF). */
bool mf_utf8_valid(const char *s, size_t len);

/** Compare two paths by bytes (memcmp order, shorter first). */
int mf_path_cmp(const char *a, size_t alen, const char *b, size_t blen);

/**
 * Check a path of the content (from any source): valid UTF-8, safe and
 * relative, at most SP_MANIFEST_MAX_PATH bytes. Sets an error naming it.
 */
int mf_check_path(sp_ctx *ctx, const char *path, size_t len);

/**
 * Check the target of the symbolic link @p path: relative, valid UTF-8, not
 * empty, at most SP_MANIFEST_MAX_TARGET bytes, of the form ('..'/)*
 * followed by names, never climbing above the root of the tree.
 */
int mf_check_link_target(
    sp_ctx *ctx, const char *path, const char *target, size_t tlen);

/** True when a component of @p path is ".git" (never part of content). */
bool mf_path_has_git_dir(const char *path, size_t len);

/* ---- builder --------------------------------------------------------------
 */

/** One entry while a manifest is built; its address never changes. */
struct mf_item {
	char *path; /**< arena */
	size_t path_len;
	char *target; /**< arena; symlinks only */
	uint64_t size;
	uint8_t sha256[SP_SHA256_LEN];
	uint8_t oid[MF_SHA1_LEN]; /**< git blob id */
	sp_manifest_entry_type type;
};

struct mf_builder {
	sp_ctx *ctx;
	struct mf_arena arena;
	struct mf_item **blocks;
	size_t nblocks, count;
	EVP_MD *sha256, *sha1; /**< fetched once */
	/* Progress of the reading thread (archives) or of the pool. */
	uint64_t done_files, done_bytes;
	struct timespec last_progress;
	/* Git source: the repository, and the tree id it names. */
	const char *git_path;
	bool has_expect_tree;
	uint8_t expect_tree[MF_SHA1_LEN];
	/* Git source: held while a big blob is in memory (one at a time). */
	pthread_mutex_t *git_big_lock;
};

int mf_builder_init(sp_ctx *ctx, struct mf_builder *b);
void mf_builder_dispose(struct mf_builder *b);

/** A new zeroed item with a copy of @p path; NULL and an error set. */
struct mf_item *mf_builder_add(
    struct mf_builder *b, const char *path, size_t len);

/**
 * Fill a symlink item: copy the target, SHA-256 and git blob id of the
 * target bytes (after mf_check_link_target).
 */
int mf_builder_symlink(struct mf_builder *b, struct mf_item *item,
    const char *target, size_t tlen);

/** Report progress (rate-limited to ten a second unless @p force). */
void mf_builder_progress(struct mf_builder *b, bool force);

/**
 * Sort the items, refuse duplicates and file/directory conflicts, compute
 * the git tree and move everything into a new manifest with the header
 * fields of @p opts.
 */
int mf_builder_finish(struct mf_builder *b, sp_manifest **out,
    const sp_manifest_source_options *opts, const uint8_t *previous);

/* ---- hashing ---------------------------------------------------------------
 */

/** Streaming SHA-256 + git blob id of one file. */
struct mf_hasher {
	EVP_MD_CTX *sha256, *sha1;
};

int mf_hasher_init(sp_ctx *ctx, struct mf_hasher *h);
void mf_hasher_dispose(struct mf_hasher *h);

/** Start a file of @p size bytes (the git blob header needs the size). */
int mf_hasher_start(
    struct mf_hasher *h, const struct mf_builder *b, uint64_t size);
int mf_hasher_update(struct mf_hasher *h, const void *data, size_t len);
int mf_hasher_final(struct mf_hasher *h, struct mf_item *item);

/** SHA-1 git object id of "<type> <len>\0" + data. */
int mf_git_hash(const struct mf_builder *b, uint8_t out[MF_SHA1_LEN],
    const char *type, const void *data, size_t len);

/** A job for a hashing thread. */
struct mf_job {
	void *ref;                /**< dir: the directory (one reference) */
	uint8_t oid[MF_SHA1_LEN]; /**< git: the blob to read */
	struct mf_item *item;
};

struct mf_pool;
struct mf_worker;

/** Hash one job; errors go to sp_err_set(mf_worker_ctx(w), ...). */
typedef int (*mf_job_fn)(struct mf_worker *w, struct mf_job *job);

/** Per-thread set-up and tear-down (e.g. open a repository). */
typedef int (*mf_worker_init_fn)(struct mf_worker *w, void *arg);
typedef void (*mf_worker_free_fn)(struct mf_worker *w);

struct mf_pool_config {
	unsigned threads;
	mf_job_fn run;
	mf_worker_init_fn init; /**< may be NULL */
	mf_worker_free_fn fini; /**< may be NULL */
	/** Release a job that will not run (a worker failed); may be NULL. */
	void (*discard)(struct mf_job *job);
	void *init_arg;
};

/** Start the threads. On failure nothing is left running. */
int mf_pool_start(struct mf_builder *b, struct mf_pool **out,
    const struct mf_pool_config *cfg);

/**
 * Queue a job (waits while the queue is full). When a worker has failed,
 * the job is discarded and the worker's error is returned.
 */
int mf_pool_submit(struct mf_pool *p, struct mf_job *job);

/**
 * Wait for every job (when @p error is 0), stop the threads, free the pool;
 * return the first worker error (copied into the builder's context) or
 * @p error.
 */
int mf_pool_finish(struct mf_pool *p, int error);

/* Accessors for job functions. */
sp_ctx *mf_worker_ctx(struct mf_worker *w);
struct mf_hasher *mf_worker_hasher(struct mf_worker *w);
unsigned char *mf_worker_buf(struct mf_worker *w);
const struct mf_builder *mf_worker_builder(struct mf_worker *w);
void **mf_worker_data(struct mf_worker *w);
/** Count @p bytes hashed by this worker (for progress). */
void mf_worker_add_bytes(struct mf_worker *w, uint64_t bytes);

/** Threads to use for @p asked (0 = online CPUs, at most MF_MAX_THREADS). */
unsigned mf_thread_count(unsigned asked);

/* ---- sources
 * -----------------------------------------------------------------
 */

int mf_source_dir(struct mf_builder *b, const sp_manifest_source_options *o);
int mf_source_git(struct mf_builder *b, const sp_manifest_source_options *o);
int mf_source_archive(
    struct mf_builder *b, const sp_manifest_source_options *o);

/* ---- git tree -------------------------------------------------------------
 */

/**
 * Git tree id of sorted, duplicate-free, conflict-free items.
 * @param items sorted by path bytes
 */
int mf_git_tree(const struct mf_builder *b, uint8_t out[MF_SHA1_LEN],
    struct mf_item *const *items, size_t n);

#endif
