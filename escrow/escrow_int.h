/*
 * escrow/: private declarations shared by the recipe, bundle writer,
 * bundle reader, CMS and unpack code.
 */
#ifndef SP_ESCROW_INT_H
#define SP_ESCROW_INT_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srcproof/escrow.h"
#include "srcproof/recipe.h"
#include "srcproof/util.h"

/* ---- recipe toolchain probing (recipe_tool.c) ---------------------------- */

/**
 * Find @p name on @p path_env (a PATH value). A name with a '/' is taken as
 * a path. *out receives a malloc'd absolute path.
 * @return 0 or SP_ENOTFOUND (no message set)
 */
int sp_recipe__which(char **out, const char *name, const char *path_env);

/**
 * Run `@p prog @p arg` with stdin from /dev/null, LC_ALL=C, a timeout, and
 * append the first non-empty line of its output (stdout and stderr) to
 * @p line. Failures leave @p line empty and return 0: a version string is
 * informative only.
 */
int sp_recipe__first_line(sp_ctx *ctx, sp_buf *line, const char *prog,
    const char *arg, const char *const *envp);

/* ---- names ----------------------------------------------------------------
 */

/**
 * True when @p name (@p len bytes) may name a bundle member below the root:
 * a safe relative path (no empty, "." or ".." component, no leading or
 * trailing '/') of valid UTF-8 without NUL, at most SP_ESCROW_MAX_NAME
 * bytes: the rules of manifest paths.
 */
bool sp_escrow__name_ok(const char *name, size_t len);

/* ---- deterministic tar writer (tarw.c) ------------------------------------
 */

typedef struct sp_tarw sp_tarw;

/** Where the compressed (or encrypted) bytes go. */
typedef int (*sp_tarw_sink)(void *payload, const void *data, size_t len);

typedef struct sp_tarw_options {
	sp_escrow_compression compression;
	int level;        /**< 0: default */
	unsigned threads; /**< zstd workers, >= 1 */
	int64_t mtime;    /**< for every member */
} sp_tarw_options;

int sp_tarw_open(sp_ctx *ctx, sp_tarw **out, const sp_tarw_options *opts,
    sp_tarw_sink sink, void *payload);

/** Start a regular file member of @p size bytes (mode 0644 or 0755). */
int sp_tarw_file_begin(sp_tarw *w, const char *name, uint64_t size, bool exec);

/** Add data to the current member; also hashes it. */
int sp_tarw_file_data(sp_tarw *w, const void *data, size_t len);

/** End the current member; @p sha256 receives its digest. */
int sp_tarw_file_end(sp_tarw *w, uint8_t sha256[32]);

/** Add a whole regular file member from memory. */
int sp_tarw_add_buffer(sp_tarw *w, const char *name, const void *data,
    size_t len, bool exec, uint8_t sha256[32]);

/** Add a symbolic link member. */
int sp_tarw_add_symlink(sp_tarw *w, const char *name, const char *target);

/** Finish the archive and flush the compressor. */
int sp_tarw_close(sp_tarw *w);

/** Free; NULL is a no-op. */
void sp_tarw_free(sp_tarw *w);

/* ---- read-ahead of source files (prefetch.c) ------------------------------
 */

typedef struct sp_prefetch sp_prefetch;

/** A piece of a file, valid until the next sp_prefetch_next. */
struct sp_prefetch_chunk {
	size_t item;   /**< index in the paths given */
	uint64_t size; /**< the file's size when it was opened */
	const unsigned char *data;
	size_t len;
	bool first, last; /**< a file of 0 bytes is one chunk, both */
};

/**
 * Start a thread that reads the regular files @p paths (kept by the caller
 * until sp_prefetch_stop), in order, each exactly to the size it has when
 * opened (O_NOFOLLOW).
 */
int sp_prefetch_start(
    sp_ctx *ctx, sp_prefetch **out, char *const *paths, size_t n);

/**
 * The next chunk, in order; releases the previous one. Errors of the
 * reading thread (cannot open, not a regular file, grew, shrank) come at
 * the point of the file they concern, into @p ctx.
 */
int sp_prefetch_next(
    sp_prefetch *pf, sp_ctx *ctx, struct sp_prefetch_chunk *chunk);

/** Stop the thread (it may be waiting for room) and free; NULL is a no-op. */
void sp_prefetch_stop(sp_prefetch *pf);

/* ---- CMS (cms.c) ----------------------------------------------------------
 */

/** Streaming CMS encryptor writing its DER to a sink. */
typedef struct sp_cms_writer sp_cms_writer;

/**
 * Load every recipient certificate and prepare the CMS structure; nothing
 * is written yet. Fails (naming the certificate) when one cannot be used.
 */
int sp_cms_writer_new(sp_ctx *ctx, sp_cms_writer **out,
    const char *const *certs, size_t ncerts, sp_tarw_sink sink, void *payload);

/** Plaintext in. */
int sp_cms_writer_write(sp_cms_writer *cw, const void *data, size_t len);

/** Finish the structure (tag, end-of-contents octets). */
int sp_cms_writer_finish(sp_cms_writer *cw);

void sp_cms_writer_free(sp_cms_writer *cw);

/** Streaming CMS decryptor reading a DER/BER file. */
typedef struct sp_cms_reader sp_cms_reader;

/**
 * Parse the CMS structure of the file open at @p fd (seekable), decrypt the
 * content-encryption key with @p pkey (and @p cert when not NULL), and make
 * the plaintext readable with sp_cms_reader_read.
 * @return 0, SP_EPARSE (not a CMS enveloped structure), SP_EVERIFY (no
 *         recipient matches the key), SP_EUNSUPPORTED, SP_EIO
 */
int sp_cms_reader_open(sp_ctx *ctx, sp_cms_reader **out, int fd,
    const char *name, EVP_PKEY *pkey, X509 *cert);

/**
 * Read plaintext. Returns the byte count, 0 at the end (after the
 * authentication tag verified), or a negative error code (SP_EVERIFY when
 * the tag does not match).
 */
long sp_cms_reader_read(sp_cms_reader *cr, void *buf, size_t len);

/** Read to the end, checking the tag; 0 or SP_EVERIFY. */
int sp_cms_reader_drain(sp_cms_reader *cr);

/** True for AuthEnvelopedData (authenticated), false for EnvelopedData. */
bool sp_cms_reader_authenticated(const sp_cms_reader *cr);

/** Content-encryption algorithm name ("aes-256-gcm", ...). */
const char *sp_cms_reader_cipher(const sp_cms_reader *cr);

void sp_cms_reader_free(sp_cms_reader *cr);

/**
 * Build the detached CMS structure (DER) from the BER file layout: exposed
 * for the fuzz target. @p data is the whole file.
 */
int sp_cms__parse_layout(sp_ctx *ctx, const uint8_t *data, size_t len,
    sp_buf *der, uint64_t *content_off);

/* ---- keys -------------------------------------------------------------- */

/**
 * Load a private key (PEM, PKCS#8 encrypted or not) for decryption; @p cb
 * supplies a passphrase when needed.
 */
int sp_escrow__load_pkey(sp_ctx *ctx, EVP_PKEY **out, const char *path,
    sp_passphrase_cb cb, void *payload);

/** Load an X.509 certificate (PEM or DER). */
int sp_escrow__load_cert(sp_ctx *ctx, X509 **out, const char *path);

/* ---- bundle reader (reader.c) ---------------------------------------------
 */

/** Member kinds in a bundle. */
typedef enum sp_member_kind {
	SP_MEMBER_FILE = 0,
	SP_MEMBER_EXEC = 1,
	SP_MEMBER_SYMLINK = 2,
} sp_member_kind;

/** One member as read; name is relative to the bundle root. */
typedef struct sp_member {
	char *name;
	size_t name_len;
	sp_member_kind kind;
	uint64_t size;
	uint8_t sha256[32];
	char *target; /**< symlink target or NULL */
} sp_member;

/** Callbacks of a read pass; any may be NULL. Non-zero return stops. */
typedef struct sp_reader_ops {
	/** A member starts (sha256 not yet known). */
	int (*begin)(void *payload, const sp_member *m);
	/** Bytes of the current regular file member. */
	int (*data)(void *payload, const void *buf, size_t len);
	/** The member ended; m->sha256 is set. */
	int (*end)(void *payload, const sp_member *m);
} sp_reader_ops;

/** Everything a read pass collected. */
typedef struct sp_bundle {
	sp_member *members; /**< in archive order, INDEX excluded */
	size_t nmembers;
	size_t amembers;
	/** Contents of the small known members (empty when absent). */
	sp_buf index, manifest, manifest_sig, policy, recipe, sums;
	bool have_manifest, have_sig, have_policy, have_recipe, have_sums;
	/** proofs/NAME members (name and bytes). */
	char **proof_names;
	sp_buf *proofs;
	size_t nproofs;
	bool encrypted;
	bool authenticated;
	/** The file and key were opened and reading began. */
	bool opened;
	/** Decryption failed (no matching recipient, bad tag or padding). */
	bool decrypt_failed;
	/** The whole encrypted content was read and its tag verified. */
	bool tag_ok;
	char cipher[32];
	sp_escrow_compression compression;
	uint64_t total_bytes;  /**< sum of member sizes */
	uint64_t stream_bytes; /**< compressed bytes read */
	/** INDEX checked against every member: true only when all match. */
	bool index_ok;
	char index_error[SP_ERRMSG_MAX];
} sp_bundle;

void sp_bundle_init(sp_bundle *b);
void sp_bundle_dispose(sp_bundle *b);

/**
 * Read a bundle file once from start to end, checking structure, names,
 * types, order and limits, hashing every member and checking them all
 * against INDEX. Structural problems stop the pass with SP_EUNSAFE,
 * SP_ELIMIT or SP_EPARSE; a member that does not match INDEX gives
 * SP_EVERIFY after the whole pass (b->index_error says which).
 */
int sp_bundle_read(sp_ctx *ctx, sp_bundle *b, const char *path,
    const sp_escrow_read_options *opts, const sp_reader_ops *ops,
    void *payload);

/** Read a bundle from memory (fuzzing; no decryption). */
int sp_bundle_read_mem(sp_ctx *ctx, sp_bundle *b, const void *data, size_t len,
    const sp_escrow_read_options *opts);

/* ---- INDEX (index.c) ------------------------------------------------------
 */

/** One INDEX line. */
typedef struct sp_index_entry {
	const char *name; /**< unescaped, NUL-terminated, in the arena */
	size_t name_len;
	uint8_t sha256[32];
	bool symlink; /**< "# symlink" line: digest of the target */
} sp_index_entry;

/**
 * Parse INDEX text (docs/spec/bundle.md): names escaped as sha256sum does
 * are unescaped into *arena (free() it, and *out, after use).
 * @return 0, SP_EPARSE (with the line number), SP_ELIMIT, SP_ENOMEM
 */
int sp_index_parse(sp_ctx *ctx, sp_index_entry **out, size_t *n, char **arena,
    const char *text, size_t len, size_t max_entries);

/** Append the INDEX line for a member. */
int sp_index_line(
    sp_buf *out, const char *name, const uint8_t sha256[32], bool symlink);

/* ---- SHA256SUMS of binaries -------------------------------------------- */

/**
 * Parse sha256sum-format text ("HEX  NAME" or "HEX *NAME" lines, '#'
 * comments skipped) and append the canonical form (sorted, two spaces) to
 * @p out. Names must satisfy sp_escrow__name_ok.
 */
int sp_escrow__sums_canonical(
    sp_ctx *ctx, sp_buf *out, const char *text, size_t len, const char *what);

/* ---- file tree helpers (tree.c) --------------------------------------------
 */

/** Recursively remove @p path without following symlinks. */
int sp_escrow__rmtree(sp_ctx *ctx, const char *path);

/**
 * List the regular files below @p dir (recursively, sorted, symlinks and
 * special files refused) as names relative to @p dir.
 */
int sp_escrow__list_files(
    sp_ctx *ctx, char ***out, size_t *n, const char *dir, size_t max);

void sp_escrow__free_list(char **list, size_t n);

#endif
