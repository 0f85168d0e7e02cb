/*
 * Transparency log internals shared by the tlog/ files.
 */
#ifndef SP_TLOG_INT_H
#define SP_TLOG_INT_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srcproof/sign.h"
#include "srcproof/tlog.h"

#define HASH_LEN SP_TLOG_HASH_LEN
#define TILE_W SP_TLOG_TILE_WIDTH
/** Longest inclusion or consistency proof we produce or accept. */
#define TLOG_MAX_PROOF 128

/* ---- hashing ---------------------------------------------------------------
 */

/** A reusable SHA-256 context for many small hashes. */
typedef struct tlog_hasher {
	sp_ctx *ctx;
	EVP_MD *sha;
	EVP_MD_CTX *md;
} tlog_hasher;

int tlog_hasher_init(sp_ctx *ctx, tlog_hasher *h);
void tlog_hasher_dispose(tlog_hasher *h);
int tlog_hash_leaf(
    tlog_hasher *h, uint8_t out[HASH_LEN], const void *data, size_t len);
int tlog_hash_node(tlog_hasher *h, uint8_t out[HASH_LEN],
    const uint8_t l[HASH_LEN], const uint8_t r[HASH_LEN]);
/**
 * Root of the perfect tree over @p n (a power of two, at most 256) hashes;
 * @p scratch holds n hashes.
 */
int tlog_hash_perfect(tlog_hasher *h, uint8_t out[HASH_LEN],
    const uint8_t (*hashes)[HASH_LEN], size_t n, uint8_t (*scratch)[HASH_LEN]);
/** Plain SHA-256 of several parts. */
int tlog_sha256(sp_ctx *ctx, uint8_t out[HASH_LEN], const void *a, size_t alen,
    const void *b, size_t blen, const void *c, size_t clen);

/** Largest power of two strictly below @p n (n >= 2). */
uint64_t tlog_split(uint64_t n);

/**
 * Node hash source for proof generation: the hash of the perfect subtree
 * of height @p height with index @p index (leaves index<<height ...).
 */
typedef int (*tlog_node_fn)(
    void *arg, unsigned height, uint64_t index, uint8_t out[HASH_LEN]);

typedef struct tlog_tree {
	tlog_hasher *h;
	tlog_node_fn node;
	void *arg;
} tlog_tree;

/** MTH(D[a:b]) for the ranges RFC 6962 proofs use. */
int tlog_mth(tlog_tree *t, uint64_t a, uint64_t b, uint8_t out[HASH_LEN]);
/** PATH(m, D[0:n]) into @p out (at most TLOG_MAX_PROOF), *n_out hashes. */
int tlog_inclusion_proof(tlog_tree *t, uint64_t m, uint64_t n,
    uint8_t (*out)[HASH_LEN], size_t *n_out);
/** PROOF(m, D[0:n]) for 0 < m < n. */
int tlog_consistency_proof(tlog_tree *t, uint64_t m, uint64_t n,
    uint8_t (*out)[HASH_LEN], size_t *n_out);

/**
 * Set an error "<prefix>: <the current message>" with code @p code and
 * keep the current hint; returns @p code.
 */
int tlog_err_wrap(sp_ctx *ctx, int code, const char *fmt, ...) SP_PRINTF(3, 4);

/* ---- base64 and text -------------------------------------------------------
 */

/** Decode canonical base64 into exactly @p outlen bytes. */
int tlog_b64_fixed(const char *in, size_t len, uint8_t *out, size_t outlen);
/** Parse a decimal without leading zeroes, at most @p max. */
int tlog_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

/* ---- keys
 * --------------------------------------------------------------------
 */

/** An Ed25519 private key (swappable loader; see key.c). */
typedef struct tlog_key tlog_key;

int tlog_key_load(sp_ctx *ctx, tlog_key **out, const char *spec,
    sp_passphrase_cb cb, void *payload);
void tlog_key_free(tlog_key *k);
const uint8_t *tlog_key_public(const tlog_key *k);
int tlog_key_sign(sp_ctx *ctx, const tlog_key *k, uint8_t sig[64],
    const void *msg, size_t len);
/** Verify an Ed25519 signature with a raw public key. */
int tlog_ed25519_verify(sp_ctx *ctx, const uint8_t pub[32], const void *msg,
    size_t len, const uint8_t sig[64]);
/** Key ID = SHA-256(name || 0x0A || type || pub)[:4]. */
int tlog_key_id(sp_ctx *ctx, uint8_t id[4], const char *name, int type,
    const uint8_t pub[32]);
/** True for a valid key name: non-empty UTF-8, no spaces, no '+'. */
bool tlog_name_ok(const char *name, size_t len);

struct sp_tlog_verifier {
	char *name;
	int type;
	uint8_t id[4];
	uint8_t pub[32];
};

/** Make a verifier from parts (name copied). */
int tlog_verifier_new(sp_ctx *ctx, sp_tlog_verifier **out, const char *name,
    int type, const uint8_t pub[32]);

/* ---- signed notes
 * --------------------------------------------------------------
 */

typedef struct tlog_sig {
	char *name;
	uint8_t *raw; /* key ID (4 bytes) || signature */
	size_t rawlen;
	char *line; /* the whole line, newline included */
	size_t linelen;
} tlog_sig;

typedef struct tlog_note {
	char *text; /* body, NUL-terminated, final newline included */
	size_t text_len;
	tlog_sig *sigs;
	size_t nsigs;
} tlog_note;

int tlog_note_parse(
    sp_ctx *ctx, tlog_note *out, const char *data, size_t len, bool need_sig);
void tlog_note_dispose(tlog_note *n);
/** Append "— name base64(id || sig)\n". */
int tlog_note_sig_line(sp_buf *out, const char *name, const uint8_t id[4],
    const uint8_t *sig, size_t siglen);

struct sp_tlog_checkpoint {
	tlog_note note;
	char *origin;
	uint64_t size;
	uint8_t root[HASH_LEN];
	char *whole; /* the note as given */
	size_t whole_len;
};

/** Check the body of a checkpoint; fill origin, size, root. */
int tlog_checkpoint_body(sp_ctx *ctx, sp_tlog_checkpoint *cp);
/** Sign a checkpoint body with the log key; append the note to @p out. */
int tlog_checkpoint_sign(sp_ctx *ctx, sp_buf *out, const char *body, size_t len,
    const char *name, const tlog_key *key);
/** Format a checkpoint body for origin, size, root. */
int tlog_checkpoint_format(
    sp_buf *out, const char *origin, uint64_t size, const uint8_t root[32]);
/** Verify one cosignature line for @p w; *ts gets its time. */
int tlog_cosig_check(sp_ctx *ctx, const sp_tlog_checkpoint *cp,
    const tlog_sig *s, const sp_tlog_verifier *w, int64_t *ts);

/* ---- log directory
 * ---------------------------------------------------------------
 */

/** Name of the files in a log directory. */
#define TLOG_CHECKPOINT "checkpoint"
#define TLOG_VKEY "log.vkey"
#define TLOG_CONFIG ".srcproof-log.json"
#define TLOG_LOCK ".srcproof-log.lock"
#define TLOG_INDEX ".srcproof-log.index"

/**
 * @p uri (a PKCS#11 URI) without its pin-value attributes, for the log's
 * config: the PIN is never written to disk. Returns a new string (free())
 * or NULL when out of memory.
 */
char *tlog_uri_without_pin(const char *uri);

/** fsync a directory (after a rename or a new file in it). */
int tlog_fsync_dir(sp_ctx *ctx, const char *path);

/** Tile reader over a log directory at a given tree size. */
typedef struct tlog_reader {
	sp_ctx *ctx;
	char *dir;
	uint64_t size;
	tlog_hasher h;
	/* a small cache of tiles */
	struct tlog_tile_cache {
		int level;
		uint64_t index;
		unsigned width;
		uint8_t (*hashes)[HASH_LEN];
		unsigned long used;
	} cache[8];
	unsigned long clock;
	uint8_t scratch[TILE_W][HASH_LEN];
	uint64_t tiles_read;
} tlog_reader;

int tlog_reader_init(
    sp_ctx *ctx, tlog_reader *r, const char *dir, uint64_t size);
void tlog_reader_dispose(tlog_reader *r);
/** Hash tile @p level number @p index, as wide as tree size needs. */
int tlog_reader_tile(tlog_reader *r, int level, uint64_t index,
    const uint8_t (**hashes)[HASH_LEN], unsigned *width);
/** The tlog_node_fn over a reader. */
int tlog_reader_node(
    void *arg, unsigned height, uint64_t index, uint8_t out[HASH_LEN]);
/** Read the file at dir/rel of exactly @p want bytes (0: any, <= max). */
int tlog_read_tile_file(sp_ctx *ctx, sp_buf *out, const char *dir,
    const char *rel, size_t want, size_t max);

/** Width of tile @p index at stored @p level for tree @p size (0: none). */
unsigned tlog_tile_width(uint64_t size, int level, uint64_t index);

/* ---- entry index (private cache, docs/spec/log.md section 3.5)
 * ------------------------------------------------------
 */

/** The log's entry index: leaf hash -> entry index candidates. */
typedef struct tlog_index tlog_index;

/**
 * Open the entry index of the log in @p dir (under the log's lock) at the
 * tree size of @p r, a reader of that log: a missing, damaged, stale or
 * too small index is rebuilt from the level-0 tiles, one that lags behind
 * is brought up to date; there is then room for @p more records.
 * @return 0, SP_ELIMIT (the log is too large to index), SP_EIO...
 */
int tlog_index_open(sp_ctx *ctx, tlog_index **out, const char *dir,
    tlog_reader *r, uint64_t more);
/** Record that entry @p index has leaf hash @p leaf (idempotent). */
int tlog_index_add(
    tlog_index *ix, const uint8_t leaf[HASH_LEN], uint64_t index);
/**
 * Next candidate index for @p leaf (*pos starts at 0): true with *index
 * set, false at the end. A candidate MUST be confirmed against the log
 * (records can be stale).
 */
bool tlog_index_next(const tlog_index *ix, const uint8_t leaf[HASH_LEN],
    uint64_t *pos, uint64_t *index);
/** Make the records durable, then mark entries below @p size recorded. */
int tlog_index_commit(tlog_index *ix, uint64_t size);
/** Unmap and close; NULL is a no-op. */
void tlog_index_close(tlog_index *ix);

#endif
