/*
 * The bundle reader: one streaming pass over a (possibly encrypted,
 * compressed) tar archive, refusing anything a srcproof bundle may not
 * hold, hashing every member and checking them all against INDEX.
 *
 * Refused (docs/spec/bundle.md, "Readers"): names outside
 * "srcproof-bundle/", absolute names, "..", empty or "." components,
 * invalid UTF-8, members out of order or repeated,
 * members after INDEX, unknown members, directories, hard links, devices,
 * FIFOs, sparse files, symlinks outside source/ or whose target leaves
 * source/, members below a symlink or a file, more members or bytes than
 * the limits, a compression ratio above the limit, oversized known
 * members, truncated archives.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow_int.h"
#include "srcproof/manifest.h"
#include "srcproof/recipe.h"
#include "srcproof/sign.h"
#include "srcproof/tlog.h"
#include "util_int.h"

#include "banned.h"

#define PREFIX SP_ESCROW_ROOT "/"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define READ_BUF ((size_t)256 << 10)
/* Deepest member name (components). */
#define MAX_COMPONENTS 128
/* Limits on the known small members. */
#define MAX_INDEX ((size_t)512 << 20)
#define MAX_SUMS ((size_t)64 << 20)
#define MAX_PROOFS 256

void
sp_bundle_init(sp_bundle *b)
{
	memset(b, 0, sizeof(*b));
	sp_buf_init(&b->index, MAX_INDEX);
	sp_buf_init(&b->manifest, SP_MANIFEST_MAX_SIZE);
	sp_buf_init(&b->manifest_sig, SP_DSSE_MAX_SIZE);
	sp_buf_init(&b->policy, SP_POLICY_MAX_SIZE);
	sp_buf_init(&b->recipe, SP_RECIPE_MAX_SIZE);
	sp_buf_init(&b->sums, MAX_SUMS);
}

void
sp_bundle_dispose(sp_bundle *b)
{
	size_t i;

	for (i = 0; i < b->nmembers; i++) {
		free(b->members[i].name);
		free(b->members[i].target);
	}
	free(b->members);
	sp_buf_dispose(&b->index);
	sp_buf_dispose(&b->manifest);
	sp_buf_dispose(&b->manifest_sig);
	sp_buf_dispose(&b->policy);
	sp_buf_dispose(&b->recipe);
	sp_buf_dispose(&b->sums);
	for (i = 0; i < b->nproofs; i++) {
		free(b->proof_names[i]);
		sp_buf_dispose(&b->proofs[i]);
	}
	free(b->proof_names);
	free(b->proofs);
	memset(b, 0, sizeof(*b));
}

/* ---- input sources ----------------------------------------------------------
 */

struct input {
	sp_ctx *ctx;
	const char *name;
	int fd;
	const uint8_t *mem;
	size_t memlen, mempos;
	sp_cms_reader *cms;
	unsigned char *buf;
	uint64_t consumed; /* compressed bytes handed to libarchive */
	int error;         /* first error of the source */
};

static la_ssize_t
input_read(struct archive *a, void *client, const void **out)
{
	struct input *in = client;
	ssize_t n;

	(void)a;
	if (in->error != 0)
		return -1;
	if (in->mem != NULL) {
		size_t k = in->memlen - in->mempos;

		if (k > READ_BUF)
			k = READ_BUF;
		*out = in->mem + in->mempos;
		in->mempos += k;
		in->consumed += k;
		return (la_ssize_t)k;
	}
	*out = in->buf;
	if (in->cms != NULL) {
		long r = sp_cms_reader_read(in->cms, in->buf, READ_BUF);

		if (r < 0) {
			in->error = (int)r;
			return -1;
		}
		in->consumed += (uint64_t)r;
		return (la_ssize_t)r;
	}
	do
		n = read(in->fd, in->buf, READ_BUF);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		in->error = sp_err_set(in->ctx, SP_EIO, "cannot read '%s': %s",
		    in->name, strerror(errno));
		return -1;
	}
	in->consumed += (uint64_t)n;
	return (la_ssize_t)n;
}

/* ---- checks on names and types ----------------------------------------------
 */

struct pass {
	sp_ctx *ctx;
	sp_bundle *b;
	const sp_escrow_read_options *opts;
	const sp_reader_ops *ops;
	void *payload;
	struct archive *a;
	struct input *in;
	uint64_t max_total, max_members, max_ratio;
	bool seen_index;
	EVP_MD_CTX *md;
};

static int unsafe(struct pass *p, const char *fmt, ...) SP_PRINTF(2, 3);

static int
unsafe(struct pass *p, const char *fmt, ...)
{
	va_list ap;
	int code;

	va_start(ap, fmt);
	code = sp_err_vset(p->ctx, SP_EUNSAFE, fmt, ap);
	va_end(ap);
	return code;
}

/* Position of @p name in the sorted member table, or -1 (and *at). */
static long
member_find(const sp_bundle *b, const char *name, size_t len, size_t *at)
{
	size_t lo = 0, hi = b->nmembers;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const sp_member *m = &b->members[mid];
		size_t n = m->name_len < len ? m->name_len : len;
		int c = memcmp(m->name, name, n);

		if (c == 0)
			c = m->name_len < len ? -1 : m->name_len > len ? 1 : 0;
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at != NULL)
		*at = lo;
	return -1;
}

/* Which known member a name is; NULL when it may not appear. */
enum slot {
	SLOT_NONE,
	SLOT_INDEX,
	SLOT_MANIFEST,
	SLOT_SIG,
	SLOT_POLICY,
	SLOT_RECIPE,
	SLOT_SUMS,
	SLOT_PROOF,
	SLOT_BINSIG,
	SLOT_SOURCE,
};

static enum slot
slot_of(const char *name)
{
	if (strcmp(name, "INDEX") == 0)
		return SLOT_INDEX;
	if (strcmp(name, "manifest") == 0)
		return SLOT_MANIFEST;
	if (strcmp(name, "manifest.sig") == 0)
		return SLOT_SIG;
	if (strcmp(name, "policy.json") == 0)
		return SLOT_POLICY;
	if (strcmp(name, "recipe") == 0)
		return SLOT_RECIPE;
	if (strcmp(name, "binaries/SHA256SUMS") == 0)
		return SLOT_SUMS;
	if (strncmp(name, "proofs/", 7) == 0 && strchr(name + 7, '/') == NULL)
		return SLOT_PROOF;
	if (strncmp(name, "binary-sigs/", 12) == 0)
		return SLOT_BINSIG;
	if (strncmp(name, "source/", 7) == 0)
		return SLOT_SOURCE;
	return SLOT_NONE;
}

/*
 * A symlink target is acceptable under the rule of manifest targets
 * (docs/spec/manifest.md, 1.3): not empty, valid UTF-8, at most 4096 bytes,
 * relative, zero or more ".." names then other names ("." and empty names
 * ignored), and no more ".." than the link's directory is deep below
 * source/. Then following any chain of links stays below source/ (a
 * lexical check alone would let "d/l/../.." escape through a link d/l ->
 * "..").
 */
static bool
target_ok(const char *name, const char *target)
{
	size_t len = strlen(target), depth = 0, ups = 0;
	const char *p, *slash;
	bool names = false;

	if (len == 0 || len > 4096 || target[0] == '/' ||
	    !sp_utf8_valid(target, len))
		return false;
	/* Depth of the link's directory below source/. */
	for (p = name + 7; (slash = strchr(p, '/')) != NULL; p = slash + 1)
		depth++;
	for (p = target;;) {
		size_t n;

		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (names)
				return false;
			ups++;
		} else if (!(n == 0 || (n == 1 && p[0] == '.'))) {
			names = true;
		}
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	return ups <= depth;
}

static int
check_name(struct pass *p, const char *full, bool dir, const char **name_out)
{
	const char *name;
	size_t len, comps = 1, i;

	if (full == NULL)
		return sp_err_set(p->ctx, SP_EUNSAFE,
		    "a member name cannot be decoded; refusing the bundle");
	if (full[0] == '/')
		return unsafe(p,
		    "member '%s' has an absolute name; refusing the bundle",
		    full);
	if (strncmp(full, PREFIX, PREFIX_LEN) != 0)
		return unsafe(p,
		    "member '%s' is outside '" SP_ESCROW_ROOT
		    "/'; refusing the bundle",
		    full);
	name = full + PREFIX_LEN;
	len = strlen(name);
	/* A directory member's trailing '/' (refused by type later). */
	if (dir && len > 1 && name[len - 1] == '/')
		len--;
	for (i = 0; i < len; i++) {
		if (name[i] == '/')
			comps++;
	}
	/* ".." anywhere, said plainly. */
	if (strcmp(name, "..") == 0 || strncmp(name, "../", 3) == 0 ||
	    strstr(name, "/../") != NULL ||
	    (len >= 3 && strcmp(name + len - 3, "/..") == 0))
		return unsafe(p,
		    "member '%s' has a '..' component; refusing the bundle",
		    full);
	if (!sp_escrow__name_ok(name, len))
		return unsafe(p,
		    "member '%s' has an invalid name (empty or '.' component, "
		    "invalid UTF-8 or too long); refusing the bundle",
		    full);
	if (comps > MAX_COMPONENTS)
		return unsafe(p,
		    "member '%s' is nested too deep; refusing the bundle",
		    full);
	*name_out = name;
	return 0;
}

static int
check_entry(struct pass *p, struct archive_entry *e, const char *name,
    enum slot *slot_out, sp_member_kind *kind_out, const char **target_out)
{
	sp_bundle *b = p->b;
	unsigned type = archive_entry_filetype(e);
	size_t len = strlen(name), i;
	enum slot slot;

	*target_out = NULL;
	if (p->seen_index)
		return unsafe(p,
		    "member '%s' follows INDEX, which must be the last "
		    "member; refusing the bundle",
		    name);
	if (archive_entry_hardlink(e) != NULL)
		return unsafe(
		    p, "member '%s' is a hard link; refusing the bundle", name);
	switch (type) {
	case AE_IFREG:
		*kind_out = (archive_entry_perm(e) & 0111) ? SP_MEMBER_EXEC
		                                           : SP_MEMBER_FILE;
		break;
	case AE_IFLNK:
		*kind_out = SP_MEMBER_SYMLINK;
		break;
	case AE_IFDIR:
		return unsafe(p,
		    "member '%s' is a directory; bundles hold no directory "
		    "members; refusing the bundle",
		    name);
	default:
		return unsafe(p,
		    "member '%s' is a device, FIFO or socket; refusing the "
		    "bundle",
		    name);
	}
	if (archive_entry_sparse_count(e) > 0)
		return unsafe(p,
		    "member '%s' is a sparse file; refusing the bundle", name);
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return sp_err_set(p->ctx, SP_EPARSE,
		    "member '%s' has no size; refusing the bundle", name);
	slot = slot_of(name);
	if (slot == SLOT_NONE)
		return unsafe(p,
		    "member '%s' is not part of the bundle layout; refusing "
		    "the bundle",
		    name);
	if (*kind_out == SP_MEMBER_SYMLINK) {
		const char *t = archive_entry_symlink(e);

		if (slot != SLOT_SOURCE)
			return unsafe(p,
			    "member '%s' is a symbolic link outside source/; "
			    "refusing the bundle",
			    name);
		if (t == NULL || !target_ok(name, t))
			return unsafe(p,
			    "symbolic link '%s' points outside source/ (or to "
			    "an absolute or invalid target); refusing the "
			    "bundle",
			    name);
		*target_out = t;
	}
	if (slot == SLOT_INDEX) {
		if (*kind_out == SP_MEMBER_SYMLINK)
			return unsafe(p,
			    "member '%s' is a symbolic link; "
			    "refusing the bundle",
			    name);
		*slot_out = slot;
		return 0;
	}
	if (*kind_out == SP_MEMBER_SYMLINK && slot != SLOT_SOURCE)
		return unsafe(p, "member '%s' is a symbolic link", name);
	/* Order, duplicates, members below a file or a symlink. */
	if (member_find(b, name, len, NULL) >= 0)
		return unsafe(
		    p, "member '%s' appears twice; refusing the bundle", name);
	if (b->nmembers > 0 &&
	    strcmp(b->members[b->nmembers - 1].name, name) > 0)
		return unsafe(p,
		    "member '%s' is out of order (members are sorted by "
		    "name); refusing the bundle",
		    name);
	for (i = 0; i < len; i++) {
		long at;

		if (name[i] != '/')
			continue;
		at = member_find(b, name, i, NULL);
		if (at >= 0)
			return sp_err_set(p->ctx, SP_EUNSAFE,
			    "member '%s' would be written through '%s', which "
			    "is a %s member; refusing the bundle",
			    name, b->members[at].name,
			    b->members[at].kind == SP_MEMBER_SYMLINK
			        ? "symbolic link"
			        : "file");
	}
	*slot_out = slot;
	return 0;
}

static size_t
slot_limit(enum slot slot)
{
	switch (slot) {
	case SLOT_INDEX:
		return MAX_INDEX;
	case SLOT_MANIFEST:
		return SP_MANIFEST_MAX_SIZE;
	case SLOT_SIG:
		return SP_DSSE_MAX_SIZE;
	case SLOT_POLICY:
		return SP_POLICY_MAX_SIZE;
	case SLOT_RECIPE:
		return SP_RECIPE_MAX_SIZE;
	case SLOT_SUMS:
		return MAX_SUMS;
	case SLOT_PROOF:
		return SP_TLOG_PROOF_MAX_SIZE;
	default:
		return 0;
	}
}

static sp_buf *
slot_buf(struct pass *p, enum slot slot, const char *name)
{
	sp_bundle *b = p->b;

	switch (slot) {
	case SLOT_INDEX:
		return &b->index;
	case SLOT_MANIFEST:
		b->have_manifest = true;
		return &b->manifest;
	case SLOT_SIG:
		b->have_sig = true;
		return &b->manifest_sig;
	case SLOT_POLICY:
		b->have_policy = true;
		return &b->policy;
	case SLOT_RECIPE:
		b->have_recipe = true;
		return &b->recipe;
	case SLOT_SUMS:
		b->have_sums = true;
		return &b->sums;
	case SLOT_PROOF: {
		char **nn;
		sp_buf *nb;

		if (b->nproofs >= MAX_PROOFS)
			return NULL;
		nn = realloc(
		    b->proof_names, (b->nproofs + 1) * sizeof(*b->proof_names));
		if (nn == NULL)
			return NULL;
		b->proof_names = nn;
		nb = realloc(b->proofs, (b->nproofs + 1) * sizeof(*b->proofs));
		if (nb == NULL)
			return NULL;
		b->proofs = nb;
		if ((b->proof_names[b->nproofs] = strdup(name + 7)) == NULL)
			return NULL;
		sp_buf_init(&b->proofs[b->nproofs], SP_TLOG_PROOF_MAX_SIZE);
		return &b->proofs[b->nproofs++];
	}
	default:
		return NULL;
	}
}

static int
la_error(struct pass *p, const char *what)
{
	const char *msg = archive_error_string(p->a);

	if (p->in->error != 0)
		return p->in->error;
	if (msg != NULL && (strstr(msg, "runcated") != NULL ||
	                       strstr(msg, "nexpected end") != NULL ||
	                       strstr(msg, "remature end") != NULL))
		return sp_err_set(p->ctx, SP_EPARSE,
		    "bundle '%s' is truncated (%s: %s)", p->in->name, what,
		    msg);
	return sp_err_set(p->ctx, SP_EPARSE, "bundle '%s' is corrupt (%s: %s)",
	    p->in->name, what, msg != NULL ? msg : "unknown error");
}

static int
table_push(struct pass *p, const char *name, sp_member_kind kind, uint64_t size,
    const char *target, sp_member **out)
{
	sp_bundle *b = p->b;
	sp_member *m;

	if (b->nmembers == b->amembers) {
		size_t ncap = b->amembers ? b->amembers * 2 : 256;
		sp_member *nv = realloc(b->members, ncap * sizeof(*nv));

		if (nv == NULL)
			return sp_err_set(p->ctx, SP_ENOMEM, "out of memory");
		b->members = nv;
		b->amembers = ncap;
	}
	m = &b->members[b->nmembers];
	memset(m, 0, sizeof(*m));
	if ((m->name = strdup(name)) == NULL ||
	    (target != NULL && (m->target = strdup(target)) == NULL)) {
		free(m->name);
		return sp_err_set(p->ctx, SP_ENOMEM, "out of memory");
	}
	m->name_len = strlen(name);
	m->kind = kind;
	m->size = size;
	b->nmembers++;
	*out = m;
	return 0;
}

static int
read_member(struct pass *p, struct archive_entry *e)
{
	sp_bundle *b = p->b;
	const char *name = NULL, *target = NULL;
	enum slot slot = SLOT_NONE;
	sp_member_kind kind = SP_MEMBER_FILE;
	sp_member tmp, *m = &tmp;
	sp_buf *keep = NULL;
	uint64_t size, got = 0;
	unsigned int olen = 0;
	int error;

	if ((error = check_name(p, archive_entry_pathname(e),
	         archive_entry_filetype(e) == AE_IFDIR, &name)) < 0 ||
	    (error = check_entry(p, e, name, &slot, &kind, &target)) < 0)
		return error;
	size = kind == SP_MEMBER_SYMLINK ? 0 : (uint64_t)archive_entry_size(e);
	if (b->nmembers + 1 > p->max_members)
		return sp_err_set(p->ctx, SP_ELIMIT,
		    "bundle has more than %llu members; refusing it (raise "
		    "the limit with --max-members)",
		    (unsigned long long)p->max_members);
	if (size > p->max_total - b->total_bytes)
		return sp_err_set(p->ctx, SP_ELIMIT,
		    "bundle expands beyond the limit of %llu bytes; refusing "
		    "it (raise the limit with --max-size)",
		    (unsigned long long)p->max_total);
	b->total_bytes += size;
	if (slot_limit(slot) > 0 && size > slot_limit(slot))
		return sp_err_set(p->ctx, SP_ELIMIT,
		    "member '%s' is larger than its limit of %zu bytes", name,
		    slot_limit(slot));
	if (slot == SLOT_INDEX) {
		p->seen_index = true;
		memset(&tmp, 0, sizeof(tmp));
		tmp.name = (char *)name;
		tmp.name_len = strlen(name);
		tmp.size = size;
	} else {
		if ((error = table_push(p, name, kind, size, target, &m)) < 0)
			return error;
		if (slot_limit(slot) > 0 &&
		    (keep = slot_buf(p, slot, name)) == NULL)
			return sp_err_set(p->ctx, SP_ENOMEM,
			    "out of memory (or more than %d proofs)",
			    MAX_PROOFS);
	}
	if (slot == SLOT_INDEX)
		keep = &b->index;
	if (p->ops != NULL && p->ops->begin != NULL &&
	    (error = p->ops->begin(p->payload, m)) != 0)
		return error;
	if (EVP_DigestInit_ex(p->md, EVP_sha256(), NULL) != 1)
		return sp_err_set(p->ctx, SP_ERROR, "SHA-256 unavailable");
	if (kind == SP_MEMBER_SYMLINK) {
		if (EVP_DigestUpdate(p->md, target, strlen(target)) != 1)
			return sp_err_set(p->ctx, SP_ERROR, "SHA-256 failed");
		m->size = strlen(target);
	} else {
		for (;;) {
			const void *buf;
			size_t len;
			la_int64_t off;
			int r = archive_read_data_block(p->a, &buf, &len, &off);
			uint64_t out_bytes, in_bytes;

			if (r == ARCHIVE_EOF)
				break;
			if (r != ARCHIVE_OK)
				return la_error(p, name);
			if (off < 0 || (uint64_t)off != got || len > size - got)
				return sp_err_set(p->ctx, SP_EPARSE,
				    "member '%s' has holes or extra data; "
				    "refusing the bundle",
				    name);
			got += len;
			if (EVP_DigestUpdate(p->md, buf, len) != 1)
				return sp_err_set(
				    p->ctx, SP_ERROR, "SHA-256 failed");
			if (keep != NULL && sp_buf_put(keep, buf, len) < 0)
				return sp_err_set(
				    p->ctx, SP_ENOMEM, "out of memory");
			if (p->ops != NULL && p->ops->data != NULL &&
			    (error = p->ops->data(p->payload, buf, len)) != 0)
				return error;
			/* Decompression bomb: output against input. */
			out_bytes = (uint64_t)archive_filter_bytes(p->a, 0);
			in_bytes = p->in->consumed;
			if (out_bytes > SP_ESCROW_RATIO_GRACE &&
			    out_bytes / (in_bytes ? in_bytes : 1) >=
			        p->max_ratio)
				return sp_err_set(p->ctx, SP_ELIMIT,
				    "bundle expands more than %llu times "
				    "(decompression bomb?); refusing it "
				    "(raise the limit with --max-ratio)",
				    (unsigned long long)p->max_ratio);
		}
		if (got != size)
			return sp_err_set(p->ctx, SP_EPARSE,
			    "bundle '%s' is truncated (member '%s')",
			    p->in->name, name);
	}
	if (EVP_DigestFinal_ex(p->md, m->sha256, &olen) != 1 || olen != 32)
		return sp_err_set(p->ctx, SP_ERROR, "SHA-256 failed");
	if (p->ops != NULL && p->ops->end != NULL &&
	    (error = p->ops->end(p->payload, m)) != 0)
		return error;
	return 0;
}

/* Compare the member table with INDEX (both sorted). */
static void
check_index(struct pass *p)
{
	sp_bundle *b = p->b;
	sp_index_entry *v = NULL;
	char *arena = NULL;
	size_t n = 0, i = 0, j = 0;
	sp_ctx *tmp = NULL;
	const char *why = NULL, *who = NULL;

	b->index_ok = false;
	if (sp_ctx_new(&tmp) < 0) {
		snprintf(
		    b->index_error, sizeof(b->index_error), "out of memory");
		return;
	}
	if (sp_index_parse(tmp, &v, &n, &arena, b->index.ptr, b->index.size,
	        p->max_members) < 0) {
		snprintf(b->index_error, sizeof(b->index_error), "%s",
		    sp_ctx_errmsg(tmp));
		goto out;
	}
	while (why == NULL && (i < b->nmembers || j < n)) {
		const sp_member *m = i < b->nmembers ? &b->members[i] : NULL;
		const sp_index_entry *e = j < n ? &v[j] : NULL;
		int c;

		if (m == NULL)
			c = 1;
		else if (e == NULL)
			c = -1;
		else {
			size_t k = m->name_len < e->name_len ? m->name_len
			                                     : e->name_len;

			c = memcmp(m->name, e->name, k);
			if (c == 0)
				c = m->name_len < e->name_len   ? -1
				    : m->name_len > e->name_len ? 1
				                                : 0;
		}
		if (c < 0) {
			why = "is not listed in INDEX";
			who = m->name;
		} else if (c > 0) {
			why = "is listed in INDEX but missing from the bundle";
			snprintf(b->index_error, sizeof(b->index_error),
			    "'%.*s' %s",
			    (int)(e->name_len > 1024 ? 1024 : e->name_len),
			    e->name, why);
			goto out;
		} else if ((m->kind == SP_MEMBER_SYMLINK) != e->symlink) {
			why = "has another type than INDEX says";
			who = m->name;
		} else if (!sp_ct_equal(m->sha256, e->sha256, 32)) {
			why = "does not match its SHA-256 in INDEX";
			who = m->name;
		}
		i++;
		j++;
	}
	if (why != NULL) {
		snprintf(b->index_error, sizeof(b->index_error),
		    "member '%s' %s", who, why);
		goto out;
	}
	b->index_ok = true;
out:
	free(v);
	free(arena);
	sp_ctx_free(tmp);
}

static int
run(struct pass *p)
{
	struct archive_entry *e;
	locale_t cloc, old;
	int r, error = 0;

	if ((cloc = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0)) ==
	    (locale_t)0)
		return sp_err_set(p->ctx, SP_EUNSUPPORTED,
		    "the C.UTF-8 locale is not available (glibc 2.35 and later "
		    "have it built in; else install locales)");
	old = uselocale(cloc);
	if ((p->a = archive_read_new()) == NULL ||
	    (p->md = EVP_MD_CTX_new()) == NULL) {
		error = sp_err_set(p->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (archive_read_support_filter_zstd(p->a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(p->a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(p->a) != ARCHIVE_OK) {
		error = sp_err_set(p->ctx, SP_EUNSUPPORTED,
		    "libarchive lacks zstd, gzip or tar support: %s",
		    archive_error_string(p->a));
		goto out;
	}
	if (archive_read_open(p->a, p->in, NULL, input_read, NULL) !=
	    ARCHIVE_OK) {
		error = p->in->error != 0
		            ? p->in->error
		            : sp_err_set(p->ctx, SP_EPARSE,
		                  "'%s' is not a bundle (not a tar archive, "
		                  "plain, zstd or gzip): %s",
		                  p->in->name,
		                  archive_error_string(p->a)
		                      ? archive_error_string(p->a)
		                      : "unknown format");
		goto fail;
	}
	for (;;) {
		r = archive_read_next_header(p->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			error = la_error(p, "member header");
			goto fail;
		}
		if (p->b->nmembers == 0 && !p->seen_index) {
			switch (archive_filter_code(p->a, 0)) {
			case ARCHIVE_FILTER_ZSTD:
				p->b->compression = SP_ESCROW_ZSTD;
				break;
			case ARCHIVE_FILTER_GZIP:
				p->b->compression = SP_ESCROW_GZIP;
				break;
			default:
				p->b->compression = SP_ESCROW_NONE;
				break;
			}
		}
		if ((error = read_member(p, e)) != 0)
			goto fail;
	}
	if (p->in->cms != NULL) {
		if ((error = sp_cms_reader_drain(p->in->cms)) < 0) {
			p->b->decrypt_failed = true;
			goto out;
		}
		p->b->tag_ok = true;
	}
	p->b->stream_bytes = p->in->consumed;
	if (!p->seen_index) {
		error = sp_err_set(p->ctx, SP_EPARSE,
		    "bundle '%s' has no INDEX (truncated, or not a srcproof "
		    "bundle)",
		    p->in->name);
		goto out;
	}
	check_index(p);
	if (!p->b->index_ok)
		error = sp_err_set(p->ctx, SP_EVERIFY, "bundle '%s': %s",
		    p->in->name, p->b->index_error);
	goto out;
fail:
	if (p->in->cms != NULL) {
		if (p->in->error != 0) {
			/* The decryption itself failed. */
			p->b->decrypt_failed = true;
		} else if (error != SP_EIO && error != SP_ENOMEM) {
			/* Structure refused: is the ciphertext intact? A
			 * modified bundle is reported as such. */
			char msg[SP_ERRMSG_MAX];
			int derr;

			snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(p->ctx));
			derr = sp_cms_reader_drain(p->in->cms);
			if (derr == SP_EVERIFY) {
				p->b->decrypt_failed = true;
				error = derr;
			} else {
				p->b->tag_ok = derr == 0;
				sp_err_set(p->ctx, error, "%s", msg);
			}
		}
	}
out:
	if (p->a != NULL)
		archive_read_free(p->a);
	p->a = NULL;
	EVP_MD_CTX_free(p->md);
	p->md = NULL;
	uselocale(old);
	freelocale(cloc);
	return error;
}

static void
pass_limits(struct pass *p, const sp_escrow_read_options *o)
{
	p->max_total = o != NULL && o->max_total ? o->max_total
	                                         : SP_ESCROW_DEFAULT_MAX_TOTAL;
	p->max_members = o != NULL && o->max_members
	                     ? o->max_members
	                     : SP_ESCROW_DEFAULT_MAX_MEMBERS;
	p->max_ratio = o != NULL && o->max_ratio ? o->max_ratio
	                                         : SP_ESCROW_DEFAULT_MAX_RATIO;
}

int
sp_bundle_read(sp_ctx *ctx, sp_bundle *b, const char *path,
    const sp_escrow_read_options *opts, const sp_reader_ops *ops, void *payload)
{
	struct pass p;
	struct input in;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	unsigned char first = 0;
	int error;

	memset(&p, 0, sizeof(p));
	memset(&in, 0, sizeof(in));
	in.fd = -1;
	in.ctx = ctx;
	in.name = path;
	p.ctx = ctx;
	p.b = b;
	p.opts = opts;
	p.ops = ops;
	p.payload = payload;
	p.in = &in;
	pass_limits(&p, opts);
	if ((error = sp_open_read(ctx, &in.fd, path, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if ((in.buf = sp_malloc(ctx, READ_BUF)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (pread(in.fd, &first, 1, 0) == 1 && first == 0x30) {
		/* A DER/BER SEQUENCE: a CMS-encrypted bundle. */
		b->encrypted = true;
		if (opts == NULL || opts->key == NULL) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "bundle '%s' is encrypted (CMS); a recipient's "
			    "private key is needed",
			    path);
			sp_err_hint(ctx, "add --key KEY.pem (and --cert "
			                 "CERT.pem) of a recipient");
			goto out;
		}
		if ((error = sp_escrow__load_pkey(ctx, &pkey, opts->key,
		         opts->passphrase_cb, opts->passphrase_payload)) < 0)
			goto out;
		if (opts->cert != NULL &&
		    (error = sp_escrow__load_cert(ctx, &cert, opts->cert)) < 0)
			goto out;
		if ((error = sp_cms_reader_open(
		         ctx, &in.cms, in.fd, path, pkey, cert)) < 0) {
			if (error != SP_EIO && error != SP_ENOMEM)
				b->decrypt_failed = true;
			goto out;
		}
		b->authenticated = sp_cms_reader_authenticated(in.cms);
		snprintf(b->cipher, sizeof(b->cipher), "%s",
		    sp_cms_reader_cipher(in.cms));
	}
	b->opened = true;
	error = run(&p);
out:
	sp_cms_reader_free(in.cms);
	EVP_PKEY_free(pkey);
	X509_free(cert);
	free(in.buf);
	if (in.fd >= 0)
		close(in.fd);
	return error;
}

int
sp_bundle_read_mem(sp_ctx *ctx, sp_bundle *b, const void *data, size_t len,
    const sp_escrow_read_options *opts)
{
	struct pass p;
	struct input in;

	memset(&p, 0, sizeof(p));
	memset(&in, 0, sizeof(in));
	in.fd = -1;
	in.ctx = ctx;
	in.name = "(memory)";
	in.mem = data;
	in.memlen = len;
	p.ctx = ctx;
	p.b = b;
	p.opts = opts;
	p.in = &in;
	pass_limits(&p, opts);
	return run(&p);
}
