/*
 * Transparency log: an append-only RFC 6962 Merkle tree stored as C2SP
 * tlog-tiles (static files any HTTP server can serve), checkpoints in the
 * C2SP signed-note format signed by an Ed25519 log key, witness
 * cosignatures (C2SP tlog-cosignature v1), inclusion proofs in the C2SP
 * tlog-proof format and consistency proofs for witnesses.
 *
 * Format: docs/spec/log.md. Typical uses:
 *
 * The release pipeline appends a signed manifest and keeps a proof:
 *
 *     sp_buf entry = SP_BUF_INIT, proof = SP_BUF_INIT;
 *     uint64_t index;
 *     error = sp_tlog_entry_from_envelope(ctx, &entry, "m.sig");
 *     error = sp_tlog_append(ctx, "log", NULL, &ent, 1, &index);
 *     error = sp_tlog_prove_file(ctx, "log", index, &proof);
 *
 * A verifier (escrow, sealed room) checks a proof offline:
 *
 *     sp_tlog_trust t = SP_TLOG_TRUST_INIT;
 *     sp_tlog_verify_result r;
 *     t.log_key = logkey; t.witnesses = w; t.nwitnesses = 2; t.quorum = 2;
 *     error = sp_tlog_verify_proof_file(ctx, "m.tlog-proof", &t, entry,
 *         entry_len, &r);
 */
#ifndef SRCPROOF_TLOG_H
#define SRCPROOF_TLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctx.h"
#include "sign.h"

/* ---- constants ------------------------------------------------------------
 */

/** Length of a Merkle tree hash (SHA-256). */
#define SP_TLOG_HASH_LEN 32
/** Hashes in a full tile, entries in a full entry bundle. */
#define SP_TLOG_TILE_WIDTH 256
/** Largest log entry (entry bundles use a uint16 length prefix). */
#define SP_TLOG_MAX_ENTRY 65535
/** Largest signed note (checkpoint with signatures) accepted. */
#define SP_TLOG_NOTE_MAX_SIZE ((size_t)64 << 10)
/** Most signature lines in a note. */
#define SP_TLOG_NOTE_MAX_SIGS 100
/** Largest proof file accepted. */
#define SP_TLOG_PROOF_MAX_SIZE ((size_t)1 << 20)
/** Largest tree size (2^63 - 1). */
#define SP_TLOG_MAX_SIZE ((uint64_t)INT64_MAX)
/** First line of a proof file (C2SP tlog-proof). */
#define SP_TLOG_PROOF_HEADER "c2sp.org/tlog-proof@v1"
/** First line of a srcproof log entry. */
#define SP_TLOG_ENTRY_HEADER "srcproof.dev/log-entry/v1"

/** Signed-note signature types (C2SP signed-note). */
enum sp_tlog_sig_type {
	SP_TLOG_SIG_ED25519 = 0x01,     /**< log checkpoint signature */
	SP_TLOG_SIG_COSIGNATURE = 0x04, /**< tlog-cosignature v1, Ed25519 */
};

/* ---- Merkle tree (RFC 6962 section 2.1) ------------------------------------
 */

/** Leaf hash: SHA-256(0x00 || entry). */
int sp_tlog_leaf_hash(sp_ctx *ctx, uint8_t out[SP_TLOG_HASH_LEN],
    const void *entry, size_t len) SP_WUR;

/** Interior node hash: SHA-256(0x01 || left || right). */
int sp_tlog_node_hash(sp_ctx *ctx, uint8_t out[SP_TLOG_HASH_LEN],
    const uint8_t left[SP_TLOG_HASH_LEN],
    const uint8_t right[SP_TLOG_HASH_LEN]) SP_WUR;

/**
 * Root hash of the tree whose leaf hashes are @p leaves[0..n) (MTH of
 * RFC 6962; SHA-256 of nothing when @p n is 0). For tests and small trees.
 */
int sp_tlog_root_of(sp_ctx *ctx, uint8_t out[SP_TLOG_HASH_LEN],
    const uint8_t (*leaves)[SP_TLOG_HASH_LEN], size_t n) SP_WUR;

/**
 * Check an inclusion proof (RFC 9162 section 2.1.3.2).
 * @return 0 when @p leaf is at @p index in the tree of @p size leaves with
 *         root @p root; SP_EVERIFY otherwise
 */
int sp_tlog_verify_inclusion(sp_ctx *ctx, uint64_t index, uint64_t size,
    const uint8_t leaf[SP_TLOG_HASH_LEN],
    const uint8_t (*proof)[SP_TLOG_HASH_LEN], size_t n,
    const uint8_t root[SP_TLOG_HASH_LEN]) SP_WUR;

/**
 * Check a consistency proof between two tree heads (RFC 9162 section
 * 2.1.4.2; equal sizes need equal roots and an empty proof, size 0 is
 * consistent with everything).
 * @return 0 or SP_EVERIFY
 */
int sp_tlog_verify_consistency(sp_ctx *ctx, uint64_t size1, uint64_t size2,
    const uint8_t (*proof)[SP_TLOG_HASH_LEN], size_t n,
    const uint8_t root1[SP_TLOG_HASH_LEN],
    const uint8_t root2[SP_TLOG_HASH_LEN]) SP_WUR;

/**
 * Append the C2SP tile path of hash tile @p level (0..63) number @p index
 * with @p width hashes (256 for a full tile, else "<path>.p/<width>") to
 * @p out, e.g. "tile/1/x001/x234/067.p/5". A @p level of -1 names the entry
 * bundle ("tile/entries/...").
 */
int sp_tlog_tile_path(
    sp_buf *out, int level, uint64_t index, unsigned width) SP_WUR;

/* ---- keys and signed notes (C2SP signed-note) -----------------------------
 */

/** A note verifier: key name, key ID, signature type, Ed25519 key. */
typedef struct sp_tlog_verifier sp_tlog_verifier;

/**
 * Parse a verifier key "<name>+<hex key ID>+<base64(type || pubkey)>".
 * Accepted types: SP_TLOG_SIG_ED25519 and SP_TLOG_SIG_COSIGNATURE with a
 * 32-byte Ed25519 key; the key ID must match.
 * @return 0, SP_EPARSE or SP_EUNSUPPORTED
 */
int sp_tlog_verifier_parse(
    sp_ctx *ctx, sp_tlog_verifier **out, const char *vkey) SP_WUR;

/**
 * Load a verifier from a command-line value: a vkey, a file holding a vkey
 * (one line), "NAME=FILE" with FILE an SPKI PEM Ed25519 public key, or a
 * PEM file alone (named @p default_name, which must then be non-NULL).
 * PEM keys get the signature type @p type.
 */
int sp_tlog_verifier_load(sp_ctx *ctx, sp_tlog_verifier **out, const char *spec,
    int type, const char *default_name) SP_WUR;

/**
 * Make a verifier from a key name, a signature type and a raw Ed25519
 * public key (e.g. from sp_key_ed25519_raw on a key of a trust policy).
 * @return 0, SP_EINVALID (bad name or type) or SP_ENOMEM
 */
int sp_tlog_verifier_new(sp_ctx *ctx, sp_tlog_verifier **out, const char *name,
    int type, const uint8_t pub[32]) SP_WUR;

/** Key name, borrowed. */
const char *sp_tlog_verifier_name(const sp_tlog_verifier *v);
/** Signature type (enum sp_tlog_sig_type). */
int sp_tlog_verifier_type(const sp_tlog_verifier *v);
/** Append the vkey string to @p out. */
int sp_tlog_verifier_vkey(
    sp_ctx *ctx, const sp_tlog_verifier *v, sp_buf *out) SP_WUR;
/** Free; NULL is a no-op. */
void sp_tlog_verifier_free(sp_tlog_verifier *v);

/**
 * The vkey (signature @p type) of the Ed25519 private key at @p keyspec (a
 * PEM file or a PKCS#11 URI; @p cb asks for a passphrase or PIN when
 * needed, may be NULL) under key name @p name, appended to @p out.
 */
int sp_tlog_vkey_from_key(sp_ctx *ctx, sp_buf *out, const char *keyspec,
    const char *name, int type, sp_passphrase_cb cb, void *payload) SP_WUR;

/* ---- checkpoints (C2SP tlog-checkpoint) ------------------------------------
 */

/** A parsed checkpoint with its signature lines. Opaque. */
typedef struct sp_tlog_checkpoint sp_tlog_checkpoint;

/**
 * Parse a checkpoint note (at most SP_TLOG_NOTE_MAX_SIZE bytes). Checks
 * the syntax only; see sp_tlog_checkpoint_verify.
 * @return 0, SP_EPARSE or SP_ELIMIT
 */
int sp_tlog_checkpoint_parse(
    sp_ctx *ctx, sp_tlog_checkpoint **out, const char *data, size_t len) SP_WUR;

/** Read and parse a checkpoint file. */
int sp_tlog_checkpoint_load(
    sp_ctx *ctx, sp_tlog_checkpoint **out, const char *path) SP_WUR;

/** Origin line, borrowed. */
const char *sp_tlog_checkpoint_origin(const sp_tlog_checkpoint *cp);
/** Tree size. */
uint64_t sp_tlog_checkpoint_size(const sp_tlog_checkpoint *cp);
/** Root hash, borrowed (32 bytes). */
const uint8_t *sp_tlog_checkpoint_root(const sp_tlog_checkpoint *cp);
/** The whole note text, borrowed; *len receives its length. */
const char *sp_tlog_checkpoint_text(const sp_tlog_checkpoint *cp, size_t *len);
/** Free; NULL is a no-op. */
void sp_tlog_checkpoint_free(sp_tlog_checkpoint *cp);

/**
 * Verify the log's signature on @p cp: the origin must equal @p origin
 * (or the key name when @p origin is NULL), a signature line with the
 * key's name and ID must verify, and any other line from that key must
 * verify too; lines from unknown keys are ignored.
 * @return 0 or SP_EVERIFY
 */
int sp_tlog_checkpoint_verify(sp_ctx *ctx, const sp_tlog_checkpoint *cp,
    const sp_tlog_verifier *log_key, const char *origin) SP_WUR;

/* ---- log and witness keys from a trust policy -------------------------------
 */

/**
 * Verifiers for the keys of @p policy with role @p role ("log" or
 * "witness") that signed @p cp (docs/spec/policy.md, section 6). A policy
 * holds bare Ed25519 keys and a note names its signers: each key is paired
 * with the first signature line of @p cp whose key ID is that of (the
 * line's name, @p type, the key); keys without such a line, and keys
 * outside their validity window at @p at, are left out. Signatures are
 * not checked here (sp_tlog_checkpoint_verify, sp_tlog_checkpoint_cosigned
 * do).
 * @param out receives an array of *n verifiers, each key at most once
 *        (sp_tlog_verifiers_free)
 * @param outside (may be NULL) receives how many keys of the role have a
 *        paired line but are outside their validity window at @p at
 * @param type SP_TLOG_SIG_ED25519 (log) or SP_TLOG_SIG_COSIGNATURE
 *        (witness)
 * @return 0, SP_EINVALID (type) or SP_ENOMEM
 */
int sp_tlog_policy_verifiers(sp_ctx *ctx, sp_tlog_verifier ***out, size_t *n,
    size_t *outside, const sp_tlog_checkpoint *cp, const sp_policy *policy,
    const char *role, int type, int64_t at) SP_WUR;

/** Free an array of @p n verifiers; NULL is a no-op. */
void sp_tlog_verifiers_free(sp_tlog_verifier **v, size_t n);

/**
 * Verify the log signatures on @p cp against the "log" keys of @p policy
 * valid at @p at: at least the role's threshold of distinct keys signed
 * it, and every line paired with one of them verifies, with the origin
 * @p origin (NULL: the line's key name; see sp_tlog_checkpoint_verify).
 * The policy's own signatures are the caller's business
 * (sp_policy_verify_chain).
 * @param log_key (may be NULL) receives the first paired verifier
 *        (sp_tlog_verifier_free)
 * @return 0; SP_EVERIFY (no or too few log keys of the policy signed it,
 *         or one's signature is bad); SP_EINVALID (the policy names no
 *         log key)
 */
int sp_tlog_checkpoint_verify_policy(sp_ctx *ctx, const sp_tlog_checkpoint *cp,
    const sp_policy *policy, int64_t at, const char *origin,
    sp_tlog_verifier **log_key) SP_WUR;

/* ---- proofs (C2SP tlog-proof) and offline verification ---------------------
 */

/** Who to trust when verifying a proof. */
typedef struct sp_tlog_trust {
	unsigned version; /**< SP_TLOG_TRUST_VERSION */
	/** The log's key (type SP_TLOG_SIG_ED25519); required. */
	const sp_tlog_verifier *log_key;
	/** Expected origin; NULL means the log key's name. */
	const char *origin;
	/** Witness keys (type SP_TLOG_SIG_COSIGNATURE). */
	const sp_tlog_verifier *const *witnesses;
	size_t nwitnesses;
	/** Valid cosignatures needed from distinct witnesses. */
	unsigned quorum;
	/** Reject cosignatures dated after this time (0: no check). */
	int64_t now;
} sp_tlog_trust;

#define SP_TLOG_TRUST_VERSION 1
#define SP_TLOG_TRUST_INIT                                                     \
	{                                                                      \
		SP_TLOG_TRUST_VERSION, NULL, NULL, NULL, 0, 0, 0               \
	}

/** Most witnesses reported by name in a result. */
#define SP_TLOG_MAX_REPORTED 16

/** What a verification found; filled as far as it got. */
typedef struct sp_tlog_verify_result {
	uint64_t index;                 /**< entry index */
	uint64_t size;                  /**< checkpoint tree size */
	uint8_t root[SP_TLOG_HASH_LEN]; /**< checkpoint root */
	uint8_t leaf[SP_TLOG_HASH_LEN]; /**< leaf hash of the entry */
	size_t proof_len;               /**< hashes in the inclusion proof */
	bool log_signature_ok;          /**< log signature verified */
	bool inclusion_ok;              /**< inclusion proof verified */
	size_t cosigned;                /**< distinct trusted witnesses */
	int64_t cosigned_at[SP_TLOG_MAX_REPORTED]; /**< their timestamps */
	const sp_tlog_verifier *cosigners[SP_TLOG_MAX_REPORTED]; /**< who */
	size_t ignored; /**< signature lines from unknown keys */
} sp_tlog_verify_result;

/**
 * Count the valid cosignatures on @p cp from @p trust's witnesses (each
 * witness once) and compare with the quorum. Does not check the log
 * signature.
 * @return 0 when the quorum is met; SP_EVERIFY naming the count otherwise
 *         or when a trusted witness's cosignature is bad
 */
int sp_tlog_checkpoint_cosigned(sp_ctx *ctx, const sp_tlog_checkpoint *cp,
    const sp_tlog_trust *trust, sp_tlog_verify_result *result) SP_WUR;

/** A parsed proof file. Opaque. */
typedef struct sp_tlog_proof sp_tlog_proof;

/**
 * Parse a proof file: SP_TLOG_PROOF_HEADER, "extra" with the base64 entry,
 * "index N", the inclusion proof hashes, a blank line, the checkpoint.
 * @return 0, SP_EPARSE or SP_ELIMIT
 */
int sp_tlog_proof_parse(
    sp_ctx *ctx, sp_tlog_proof **out, const char *data, size_t len) SP_WUR;

/** Read and parse a proof file. */
int sp_tlog_proof_load(
    sp_ctx *ctx, sp_tlog_proof **out, const char *path) SP_WUR;

/** Entry index. */
uint64_t sp_tlog_proof_index(const sp_tlog_proof *p);
/** The entry carried in the proof, borrowed. */
const uint8_t *sp_tlog_proof_entry(const sp_tlog_proof *p, size_t *len);
/** The checkpoint inside the proof, borrowed. */
const sp_tlog_checkpoint *sp_tlog_proof_checkpoint(const sp_tlog_proof *p);
/** Free; NULL is a no-op. */
void sp_tlog_proof_free(sp_tlog_proof *p);

/**
 * Verify a proof offline: the log signature on its checkpoint, the witness
 * quorum, the inclusion of its entry, and, when @p entry is not NULL, that
 * the proven entry is exactly @p entry.
 * @return 0 or SP_EVERIFY (the message says which check failed)
 */
int sp_tlog_proof_verify(sp_ctx *ctx, const sp_tlog_proof *p,
    const sp_tlog_trust *trust, const void *entry, size_t entry_len,
    sp_tlog_verify_result *result) SP_WUR;

/** sp_tlog_proof_load + sp_tlog_proof_verify. */
int sp_tlog_verify_proof_file(sp_ctx *ctx, const char *path,
    const sp_tlog_trust *trust, const void *entry, size_t entry_len,
    sp_tlog_verify_result *result) SP_WUR;

/**
 * Compare two checkpoints already verified against the same log key: same
 * origin and size but different roots is proof of a split view.
 * @return 0, or SP_EVERIFY ("equivocation: ...") with both roots named
 */
int sp_tlog_checkpoints_compare(sp_ctx *ctx, const sp_tlog_checkpoint *a,
    const sp_tlog_checkpoint *b) SP_WUR;

/* ---- log entries -----------------------------------------------------------
 */

/** A srcproof log entry (docs/spec/log.md, "Entries"). */
typedef struct sp_tlog_entry {
	uint8_t statement[SP_TLOG_HASH_LEN]; /**< SHA-256 of the statement */
	uint8_t subject[SP_TLOG_HASH_LEN];   /**< the manifest's SHA-256 */
	char product[257];                   /**< UTF-8, no controls */
	char release[257];
	char kind[33];
} sp_tlog_entry;

/**
 * Append the canonical encoding of @p e to @p out.
 * @return 0, SP_EINVALID (a field is empty, too long or not clean UTF-8)
 */
int sp_tlog_entry_encode(
    sp_ctx *ctx, sp_buf *out, const sp_tlog_entry *e) SP_WUR;

/** Parse a canonical entry. @return 0 or SP_EPARSE */
int sp_tlog_entry_parse(
    sp_ctx *ctx, sp_tlog_entry *out, const void *data, size_t len) SP_WUR;

/**
 * Build the entry for the DSSE envelope at @p path (a signed in-toto
 * Statement about a manifest, as made by `srcproof sign`): the SHA-256 of
 * the statement (the envelope's payload), the subject digest and the
 * manifest's product, release and kind; append its encoding to @p out.
 * The signatures are not checked here (use sp_dsse_verify).
 */
int sp_tlog_entry_from_envelope(
    sp_ctx *ctx, sp_buf *out, const char *path) SP_WUR;

/* ---- the log directory -----------------------------------------------------
 */

/**
 * Create a log in @p dir (created if missing, must be empty otherwise):
 * the config (which records where the key is), the public vkey file and a
 * signed checkpoint of size 0. The origin is also the log key's name.
 * @param keyspec the log's Ed25519 private key (PEM file or PKCS#11 URI)
 * @param cb passphrase or PIN callback (may be NULL)
 * @return 0, SP_EEXISTS, SP_EINVALID, SP_EIO...
 */
int sp_tlog_init(sp_ctx *ctx, const char *dir, const char *origin,
    const char *keyspec, sp_passphrase_cb cb, void *payload) SP_WUR;

/** Step callback for tests of crash safety: called before each step. */
typedef void (*sp_tlog_step_cb)(const char *step, void *payload);

/** Where a refused duplicate entry is (sp_tlog_append). */
typedef struct sp_tlog_duplicate {
	size_t entry;   /**< its position in the entries given */
	bool in_batch;  /**< the same bytes come earlier in the same append */
	uint64_t index; /**< index of the same bytes in the log, or (when
	                   in_batch) the position of the earlier copy */
} sp_tlog_duplicate;

/** Options of sp_tlog_append. */
typedef struct sp_tlog_append_opts {
	unsigned version; /**< SP_TLOG_APPEND_OPTS_VERSION */
	/** Private key; NULL means the one recorded by sp_tlog_init. */
	const char *keyspec;
	/** Passphrase or PIN callback for the key (may be NULL). */
	sp_passphrase_cb passphrase;
	void *passphrase_payload;
	/** Called (tests; may be NULL) before each step of the append:
	 * before each tile, bundle and checkpoint file is written
	 * ("tile", "bundle", "checkpoint"), again between the write of its
	 * temporary file and its rename ("tile-rename", "bundle-rename",
	 * "checkpoint-rename"), then before the clean-up ("cleanup") and
	 * the entry index update ("index"). */
	sp_tlog_step_cb step;
	void *step_payload;
	/* Version 2: */
	/** Append entries whose bytes are already in the log (or repeated in
	 * the same append); by default the append is refused. */
	bool allow_duplicate;
	/** When an append is refused as a duplicate, receives which entry
	 * and where its copy is (may be NULL). */
	sp_tlog_duplicate *duplicate;
} sp_tlog_append_opts;

#define SP_TLOG_APPEND_OPTS_VERSION 2
#define SP_TLOG_APPEND_OPTS_INIT                                               \
	{                                                                      \
		SP_TLOG_APPEND_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL,     \
		    false, NULL                                                \
	}

/** One entry to append. */
typedef struct sp_tlog_data {
	const void *data;
	size_t len;
} sp_tlog_data;

/**
 * Append @p n entries under the log's lock: entry bundles and tiles first
 * (atomic writes), then the new signed checkpoint; nothing is visible to
 * readers before the checkpoint is replaced. On return the entries are
 * durable. *first (optional) receives the index of the first one.
 * @p opts may be NULL (version 1 options are accepted: no
 * allow_duplicate). With @p n = 0 the log is only checked (its edge
 * tiles must hash to the checkpoint's root) and left as it is.
 *
 * Unless opts->allow_duplicate, an entry whose bytes are already in the
 * log, or that is given twice, refuses the whole append before anything
 * is written: SP_EEXISTS naming the entry and the index of its copy (also
 * in *opts->duplicate). The check uses the log's private entry index
 * (docs/spec/log.md, section 3.5), kept up to date from the level-0 tiles.
 * @return 0; SP_EEXISTS (duplicate); SP_EVERIFY (damaged log);
 *         SP_EINVALID (bad entry, wrong key); SP_ELIMIT; SP_EIO...
 */
int sp_tlog_append(sp_ctx *ctx, const char *dir,
    const sp_tlog_append_opts *opts, const sp_tlog_data *entries, size_t n,
    uint64_t *first) SP_WUR;

/**
 * Add the cosignature lines found in @p note (a copy of the current
 * checkpoint cosigned by witnesses) to the log's checkpoint. The body must
 * equal the current checkpoint's; every line other than the log's own must
 * be a valid cosignature by one of @p witnesses; lines already there are
 * not repeated. *added (optional) receives the number of new lines.
 * @return 0; SP_EVERIFY for another body, a bad or unknown cosignature
 */
int sp_tlog_add_cosignatures(sp_ctx *ctx, const char *dir, const char *note,
    size_t len, const sp_tlog_verifier *const *witnesses, size_t nwitnesses,
    size_t *added) SP_WUR;

/** A log opened for reading. Opaque. */
typedef struct sp_tlog sp_tlog;

/**
 * Open the log in @p dir for reading at its current checkpoint, whose log
 * signature is verified with the key in the log's vkey file.
 */
int sp_tlog_open(sp_ctx *ctx, sp_tlog **out, const char *dir) SP_WUR;

/** The checkpoint the log was opened at, borrowed. */
const sp_tlog_checkpoint *sp_tlog_checkpoint_of(const sp_tlog *log);

/** The log's verifier (from its vkey file), borrowed. */
const sp_tlog_verifier *sp_tlog_verifier_of(const sp_tlog *log);

/** Read entry @p index into @p out (appended). */
int sp_tlog_read_entry(
    sp_ctx *ctx, sp_tlog *log, uint64_t index, sp_buf *out) SP_WUR;

/**
 * Find the first index whose entry equals @p entry.
 * @return 0, or SP_ENOTFOUND
 */
int sp_tlog_find(sp_ctx *ctx, sp_tlog *log, const void *entry, size_t len,
    uint64_t *index) SP_WUR;

/**
 * Append a proof file for entry @p index at the log's checkpoint (with the
 * cosignatures it carries) to @p out.
 */
int sp_tlog_prove(
    sp_ctx *ctx, sp_tlog *log, uint64_t index, sp_buf *out) SP_WUR;

/**
 * Check that @p old (verified by the caller) is a past state of this log
 * and append a consistency proof from it to the log's checkpoint to
 * @p out, in the C2SP tlog-witness add-checkpoint request format:
 * "old <size>", the proof hashes, a blank line, the checkpoint.
 * @return 0; SP_EVERIFY when @p old is not a prefix of this log (a fork)
 */
int sp_tlog_consistency(sp_ctx *ctx, sp_tlog *log,
    const sp_tlog_checkpoint *old, sp_buf *out) SP_WUR;

/** What sp_tlog_check found. */
typedef struct sp_tlog_check_result {
	uint64_t size;    /**< checkpoint size */
	uint64_t tiles;   /**< hash tiles read */
	uint64_t bundles; /**< entry bundles read */
	uint64_t entries; /**< entries hashed */
} sp_tlog_check_result;

/**
 * Check the whole log: every tile and entry bundle the checkpoint needs
 * exists with the right size, every entry hashes to its level-0 tile
 * hash and parses as a srcproof entry, every tile hashes into the level
 * above, and the root equals the checkpoint's.
 * @return 0, SP_EVERIFY (mismatch) or SP_EPARSE/SP_ENOTFOUND (damage)
 */
int sp_tlog_check(
    sp_ctx *ctx, sp_tlog *log, sp_tlog_check_result *result) SP_WUR;

/** Close; NULL is a no-op. */
void sp_tlog_close(sp_tlog *log);

/** sp_tlog_open + sp_tlog_prove. */
int sp_tlog_prove_file(
    sp_ctx *ctx, const char *dir, uint64_t index, sp_buf *out) SP_WUR;

/* ---- witness (cosigner) -----------------------------------------------------
 */

/** A witness's configuration. */
typedef struct sp_tlog_witness_opts {
	unsigned version;            /**< SP_TLOG_WITNESS_OPTS_VERSION */
	const char *keyspec;         /**< witness Ed25519 private key */
	sp_passphrase_cb passphrase; /**< for the key (may be NULL) */
	void *passphrase_payload;
	const char *name;       /**< witness key name */
	const char *state_path; /**< state file (created if missing) */
	/** The log's key; the checkpoint must verify with it. */
	const sp_tlog_verifier *log_key;
	/** Cosignature time; 0 means now. */
	int64_t timestamp;
} sp_tlog_witness_opts;

#define SP_TLOG_WITNESS_OPTS_VERSION 1
#define SP_TLOG_WITNESS_OPTS_INIT                                              \
	{                                                                      \
		SP_TLOG_WITNESS_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL,    \
		    NULL, 0                                                    \
	}

/**
 * Cosign a checkpoint as a witness. @p request is either a checkpoint or
 * an add-checkpoint request (sp_tlog_consistency's output). The witness
 * verifies the log signature, then, if its state holds an earlier
 * checkpoint of the same origin, requires a consistency proof from exactly
 * that size to this one; it refuses a smaller size (rollback), the same
 * size with another root, or a proof that does not verify (a fork). On
 * success the state is updated first, then the checkpoint with the new
 * cosignature line is appended to @p out.
 * @return 0; SP_EVERIFY when it refuses (message says why)
 */
int sp_tlog_witness_cosign(sp_ctx *ctx, const sp_tlog_witness_opts *opts,
    const char *request, size_t len, sp_buf *out) SP_WUR;

#endif
