/*
 * Unit tests for the transparency log: RFC 6962 vectors, C2SP tile paths
 * and tile layout, signed-note and cosignature vectors, checkpoints,
 * proofs, the log directory (append, prove, consistency, audit), witnesses.
 */
#include <dirent.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sp_test.h"
#include "srcproof/base64.h"
#include "srcproof/srcproof.h"
#include "srcproof/tlog.h"
#include "tlog_int.h"

static char tmpdir[256];
static sp_ctx *ctx;

/* Test keys, made from fixed seeds (docs/spec/log.md, "Test vectors"). */
/* golang.org/x/mod/sumdb/note's PeterNeumann key (seed from its skey). */
static const char pn_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIIEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n"
    "-----END PRIVATE KEY-----\n";
/* seed 00 01 .. 1f: the witness of the cosignature vector */
static const char w_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f\n"
    "-----END PRIVATE KEY-----\n";
/* seed 20 21 .. 3f: the log of the checkpoint vector */
static const char l_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEICAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/\n"
    "-----END PRIVATE KEY-----\n";

static const char sofa_body[] =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

static void
path_in(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmpdir, name);
}

static void
write_file(const char *name, const char *data, size_t len)
{
	char p[512];
	FILE *f;

	path_in(p, sizeof(p), name);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int
group_setup(void **state)
{
	(void)state;
	if (sp_test_mkdtemp(tmpdir, sizeof(tmpdir), "tlog") < 0 ||
	    sp_ctx_new(&ctx) < 0)
		return -1;
	write_file("pn.pem", pn_pem, strlen(pn_pem));
	write_file("w.pem", w_pem, strlen(w_pem));
	write_file("l.pem", l_pem, strlen(l_pem));
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	sp_ctx_free(ctx);
	return sp_test_rmtree(tmpdir);
}

static void
unhex(uint8_t *out, const char *hex)
{
	size_t n = strlen(hex) / 2;

	assert_int_equal(sp_hex_decode(out, n, hex, 2 * n), 0);
}

/* ---- RFC 6962 vectors ------------------------------------------------------
 * Leaves and roots of the Certificate Transparency test tree, as published
 * in transparency-dev/merkle proof/verify_test.go (and CT's
 * merkle_tree_test); RFC 6962 itself gives none.
 */

static const char *const ct_leaves[] = {"", "00", "10", "2021", "3031",
    "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
static const char *const ct_roots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

static void
ct_leaf_hashes(uint8_t (*out)[32])
{
	size_t i;

	for (i = 0; i < 8; i++) {
		uint8_t d[16];
		size_t n = strlen(ct_leaves[i]) / 2;

		unhex(d, ct_leaves[i]);
		assert_int_equal(sp_tlog_leaf_hash(ctx, out[i], d, n), 0);
	}
}

static void
test_tlog_merkle__rfc6962_roots(void **state)
{
	uint8_t leaves[8][32], root[32], want[32];
	size_t n;

	(void)state;
	ct_leaf_hashes(leaves);
	for (n = 0; n <= 8; n++) {
		assert_int_equal(
		    sp_tlog_root_of(ctx, root, (const uint8_t(*)[32])leaves, n),
		    0);
		unhex(want, ct_roots[n]);
		assert_memory_equal(root, want, 32);
	}
	/* The node hash is SHA-256(0x01 || l || r): root of size 2. */
	assert_int_equal(sp_tlog_node_hash(ctx, root, leaves[0], leaves[1]), 0);
	unhex(want, ct_roots[2]);
	assert_memory_equal(root, want, 32);
}

struct mem {
	tlog_hasher h;
	uint8_t (*leaves)[32];
};

static int
mem_node(void *arg, unsigned height, uint64_t index, uint8_t out[32])
{
	struct mem *m = arg;
	uint8_t l[32], r[32];

	if (height == 0) {
		memcpy(out, m->leaves[index], 32);
		return 0;
	}
	if (mem_node(arg, height - 1, 2 * index, l) < 0 ||
	    mem_node(arg, height - 1, 2 * index + 1, r) < 0)
		return -1;
	return tlog_hash_node(&m->h, out, l, r);
}

/* transparency-dev/merkle vectors: (leaf index, tree size, proof). */
static const struct {
	uint64_t index, size;
	const char *proof[3];
} incl_vectors[] = {
    {0, 8,
        {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031"
            "e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e"
            "4"}},
    {5, 8,
        {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae"
            "0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b"
            "7"}},
    {2, 3,
        {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            NULL, NULL}},
    {1, 5,
        {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031"
            "e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6"
            "b"}},
};

static const struct {
	uint64_t size1, size2;
	const char *proof[3];
} cons_vectors[] = {
    {1, 8,
        {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031"
            "e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e"
            "4"}},
    {6, 8,
        {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae"
            "0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b"
            "7"}},
    {2, 5,
        {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6"
            "b",
            NULL}},
    {6, 7,
        {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5"
            "f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b"
            "7"}},
};

static void
test_tlog_merkle__proof_vectors(void **state)
{
	uint8_t leaves[8][32], got[TLOG_MAX_PROOF][32], want[4][32];
	uint8_t r1[32], r2[32];
	struct mem m;
	tlog_tree t;
	size_t i, n, nwant;

	(void)state;
	ct_leaf_hashes(leaves);
	assert_int_equal(tlog_hasher_init(ctx, &m.h), 0);
	m.leaves = leaves;
	t.h = &m.h;
	t.node = mem_node;
	t.arg = &m;
	for (i = 0; i < sizeof(incl_vectors) / sizeof(incl_vectors[0]); i++) {
		for (nwant = 0; nwant < 3 && incl_vectors[i].proof[nwant];
		     nwant++)
			unhex(want[nwant], incl_vectors[i].proof[nwant]);
		assert_int_equal(tlog_inclusion_proof(&t, incl_vectors[i].index,
		                     incl_vectors[i].size, got, &n),
		    0);
		assert_int_equal(n, nwant);
		assert_memory_equal(got, want, n * 32);
		unhex(r1, ct_roots[incl_vectors[i].size]);
		assert_int_equal(
		    sp_tlog_verify_inclusion(ctx, incl_vectors[i].index,
		        incl_vectors[i].size, leaves[incl_vectors[i].index],
		        (const uint8_t(*)[32])want, n, r1),
		    0);
		/* Wrong index, size, leaf; extra or missing hash; bit flip. */
		assert_int_equal(
		    sp_tlog_verify_inclusion(ctx, incl_vectors[i].index ^ 1,
		        incl_vectors[i].size, leaves[incl_vectors[i].index],
		        (const uint8_t(*)[32])want, n, r1),
		    SP_EVERIFY);
		assert_int_equal(
		    sp_tlog_verify_inclusion(ctx, incl_vectors[i].index,
		        incl_vectors[i].size * 2, leaves[incl_vectors[i].index],
		        (const uint8_t(*)[32])want, n, r1),
		    SP_EVERIFY);
		assert_int_equal(
		    sp_tlog_verify_inclusion(ctx, incl_vectors[i].index,
		        incl_vectors[i].size,
		        leaves[(incl_vectors[i].index + 1) % 8],
		        (const uint8_t(*)[32])want, n, r1),
		    SP_EVERIFY);
		/* A trailing extra hash (want has room for 4). */
		memcpy(want[n], r1, 32);
		assert_int_equal(
		    sp_tlog_verify_inclusion(ctx, incl_vectors[i].index,
		        incl_vectors[i].size, leaves[incl_vectors[i].index],
		        (const uint8_t(*)[32])want, n + 1, r1),
		    SP_EVERIFY);
		assert_int_equal(
		    sp_tlog_verify_inclusion(ctx, incl_vectors[i].index,
		        incl_vectors[i].size, leaves[incl_vectors[i].index],
		        (const uint8_t(*)[32])want, n - 1, r1),
		    SP_EVERIFY);
		want[0][0] ^= 8;
		assert_int_equal(
		    sp_tlog_verify_inclusion(ctx, incl_vectors[i].index,
		        incl_vectors[i].size, leaves[incl_vectors[i].index],
		        (const uint8_t(*)[32])want, n, r1),
		    SP_EVERIFY);
	}
	for (i = 0; i < sizeof(cons_vectors) / sizeof(cons_vectors[0]); i++) {
		for (nwant = 0; nwant < 3 && cons_vectors[i].proof[nwant];
		     nwant++)
			unhex(want[nwant], cons_vectors[i].proof[nwant]);
		assert_int_equal(
		    tlog_consistency_proof(&t, cons_vectors[i].size1,
		        cons_vectors[i].size2, got, &n),
		    0);
		assert_int_equal(n, nwant);
		assert_memory_equal(got, want, n * 32);
		unhex(r1, ct_roots[cons_vectors[i].size1]);
		unhex(r2, ct_roots[cons_vectors[i].size2]);
		assert_int_equal(
		    sp_tlog_verify_consistency(ctx, cons_vectors[i].size1,
		        cons_vectors[i].size2, (const uint8_t(*)[32])want, n,
		        r1, r2),
		    0);
		assert_int_equal(
		    sp_tlog_verify_consistency(ctx, cons_vectors[i].size1,
		        cons_vectors[i].size2, (const uint8_t(*)[32])want, n,
		        r2, r1),
		    SP_EVERIFY);
		assert_int_equal(
		    sp_tlog_verify_consistency(ctx, cons_vectors[i].size1 + 1,
		        cons_vectors[i].size2, (const uint8_t(*)[32])want, n,
		        r1, r2),
		    SP_EVERIFY);
		assert_int_equal(
		    sp_tlog_verify_consistency(ctx, cons_vectors[i].size1,
		        cons_vectors[i].size2, (const uint8_t(*)[32])want,
		        n - 1, r1, r2),
		    SP_EVERIFY);
		assert_int_equal(
		    sp_tlog_verify_consistency(ctx, cons_vectors[i].size1,
		        cons_vectors[i].size2, (const uint8_t(*)[32])want, 0,
		        r1, r2),
		    SP_EVERIFY);
		want[n - 1][0] ^= 16;
		assert_int_equal(
		    sp_tlog_verify_consistency(ctx, cons_vectors[i].size1,
		        cons_vectors[i].size2, (const uint8_t(*)[32])want, n,
		        r1, r2),
		    SP_EVERIFY);
	}
	/* Edge cases from the same suite. */
	unhex(r1, ct_roots[0]);
	assert_int_equal(
	    sp_tlog_verify_consistency(ctx, 0, 0, NULL, 0, r1, r1), 0);
	assert_int_equal(
	    sp_tlog_verify_consistency(ctx, 0, 5, NULL, 0, r1, r2), 0);
	assert_int_equal(
	    sp_tlog_verify_consistency(ctx, 1, 1, NULL, 0, r1, r2), SP_EVERIFY);
	assert_int_equal(
	    sp_tlog_verify_consistency(ctx, 2, 1, NULL, 0, r1, r2), SP_EVERIFY);
	assert_int_equal(
	    sp_tlog_verify_inclusion(ctx, 0, 0, r1, NULL, 0, r1), SP_EVERIFY);
	tlog_hasher_dispose(&m.h);
}

/* Every proof of every tree up to 70 leaves verifies (derived check). */
static void
test_tlog_merkle__all_small_trees(void **state)
{
	uint8_t leaves[70][32], roots[71][32], proof[TLOG_MAX_PROOF][32];
	struct mem m;
	tlog_tree t;
	uint64_t n, i;
	size_t np;

	(void)state;
	assert_int_equal(tlog_hasher_init(ctx, &m.h), 0);
	for (i = 0; i < 70; i++) {
		uint8_t b = (uint8_t)i;

		assert_int_equal(sp_tlog_leaf_hash(ctx, leaves[i], &b, 1), 0);
	}
	m.leaves = leaves;
	t.h = &m.h;
	t.node = mem_node;
	t.arg = &m;
	for (n = 0; n <= 70; n++)
		assert_int_equal(sp_tlog_root_of(ctx, roots[n],
		                     (const uint8_t(*)[32])leaves, n),
		    0);
	for (n = 1; n <= 70; n++) {
		for (i = 0; i < n; i++) {
			assert_int_equal(
			    tlog_inclusion_proof(&t, i, n, proof, &np), 0);
			assert_int_equal(
			    sp_tlog_verify_inclusion(ctx, i, n, leaves[i],
			        (const uint8_t(*)[32])proof, np, roots[n]),
			    0);
			assert_int_equal(
			    tlog_consistency_proof(&t, i, n, proof, &np), 0);
			assert_int_equal(sp_tlog_verify_consistency(ctx, i, n,
			                     (const uint8_t(*)[32])proof, np,
			                     roots[i], roots[n]),
			    0);
			if (i > 0)
				assert_int_equal(
				    sp_tlog_verify_consistency(ctx, i, n,
				        (const uint8_t(*)[32])proof, np,
				        roots[i - 1], roots[n]),
				    SP_EVERIFY);
		}
	}
	tlog_hasher_dispose(&m.h);
}

/* ---- C2SP tlog-tiles
 * ----------------------------------------------------------
 */

static void
test_tlog_tiles__paths(void **state)
{
	static const struct {
		int level;
		uint64_t index;
		unsigned width;
		const char *path;
	} v[] = {
	    /* tlog-tiles: "index 1234067 will be encoded as x001/x234/067" */
	    {0, 1234067, 256, "tile/0/x001/x234/067"},
	    {0, 0, 256, "tile/0/000"},
	    {1, 5, 17, "tile/1/005.p/17"},
	    {2, 0, 1, "tile/2/000.p/1"},
	    {-1, 273, 112, "tile/entries/273.p/112"},
	    {0, 1000, 256, "tile/0/x001/000"},
	    {63, 999, 255, "tile/63/999.p/255"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sp_buf b = SP_BUF_INIT;

		assert_int_equal(
		    sp_tlog_tile_path(&b, v[i].level, v[i].index, v[i].width),
		    0);
		assert_string_equal(b.ptr, v[i].path);
		sp_buf_dispose(&b);
	}
	/* The tlog-tiles example: a tree of size 70,000 has 273 full level
	 * 0 tiles, one partial of width 112, one full level 1 tile, one
	 * partial of width 17, one partial level 2 tile of width 1. */
	assert_int_equal(tlog_tile_width(70000, 0, 272), 256);
	assert_int_equal(tlog_tile_width(70000, 0, 273), 112);
	assert_int_equal(tlog_tile_width(70000, 0, 274), 0);
	assert_int_equal(tlog_tile_width(70000, 1, 0), 256);
	assert_int_equal(tlog_tile_width(70000, 1, 1), 17);
	assert_int_equal(tlog_tile_width(70000, 2, 0), 1);
	assert_int_equal(tlog_tile_width(70000, 3, 0), 0);
	/* "a tree of size 256 ... a full level 0 tile and a partial level 1
	 * tile of width 1" */
	assert_int_equal(tlog_tile_width(256, 0, 0), 256);
	assert_int_equal(tlog_tile_width(256, 0, 1), 0);
	assert_int_equal(tlog_tile_width(256, 1, 0), 1);
}

/* ---- signed notes, vkeys, cosignatures
 * -----------------------------------------
 */

static const char pn_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char pn_text[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char pn_sig[] = "\xe2\x80\x94 PeterNeumann "
                             "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNI"
                             "uGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static void
test_tlog_note__go_vector(void **state)
{
	char p[512];
	sp_buf vk = SP_BUF_INIT, note = SP_BUF_INIT;
	sp_tlog_verifier *v = NULL;
	tlog_key *k = NULL;
	tlog_note n;

	(void)state;
	path_in(p, sizeof(p), "pn.pem");
	/* The vkey derived from the key equals the published one. */
	assert_int_equal(sp_tlog_vkey_from_key(
	                     ctx, &vk, p, "PeterNeumann", 0x01, NULL, NULL),
	    0);
	assert_string_equal(vk.ptr, pn_vkey);
	assert_int_equal(sp_tlog_verifier_parse(ctx, &v, pn_vkey), 0);
	assert_string_equal(sp_tlog_verifier_name(v), "PeterNeumann");
	assert_int_equal(v->id[0], 0xc7);
	assert_int_equal(v->id[3], 0xa3);
	/* The same verifier from its raw key, as a policy would give it. */
	{
		sp_tlog_verifier *v2 = NULL;
		sp_buf vk2 = SP_BUF_INIT;

		assert_int_equal(sp_tlog_verifier_new(ctx, &v2, "PeterNeumann",
		                     SP_TLOG_SIG_ED25519, v->pub),
		    0);
		assert_int_equal(sp_tlog_verifier_vkey(ctx, v2, &vk2), 0);
		assert_string_equal(vk2.ptr, pn_vkey);
		sp_tlog_verifier_free(v2);
		sp_buf_dispose(&vk2);
		assert_int_equal(
		    sp_tlog_verifier_new(ctx, &v2, "PeterNeumann", 5, v->pub),
		    SP_EINVALID);
		assert_int_equal(sp_tlog_verifier_new(ctx, &v2, "Peter Neumann",
		                     SP_TLOG_SIG_ED25519, v->pub),
		    SP_EINVALID);
		assert_null(v2);
	}
	/* Signing is deterministic (RFC 8032): the same note, byte for byte. */
	assert_int_equal(tlog_key_load(ctx, &k, p, NULL, NULL), 0);
	assert_int_equal(tlog_checkpoint_sign(ctx, &note, pn_text,
	                     strlen(pn_text), "PeterNeumann", k),
	    0);
	assert_int_equal(note.size, strlen(pn_text) + 1 + strlen(pn_sig));
	assert_memory_equal(
	    note.ptr + strlen(pn_text) + 1, pn_sig, strlen(pn_sig));
	assert_int_equal(
	    tlog_note_parse(ctx, &n, note.ptr, note.size, true), 0);
	assert_int_equal(n.nsigs, 1);
	assert_int_equal(n.sigs[0].rawlen, 68);
	assert_int_equal(tlog_ed25519_verify(ctx, v->pub, n.text, n.text_len,
	                     n.sigs[0].raw + 4),
	    0);
	assert_int_equal(
	    tlog_ed25519_verify(ctx, v->pub, "x", 1, n.sigs[0].raw + 4),
	    SP_EVERIFY);
	tlog_note_dispose(&n);
	/* Manglings of the vkey are refused. */
	{
		sp_tlog_verifier *bad = NULL;
		char m[sizeof(pn_vkey)];

		memcpy(m, pn_vkey, sizeof(m));
		m[14] = 'd'; /* key ID */
		assert_int_equal(
		    sp_tlog_verifier_parse(ctx, &bad, m), SP_EPARSE);
		memcpy(m, pn_vkey, sizeof(m));
		m[sizeof(m) - 3] = 'X'; /* key */
		assert_int_not_equal(sp_tlog_verifier_parse(ctx, &bad, m), 0);
		assert_int_not_equal(
		    sp_tlog_verifier_parse(ctx, &bad, "PeterNeumann+c74f20a3"),
		    0);
		assert_int_not_equal(sp_tlog_verifier_parse(ctx, &bad,
		                         "Peter Neumann+c74f20a3+"
		                         "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
		                         "LDE4izWy10TW"),
		    0);
		assert_null(bad);
	}
	tlog_key_free(k);
	sp_tlog_verifier_free(v);
	sp_buf_dispose(&vk);
	sp_buf_dispose(&note);
}

/* Derived vectors (docs/spec/log.md): checkpoint and cosignature. */
static const char sofa_log_vkey[] = "example.com/behind-the-sofa+13e30ba2+"
                                    "ASmsuuFBvMrwsi4alNNNC8c2HlJtC/"
                                    "4SyJeUvJMilm3X";
static const char sofa_log_sig[] =
    "\xe2\x80\x94 example.com/behind-the-sofa "
    "E+MLootScofIiK0RZI/1vBb3DLwLb9bRvYSiPagYXhmOMuCwTwTFDFGPPIh+bN0lJBDcB8s"
    "SuVirgwX2FlEsjzuB1gQ=\n";
static const char w1_vkey[] =
    "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
static const char w1_cosig[] =
    "\xe2\x80\x94 witness.example/w1 "
    "519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6N"
    "gr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n";
/* The cosignature line of the tlog-cosignature document's example. */
static const char c2sp_cosig[] =
    "\xe2\x80\x94 witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin"
    "1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

static void
test_tlog_note__checkpoint_and_cosignature_vectors(void **state)
{
	char p[512];
	sp_buf note = SP_BUF_INIT, full = SP_BUF_INIT, st = SP_BUF_INIT;
	sp_tlog_verifier *lv = NULL, *wv = NULL, *wrong = NULL;
	sp_tlog_checkpoint *cp = NULL;
	tlog_key *lk = NULL;
	sp_tlog_trust trust = SP_TLOG_TRUST_INIT;
	sp_tlog_verify_result res;
	const sp_tlog_verifier *ws[2];
	sp_tlog_witness_opts wo = SP_TLOG_WITNESS_OPTS_INIT;
	tlog_note n;
	uint64_t ts = 0;
	size_t i;

	(void)state;
	/* Parse the C2SP example cosignature: key ID 8d66cf3f, time
	 * 1679315147 (the time line of the document's signed message). */
	sp_buf_clear(&full);
	assert_int_equal(sp_buf_puts(&full, sofa_body), 0);
	assert_int_equal(sp_buf_putc(&full, '\n'), 0);
	assert_int_equal(sp_buf_puts(&full, c2sp_cosig), 0);
	assert_int_equal(
	    tlog_note_parse(ctx, &n, full.ptr, full.size, true), 0);
	assert_int_equal(n.nsigs, 1);
	assert_string_equal(n.sigs[0].name, "witness.example.com/w1");
	assert_int_equal(n.sigs[0].rawlen, 76);
	assert_int_equal(n.sigs[0].raw[0], 0x8d);
	assert_int_equal(n.sigs[0].raw[3], 0x3f);
	for (i = 0; i < 8; i++)
		ts = ts << 8 | n.sigs[0].raw[4 + i];
	assert_int_equal(ts, 1679315147);
	tlog_note_dispose(&n);

	/* The derived log signature over the C2SP example body. */
	path_in(p, sizeof(p), "l.pem");
	assert_int_equal(tlog_key_load(ctx, &lk, p, NULL, NULL), 0);
	assert_int_equal(
	    tlog_checkpoint_sign(ctx, &note, sofa_body, strlen(sofa_body),
	        "example.com/behind-the-sofa", lk),
	    0);
	assert_memory_equal(note.ptr + strlen(sofa_body) + 1, sofa_log_sig,
	    strlen(sofa_log_sig));
	assert_int_equal(sp_tlog_verifier_parse(ctx, &lv, sofa_log_vkey), 0);
	assert_int_equal(sp_tlog_verifier_parse(ctx, &wv, w1_vkey), 0);
	/* The witness cosigns at the vector's time: the derived line. */
	wo.keyspec = "w.pem";
	path_in(p, sizeof(p), "w.pem");
	wo.keyspec = p;
	{
		char sp[512];

		path_in(sp, sizeof(sp), "vec.state");
		wo.state_path = sp;
		wo.name = "witness.example/w1";
		wo.log_key = lv;
		wo.timestamp = 1679315147;
		sp_buf_clear(&full);
		assert_int_equal(sp_tlog_witness_cosign(
		                     ctx, &wo, note.ptr, note.size, &full),
		    0);
	}
	assert_non_null(strstr(full.ptr, w1_cosig));
	/* Add the C2SP example line too: an unknown key, ignored. */
	assert_int_equal(sp_buf_puts(&full, c2sp_cosig), 0);
	assert_int_equal(
	    sp_tlog_checkpoint_parse(ctx, &cp, full.ptr, full.size), 0);
	assert_string_equal(
	    sp_tlog_checkpoint_origin(cp), "example.com/behind-the-sofa");
	assert_int_equal(sp_tlog_checkpoint_size(cp), 20852163);
	assert_int_equal(sp_tlog_checkpoint_verify(ctx, cp, lv, NULL), 0);
	assert_int_equal(
	    sp_tlog_checkpoint_verify(ctx, cp, lv, "other.origin"), SP_EVERIFY);
	assert_int_equal(
	    sp_tlog_checkpoint_verify(ctx, cp, wv, NULL), SP_EVERIFY);
	ws[0] = wv;
	ws[1] = wv; /* the same witness twice counts once */
	trust.log_key = lv;
	trust.witnesses = ws;
	trust.nwitnesses = 2;
	trust.quorum = 1;
	assert_int_equal(sp_tlog_checkpoint_cosigned(ctx, cp, &trust, &res), 0);
	assert_int_equal(res.cosigned, 1);
	assert_int_equal(res.cosigned_at[0], 1679315147);
	assert_int_equal(res.ignored, 1);
	trust.quorum = 2;
	assert_int_equal(
	    sp_tlog_checkpoint_cosigned(ctx, cp, &trust, &res), SP_EVERIFY);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "quorum"));
	sp_tlog_checkpoint_free(cp);
	cp = NULL;
	/* A witness key under another name is a different key. */
	assert_int_equal(tlog_verifier_new(ctx, &wrong, "witness.example/w2",
	                     SP_TLOG_SIG_COSIGNATURE, wv->pub),
	    0);
	ws[0] = wrong;
	trust.nwitnesses = 1;
	trust.quorum = 1;
	assert_int_equal(
	    sp_tlog_checkpoint_parse(ctx, &cp, full.ptr, full.size), 0);
	assert_int_equal(
	    sp_tlog_checkpoint_cosigned(ctx, cp, &trust, &res), SP_EVERIFY);
	sp_tlog_checkpoint_free(cp);
	cp = NULL;
	/* A cosignature that does not verify is an error, not an abstention. */
	{
		char *bad = strdup(full.ptr);
		char *l = strstr(bad, "519lMgAAAABkGFDLB");

		l[20] = l[20] == 'A' ? 'B' : 'A';
		assert_int_equal(
		    sp_tlog_checkpoint_parse(ctx, &cp, bad, strlen(bad)), 0);
		ws[0] = wv;
		assert_int_equal(
		    sp_tlog_checkpoint_cosigned(ctx, cp, &trust, &res),
		    SP_EVERIFY);
		assert_non_null(strstr(sp_ctx_errmsg(ctx), "does not verify"));
		free(bad);
	}
	sp_tlog_checkpoint_free(cp);
	sp_tlog_verifier_free(lv);
	sp_tlog_verifier_free(wv);
	sp_tlog_verifier_free(wrong);
	tlog_key_free(lk);
	sp_buf_dispose(&note);
	sp_buf_dispose(&full);
	sp_buf_dispose(&st);
}

/* ---- log and witness keys from a trust policy ------------------------------
 */

static sp_key *
load_key(const char *name)
{
	char p[512];
	sp_key *k = NULL;

	path_in(p, sizeof(p), name);
	assert_int_equal(sp_key_load_private(ctx, &k, p, NULL, NULL), 0);
	return k;
}

/* A policy: a root key, @p log with role log (window [nb, na)) and @p wit
 * with role witness (each may be NULL). */
static sp_policy *
make_policy(const sp_key *root, const sp_key *log, int64_t nb, int64_t na,
    const sp_key *wit)
{
	const char *r_root[] = {"root"}, *r_log[] = {"log"},
	           *r_wit[] = {"witness"};
	sp_policy *p = NULL;

	assert_int_equal(sp_policy_new(ctx, &p, NULL, 1893456000, NULL), 0);
	assert_int_equal(sp_policy_add_key(ctx, p, root, r_root, 1, 0, 0), 0);
	if (log != NULL)
		assert_int_equal(
		    sp_policy_add_key(ctx, p, log, r_log, 1, nb, na), 0);
	if (wit != NULL)
		assert_int_equal(
		    sp_policy_add_key(ctx, p, wit, r_wit, 1, 0, 0), 0);
	return p;
}

static void
test_tlog_policy__log_and_witness_keys(void **state)
{
	sp_key *root = NULL, *l = NULL, *w = NULL, *pn = NULL;
	sp_policy *p = NULL;
	sp_tlog_checkpoint *cp = NULL;
	sp_tlog_verifier **v = NULL, *lk = NULL;
	sp_tlog_trust trust = SP_TLOG_TRUST_INIT;
	sp_tlog_verify_result res;
	sp_buf text = SP_BUF_INIT;
	const char *r_log[] = {"log"};
	int64_t at = 1700000000, nb = 1600000000, na = 1800000000;
	size_t n = 9, outside = 9;
	char *bad;

	(void)state;
	assert_int_equal(sp_key_generate(ctx, &root, SP_KEY_ED25519), 0);
	l = load_key("l.pem");
	w = load_key("w.pem");
	pn = load_key("pn.pem");
	/* The sofa checkpoint: log signature, w's cosignature, and the C2SP
	 * example's cosignature by a key no policy here names. */
	assert_int_equal(sp_buf_puts(&text, sofa_body), 0);
	assert_int_equal(sp_buf_putc(&text, '\n'), 0);
	assert_int_equal(sp_buf_puts(&text, sofa_log_sig), 0);
	assert_int_equal(sp_buf_puts(&text, w1_cosig), 0);
	assert_int_equal(sp_buf_puts(&text, c2sp_cosig), 0);
	assert_int_equal(
	    sp_tlog_checkpoint_parse(ctx, &cp, text.ptr, text.size), 0);
	p = make_policy(root, l, nb, na, w);

	/* Each key paired with its line by key ID, named after it. */
	assert_int_equal(sp_tlog_policy_verifiers(ctx, &v, &n, &outside, cp, p,
	                     "log", SP_TLOG_SIG_ED25519, at),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(outside, 0);
	assert_string_equal(
	    sp_tlog_verifier_name(v[0]), "example.com/behind-the-sofa");
	assert_int_equal(sp_tlog_checkpoint_verify(ctx, cp, v[0], NULL), 0);
	sp_tlog_verifiers_free(v, n);
	assert_int_equal(sp_tlog_policy_verifiers(ctx, &v, &n, NULL, cp, p,
	                     "witness", SP_TLOG_SIG_COSIGNATURE, at),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(sp_tlog_verifier_name(v[0]), "witness.example/w1");
	trust.witnesses = (const sp_tlog_verifier *const *)v;
	trust.nwitnesses = n;
	trust.quorum = 1;
	assert_int_equal(sp_tlog_checkpoint_cosigned(ctx, cp, &trust, &res), 0);
	assert_int_equal(res.cosigned, 1);
	sp_tlog_verifiers_free(v, n);
	/* The key ID commits to the signature type: a log key is no
	 * witness. */
	assert_int_equal(sp_tlog_policy_verifiers(ctx, &v, &n, NULL, cp, p,
	                     "log", SP_TLOG_SIG_COSIGNATURE, at),
	    0);
	assert_int_equal(n, 0);
	sp_tlog_verifiers_free(v, n);
	/* Outside the key's validity window: left out, and counted. */
	assert_int_equal(sp_tlog_policy_verifiers(ctx, &v, &n, &outside, cp, p,
	                     "log", SP_TLOG_SIG_ED25519, na),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(outside, 1);
	sp_tlog_verifiers_free(v, n);

	/* The whole log check. */
	assert_int_equal(
	    sp_tlog_checkpoint_verify_policy(ctx, cp, p, at, NULL, &lk), 0);
	assert_string_equal(
	    sp_tlog_verifier_name(lk), "example.com/behind-the-sofa");
	sp_tlog_verifier_free(lk);
	assert_int_equal(
	    sp_tlog_checkpoint_verify_policy(ctx, cp, p, nb - 1, NULL, &lk),
	    SP_EVERIFY);
	assert_null(lk);
	assert_non_null(strstr(sp_ctx_errmsg(ctx),
	    "signed by 0 of the 1 required log key(s) of policy version 1 "
	    "valid at 2020-09-13T12:26:39Z (1 more outside their validity "
	    "window)"));
	assert_int_equal(sp_tlog_checkpoint_verify_policy(
	                     ctx, cp, p, at, "other.origin", NULL),
	    SP_EVERIFY);
	/* Two log keys, both needed: one signed. */
	assert_int_equal(sp_policy_add_key(ctx, p, pn, r_log, 1, 0, 0), 0);
	assert_int_equal(sp_policy_set_threshold(ctx, p, "log", 2), 0);
	assert_int_equal(
	    sp_tlog_checkpoint_verify_policy(ctx, cp, p, at, NULL, NULL),
	    SP_EVERIFY);
	assert_non_null(strstr(
	    sp_ctx_errmsg(ctx), "signed by 1 of the 2 required log key(s)"));
	assert_int_equal(sp_policy_set_threshold(ctx, p, "log", 1), 0);
	assert_int_equal(
	    sp_tlog_checkpoint_verify_policy(ctx, cp, p, at, NULL, NULL), 0);
	sp_policy_free(p);
	/* Another log key: not signed by the policy's log. */
	p = make_policy(root, pn, 0, 0, NULL);
	assert_int_equal(
	    sp_tlog_checkpoint_verify_policy(ctx, cp, p, at, NULL, NULL),
	    SP_EVERIFY);
	assert_non_null(strstr(sp_ctx_errmsg(ctx),
	    "checkpoint of 'example.com/behind-the-sofa' is not signed by a "
	    "log key of policy version 1 (it names 1; the checkpoint's 3 "
	    "signature line(s) are from other keys)"));
	sp_policy_free(p);
	/* No log key at all: a misuse. */
	p = make_policy(root, NULL, 0, 0, w);
	assert_int_equal(
	    sp_tlog_checkpoint_verify_policy(ctx, cp, p, at, NULL, NULL),
	    SP_EINVALID);
	sp_policy_free(p);
	sp_tlog_checkpoint_free(cp);
	cp = NULL;
	/* A bad signature on the policy's log key's line fails. */
	p = make_policy(root, l, 0, 0, NULL);
	bad = strdup(text.ptr);
	assert_non_null(bad);
	{
		char *x = strstr(bad, "E+MLootScofIiK0RZI") + 20;

		*x = *x == 'A' ? 'B' : 'A';
	}
	assert_int_equal(
	    sp_tlog_checkpoint_parse(ctx, &cp, bad, strlen(bad)), 0);
	assert_int_equal(
	    sp_tlog_checkpoint_verify_policy(ctx, cp, p, at, NULL, NULL),
	    SP_EVERIFY);
	free(bad);
	sp_tlog_checkpoint_free(cp);
	sp_policy_free(p);
	sp_buf_dispose(&text);
	sp_key_free(root);
	sp_key_free(l);
	sp_key_free(w);
	sp_key_free(pn);
}

static void
test_tlog_note__bad_checkpoints(void **state)
{
	static const char *const bad[] = {
	    "", "no newline", "origin\n1\nAAAA\n", /* no signatures */
	    "origin\n01\n"                         /* leading zero */
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\xe2\x80\x94 o "
	    "AAAAAAA=\n",
	    "origin\n1\nnot base64\n\n\xe2\x80\x94 o AAAAAAA=\n",
	    "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n- o "
	    "AAAAAAA=\n", /* hyphen, not em dash */
	    "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
	    "\xe2\x80\x94 o AAAA\n",                  /* signature too short */
	    "origin\n1\n\n\xe2\x80\x94 o AAAAAAA=\n", /* two lines */
	    "origin\n18446744073709551616\n"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\xe2\x80\x94 o "
	    "AAAAAAA=\n",
	    "orig\tin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
	    "\xe2\x80\x94 o AAAAAAA=\n", /* control character */
	    "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
	    "\xe2\x80\x94 o+x AAAAAAA=\n", /* '+' in a key name */
	};
	static const char good[] =
	    "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n\n"
	    "\xe2\x80\x94 o AAAAAAA=\n";
	sp_tlog_checkpoint *cp = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc =
		    sp_tlog_checkpoint_parse(ctx, &cp, bad[i], strlen(bad[i]));

		if (rc == 0)
			fail_msg("bad checkpoint %zu was accepted", i);
		assert_int_equal(rc, SP_EPARSE);
		assert_null(cp);
	}
	assert_int_equal(
	    sp_tlog_checkpoint_parse(ctx, &cp, good, strlen(good)), 0);
	assert_int_equal(sp_tlog_checkpoint_size(cp), 1);
	sp_tlog_checkpoint_free(cp);
}

/* ---- entries
 * ------------------------------------------------------------------------
 */

static void
make_entry(sp_buf *out, unsigned i)
{
	sp_tlog_entry e;

	memset(&e, 0, sizeof(e));
	memset(e.statement, (int)(i & 0xff), 32);
	e.statement[0] = (uint8_t)(i >> 8);
	e.statement[1] = (uint8_t)(i >> 16);
	memset(e.subject, 0xab, 32);
	snprintf(e.product, sizeof(e.product), "avscan");
	snprintf(e.release, sizeof(e.release), "1.%u", i);
	snprintf(e.kind, sizeof(e.kind), "%s", i % 3 ? "update" : "release");
	sp_buf_clear(out);
	assert_int_equal(sp_tlog_entry_encode(ctx, out, &e), 0);
}

/* Derived vector (docs/spec/log.md, "Entries"). */
static void
test_tlog_entry__vector(void **state)
{
	static const char want[] =
	    "srcproof.dev/log-entry/v1\n"
	    "statement sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000000\n"
	    "subject sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000007\n"
	    "product avscan\n"
	    "release 1.0\n"
	    "kind update\n";
	sp_buf b = SP_BUF_INIT;
	sp_tlog_entry e;
	uint8_t leaf[32], wantleaf[32];

	(void)state;
	memset(&e, 0, sizeof(e));
	e.subject[31] = 7;
	snprintf(e.product, sizeof(e.product), "avscan");
	snprintf(e.release, sizeof(e.release), "1.0");
	snprintf(e.kind, sizeof(e.kind), "update");
	assert_int_equal(sp_tlog_entry_encode(ctx, &b, &e), 0);
	assert_int_equal(b.size, 227);
	assert_string_equal(b.ptr, want);
	assert_int_equal(sp_tlog_leaf_hash(ctx, leaf, b.ptr, b.size), 0);
	unhex(wantleaf,
	    "a628dbcc96fd35b4e79e8e601115a719917c7cb196471cb37fdca892"
	    "ac7c823a");
	assert_memory_equal(leaf, wantleaf, 32);
	sp_buf_dispose(&b);
}

static void
test_tlog_entry__roundtrip_and_bad(void **state)
{
	sp_buf b = SP_BUF_INIT;
	sp_tlog_entry e;

	(void)state;
	make_entry(&b, 7);
	assert_int_equal(sp_tlog_entry_parse(ctx, &e, b.ptr, b.size), 0);
	assert_string_equal(e.release, "1.7");
	assert_string_equal(e.kind, "update");
	assert_int_equal(
	    sp_tlog_entry_parse(ctx, &e, b.ptr, b.size - 1), SP_EPARSE);
	b.ptr[0] = 'S';
	assert_int_equal(
	    sp_tlog_entry_parse(ctx, &e, b.ptr, b.size), SP_EPARSE);
	memset(&e, 0, sizeof(e));
	snprintf(e.product, sizeof(e.product), "a\nb");
	snprintf(e.release, sizeof(e.release), "1");
	snprintf(e.kind, sizeof(e.kind), "release");
	assert_int_equal(sp_tlog_entry_encode(ctx, &b, &e), SP_EINVALID);
	sp_buf_dispose(&b);
}

/* ---- the log directory
 * ----------------------------------------------------------------
 */

static size_t
count_files(const char *dir)
{
	char cmd[600];
	FILE *p;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd), "find '%s' -type f | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%zu", &n), 1);
	pclose(p);
	return n;
}

static bool
exists(const char *dir, const char *rel)
{
	char p[600];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return stat(p, &st) == 0;
}

static void
append_n(const char *dir, unsigned from, unsigned n)
{
	sp_tlog_data *d = calloc(n, sizeof(*d));
	sp_buf *bufs = calloc(n, sizeof(*bufs));
	uint64_t first = 0;
	unsigned i;

	assert_non_null(d);
	assert_non_null(bufs);
	for (i = 0; i < n; i++) {
		sp_buf_init(&bufs[i], SP_BUF_DEFAULT_MAX);
		make_entry(&bufs[i], from + i);
		d[i].data = bufs[i].ptr;
		d[i].len = bufs[i].size;
	}
	if (sp_tlog_append(ctx, dir, NULL, d, n, &first) != 0)
		fail_msg("append: %s", sp_ctx_errmsg(ctx));
	assert_int_equal(first, from);
	for (i = 0; i < n; i++)
		sp_buf_dispose(&bufs[i]);
	free(bufs);
	free(d);
}

static void
test_tlog_log__grow_prove_consistency(void **state)
{
	static const unsigned steps[] = {
	    1, 1, 254, 1, 255, 2, 300, 256, 1, 65, 0, 513};
	char dir[512], key[512];
	sp_tlog *log = NULL;
	sp_tlog_checkpoint *old[16];
	uint8_t(*leaves)[32] = calloc(2000, 32), root[32];
	unsigned total = 0;
	size_t s, k;

	(void)state;
	assert_non_null(leaves);
	path_in(dir, sizeof(dir), "log1");
	path_in(key, sizeof(key), "l.pem");
	assert_int_equal(
	    sp_tlog_init(ctx, dir, "example.com/log1", key, NULL, NULL), 0);
	assert_int_equal(
	    sp_tlog_init(ctx, dir, "example.com/log1", key, NULL, NULL),
	    SP_EEXISTS);
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		sp_tlog_check_result cr;
		sp_buf b = SP_BUF_INIT;
		unsigned i;

		append_n(dir, total, steps[s]);
		for (i = 0; i < steps[s]; i++) {
			make_entry(&b, total + i);
			assert_int_equal(sp_tlog_leaf_hash(ctx,
			                     leaves[total + i], b.ptr, b.size),
			    0);
		}
		total += steps[s];
		assert_int_equal(sp_tlog_open(ctx, &log, dir), 0);
		assert_int_equal(
		    sp_tlog_checkpoint_size(sp_tlog_checkpoint_of(log)), total);
		assert_int_equal(sp_tlog_root_of(ctx, root,
		                     (const uint8_t(*)[32])leaves, total),
		    0);
		assert_memory_equal(
		    sp_tlog_checkpoint_root(sp_tlog_checkpoint_of(log)), root,
		    32);
		if (sp_tlog_check(ctx, log, &cr) != 0)
			fail_msg("check: %s", sp_ctx_errmsg(ctx));
		assert_int_equal(cr.entries, total);
		/* Proofs of the first, last and a middle entry verify. */
		for (k = 0; k < 3 && total > 0; k++) {
			uint64_t idx = k == 0   ? 0
			               : k == 1 ? total - 1
			                        : total / 2;
			sp_tlog_trust t = SP_TLOG_TRUST_INIT;
			sp_tlog_verify_result r;
			sp_buf pf = SP_BUF_INIT, e = SP_BUF_INIT;
			sp_tlog_proof *p = NULL;
			uint64_t found;

			assert_int_equal(sp_tlog_prove(ctx, log, idx, &pf), 0);
			assert_int_equal(
			    sp_tlog_proof_parse(ctx, &p, pf.ptr, pf.size), 0);
			t.log_key = sp_tlog_verifier_of(log);
			make_entry(&e, (unsigned)idx);
			if (sp_tlog_proof_verify(ctx, p, &t, e.ptr, e.size, &r))
				fail_msg("verify: %s", sp_ctx_errmsg(ctx));
			assert_int_equal(r.index, idx);
			assert_int_equal(
			    sp_tlog_find(ctx, log, e.ptr, e.size, &found), 0);
			assert_int_equal(found, idx);
			make_entry(&e, (unsigned)idx + 1);
			assert_int_equal(
			    sp_tlog_proof_verify(ctx, p, &t, e.ptr, e.size, &r),
			    SP_EVERIFY);
			sp_tlog_proof_free(p);
			sp_buf_dispose(&pf);
			sp_buf_dispose(&e);
		}
		/* Consistency from every earlier checkpoint. */
		for (k = 0; k < s; k++) {
			sp_buf c = SP_BUF_INIT;

			if (sp_tlog_consistency(ctx, log, old[k], &c) != 0)
				fail_msg("consistency from %zu: %s", k,
				    sp_ctx_errmsg(ctx));
			assert_memory_equal(c.ptr, "old ", 4);
			sp_buf_dispose(&c);
		}
		{
			size_t len;
			const char *txt = sp_tlog_checkpoint_text(
			    sp_tlog_checkpoint_of(log), &len);

			assert_int_equal(
			    sp_tlog_checkpoint_parse(ctx, &old[s], txt, len),
			    0);
		}
		sp_tlog_close(log);
		log = NULL;
		sp_buf_dispose(&b);
	}
	/* Only full tiles and the current partials remain. */
	assert_true(exists(dir, "tile/0/000"));
	assert_false(exists(dir, "tile/0/000.p"));
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++)
		sp_tlog_checkpoint_free(old[s]);
	free(leaves);
}

static void
test_tlog_log__c2sp_layout_70000(void **state)
{
	char dir[512], key[512];
	sp_tlog *log = NULL;
	sp_tlog_check_result cr;
	size_t files;

	(void)state;
	path_in(dir, sizeof(dir), "log70k");
	path_in(key, sizeof(key), "l.pem");
	assert_int_equal(
	    sp_tlog_init(ctx, dir, "example.com/log70k", key, NULL, NULL), 0);
	append_n(dir, 0, 70000);
	/* The document's example, file by file. */
	assert_true(exists(dir, "tile/0/272"));
	assert_true(exists(dir, "tile/0/273.p/112"));
	assert_false(exists(dir, "tile/0/273"));
	assert_true(exists(dir, "tile/1/000"));
	assert_true(exists(dir, "tile/1/001.p/17"));
	assert_true(exists(dir, "tile/2/000.p/1"));
	assert_false(exists(dir, "tile/3"));
	assert_true(exists(dir, "tile/entries/272"));
	assert_true(exists(dir, "tile/entries/273.p/112"));
	/* 273 + 1 + 1 + 1 + 1 hash tiles, 273 + 1 bundles, 5 log files
	 * (checkpoint, log.vkey, config, lock, entry index). */
	files = count_files(dir);
	assert_int_equal(files, 277 + 274 + 5);
	assert_true(exists(dir, ".srcproof-log.index"));
	assert_int_equal(sp_tlog_open(ctx, &log, dir), 0);
	if (sp_tlog_check(ctx, log, &cr) != 0)
		fail_msg("check: %s", sp_ctx_errmsg(ctx));
	assert_int_equal(cr.tiles, 277);
	assert_int_equal(cr.bundles, 274);
	sp_tlog_close(log);
}

static uint64_t
size_now(const char *dir)
{
	sp_tlog *log = NULL;
	uint64_t n;

	assert_int_equal(sp_tlog_open(ctx, &log, dir), 0);
	n = sp_tlog_checkpoint_size(sp_tlog_checkpoint_of(log));
	sp_tlog_close(log);
	return n;
}

/* Append entries numbered @p ids with @p opts; returns the error. */
static int
append_ids(const char *dir, const sp_tlog_append_opts *opts,
    const unsigned *ids, size_t n, uint64_t *first)
{
	sp_tlog_data d[8];
	sp_buf b[8];
	size_t i;
	int error;

	assert_true(n <= 8);
	for (i = 0; i < n; i++) {
		sp_buf_init(&b[i], SP_BUF_DEFAULT_MAX);
		make_entry(&b[i], ids[i]);
		d[i].data = b[i].ptr;
		d[i].len = b[i].size;
	}
	error = sp_tlog_append(ctx, dir, opts, d, n, first);
	for (i = 0; i < n; i++)
		sp_buf_dispose(&b[i]);
	return error;
}

static void
test_tlog_log__duplicates(void **state)
{
	char dir[512], key[512];
	sp_tlog_append_opts o = SP_TLOG_APPEND_OPTS_INIT;
	sp_tlog_duplicate dup;
	uint64_t first = 0;
	static const unsigned again[] = {70000, 599};
	static const unsigned twice[] = {70000, 70001, 70000};
	static const unsigned early[] = {5};

	(void)state;
	path_in(dir, sizeof(dir), "logdup");
	path_in(key, sizeof(key), "l.pem");
	assert_int_equal(
	    sp_tlog_init(ctx, dir, "example.com/dup", key, NULL, NULL), 0);
	append_n(dir, 0, 600);
	o.duplicate = &dup;

	/* Already in the log: refused, nothing written, the index named. */
	memset(&dup, 0xff, sizeof(dup));
	assert_int_equal(append_ids(dir, &o, again, 2, NULL), SP_EEXISTS);
	assert_string_equal(sp_ctx_errmsg(ctx),
	    "entry 1 of this append is already in the log at index 599");
	assert_int_equal(dup.entry, 1);
	assert_false(dup.in_batch);
	assert_int_equal(dup.index, 599);
	assert_int_equal(size_now(dir), 600);
	/* Twice in one append. */
	assert_int_equal(append_ids(dir, &o, twice, 3, NULL), SP_EEXISTS);
	assert_string_equal(
	    sp_ctx_errmsg(ctx), "entries 0 and 2 of this append are the same");
	assert_int_equal(dup.entry, 2);
	assert_true(dup.in_batch);
	assert_int_equal(dup.index, 0);
	assert_int_equal(size_now(dir), 600);
	/* Allowed. */
	o.allow_duplicate = true;
	assert_int_equal(append_ids(dir, &o, twice, 3, &first), 0);
	assert_int_equal(first, 600);
	assert_int_equal(size_now(dir), 603);
	o.allow_duplicate = false;
	/* Version 1 options: no allow_duplicate, *duplicate not touched. */
	o.version = 1;
	o.allow_duplicate = true;
	memset(&dup, 0x5a, sizeof(dup));
	assert_int_equal(append_ids(dir, &o, early, 1, NULL), SP_EEXISTS);
	assert_int_equal(dup.entry, (size_t)0x5a5a5a5a5a5a5a5aULL);
	o.version = 3;
	assert_int_equal(append_ids(dir, &o, early, 1, NULL), SP_EINVALID);
	o.version = SP_TLOG_APPEND_OPTS_VERSION;
	o.allow_duplicate = false;
	/* The index grows (rebuilt larger) and still finds the first ones. */
	append_n(dir, 603, 1500);
	assert_int_equal(append_ids(dir, &o, early, 1, NULL), SP_EEXISTS);
	assert_int_equal(dup.index, 5);
	assert_int_equal(append_ids(dir, &o, again, 1, NULL), SP_EEXISTS);
	assert_int_equal(dup.index, 600);
	assert_int_equal(size_now(dir), 2103);
}

static void
test_tlog_log__damage_is_detected(void **state)
{
	char dir[512], key[512], p[600];
	sp_tlog *log = NULL;
	sp_buf out = SP_BUF_INIT;
	FILE *f;

	(void)state;
	path_in(dir, sizeof(dir), "logdmg");
	path_in(key, sizeof(key), "l.pem");
	assert_int_equal(
	    sp_tlog_init(ctx, dir, "example.com/dmg", key, NULL, NULL), 0);
	append_n(dir, 0, 300);
	/* Truncate the partial level-0 tile. */
	snprintf(p, sizeof(p), "%s/tile/0/001.p/44", dir);
	assert_int_equal(truncate(p, 100), 0);
	assert_int_equal(sp_tlog_open(ctx, &log, dir), 0);
	assert_int_equal(sp_tlog_prove(ctx, log, 299, &out), SP_EPARSE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "truncated"));
	assert_int_not_equal(sp_tlog_check(ctx, log, NULL), 0);
	sp_tlog_close(log);
	/* Append refuses to build on a damaged edge. */
	assert_int_equal(
	    sp_tlog_append(ctx, dir, NULL, NULL, 0, NULL), SP_EPARSE);
	{
		sp_tlog_data d = {"x", 1};

		assert_int_equal(
		    sp_tlog_append(ctx, dir, NULL, &d, 1, NULL), SP_EINVALID);
	}
	/* A flipped byte in a full tile: the audit names it. */
	snprintf(p, sizeof(p), "%s/tile/0/000", dir);
	f = fopen(p, "r+b");
	assert_non_null(f);
	fseek(f, 40, SEEK_SET);
	fputc(0x55, f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/tile/0/001.p/44", dir);
	assert_int_equal(truncate(p, 44 * 32), 0);
	assert_int_equal(sp_tlog_open(ctx, &log, dir), 0);
	assert_int_equal(sp_tlog_check(ctx, log, NULL), SP_EVERIFY);
	sp_tlog_close(log);
	sp_buf_dispose(&out);
}

/* The log's config records where the key is, never a PIN. */
static void
test_tlog_log__config_keeps_no_pin(void **state)
{
	static const char *const cases[][2] = {
	    {"pkcs11:token=t;object=k?pin-value=1234",
	        "pkcs11:token=t;object=k"},
	    {"pkcs11:token=t?pin-value=1234&module-path=/m.so",
	        "pkcs11:token=t?module-path=/m.so"},
	    {"pkcs11:token=t?module-path=/m.so&pin-value=1&pin-value=2",
	        "pkcs11:token=t?module-path=/m.so"},
	    {"pkcs11:pin-value=9;token=t", "pkcs11:token=t"},
	    {"pkcs11:token=t;object=k", "pkcs11:token=t;object=k"},
	    {"pkcs11:token=t?pin-source=file:/p",
	        "pkcs11:token=t?pin-source=file:/p"},
	    {"pkcs11:token=pin-value=x", "pkcs11:token=pin-value=x"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = tlog_uri_without_pin(cases[i][0]);

		assert_non_null(got);
		assert_string_equal(got, cases[i][1]);
		free(got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tlog_merkle__rfc6962_roots),
	    cmocka_unit_test(test_tlog_merkle__proof_vectors),
	    cmocka_unit_test(test_tlog_merkle__all_small_trees),
	    cmocka_unit_test(test_tlog_tiles__paths),
	    cmocka_unit_test(test_tlog_note__go_vector),
	    cmocka_unit_test(
	        test_tlog_note__checkpoint_and_cosignature_vectors),
	    cmocka_unit_test(test_tlog_note__bad_checkpoints),
	    cmocka_unit_test(test_tlog_policy__log_and_witness_keys),
	    cmocka_unit_test(test_tlog_entry__vector),
	    cmocka_unit_test(test_tlog_entry__roundtrip_and_bad),
	    cmocka_unit_test(test_tlog_log__grow_prove_consistency),
	    cmocka_unit_test(test_tlog_log__c2sp_layout_70000),
	    cmocka_unit_test(test_tlog_log__damage_is_detected),
	    cmocka_unit_test(test_tlog_log__duplicates),
	    cmocka_unit_test(test_tlog_log__config_keeps_no_pin),
	};

	return cmocka_run_group_tests_name(
	    "tlog", tests, group_setup, group_teardown);
}
