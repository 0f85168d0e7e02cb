/*
 * RFC 6962 Merkle tree: hashing, proof generation over any node source,
 * and proof verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "srcproof/util.h"
#include "tlog_int.h"
#include "util_int.h"

#include "banned.h"

int
tlog_hasher_init(sp_ctx *ctx, tlog_hasher *h)
{
	memset(h, 0, sizeof(*h));
	h->ctx = ctx;
	h->sha = EVP_MD_fetch(sp_ctx_libctx(ctx), "SHA256", NULL);
	h->md = EVP_MD_CTX_new();
	if (h->sha == NULL || h->md == NULL) {
		tlog_hasher_dispose(h);
		return sp_err_set(ctx, SP_ENOMEM, "SHA-256 is unavailable");
	}
	return 0;
}

void
tlog_hasher_dispose(tlog_hasher *h)
{
	EVP_MD_CTX_free(h->md);
	EVP_MD_free(h->sha);
	h->md = NULL;
	h->sha = NULL;
}

static int
hash3(tlog_hasher *h, uint8_t out[HASH_LEN], const void *a, size_t alen,
    const void *b, size_t blen, const void *c, size_t clen)
{
	unsigned int olen = 0;

	if (EVP_DigestInit_ex2(h->md, h->sha, NULL) != 1 ||
	    (alen > 0 && EVP_DigestUpdate(h->md, a, alen) != 1) ||
	    (blen > 0 && EVP_DigestUpdate(h->md, b, blen) != 1) ||
	    (clen > 0 && EVP_DigestUpdate(h->md, c, clen) != 1) ||
	    EVP_DigestFinal_ex(h->md, out, &olen) != 1 || olen != HASH_LEN)
		return sp_err_set(h->ctx, SP_ERROR, "SHA-256 failed");
	return 0;
}

int
tlog_hash_leaf(
    tlog_hasher *h, uint8_t out[HASH_LEN], const void *data, size_t len)
{
	static const uint8_t zero = 0x00;

	return hash3(h, out, &zero, 1, data, len, NULL, 0);
}

int
tlog_hash_node(tlog_hasher *h, uint8_t out[HASH_LEN], const uint8_t l[HASH_LEN],
    const uint8_t r[HASH_LEN])
{
	static const uint8_t one = 0x01;

	return hash3(h, out, &one, 1, l, HASH_LEN, r, HASH_LEN);
}

int
tlog_hash_perfect(tlog_hasher *h, uint8_t out[HASH_LEN],
    const uint8_t (*hashes)[HASH_LEN], size_t n, uint8_t (*scratch)[HASH_LEN])
{
	size_t i;
	int error;

	if (n == 1) {
		memcpy(out, hashes[0], HASH_LEN);
		return 0;
	}
	for (i = 0; i < n / 2; i++) {
		if ((error = tlog_hash_node(
		         h, scratch[i], hashes[2 * i], hashes[2 * i + 1])) < 0)
			return error;
	}
	for (n /= 2; n > 1; n /= 2) {
		for (i = 0; i < n / 2; i++) {
			if ((error = tlog_hash_node(h, scratch[i],
			         scratch[2 * i], scratch[2 * i + 1])) < 0)
				return error;
		}
	}
	memcpy(out, scratch[0], HASH_LEN);
	return 0;
}

int
tlog_sha256(sp_ctx *ctx, uint8_t out[HASH_LEN], const void *a, size_t alen,
    const void *b, size_t blen, const void *c, size_t clen)
{
	tlog_hasher h;
	int error;

	if ((error = tlog_hasher_init(ctx, &h)) < 0)
		return error;
	error = hash3(&h, out, a, alen, b, blen, c, clen);
	tlog_hasher_dispose(&h);
	return error;
}

uint64_t
tlog_split(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* ---- public hashing --------------------------------------------------------
 */

int
sp_tlog_leaf_hash(
    sp_ctx *ctx, uint8_t out[SP_TLOG_HASH_LEN], const void *entry, size_t len)
{
	static const uint8_t zero = 0x00;

	return tlog_sha256(ctx, out, &zero, 1, entry, len, NULL, 0);
}

int
sp_tlog_node_hash(sp_ctx *ctx, uint8_t out[SP_TLOG_HASH_LEN],
    const uint8_t left[SP_TLOG_HASH_LEN], const uint8_t right[SP_TLOG_HASH_LEN])
{
	static const uint8_t one = 0x01;

	return tlog_sha256(ctx, out, &one, 1, left, HASH_LEN, right, HASH_LEN);
}

/* In-memory node source over an array of leaf hashes. */
struct mem_tree {
	tlog_hasher *h;
	const uint8_t (*leaves)[HASH_LEN];
};

static int
mem_node(void *arg, unsigned height, uint64_t index, uint8_t out[HASH_LEN])
{
	struct mem_tree *m = arg;
	uint8_t l[HASH_LEN], r[HASH_LEN];
	int error;

	if (height == 0) {
		memcpy(out, m->leaves[index], HASH_LEN);
		return 0;
	}
	if ((error = mem_node(arg, height - 1, 2 * index, l)) < 0 ||
	    (error = mem_node(arg, height - 1, 2 * index + 1, r)) < 0)
		return error;
	return tlog_hash_node(m->h, out, l, r);
}

int
sp_tlog_root_of(sp_ctx *ctx, uint8_t out[SP_TLOG_HASH_LEN],
    const uint8_t (*leaves)[SP_TLOG_HASH_LEN], size_t n)
{
	tlog_hasher h;
	struct mem_tree m;
	tlog_tree t;
	int error;

	if ((error = tlog_hasher_init(ctx, &h)) < 0)
		return error;
	if (n == 0) {
		error = hash3(&h, out, NULL, 0, NULL, 0, NULL, 0);
	} else {
		m.h = &h;
		m.leaves = leaves;
		t.h = &h;
		t.node = mem_node;
		t.arg = &m;
		error = tlog_mth(&t, 0, n, out);
	}
	tlog_hasher_dispose(&h);
	return error;
}

/* ---- proof generation
 * ---------------------------------------------------------
 */

int
tlog_mth(tlog_tree *t, uint64_t a, uint64_t b, uint8_t out[HASH_LEN])
{
	uint64_t n = b - a, k;
	uint8_t l[HASH_LEN], r[HASH_LEN];
	int error;

	if ((n & (n - 1)) == 0 && a % n == 0) {
		unsigned height = (unsigned)__builtin_ctzll(n);

		return t->node(t->arg, height, a >> height, out);
	}
	k = tlog_split(n);
	if ((error = tlog_mth(t, a, a + k, l)) < 0 ||
	    (error = tlog_mth(t, a + k, b, r)) < 0)
		return error;
	return tlog_hash_node(t->h, out, l, r);
}

static int
path(tlog_tree *t, uint64_t m, uint64_t a, uint64_t b, uint8_t (*out)[HASH_LEN],
    size_t *n)
{
	uint64_t k;
	int error;

	if (b - a <= 1)
		return 0;
	k = tlog_split(b - a);
	if (m - a < k) {
		if ((error = path(t, m, a, a + k, out, n)) < 0)
			return error;
		if (*n >= TLOG_MAX_PROOF)
			return sp_err_set(
			    t->h->ctx, SP_ELIMIT, "proof too long");
		return tlog_mth(t, a + k, b, out[(*n)++]);
	}
	if ((error = path(t, m, a + k, b, out, n)) < 0)
		return error;
	if (*n >= TLOG_MAX_PROOF)
		return sp_err_set(t->h->ctx, SP_ELIMIT, "proof too long");
	return tlog_mth(t, a, a + k, out[(*n)++]);
}

int
tlog_inclusion_proof(tlog_tree *t, uint64_t m, uint64_t n,
    uint8_t (*out)[HASH_LEN], size_t *n_out)
{
	*n_out = 0;
	if (m >= n)
		return sp_err_set(t->h->ctx, SP_EINVALID,
		    "entry %llu is not in a tree of size %llu",
		    (unsigned long long)m, (unsigned long long)n);
	return path(t, m, 0, n, out, n_out);
}

static int
subproof(tlog_tree *t, uint64_t m, uint64_t a, uint64_t b, bool whole,
    uint8_t (*out)[HASH_LEN], size_t *n)
{
	uint64_t k;
	int error;

	if (m == b - a) {
		if (whole)
			return 0;
		if (*n >= TLOG_MAX_PROOF)
			return sp_err_set(
			    t->h->ctx, SP_ELIMIT, "proof too long");
		return tlog_mth(t, a, b, out[(*n)++]);
	}
	k = tlog_split(b - a);
	if (m <= k) {
		if ((error = subproof(t, m, a, a + k, whole, out, n)) < 0)
			return error;
		if (*n >= TLOG_MAX_PROOF)
			return sp_err_set(
			    t->h->ctx, SP_ELIMIT, "proof too long");
		return tlog_mth(t, a + k, b, out[(*n)++]);
	}
	if ((error = subproof(t, m - k, a + k, b, false, out, n)) < 0)
		return error;
	if (*n >= TLOG_MAX_PROOF)
		return sp_err_set(t->h->ctx, SP_ELIMIT, "proof too long");
	return tlog_mth(t, a, a + k, out[(*n)++]);
}

int
tlog_consistency_proof(tlog_tree *t, uint64_t m, uint64_t n,
    uint8_t (*out)[HASH_LEN], size_t *n_out)
{
	*n_out = 0;
	if (m == 0 || m >= n)
		return 0;
	return subproof(t, m, 0, n, true, out, n_out);
}

/* ---- verification
 * ---------------------------------------------------------------
 */

int
sp_tlog_verify_inclusion(sp_ctx *ctx, uint64_t index, uint64_t size,
    const uint8_t leaf[SP_TLOG_HASH_LEN],
    const uint8_t (*proof)[SP_TLOG_HASH_LEN], size_t n,
    const uint8_t root[SP_TLOG_HASH_LEN])
{
	tlog_hasher h;
	uint8_t r[HASH_LEN];
	uint64_t fn, sn;
	size_t i;
	int error;

	if (index >= size)
		return sp_err_set(ctx, SP_EVERIFY,
		    "inclusion proof: index %llu is not below tree size %llu",
		    (unsigned long long)index, (unsigned long long)size);
	if ((error = tlog_hasher_init(ctx, &h)) < 0)
		return error;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, HASH_LEN);
	for (i = 0; i < n; i++) {
		if (sn == 0) {
			error = sp_err_set(ctx, SP_EVERIFY,
			    "inclusion proof has %zu hashes, more than a tree "
			    "of size %llu needs",
			    n, (unsigned long long)size);
			goto out;
		}
		if ((fn & 1) || fn == sn) {
			if ((error = tlog_hash_node(&h, r, proof[i], r)) < 0)
				goto out;
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if ((error = tlog_hash_node(&h, r, r, proof[i])) < 0) {
			goto out;
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "inclusion proof has %zu hashes, fewer than a tree of size "
		    "%llu needs",
		    n, (unsigned long long)size);
		goto out;
	}
	if (!sp_ct_equal(r, root, HASH_LEN))
		error = sp_err_set(ctx, SP_EVERIFY,
		    "inclusion proof does not lead to the checkpoint's root "
		    "hash");
out:
	tlog_hasher_dispose(&h);
	return error;
}

int
sp_tlog_verify_consistency(sp_ctx *ctx, uint64_t size1, uint64_t size2,
    const uint8_t (*proof)[SP_TLOG_HASH_LEN], size_t n,
    const uint8_t root1[SP_TLOG_HASH_LEN],
    const uint8_t root2[SP_TLOG_HASH_LEN])
{
	tlog_hasher h;
	uint8_t fr[HASH_LEN], sr[HASH_LEN];
	uint64_t fn, sn;
	size_t i = 0;
	int error;

	if (size2 < size1)
		return sp_err_set(ctx, SP_EVERIFY,
		    "consistency: the new tree (size %llu) is smaller than "
		    "the old one (size %llu)",
		    (unsigned long long)size2, (unsigned long long)size1);
	if (size1 == size2) {
		if (n != 0)
			return sp_err_set(ctx, SP_EVERIFY,
			    "consistency proof between equal sizes must be "
			    "empty");
		if (!sp_ct_equal(root1, root2, HASH_LEN))
			return sp_err_set(ctx, SP_EVERIFY,
			    "two trees of size %llu have different roots",
			    (unsigned long long)size1);
		return 0;
	}
	if (size1 == 0) {
		if (n != 0)
			return sp_err_set(ctx, SP_EVERIFY,
			    "consistency proof from the empty tree must be "
			    "empty");
		return 0;
	}
	if (n == 0)
		return sp_err_set(
		    ctx, SP_EVERIFY, "consistency proof is empty");
	if ((error = tlog_hasher_init(ctx, &h)) < 0)
		return error;
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	if ((size1 & (size1 - 1)) == 0) {
		/* First is a power of two: its root is the first node. */
		memcpy(fr, root1, HASH_LEN);
	} else {
		memcpy(fr, proof[0], HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, HASH_LEN);
	for (; i < n; i++) {
		if (sn == 0) {
			error = sp_err_set(ctx, SP_EVERIFY,
			    "consistency proof has more hashes than sizes "
			    "%llu and %llu need",
			    (unsigned long long)size1,
			    (unsigned long long)size2);
			goto out;
		}
		if ((fn & 1) || fn == sn) {
			if ((error = tlog_hash_node(&h, fr, proof[i], fr)) <
			        0 ||
			    (error = tlog_hash_node(&h, sr, proof[i], sr)) < 0)
				goto out;
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if ((error = tlog_hash_node(&h, sr, sr, proof[i])) < 0) {
			goto out;
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "consistency proof has fewer hashes than sizes %llu and "
		    "%llu need",
		    (unsigned long long)size1, (unsigned long long)size2);
		goto out;
	}
	if (!sp_ct_equal(fr, root1, HASH_LEN)) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "consistency proof does not match the old root: the tree "
		    "of size %llu is not a prefix of the new one",
		    (unsigned long long)size1);
		goto out;
	}
	if (!sp_ct_equal(sr, root2, HASH_LEN))
		error = sp_err_set(ctx, SP_EVERIFY,
		    "consistency proof does not match the new root: the tree "
		    "of size %llu is not an extension of the old one",
		    (unsigned long long)size2);
out:
	tlog_hasher_dispose(&h);
	return error;
}

/* ---- tile paths
 * -------------------------------------------------------------------
 */

int
sp_tlog_tile_path(sp_buf *out, int level, uint64_t index, unsigned width)
{
	char parts[8][8];
	int nparts = 0, i, error;

	if (level < -1 || level > 63 || width == 0 || width > TILE_W)
		return SP_EINVALID;
	do {
		snprintf(parts[nparts++], sizeof(parts[0]), "%03u",
		    (unsigned)(index % 1000));
		index /= 1000;
	} while (index > 0);
	if (level < 0)
		error = sp_buf_puts(out, "tile/entries/");
	else
		error = sp_buf_printf(out, "tile/%d/", level);
	for (i = nparts - 1; i >= 0 && error == 0; i--)
		error = sp_buf_printf(out, "%s%s%s", i > 0 ? "x" : "", parts[i],
		    i > 0 ? "/" : "");
	if (error == 0 && width < TILE_W)
		error = sp_buf_printf(out, ".p/%u", width);
	return error;
}

unsigned
tlog_tile_width(uint64_t size, int level, uint64_t index)
{
	unsigned shift = level <= 0 ? 0 : 8 * (unsigned)level;
	uint64_t count, start;

	if (shift >= 64)
		return 0;
	count = size >> shift;
	if (index > UINT64_MAX / TILE_W)
		return 0;
	start = index * TILE_W;
	if (count <= start)
		return 0;
	return count - start >= TILE_W ? TILE_W : (unsigned)(count - start);
}
