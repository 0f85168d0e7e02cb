/*
 * Compressed kernel modules (.ko.xz, .ko.zst, .ko.gz): detection by magic,
 * bounded decompression into an unlinked temporary file (xz and zstd with
 * libarchive's raw format, gzip with zlib), and framing checks: a file MUST
 * be exactly one xz stream, one zstd frame or one gzip member, since
 * loaders differ on what follows the first one (the kernel's decompressor
 * stops there, kmod's goes on). See docs/spec/compare.md, section 4.4.
 */
#include <archive.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "compare_int.h"
#include "util_int.h"

#include "banned.h"

#define IN_CHUNK ((size_t)64 << 10)
#define OUT_CHUNK ((size_t)256 << 10)
#define XZ_MAX_INDEX ((uint64_t)1 << 20)

static const uint8_t XZ_MAGIC[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
static const uint8_t ZSTD_MAGIC[4] = {0x28, 0xb5, 0x2f, 0xfd};
static const uint8_t GZIP_MAGIC[3] = {0x1f, 0x8b, 0x08}; /* deflate */

cmp_compression
cmp_compression_detect(const cmp_file *f)
{
	uint8_t m[6];
	sp_ctx *ctx = NULL;
	cmp_compression c = CMP_COMP_NONE;

	if (f->size < sizeof(m) || sp_ctx_new(&ctx) < 0)
		return CMP_COMP_NONE;
	if (cmp_read(ctx, f, 0, m, sizeof(m), "magic") == 0) {
		if (memcmp(m, XZ_MAGIC, 6) == 0)
			c = CMP_COMP_XZ;
		else if (memcmp(m, ZSTD_MAGIC, 4) == 0)
			c = CMP_COMP_ZSTD;
		else if (memcmp(m, GZIP_MAGIC, 3) == 0)
			c = CMP_COMP_GZIP;
	}
	sp_ctx_free(ctx);
	return c;
}

const char *
cmp_compression_name(cmp_compression c)
{
	switch (c) {
	case CMP_COMP_XZ:
		return "xz";
	case CMP_COMP_ZSTD:
		return "zstd";
	case CMP_COMP_GZIP:
		return "gzip";
	default:
		return "none";
	}
}

/* ---- output: an unlinked temporary file, or a peek buffer -----------------
 */

typedef struct sink {
	sp_ctx *ctx;
	const cmp_file *in;
	cmp_compression kind;
	int fd;          /* -1 when peeking */
	uint8_t peek[4]; /* first bytes */
	size_t npeek;
	uint64_t total, max;
	bool done; /* peek satisfied: stop early */
} sink;

static int
tmp_open(sp_ctx *ctx, int *fd)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int n;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	n = snprintf(
	    path, sizeof(path), "%s/srcproof-decompressed-XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return sp_err_set(ctx, SP_EIO, "TMPDIR is too long");
	if ((*fd = mkstemp(path)) < 0)
		return sp_err_set(ctx, SP_EIO,
		    "cannot create a temporary file in '%s': %s", dir,
		    strerror(errno));
	(void)unlink(path);
	return 0;
}

static int
sink_put(sink *s, const uint8_t *p, size_t n)
{
	size_t i, k;

	for (i = 0; i < n && s->npeek < sizeof(s->peek); i++)
		s->peek[s->npeek++] = p[i];
	if (s->fd < 0) {
		/* Peeking: the first bytes are enough. */
		s->done = s->npeek == sizeof(s->peek);
		return 0;
	}
	if (n > s->max - s->total) {
		sp_err_set(s->ctx, SP_ELIMIT,
		    "'%s': the %s data decompresses to more than %llu bytes "
		    "(a decompression bomb?)",
		    s->in->name, cmp_compression_name(s->kind),
		    (unsigned long long)s->max);
		sp_err_hint(s->ctx, "raise the limit with --max-decompressed "
		                    "BYTES if the module is that large");
		return SP_ELIMIT;
	}
	s->total += n;
	while (n > 0) {
		ssize_t w = write(s->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return sp_err_set(s->ctx, SP_EIO,
			    "cannot write the decompressed '%s': %s",
			    s->in->name, w < 0 ? strerror(errno) : "no space");
		k = (size_t)w;
		p += k;
		n -= k;
	}
	return 0;
}

/* ---- gzip (zlib): exactly one member --------------------------------------
 */

static int
gunzip(sink *s, uint64_t *consumed)
{
	z_stream zs;
	uint8_t *in = NULL, *out = NULL;
	uint64_t off = 0;
	int zr = Z_OK, error = 0;
	bool init = false;

	memset(&zs, 0, sizeof(zs));
	*consumed = 0;
	if ((in = malloc(IN_CHUNK)) == NULL ||
	    (out = malloc(OUT_CHUNK)) == NULL) {
		error = sp_err_set(s->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	/* 16 + 15: a gzip wrapper only, 32 KiB window, one member. */
	if (inflateInit2(&zs, 16 + 15) != Z_OK) {
		error = sp_err_set(s->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	init = true;
	while (zr != Z_STREAM_END && !s->done) {
		if (zs.avail_in == 0) {
			size_t n = s->in->size - off < IN_CHUNK
			               ? (size_t)(s->in->size - off)
			               : IN_CHUNK;

			if (n == 0) {
				error = sp_err_set(s->ctx, SP_EPARSE,
				    "'%s': truncated gzip data", s->in->name);
				goto out;
			}
			if ((error = cmp_read(
			         s->ctx, s->in, off, in, n, "gzip data")) < 0)
				goto out;
			off += n;
			zs.next_in = in;
			zs.avail_in = (uInt)n;
		}
		zs.next_out = out;
		zs.avail_out = (uInt)OUT_CHUNK;
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			error = sp_err_set(s->ctx, SP_EPARSE,
			    "'%s': corrupt gzip data (%s)", s->in->name,
			    zr == Z_MEM_ERROR ? "out of memory"
			    : zs.msg != NULL  ? zs.msg
			                      : "inflate failed");
			goto out;
		}
		if ((error = sink_put(s, out, OUT_CHUNK - zs.avail_out)) < 0)
			goto out;
	}
	*consumed = zs.total_in;
out:
	if (init)
		inflateEnd(&zs);
	free(in);
	free(out);
	return error;
}

/* ---- xz, zstd (libarchive, raw format) ------------------------------------
 */

typedef struct la_src {
	sp_ctx *ctx;
	const cmp_file *f;
	uint64_t off;
	uint8_t *buf;
	int error;
} la_src;

static la_ssize_t
la_read(struct archive *a, void *cd, const void **out)
{
	la_src *s = cd;
	size_t n = s->f->size - s->off < IN_CHUNK
	               ? (size_t)(s->f->size - s->off)
	               : IN_CHUNK;
	int error;

	*out = s->buf;
	if (n == 0)
		return 0;
	if ((error = cmp_read(s->ctx, s->f, s->off, s->buf, n, "data")) < 0) {
		s->error = error;
		archive_set_error(a, EIO, "read error");
		return -1;
	}
	s->off += n;
	return (la_ssize_t)n;
}

static int
la_decompress(sink *s)
{
	struct archive *a = NULL;
	struct archive_entry *entry;
	la_src src;
	uint8_t *out = NULL;
	la_ssize_t n;
	int r, error = 0, want;
	char *msg = NULL;

	memset(&src, 0, sizeof(src));
	src.ctx = s->ctx;
	src.f = s->in;
	if ((src.buf = malloc(IN_CHUNK)) == NULL ||
	    (out = malloc(OUT_CHUNK)) == NULL ||
	    (a = archive_read_new()) == NULL) {
		error = sp_err_set(s->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	/* ARCHIVE_WARN means an external program: refused. */
	r = s->kind == CMP_COMP_XZ ? archive_read_support_filter_xz(a)
	                           : archive_read_support_filter_zstd(a);
	want = s->kind == CMP_COMP_XZ ? ARCHIVE_FILTER_XZ : ARCHIVE_FILTER_ZSTD;
	if (r != ARCHIVE_OK) {
		error = sp_err_set(s->ctx, SP_EUNSUPPORTED,
		    "this libarchive cannot decompress %s by itself",
		    cmp_compression_name(s->kind));
		goto out;
	}
	if (archive_read_support_format_raw(a) != ARCHIVE_OK ||
	    archive_read_open(a, &src, NULL, la_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(a, &entry) != ARCHIVE_OK)
		goto la_fail;
	if (archive_filter_code(a, 0) != want) {
		error = sp_err_set(s->ctx, SP_EPARSE, "'%s': not %s data",
		    s->in->name, cmp_compression_name(s->kind));
		goto out;
	}
	while (!s->done && (n = archive_read_data(a, out, OUT_CHUNK)) != 0) {
		if (n < 0)
			goto la_fail;
		if ((error = sink_put(s, out, (size_t)n)) < 0)
			goto out;
	}
	goto out;
la_fail:
	if (src.error < 0) {
		error = src.error;
		goto out;
	}
	msg = archive_error_string(a) != NULL
	          ? cmp_clean(archive_error_string(a),
	                strlen(archive_error_string(a)), 200)
	          : NULL;
	error = sp_err_set(s->ctx, SP_EPARSE, "'%s': corrupt %s data (%s)",
	    s->in->name, cmp_compression_name(s->kind),
	    msg != NULL ? msg : "decompression failed");
out:
	free(msg);
	if (a != NULL)
		archive_read_free(a);
	free(src.buf);
	free(out);
	return error;
}

static int
run(sink *s, uint64_t *gz_consumed)
{
	*gz_consumed = 0;
	if (s->kind == CMP_COMP_GZIP)
		return gunzip(s, gz_consumed);
	if (s->kind == CMP_COMP_XZ || s->kind == CMP_COMP_ZSTD)
		return la_decompress(s);
	return sp_err_set(s->ctx, SP_EINVALID, "not a compressed file");
}

int
cmp_decompress_peek(
    sp_ctx *ctx, const cmp_file *in, cmp_compression kind, bool *is_elf)
{
	sink s;
	uint64_t consumed;
	int error;

	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	s.in = in;
	s.kind = kind;
	s.fd = -1;
	s.max = UINT64_MAX;
	*is_elf = false;
	if ((error = run(&s, &consumed)) < 0)
		return error;
	*is_elf = s.npeek == 4 && memcmp(s.peek, "\177ELF", 4) == 0;
	return 0;
}

int
cmp_decompress(sp_ctx *ctx, cmp_file *out, const cmp_file *in,
    cmp_compression kind, uint64_t max, const char *name, cmp_findings *fs)
{
	sink s;
	uint64_t consumed = 0;
	int error;

	memset(&s, 0, sizeof(s));
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	s.ctx = ctx;
	s.in = in;
	s.kind = kind;
	s.max = max;
	if ((error = tmp_open(ctx, &s.fd)) < 0)
		return error;
	if ((error = run(&s, &consumed)) < 0)
		goto fail;
	if (kind == CMP_COMP_GZIP && consumed < in->size &&
	    (error = cmp_finding(ctx, fs, CMP_FAIL, "compressed-framing",
	         "'%s' is not exactly one compressed stream: %llu byte(s) "
	         "after the gzip member (another member or other data)",
	         in->name, (unsigned long long)(in->size - consumed))) < 0)
		goto fail;
	if ((error = cmp_compression_framing(ctx, in, kind, fs)) < 0)
		goto fail;
	out->fd = s.fd;
	out->name = name;
	out->size = s.total;
	return 0;
fail:
	close(s.fd);
	return error;
}

/* ---- framing checks ---------------------------------------------------------
 */

/* A small forward reader over a file. */
typedef struct brd {
	sp_ctx *ctx;
	const cmp_file *f;
	uint64_t base;
	size_t len;
	uint8_t buf[IN_CHUNK];
} brd;

/* n <= 16 bytes at off; false past the end. */
static int
brd_get(brd *r, uint64_t off, uint8_t *out, size_t n, bool *ok)
{
	int error;

	*ok = false;
	if (off > r->f->size || n > r->f->size - off)
		return 0;
	if (off < r->base || off + n > r->base + r->len) {
		r->base = off;
		r->len = r->f->size - off < IN_CHUNK
		             ? (size_t)(r->f->size - off)
		             : IN_CHUNK;
		if ((error = cmp_read(
		         r->ctx, r->f, r->base, r->buf, r->len, "data")) < 0)
			return error;
	}
	memcpy(out, r->buf + (off - r->base), n);
	*ok = true;
	return 0;
}

static int
framing_fail(sp_ctx *ctx, cmp_findings *fs, const cmp_file *f, const char *what)
{
	return cmp_finding(ctx, fs, CMP_FAIL, "compressed-framing",
	    "'%s' is not exactly one compressed stream: %s", f->name, what);
}

/* Length of the zstd frame at 0, or 0 with *what when malformed. */
static int
zstd_frame_len(brd *r, uint64_t *len, const char **what)
{
	static const unsigned did_sizes[4] = {0, 1, 2, 4};
	uint8_t b[4];
	uint64_t off;
	unsigned fhd, fcs;
	bool ok;
	int error;

	*len = 0;
	*what = NULL;
	if ((error = brd_get(r, 4, b, 1, &ok)) < 0)
		return error;
	if (!ok) {
		*what = "truncated zstd frame header";
		return 0;
	}
	fhd = b[0];
	if (fhd & 0x08) {
		*what = "zstd frame header with the reserved bit set";
		return 0;
	}
	fcs = fhd >> 6;
	off = 5 + ((fhd & 0x20) ? 0 : 1) + did_sizes[fhd & 3] +
	      (fcs == 0 ? ((fhd & 0x20) ? 1 : 0) : (1u << fcs));
	for (;;) {
		uint32_t bh, type, bsize;

		if ((error = brd_get(r, off, b, 3, &ok)) < 0)
			return error;
		if (!ok) {
			*what = "truncated zstd frame";
			return 0;
		}
		bh = (uint32_t)b[0] | ((uint32_t)b[1] << 8) |
		     ((uint32_t)b[2] << 16);
		type = (bh >> 1) & 3;
		bsize = bh >> 3;
		if (type == 3) {
			*what = "zstd block of the reserved type";
			return 0;
		}
		off += 3 + (type == 1 ? 1 : bsize);
		if (off > r->f->size) {
			*what = "truncated zstd frame";
			return 0;
		}
		if (bh & 1)
			break;
	}
	if (fhd & 0x04)
		off += 4; /* content checksum */
	if (off > r->f->size) {
		*what = "truncated zstd frame";
		return 0;
	}
	*len = off;
	return 0;
}

/* xz variable-length integer (at most 9 bytes, canonical). */
static bool
xz_vli(const uint8_t *p, size_t n, size_t *pos, uint64_t *v)
{
	unsigned i;

	*v = 0;
	for (i = 0; i < 9 && *pos < n; i++) {
		uint8_t b = p[(*pos)++];

		*v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return !(b == 0 && i > 0);
	}
	return false;
}

/* Length of the last xz stream, read backwards from the footer at EOF,
 * or 0 with *what. */
static int
xz_last_stream_len(
    sp_ctx *ctx, const cmp_file *f, uint64_t *len, const char **what)
{
	uint8_t h[12], ft[12], *ix = NULL;
	uint64_t isize, count, i, sum = 0, unpadded, uncompressed;
	size_t pos = 1;
	int error = 0;

	*len = 0;
	*what = NULL;
	if (f->size < 32) {
		*what = "truncated xz stream";
		return 0;
	}
	if ((error = cmp_read(ctx, f, 0, h, 12, "xz stream header")) < 0 ||
	    (error = cmp_read(
	         ctx, f, f->size - 12, ft, 12, "xz stream footer")) < 0)
		return error;
	if (ft[10] != 'Y' || ft[11] != 'Z' ||
	    crc32(0, ft + 4, 6) != cmp_le32(ft)) {
		*what = "the file does not end with an xz stream footer "
		        "(stream padding or data after the stream)";
		return 0;
	}
	if (h[6] != ft[8] || h[7] != ft[9] ||
	    crc32(0, h + 6, 2) != cmp_le32(h + 8)) {
		*what = "the first and the last xz stream flags disagree "
		        "(more than one stream?)";
		return 0;
	}
	isize = ((uint64_t)cmp_le32(ft + 4) + 1) * 4;
	if (isize > XZ_MAX_INDEX || isize > f->size - 24) {
		*what = "xz index larger than the file or the limit";
		return 0;
	}
	if ((ix = malloc((size_t)isize)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = cmp_read(ctx, f, f->size - 12 - isize, ix, (size_t)isize,
	         "xz index")) < 0)
		goto out;
	if (ix[0] != 0 ||
	    crc32(0, ix, (uInt)(isize - 4)) != cmp_le32(ix + isize - 4) ||
	    !xz_vli(ix, (size_t)isize - 4, &pos, &count)) {
		*what = "malformed xz index";
		goto out;
	}
	for (i = 0; i < count; i++) {
		if (!xz_vli(ix, (size_t)isize - 4, &pos, &unpadded) ||
		    !xz_vli(ix, (size_t)isize - 4, &pos, &uncompressed) ||
		    unpadded < 5 || unpadded > ((uint64_t)1 << 62) ||
		    sum + ((unpadded + 3) & ~(uint64_t)3) > f->size) {
			*what = "malformed xz index";
			goto out;
		}
		sum += (unpadded + 3) & ~(uint64_t)3;
	}
	/* Index padding: zeros up to a multiple of 4, then the CRC32. */
	for (; pos % 4 != 0; pos++)
		if (pos >= isize - 4 || ix[pos] != 0)
			break;
	if (pos != isize - 4) {
		*what = "malformed xz index";
		goto out;
	}
	*len = 12 + sum + isize + 12;
out:
	free(ix);
	return error;
}

int
cmp_compression_framing(
    sp_ctx *ctx, const cmp_file *f, cmp_compression kind, cmp_findings *fs)
{
	uint64_t len = 0;
	const char *what = NULL;
	char msg[160];
	brd *r = NULL;
	int error = 0;

	if (kind == CMP_COMP_ZSTD) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return sp_err_set(ctx, SP_ENOMEM, "out of memory");
		r->ctx = ctx;
		r->f = f;
		error = zstd_frame_len(r, &len, &what);
		free(r);
		if (error < 0)
			return error;
		if (what == NULL && len < f->size) {
			snprintf(msg, sizeof(msg),
			    "%llu byte(s) after the zstd frame (another frame, "
			    "a "
			    "skippable frame or other data)",
			    (unsigned long long)(f->size - len));
			what = msg;
		}
	} else if (kind == CMP_COMP_XZ) {
		if ((error = xz_last_stream_len(ctx, f, &len, &what)) < 0)
			return error;
		if (what == NULL && len > f->size)
			what =
			    "xz index describes more data than the file holds";
		else if (what == NULL && len < f->size) {
			snprintf(msg, sizeof(msg),
			    "more than one xz stream (%llu byte(s) before the "
			    "last one)",
			    (unsigned long long)(f->size - len));
			what = msg;
		}
	}
	return what != NULL ? framing_fail(ctx, fs, f, what) : 0;
}
