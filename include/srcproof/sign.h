/*
 * Signing: keys (PEM files or PKCS#11 tokens), DSSE envelopes over in-toto
 * Statements, and the trust policy (k-of-n roles, expiry, rotation).
 *
 * Formats: docs/spec/signature.md (envelope, statement, algorithms) and
 * docs/spec/policy.md (trust policy).
 *
 * Typical use by another module that signs its own predicate:
 *
 *     sp_key *key = NULL;
 *     sp_dsse *env = NULL;
 *     sp_buf out = SP_BUF_INIT;
 *     error = sp_key_load_private(ctx, &key, "release.key", my_cb, NULL);
 *     error = sp_sign_statement(ctx, &env, statement_json, len, key);
 *     error = sp_dsse_serialize(ctx, env, &out);
 *
 * and to verify one against a policy:
 *
 *     sp_sign_verify_opts o = SP_SIGN_VERIFY_OPTS_INIT;
 *     sp_sign_result r;
 *     o.policy = policy; o.role = "rebuild"; o.at = now;
 *     error = sp_dsse_verify(ctx, env, &o, &r);
 *     payload = sp_dsse_payload(env, &len);   (verified when error == 0)
 */
#ifndef SRCPROOF_SIGN_H
#define SRCPROOF_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctx.h"

/* ---- constants ------------------------------------------------------------
 */

/** DSSE payload type of an in-toto Statement. */
#define SP_DSSE_TYPE_INTOTO "application/vnd.in-toto+json"
/** DSSE payload type of a srcproof trust policy. */
#define SP_DSSE_TYPE_POLICY "application/vnd.srcproof.policy+json"
/** in-toto Statement type. */
#define SP_INTOTO_STATEMENT_V1 "https://in-toto.io/Statement/v1"
/** Predicate type of `srcproof sign` statements. */
#define SP_SIGN_PREDICATE_V1 "https://srcproof.dev/signature/v1"

/** Largest envelope file accepted, in bytes. */
#define SP_DSSE_MAX_SIZE ((size_t)4 << 20)
/** Largest decoded payload accepted, in bytes. */
#define SP_DSSE_MAX_PAYLOAD ((size_t)2 << 20)
/** Most signatures one envelope may carry. */
#define SP_DSSE_MAX_SIGS 64
/** Largest policy file accepted, in bytes. */
#define SP_POLICY_MAX_SIZE ((size_t)1 << 20)
/** Most keys one policy may list. */
#define SP_POLICY_MAX_KEYS 256

/** Length of a key id: lower-case hex SHA-256 of the DER SPKI. */
#define SP_KEYID_HEX_LEN 64

/* ---- keys ---------------------------------------------------------------
 */

/** Signature algorithms (docs/spec/signature.md, "Algorithms"). */
typedef enum sp_key_alg {
	SP_KEY_ED25519 = 1,    /**< Ed25519 over the PAE bytes */
	SP_KEY_ECDSA_P256 = 2, /**< ECDSA P-256, SHA-256, DER signature */
	SP_KEY_RSA_3072 = 3,   /**< RSA (2048, 3072 or 4096 bits; 3072 for new
	                          keys), PKCS#1 v1.5 with SHA-256 */
} sp_key_alg;

/** A private or public key. Opaque; free with sp_key_free. */
typedef struct sp_key sp_key;

/**
 * Passphrase (or PKCS#11 PIN) callback. Append the secret to @p out (the
 * caller wipes it with sp_buf_dispose_secret). @p prompt names what is
 * asked for; @p confirm asks the user to type it twice (new keys).
 * @return 0, or a negative sp_error_code with the message set in @p ctx
 */
typedef int (*sp_passphrase_cb)(
    sp_ctx *ctx, sp_buf *out, const char *prompt, bool confirm, void *payload);

/** Algorithm name ("ed25519", "ecdsa-p256", "rsa-3072"); never NULL. */
const char *sp_key_alg_name(sp_key_alg alg);

/**
 * Parse an algorithm name.
 * @return 0 or SP_EINVALID (message set)
 */
int sp_key_alg_parse(sp_ctx *ctx, sp_key_alg *out, const char *name) SP_WUR;

/**
 * Generate a new private key.
 * @param out receives the key, owned by the caller
 * @return 0, SP_ENOMEM or SP_ERROR
 */
int sp_key_generate(sp_ctx *ctx, sp_key **out, sp_key_alg alg) SP_WUR;

enum sp_key_save_flags {
	SP_KEY_SAVE_FORCE = 1 << 0, /**< replace existing files (atomically) */
};

/**
 * Write a private key to @p path (PKCS#8 PEM, mode 0600, created with
 * O_EXCL unless SP_KEY_SAVE_FORCE) and its public key to "<path>.pub"
 * (SPKI PEM, 0644). With a non-NULL @p passphrase the PKCS#8 is encrypted
 * with PBES2: scrypt (N=16384, r=8, p=1) and AES-256-CBC.
 * @return 0, SP_EEXISTS, SP_EIO, SP_ENOMEM or SP_ERROR
 */
int sp_key_save(sp_ctx *ctx, const sp_key *key, const char *path,
    const char *passphrase, size_t passphrase_len, unsigned flags) SP_WUR;

/**
 * Load a private key from a PEM file or a PKCS#11 URI ("pkcs11:...",
 * RFC 7512; the module is $SRCPROOF_PKCS11_MODULE or the URI's
 * module-path attribute). @p cb is called only when a passphrase or PIN is
 * needed (encrypted PEM; token without pin-value); it may be NULL.
 * @return 0, SP_ENOTFOUND, SP_EVERIFY (wrong passphrase or PIN), SP_EPARSE,
 *         SP_EUNSUPPORTED, SP_EIO or SP_ERROR
 */
int sp_key_load_private(sp_ctx *ctx, sp_key **out, const char *spec,
    sp_passphrase_cb cb, void *payload) SP_WUR;

/** Load a public key from an SPKI PEM file. */
int sp_key_load_public(sp_ctx *ctx, sp_key **out, const char *path) SP_WUR;

/** Parse a public key from SPKI PEM text. */
int sp_key_from_public_pem(
    sp_ctx *ctx, sp_key **out, const char *pem, size_t len) SP_WUR;

/** Make an Ed25519 public key from its 32 raw bytes (RFC 8032). */
int sp_key_from_ed25519_raw(
    sp_ctx *ctx, sp_key **out, const uint8_t pub[32]) SP_WUR;

/** The 32 raw bytes of an Ed25519 key's public half (tlog notes). */
int sp_key_ed25519_raw(sp_ctx *ctx, const sp_key *key, uint8_t pub[32]) SP_WUR;

/** A new public-only copy of @p key. */
int sp_key_public_copy(sp_ctx *ctx, sp_key **out, const sp_key *key) SP_WUR;

/** Append the SPKI PEM of @p key's public half to @p out. */
int sp_key_public_pem(sp_ctx *ctx, const sp_key *key, sp_buf *out) SP_WUR;

/** Key id: 64 lower-case hex characters, borrowed from @p key. */
const char *sp_key_id(const sp_key *key);

/** The key's algorithm. */
sp_key_alg sp_key_algorithm(const sp_key *key);

/**
 * The key's algorithm name as policies record it: "ed25519", "ecdsa-p256"
 * or "rsa-<bits>" (2048, 3072 or 4096). Borrowed from @p key.
 */
const char *sp_key_algorithm_name(const sp_key *key);

/** True when @p key can sign (file or PKCS#11 private key). */
bool sp_key_is_private(const sp_key *key);

/** True when @p key lives in a PKCS#11 token. */
bool sp_key_is_pkcs11(const sp_key *key);

/**
 * Sign @p msg with @p key's algorithm (Ed25519: the bytes themselves;
 * ECDSA and RSA: their SHA-256) and append the signature to @p sig.
 * Raw primitive; the tlog uses it for Ed25519 note signatures.
 */
int sp_key_sign(sp_ctx *ctx, const sp_key *key, sp_buf *sig, const void *msg,
    size_t len) SP_WUR;

/**
 * Verify a signature made by sp_key_sign.
 * @return 0 when valid, SP_EVERIFY when not
 */
int sp_key_verify(sp_ctx *ctx, const sp_key *key, const void *msg, size_t len,
    const void *sig, size_t siglen) SP_WUR;

/** Free a key (private material is wiped by OpenSSL); NULL is a no-op. */
void sp_key_free(sp_key *key);

struct evp_pkey_st; /* OpenSSL's EVP_PKEY */

/**
 * For srcproof's other modules (escrow decryption): the private key of a
 * PKCS#11 URI as an OpenSSL EVP_PKEY, loaded as sp_key_load_private does.
 * The key holds the PKCS#11 engine until EVP_PKEY_free.
 * @param out receives the key, owned by the caller
 * @return 0, SP_EVERIFY for a refused PIN, other codes as sp_key_load_private
 */
int sp_sign__pkcs11_evp(sp_ctx *ctx, struct evp_pkey_st **out, const char *uri,
    sp_passphrase_cb cb, void *payload) SP_WUR;

/* ---- DSSE envelopes -------------------------------------------------------
 */

/** A DSSE envelope. Opaque; free with sp_dsse_free. */
typedef struct sp_dsse sp_dsse;

/**
 * Append the DSSE v1 pre-authentication encoding
 * "DSSEv1 <len(type)> <type> <len(body)> <body>" to @p out.
 */
int sp_dsse_pae(sp_ctx *ctx, sp_buf *out, const char *type, const void *payload,
    size_t len) SP_WUR;

/** A new envelope without signatures. */
int sp_dsse_new(sp_ctx *ctx, sp_dsse **out, const char *type,
    const void *payload, size_t len) SP_WUR;

/**
 * Parse an envelope (JSON, at most SP_DSSE_MAX_SIZE bytes, duplicate keys
 * and unknown fields rejected, canonical base64 only).
 * @return 0, SP_EPARSE or SP_ELIMIT
 */
int sp_dsse_parse(
    sp_ctx *ctx, sp_dsse **out, const char *data, size_t len) SP_WUR;

/** Read and parse an envelope file (O_NOFOLLOW). */
int sp_dsse_load(sp_ctx *ctx, sp_dsse **out, const char *path) SP_WUR;

/** Append the envelope's JSON (one line plus "\n") to @p out. */
int sp_dsse_serialize(sp_ctx *ctx, const sp_dsse *env, sp_buf *out) SP_WUR;

/** Payload type, borrowed. */
const char *sp_dsse_payload_type(const sp_dsse *env);

/**
 * Decoded payload, borrowed, NUL-terminated; trust it only after
 * sp_dsse_verify returned 0.
 */
const char *sp_dsse_payload(const sp_dsse *env, size_t *len);

/** Number of signatures. */
size_t sp_dsse_sig_count(const sp_dsse *env);

/** Key id of signature @p i ("" when absent), borrowed. */
const char *sp_dsse_sig_keyid(const sp_dsse *env, size_t i);

/**
 * Sign the envelope's PAE with @p key, check the new signature with the
 * key's public half, and append it.
 * @return 0, SP_EEXISTS (already signed by this key), SP_ELIMIT or an error
 */
int sp_dsse_add_signature(sp_ctx *ctx, sp_dsse *env, const sp_key *key) SP_WUR;

/** Free an envelope; NULL is a no-op. */
void sp_dsse_free(sp_dsse *env);

/* ---- trust policy ---------------------------------------------------------
 */

/** A trust policy (docs/spec/policy.md). Opaque; sp_policy_free. */
typedef struct sp_policy sp_policy;

/**
 * Is @p name a role a policy may name ("root", "release", "update",
 * "review", "rebuild", "witness", "log")? Keys of the roles "witness"
 * (cosign log checkpoints) and "log" (sign them) are Ed25519.
 */
bool sp_sign_role_is_known(const char *name);

/**
 * A new unsigned policy: version 1 (or @p from's version + 1, keeping its
 * product, keys and thresholds, when @p from is not NULL), expiring at
 * @p expires. @p product may be NULL (any product).
 */
int sp_policy_new(sp_ctx *ctx, sp_policy **out, const sp_policy *from,
    int64_t expires, const char *product) SP_WUR;

/**
 * Parse a policy file (a DSSE envelope of type SP_DSSE_TYPE_POLICY).
 * Checks the structure only; signatures are checked by sp_policy_verify.
 */
int sp_policy_parse(
    sp_ctx *ctx, sp_policy **out, const char *data, size_t len) SP_WUR;

/** Read and parse a policy file. */
int sp_policy_load(sp_ctx *ctx, sp_policy **out, const char *path) SP_WUR;

/** Append the policy file (envelope JSON) to @p out. */
int sp_policy_serialize(
    sp_ctx *ctx, const sp_policy *policy, sp_buf *out) SP_WUR;

/**
 * Add a public key with the roles it may sign for (validity window:
 * 0 = unbounded). Removes existing signatures (the body changed).
 */
int sp_policy_add_key(sp_ctx *ctx, sp_policy *policy, const sp_key *key,
    const char *const *roles, size_t nroles, int64_t not_before,
    int64_t not_after) SP_WUR;

/** Remove a key by id (and from every role). Removes signatures. */
int sp_policy_remove_key(
    sp_ctx *ctx, sp_policy *policy, const char *keyid) SP_WUR;

/** Set the threshold of @p role ("root" included). Removes signatures. */
int sp_policy_set_threshold(sp_ctx *ctx, sp_policy *policy, const char *role,
    unsigned threshold) SP_WUR;

/** Set the expiry time. Removes signatures. */
int sp_policy_set_expires(
    sp_ctx *ctx, sp_policy *policy, int64_t expires) SP_WUR;

/** Add a signature over the policy (any key; see sp_policy_verify). */
int sp_policy_sign(sp_ctx *ctx, sp_policy *policy, const sp_key *key) SP_WUR;

/** Accessors (borrowed values). */
uint64_t sp_policy_version(const sp_policy *policy);
int64_t sp_policy_expires(const sp_policy *policy);
/** Product the policy is for, or NULL when any. */
const char *sp_policy_product(const sp_policy *policy);
/** Number of keys. */
size_t sp_policy_key_count(const sp_policy *policy);
/** Key @p i (public), borrowed. */
const sp_key *sp_policy_key(const sp_policy *policy, size_t i);
/** Roles key @p i may sign for, and its validity window (0 = none). */
void sp_policy_key_info(const sp_policy *policy, size_t i,
    const char *const **roles, size_t *nroles, int64_t *not_before,
    int64_t *not_after);
/** May key @p i sign for @p role (validity window not considered)? */
bool sp_policy_key_has_role(
    const sp_policy *policy, size_t i, const char *role);
/** Is @p at inside key @p i's validity window (not_before <= at <
 * not_after, an absent bound unbounded)? */
bool sp_policy_key_valid_at(const sp_policy *policy, size_t i, int64_t at);
/** Threshold of @p role, 0 when the policy does not define it. */
unsigned sp_policy_threshold(const sp_policy *policy, const char *role);
/** The underlying envelope (signatures), borrowed. */
const sp_dsse *sp_policy_envelope(const sp_policy *policy);

/**
 * Verify a chain of policies: @p chain[0] is the pinned first policy
 * (trusted as given, but its own root threshold must sign it); each next
 * one must have version = previous + 1 and be signed by the previous
 * version's root threshold and by its own. The last one must not have
 * expired at @p at. On success *current (optional) is chain[n - 1].
 * @return 0, SP_EVERIFY (message names the policy and the reason)
 */
int sp_policy_verify_chain(sp_ctx *ctx, sp_policy *const *chain, size_t n,
    int64_t at, const sp_policy **current) SP_WUR;

/** Free a policy; NULL is a no-op. */
void sp_policy_free(sp_policy *policy);

/* ---- verification ---------------------------------------------------------
 */

/** What sp_dsse_verify checks. */
typedef struct sp_sign_verify_opts {
	unsigned version; /**< SP_SIGN_VERIFY_OPTS_VERSION */
	/** Expected payload type; NULL means SP_DSSE_TYPE_INTOTO. */
	const char *payload_type;
	/** Key mode: these keys, @p threshold of them (0 means 1). */
	sp_key *const *keys;
	size_t nkeys;
	unsigned threshold;
	/**
	 * Policy mode (when non-NULL; keys must then be NULL): the role's
	 * threshold among keys allowed that role and valid at @p at. The
	 * policy must not have expired at @p at. A policy read from bytes
	 * (sp_policy_load, sp_policy_parse) and not verified by
	 * sp_policy_verify_chain is checked here as a pinned policy: its own
	 * root threshold must have signed it. One made with sp_policy_new is
	 * trusted as its creator's.
	 */
	const sp_policy *policy;
	const char *role;
	/** Time for key validity and policy expiry (seconds since epoch). */
	int64_t at;
} sp_sign_verify_opts;

#define SP_SIGN_VERIFY_OPTS_VERSION 1
#define SP_SIGN_VERIFY_OPTS_INIT                                               \
	{                                                                      \
		SP_SIGN_VERIFY_OPTS_VERSION, NULL, NULL, 0, 0, NULL, NULL, 0   \
	}

/** Counts from a verification, filled even when it fails. */
typedef struct sp_sign_result {
	size_t total;       /**< signatures in the envelope */
	size_t valid;       /**< distinct trusted keys with a good signature */
	size_t required;    /**< threshold */
	size_t bad;         /**< signatures that did not verify */
	size_t unknown;     /**< from keys not given / not in the policy */
	size_t duplicate;   /**< repeated signatures of one key (ignored) */
	size_t expired;     /**< good, from a key outside its validity */
	size_t not_allowed; /**< good, from a key without the role */
	/** Key ids counted toward the threshold (first 16). */
	char keyids[16][SP_KEYID_HEX_LEN + 1];
} sp_sign_result;

/**
 * Verify the signatures of @p env against @p opts.
 * @param result (optional) receives the counts
 * @return 0 when the threshold is met; SP_EVERIFY with a precise message
 *         (wrong key, bad signature, threshold not met with counts, key
 *         expired, role not allowed, policy expired, wrong payload type)
 */
int sp_dsse_verify(sp_ctx *ctx, const sp_dsse *env,
    const sp_sign_verify_opts *opts, sp_sign_result *result) SP_WUR;

/* ---- statements -------------------------------------------------------------
 */

/**
 * Sign an in-toto Statement (any JSON object with _type
 * SP_INTOTO_STATEMENT_V1, a subject array and a predicateType). When
 * *env is NULL a new envelope is created; otherwise @p statement MUST be
 * byte-identical to its payload (appending a signature), else SP_EVERIFY.
 * The new signature is verified before it is added.
 * @param env in: NULL or an envelope; out: the envelope, owned by the caller
 */
int sp_sign_statement(sp_ctx *ctx, sp_dsse **env, const char *statement,
    size_t len, const sp_key *key) SP_WUR;

/**
 * Build the statement `srcproof sign` signs for the file at @p path:
 * subject {name: @p name, digest: {sha256}}, predicateType
 * SP_SIGN_PREDICATE_V1, predicate {role, signed_at: @p when, and for a
 * srcproof manifest its product, release, kind and previous digest}.
 * Appends compact JSON to @p out.
 */
int sp_sign_file_statement(sp_ctx *ctx, sp_buf *out, const char *path,
    const char *name, const char *role, int64_t when) SP_WUR;

/**
 * What a statement says. Strings are borrowed from the info itself; release
 * them with sp_statement_info_dispose.
 */
typedef struct sp_statement_info {
	const char *subject_name;
	char subject_sha256[65];
	const char *predicate_type;
	const char *role;    /**< predicate.role or NULL */
	int64_t signed_at;   /**< predicate.signed_at or 0 */
	const char *product; /**< manifest fields, NULL when absent */
	const char *release;
	const char *kind;
	const char *previous; /**< previous manifest digest or NULL */
	void *priv;           /**< owner of the strings */
} sp_statement_info;

/**
 * Parse the in-toto Statement carried by @p env and, when @p digest is not
 * NULL, check that one of its subjects has that sha256 (32 bytes); the
 * matching subject (or the first) is described in @p info.
 * @return 0, SP_EVERIFY (digest mismatch) or SP_EPARSE (not a statement)
 */
int sp_statement_check(sp_ctx *ctx, const sp_dsse *env, const uint8_t *digest,
    sp_statement_info *info) SP_WUR;

/** Release what @p info holds; safe on a zeroed or disposed info. */
void sp_statement_info_dispose(sp_statement_info *info);

/* ---- signed update chains --------------------------------------------------
 */

/** Why a signed chain was refused. */
typedef enum sp_chain_fail {
	SP_CHAIN_OK = 0,
	SP_CHAIN_FAIL_POLICY = 1, /**< the policy chain does not verify */
	SP_CHAIN_FAIL_FREEZE = 2, /**< the policy expired (stale) */
	SP_CHAIN_FAIL_INPUT = 3,  /**< a manifest or envelope is unreadable */
	SP_CHAIN_FAIL_SIGNATURE = 4, /**< a link's signature does not verify */
	SP_CHAIN_FAIL_MIX = 5,       /**< a link is for another product */
	SP_CHAIN_FAIL_ROLLBACK = 6, /**< a link signed before its predecessor */
} sp_chain_fail;

/** Outcome of sp_sign_verify_manifest_chain. */
typedef struct sp_sign_chain_result {
	sp_chain_fail kind;
	size_t failed_at;        /**< index of the failing link, or SIZE_MAX */
	uint64_t policy_version; /**< policy used, when verified */
} sp_sign_chain_result;

/**
 * Verify the signatures of an update chain of manifests (the links
 * themselves are checked by sp_manifest_chain_check): the policy chain
 * @p policies (pinned first) must verify and not have expired at @p at
 * (else "freeze"); every manifest @p paths[i] must be signed, in
 * @p sigpaths[i], for role "release" or "update" (its kind) by the
 * policy's threshold, over its exact digest; every manifest must be of the
 * policy's product and of the first one's (else "mix-and-match"); signing
 * times must not go backwards along the chain (else "rollback").
 * @return 0, SP_EVERIFY (message starts with the reason), or an input error
 */
int sp_sign_verify_manifest_chain(sp_ctx *ctx, const char *const *paths,
    const char *const *sigpaths, size_t n, sp_policy *const *policies,
    size_t npolicies, int64_t at, sp_sign_chain_result *result) SP_WUR;

#endif
