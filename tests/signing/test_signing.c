/*
 * Unit tests for signing: base64, PAE, the signature test vector of
 * docs/spec/signature.md, envelope parsing, threshold counting, policies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signing_int.h"
#include "sp_test.h"
#include "srcproof/base64.h"
#include "srcproof/sign.h"
#include "srcproof/srcproof.h"

static char tmpdir[256];

/* The test vector of docs/spec/signature.md, section "Test vector". */
static const char vec_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rOf2D/1g\n"
    "-----END PRIVATE KEY-----\n";
static const char vec_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAGIjipGPOmUegdmrv5vLDoyTinReruV6bMp3BbFDkkYw=\n"
    "-----END PUBLIC KEY-----\n";
static const char vec_keyid[] =
    "72809513163e6e58bb2df29ea40b6f0931e2c8bb5fc32894a28310b174af4289";
static const char vec_file[] = "srcproof test vector\n";
static const char vec_statement[] =
    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":"
    "\"hello.txt\",\"digest\":{\"sha256\":"
    "\"9fcb00fcb1f56d7c7a28c850d0c746bb619f4b3afcbed397af100b0aa571ae21\"}}],"
    "\"predicateType\":\"https://srcproof.dev/signature/v1\",\"predicate\":{"
    "\"role\":\"release\",\"signed_at\":\"2026-01-01T00:00:00Z\"}}";
static const char vec_sig_hex[] =
    "d74cc082173bebaf34c970e545f246d0585f9fdf9fb1bc592045a7f1d91f1b45"
    "87957be905bc187e8ea53f369e0825032eab3d5abc89f3b5df063f8bedc26609";
static const char vec_envelope[] =
    "{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":"
    "\"eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEiLCJzdWJqZWN0Ij"
    "pbeyJuYW1lIjoiaGVsbG8udHh0IiwiZGlnZXN0Ijp7InNoYTI1NiI6IjlmY2IwMGZjYjFmNT"
    "ZkN2M3YTI4Yzg1MGQwYzc0NmJiNjE5ZjRiM2FmY2JlZDM5N2FmMTAwYjBhYTU3MWFlMjEifX"
    "1dLCJwcmVkaWNhdGVUeXBlIjoiaHR0cHM6Ly9zcmNwcm9vZi5kZXYvc2lnbmF0dXJlL3YxIi"
    "wicHJlZGljYXRlIjp7InJvbGUiOiJyZWxlYXNlIiwic2lnbmVkX2F0IjoiMjAyNi0wMS0wMV"
    "QwMDowMDowMFoifX0=\",\"signatures\":[{\"keyid\":"
    "\"72809513163e6e58bb2df29ea40b6f0931e2c8bb5fc32894a28310b174af4289\","
    "\"sig\":\"10zAghc76680yXDlRfJG0Fhfn9+fsbxZIEWn8dkfG0WHlXvpBbwYfo6lPzaeCC"
    "UDLqs9WryJ87XfBj+L7cJmCQ==\"}]}\n";

static int
group_setup(void **state)
{
	(void)state;
	return sp_test_mkdtemp(tmpdir, sizeof(tmpdir), "signing") < 0 ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return sp_test_rmtree(tmpdir);
}

static void
write_file(const char *name, const char *data, char *path, size_t pathlen)
{
	FILE *f;

	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
	assert_int_equal(fclose(f), 0);
}

static sp_key *
load_vec_key(sp_ctx *ctx)
{
	char path[512];
	sp_key *key = NULL;

	write_file("vec.key", vec_key, path, sizeof(path));
	assert_int_equal(sp_key_load_private(ctx, &key, path, NULL, NULL), 0);
	return key;
}

static void
test_signing_base64__rfc4648_vectors(void **state)
{
	static const char *const plain[] = {
	    "", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {
	    "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	size_t i;

	(void)state;
	for (i = 0; i < 7; i++) {
		sp_buf e = SP_BUF_INIT, d = SP_BUF_INIT;

		assert_int_equal(
		    sp_base64_encode(&e, plain[i], strlen(plain[i])), 0);
		assert_string_equal(e.ptr ? e.ptr : "", enc[i]);
		assert_int_equal(
		    sp_base64_decode(&d, enc[i], strlen(enc[i])), 0);
		assert_int_equal(d.size, strlen(plain[i]));
		assert_memory_equal(d.ptr, plain[i], d.size);
		sp_buf_dispose(&e);
		sp_buf_dispose(&d);
	}
}

static void
test_signing_base64__rejects_non_canonical(void **state)
{
	static const char *const bad[] = {"Zg=", "Zh==", "Zm9=", "Zm8",
	    "Z===", "====", "Zm 9", "Zm9v\n", "-_==", "Zg==Zg==", "Zm=v",
	    "Z\x80==", "Zm9vYmFy===="};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sp_buf d = SP_BUF_INIT;

		assert_int_equal(
		    sp_base64_decode(&d, bad[i], strlen(bad[i])), SP_EPARSE);
		sp_buf_dispose(&d);
	}
}

static void
test_signing_dsse__pae_matches_spec(void **state)
{
	sp_buf pae = SP_BUF_INIT;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	/* The example of the DSSE protocol document. */
	assert_int_equal(sp_dsse_pae(ctx, &pae, "http://example.com/HelloWorld",
	                     "hello world", 11),
	    0);
	assert_string_equal(
	    pae.ptr, "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
	sp_buf_dispose(&pae);
	assert_int_equal(sp_dsse_pae(ctx, &pae, "t", "", 0), 0);
	assert_string_equal(pae.ptr, "DSSEv1 1 t 0 ");
	sp_buf_dispose(&pae);
	sp_ctx_free(ctx);
}

static void
test_signing_vector__statement_signature_envelope(void **state)
{
	sp_ctx *ctx;
	sp_key *key, *pub = NULL;
	sp_buf stmt = SP_BUF_INIT, out = SP_BUF_INIT, pae = SP_BUF_INIT;
	sp_buf sig = SP_BUF_INIT;
	sp_dsse *env = NULL, *parsed = NULL;
	sp_sign_verify_opts o = SP_SIGN_VERIFY_OPTS_INIT;
	sp_sign_result r;
	char path[512], hex[129];

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	key = load_vec_key(ctx);
	assert_string_equal(sp_key_id(key), vec_keyid);
	assert_int_equal(
	    sp_key_from_public_pem(ctx, &pub, vec_pub, strlen(vec_pub)), 0);
	assert_string_equal(sp_key_id(pub), vec_keyid);
	write_file("hello.txt", vec_file, path, sizeof(path));
	assert_int_equal(sp_sign_file_statement(ctx, &stmt, path, "hello.txt",
	                     "release", 1767225600),
	    0);
	assert_string_equal(stmt.ptr, vec_statement);
	/* The raw signature over the PAE. */
	assert_int_equal(
	    sp_dsse_pae(ctx, &pae, SP_DSSE_TYPE_INTOTO, stmt.ptr, stmt.size),
	    0);
	assert_int_equal(sp_key_sign(ctx, key, &sig, pae.ptr, pae.size), 0);
	assert_int_equal(sig.size, 64);
	sp_hex_encode(hex, (const uint8_t *)sig.ptr, 64);
	assert_string_equal(hex, vec_sig_hex);
	/* The whole envelope, byte for byte. */
	assert_int_equal(
	    sp_sign_statement(ctx, &env, stmt.ptr, stmt.size, key), 0);
	assert_int_equal(sp_dsse_serialize(ctx, env, &out), 0);
	assert_string_equal(out.ptr, vec_envelope);
	/* The published envelope verifies with the public key alone. */
	assert_int_equal(
	    sp_dsse_parse(ctx, &parsed, vec_envelope, strlen(vec_envelope)), 0);
	o.keys = &pub;
	o.nkeys = 1;
	assert_int_equal(sp_dsse_verify(ctx, parsed, &o, &r), 0);
	assert_int_equal(r.valid, 1);
	sp_dsse_free(parsed);
	/* One flipped payload byte: a bad signature. */
	memcpy(strstr(out.ptr, "eyJfdHlw"), "eyJfdHlx", 8);
	assert_int_equal(sp_dsse_parse(ctx, &parsed, out.ptr, out.size), 0);
	assert_int_equal(sp_dsse_verify(ctx, parsed, &o, &r), SP_EVERIFY);
	assert_int_equal(r.bad, 1);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "1 bad signature"));
	sp_dsse_free(parsed);
	sp_dsse_free(env);
	sp_buf_dispose(&stmt);
	sp_buf_dispose(&out);
	sp_buf_dispose(&pae);
	sp_buf_dispose(&sig);
	sp_key_free(key);
	sp_key_free(pub);
	sp_ctx_free(ctx);
}

static void
test_signing_dsse__parse_rejects(void **state)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"payloadType\":\"a\",\"payload\":\"\"}",
	    "{\"payloadType\":\"a\",\"payload\":\"\",\"signatures\":[],"
	    "\"x\":1}",
	    "{\"payloadType\":\"a\",\"payloadType\":\"b\",\"payload\":\"\","
	    "\"signatures\":[]}",
	    "{\"payloadType\":1,\"payload\":\"\",\"signatures\":[]}",
	    "{\"payloadType\":\"a\",\"payload\":\"@@@@\",\"signatures\":[]}",
	    "{\"payloadType\":\"a\",\"payload\":\"\",\"signatures\":[1]}",
	    "{\"payloadType\":\"a\",\"payload\":\"\",\"signatures\":[{}]}",
	    "{\"payloadType\":\"a\",\"payload\":\"\",\"signatures\":"
	    "[{\"sig\":\"\"}]}",
	    "{\"payloadType\":\"a\",\"payload\":\"\",\"signatures\":"
	    "[{\"sig\":\"AA==\",\"keyid\":\"x\"}]}",
	    "{\"payloadType\":\"a\",\"payload\":\"\",\"signatures\":"
	    "[{\"sig\":\"AA==\",\"sig\":\"AA==\"}]}",
	    "{\"payloadType\":\"a\\u0000b\",\"payload\":\"\",\"signatures\":[]"
	    "}",
	};
	sp_ctx *ctx;
	sp_dsse *env;
	size_t i;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env = (sp_dsse *)1;
		assert_int_equal(
		    sp_dsse_parse(ctx, &env, bad[i], strlen(bad[i])),
		    SP_EPARSE);
		assert_null(env);
	}
	sp_ctx_free(ctx);
}

static void
test_signing_verify__one_key_counts_once(void **state)
{
	sp_ctx *ctx;
	sp_key *a = NULL, *b = NULL, *keys[2];
	sp_dsse *env = NULL, *dup = NULL;
	sp_buf out = SP_BUF_INIT, twice = SP_BUF_INIT;
	sp_sign_verify_opts o = SP_SIGN_VERIFY_OPTS_INIT;
	sp_sign_result r;
	const char *sigs;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(sp_key_generate(ctx, &a, SP_KEY_ED25519), 0);
	assert_int_equal(sp_key_generate(ctx, &b, SP_KEY_ECDSA_P256), 0);
	assert_int_equal(sp_dsse_new(ctx, &env, "text/plain", "hi", 2), 0);
	assert_int_equal(sp_dsse_add_signature(ctx, env, a), 0);
	assert_int_equal(sp_dsse_add_signature(ctx, env, a), SP_EEXISTS);
	assert_int_equal(sp_dsse_serialize(ctx, env, &out), 0);
	/* Repeat a's signature by hand: [s] -> [s,s]. */
	sigs = strstr(out.ptr, "[{");
	assert_non_null(sigs);
	assert_int_equal(
	    sp_buf_put(&twice, out.ptr, (size_t)(sigs - out.ptr) + 1), 0);
	assert_int_equal(sp_buf_put(&twice, sigs + 1, strlen(sigs + 1) - 3), 0);
	assert_int_equal(sp_buf_putc(&twice, ','), 0);
	assert_int_equal(sp_buf_puts(&twice, sigs + 1), 0);
	assert_int_equal(sp_dsse_parse(ctx, &dup, twice.ptr, twice.size), 0);
	assert_int_equal(sp_dsse_sig_count(dup), 2);
	keys[0] = a;
	keys[1] = b;
	o.payload_type = "text/plain";
	o.keys = keys;
	o.nkeys = 2;
	o.threshold = 2;
	assert_int_equal(sp_dsse_verify(ctx, dup, &o, &r), SP_EVERIFY);
	assert_int_equal(r.valid, 1);
	assert_int_equal(r.duplicate, 1);
	o.threshold = 1;
	assert_int_equal(sp_dsse_verify(ctx, dup, &o, &r), 0);
	/* Wrong payload type is a "no". */
	o.payload_type = NULL;
	assert_int_equal(sp_dsse_verify(ctx, dup, &o, &r), SP_EVERIFY);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "wrong payload type"));
	sp_dsse_free(env);
	sp_dsse_free(dup);
	sp_buf_dispose(&out);
	sp_buf_dispose(&twice);
	sp_key_free(a);
	sp_key_free(b);
	sp_ctx_free(ctx);
}

static void
test_signing_key__raw_ed25519_roundtrip(void **state)
{
	sp_ctx *ctx;
	sp_key *key, *pub = NULL;
	sp_buf sig = SP_BUF_INIT;
	uint8_t raw[32];

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	key = load_vec_key(ctx);
	assert_int_equal(sp_key_ed25519_raw(ctx, key, raw), 0);
	assert_int_equal(raw[0], 0x18);
	assert_int_equal(sp_key_from_ed25519_raw(ctx, &pub, raw), 0);
	assert_string_equal(sp_key_id(pub), vec_keyid);
	assert_false(sp_key_is_private(pub));
	assert_int_equal(sp_key_sign(ctx, key, &sig, "note", 4), 0);
	assert_int_equal(
	    sp_key_verify(ctx, pub, "note", 4, sig.ptr, sig.size), 0);
	assert_int_equal(
	    sp_key_verify(ctx, pub, "nota", 4, sig.ptr, sig.size), SP_EVERIFY);
	assert_int_equal(sp_key_sign(ctx, pub, &sig, "x", 1), SP_EINVALID);
	sp_buf_dispose(&sig);
	sp_key_free(key);
	sp_key_free(pub);
	sp_ctx_free(ctx);
}

static void
test_signing_policy__roundtrip_and_chain(void **state)
{
	sp_ctx *ctx;
	sp_key *r1 = NULL, *r2 = NULL, *rel = NULL;
	sp_policy *p1 = NULL, *p2 = NULL, *back = NULL, *chain[2];
	const sp_policy *cur;
	const char *root[] = {"root"}, *release[] = {"release"};
	sp_buf out = SP_BUF_INIT, again = SP_BUF_INIT;
	int64_t t2030 = 1893456000;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(sp_key_generate(ctx, &r1, SP_KEY_ED25519), 0);
	assert_int_equal(sp_key_generate(ctx, &r2, SP_KEY_ED25519), 0);
	assert_int_equal(sp_key_generate(ctx, &rel, SP_KEY_ECDSA_P256), 0);
	assert_int_equal(sp_policy_new(ctx, &p1, NULL, t2030, "avscan"), 0);
	assert_int_equal(sp_policy_add_key(ctx, p1, r1, root, 1, 0, 0), 0);
	assert_int_equal(sp_policy_add_key(ctx, p1, r2, root, 1, 0, 0), 0);
	assert_int_equal(sp_policy_add_key(ctx, p1, rel, release, 1, 0, 0), 0);
	assert_int_equal(sp_policy_set_threshold(ctx, p1, "root", 2), 0);
	assert_int_equal(
	    sp_policy_set_threshold(ctx, p1, "release", 2), SP_EINVALID);
	assert_int_equal(sp_policy_threshold(p1, "release"), 1);
	assert_int_equal(sp_policy_sign(ctx, p1, r1), 0);
	chain[0] = p1;
	assert_int_equal(
	    sp_policy_verify_chain(ctx, chain, 1, 1, &cur), SP_EVERIFY);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "1 of 2"));
	assert_int_equal(sp_policy_sign(ctx, p1, r2), 0);
	assert_int_equal(sp_policy_verify_chain(ctx, chain, 1, 1, &cur), 0);
	assert_ptr_equal(cur, p1);
	assert_int_equal(
	    sp_policy_verify_chain(ctx, chain, 1, t2030, &cur), SP_EVERIFY);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "policy expired"));
	/* Serialise, parse, serialise: the same bytes. */
	assert_int_equal(sp_policy_serialize(ctx, p1, &out), 0);
	assert_int_equal(sp_policy_parse(ctx, &back, out.ptr, out.size), 0);
	assert_int_equal(sp_policy_serialize(ctx, back, &again), 0);
	assert_string_equal(out.ptr, again.ptr);
	assert_string_equal(sp_policy_product(back), "avscan");
	assert_int_equal(sp_policy_key_count(back), 3);
	/* Rotation: version 2, needs 2 of version 1's roots and its own. */
	assert_int_equal(sp_policy_new(ctx, &p2, back, t2030 + 86400, NULL), 0);
	assert_int_equal(sp_policy_version(p2), 2);
	assert_string_equal(sp_policy_product(p2), "avscan");
	assert_int_equal(sp_dsse_sig_count(sp_policy_envelope(p2)), 0);
	assert_int_equal(sp_policy_sign(ctx, p2, r1), 0);
	chain[0] = back;
	chain[1] = p2;
	assert_int_equal(
	    sp_policy_verify_chain(ctx, chain, 2, 1, &cur), SP_EVERIFY);
	assert_int_equal(sp_policy_sign(ctx, p2, r2), 0);
	assert_int_equal(sp_policy_verify_chain(ctx, chain, 2, 1, &cur), 0);
	assert_ptr_equal(cur, p2);
	/* Version 1 has expired, version 2 has not: still fine. */
	assert_int_equal(sp_policy_verify_chain(ctx, chain, 2, t2030, &cur), 0);
	chain[0] = p2;
	chain[1] = back;
	assert_int_equal(
	    sp_policy_verify_chain(ctx, chain, 2, 1, &cur), SP_EVERIFY);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "does not follow"));
	sp_buf_dispose(&out);
	sp_buf_dispose(&again);
	sp_policy_free(p1);
	sp_policy_free(p2);
	sp_policy_free(back);
	sp_key_free(r1);
	sp_key_free(r2);
	sp_key_free(rel);
	sp_ctx_free(ctx);
}

static void
test_signing_policy__loaded_policy_must_be_signed(void **state)
{
	sp_ctx *ctx;
	sp_key *root = NULL, *rel = NULL;
	sp_policy *p = NULL, *loaded = NULL;
	sp_dsse *env = NULL;
	sp_buf out = SP_BUF_INIT;
	sp_sign_verify_opts o = SP_SIGN_VERIFY_OPTS_INIT;
	const char *r_root[] = {"root"}, *r_rel[] = {"release"};

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(sp_key_generate(ctx, &root, SP_KEY_ED25519), 0);
	assert_int_equal(sp_key_generate(ctx, &rel, SP_KEY_ED25519), 0);
	assert_int_equal(sp_policy_new(ctx, &p, NULL, 1893456000, NULL), 0);
	assert_int_equal(sp_policy_add_key(ctx, p, root, r_root, 1, 0, 0), 0);
	assert_int_equal(sp_policy_add_key(ctx, p, rel, r_rel, 1, 0, 0), 0);
	assert_int_equal(
	    sp_dsse_new(ctx, &env, SP_DSSE_TYPE_INTOTO, "{}", 2), 0);
	assert_int_equal(sp_dsse_add_signature(ctx, env, rel), 0);
	o.role = "release";
	o.at = 1;
	/* Made in memory: the caller's own policy. */
	o.policy = p;
	assert_int_equal(sp_dsse_verify(ctx, env, &o, NULL), 0);
	/* The same policy read back unsigned: never a trust anchor. */
	assert_int_equal(sp_policy_serialize(ctx, p, &out), 0);
	assert_int_equal(sp_policy_parse(ctx, &loaded, out.ptr, out.size), 0);
	o.policy = loaded;
	assert_int_equal(sp_dsse_verify(ctx, env, &o, NULL), SP_EVERIFY);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "policy version 1: no "));
	sp_policy_free(loaded);
	loaded = NULL;
	sp_buf_clear(&out);
	assert_int_equal(sp_policy_sign(ctx, p, root), 0);
	assert_int_equal(sp_policy_serialize(ctx, p, &out), 0);
	assert_int_equal(sp_policy_parse(ctx, &loaded, out.ptr, out.size), 0);
	o.policy = loaded;
	assert_int_equal(sp_dsse_verify(ctx, env, &o, NULL), 0);
	sp_policy_free(loaded);
	sp_policy_free(p);
	sp_dsse_free(env);
	sp_buf_dispose(&out);
	sp_key_free(root);
	sp_key_free(rel);
	sp_ctx_free(ctx);
}

static void
test_signing_policy__log_role(void **state)
{
	sp_ctx *ctx;
	sp_key *root = NULL, *log = NULL, *ec = NULL;
	sp_policy *p = NULL, *back = NULL;
	const char *r_root[] = {"root"}, *r_log[] = {"log"},
	           *r_wit[] = {"witness"};
	sp_buf out = SP_BUF_INIT;
	int64_t nb = 1700000000, na = 1800000000;
	size_t i, ilog = 2;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_true(sp_sign_role_is_known("log"));
	assert_int_equal(sp_key_generate(ctx, &root, SP_KEY_ED25519), 0);
	assert_int_equal(sp_key_generate(ctx, &log, SP_KEY_ED25519), 0);
	assert_int_equal(sp_key_generate(ctx, &ec, SP_KEY_ECDSA_P256), 0);
	assert_int_equal(sp_policy_new(ctx, &p, NULL, 1893456000, NULL), 0);
	assert_int_equal(sp_policy_add_key(ctx, p, root, r_root, 1, 0, 0), 0);
	assert_int_equal(sp_policy_threshold(p, "log"), 0);
	/* Checkpoints are Ed25519: neither log nor witness takes ECDSA. */
	assert_int_equal(
	    sp_policy_add_key(ctx, p, ec, r_log, 1, 0, 0), SP_EINVALID);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "role 'log' signs log"));
	assert_int_equal(
	    sp_policy_add_key(ctx, p, ec, r_wit, 1, 0, 0), SP_EINVALID);
	assert_int_equal(sp_policy_key_count(p), 1);
	assert_int_equal(sp_policy_add_key(ctx, p, log, r_log, 1, nb, na), 0);
	assert_int_equal(sp_policy_threshold(p, "log"), 1);
	assert_int_equal(sp_policy_sign(ctx, p, root), 0);
	/* Round trip: the role and the window survive. */
	assert_int_equal(sp_policy_serialize(ctx, p, &out), 0);
	assert_int_equal(sp_policy_parse(ctx, &back, out.ptr, out.size), 0);
	assert_int_equal(sp_policy_threshold(back, "log"), 1);
	for (i = 0; i < sp_policy_key_count(back); i++)
		if (strcmp(sp_key_id(sp_policy_key(back, i)), sp_key_id(log)) ==
		    0)
			ilog = i;
	assert_true(ilog < 2);
	assert_true(sp_policy_key_has_role(back, ilog, "log"));
	assert_false(sp_policy_key_has_role(back, ilog, "witness"));
	assert_false(sp_policy_key_has_role(back, 1 - ilog, "log"));
	assert_true(sp_policy_key_has_role(back, 1 - ilog, "root"));
	assert_false(sp_policy_key_has_role(back, 2, "root"));
	assert_false(sp_policy_key_has_role(back, ilog, "nonsense"));
	assert_false(sp_policy_key_valid_at(back, ilog, nb - 1));
	assert_true(sp_policy_key_valid_at(back, ilog, nb));
	assert_true(sp_policy_key_valid_at(back, ilog, na - 1));
	assert_false(sp_policy_key_valid_at(back, ilog, na));
	assert_true(sp_policy_key_valid_at(back, 1 - ilog, 1));
	sp_policy_free(back);
	back = NULL;
	sp_buf_dispose(&out);
	sp_policy_free(p);
	sp_key_free(root);
	sp_key_free(log);
	sp_key_free(ec);
	sp_ctx_free(ctx);
}

static void
test_signing_alloc__failures_are_reported(void **state)
{
	sp_ctx *ctx;
	sp_dsse *env = NULL;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	sp_ctx_fail_alloc_after(ctx, 1);
	assert_int_equal(sp_dsse_new(ctx, &env, "t", "x", 1), SP_ENOMEM);
	assert_null(env);
	sp_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signing_base64__rfc4648_vectors),
	    cmocka_unit_test(test_signing_base64__rejects_non_canonical),
	    cmocka_unit_test(test_signing_dsse__pae_matches_spec),
	    cmocka_unit_test(test_signing_vector__statement_signature_envelope),
	    cmocka_unit_test(test_signing_dsse__parse_rejects),
	    cmocka_unit_test(test_signing_verify__one_key_counts_once),
	    cmocka_unit_test(test_signing_key__raw_ed25519_roundtrip),
	    cmocka_unit_test(test_signing_policy__roundtrip_and_chain),
	    cmocka_unit_test(test_signing_policy__loaded_policy_must_be_signed),
	    cmocka_unit_test(test_signing_policy__log_role),
	    cmocka_unit_test(test_signing_alloc__failures_are_reported),
	};

	return cmocka_run_group_tests_name(
	    "signing", tests, group_setup, group_teardown);
}
