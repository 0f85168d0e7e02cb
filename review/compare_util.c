/*
 * Shared helpers of the binary comparison: bounded file access, findings,
 * region maps and logical views of a file.
 */
#include <errno.h>
#include <openssl/asn1.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compare_int.h"
#include "util_int.h"

#include "banned.h"

int
cmp_file_open(sp_ctx *ctx, cmp_file *f, const char *path)
{
	struct stat st;
	int fd = -1, error;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->name = path;
	if ((error = sp_open_read(ctx, &fd, path, SP_OPEN_NOFOLLOW)) < 0)
		return error;
	if (fstat(fd, &st) < 0) {
		error = sp_err_set(
		    ctx, SP_EIO, "cannot stat '%s': %s", path, strerror(errno));
		close(fd);
		return error;
	}
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	return 0;
}

void
cmp_file_mem(cmp_file *f, const char *name, const void *data, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->name = name;
	f->mem = data;
	f->size = len;
}

void
cmp_file_close(cmp_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int
cmp_read(sp_ctx *ctx, const cmp_file *f, uint64_t off, void *buf, size_t len,
    const char *what)
{
	uint8_t *p = buf;
	size_t done = 0;

	if (off > f->size || len > f->size - off)
		return sp_err_set(ctx, SP_EPARSE,
		    "'%s': truncated %s (needs bytes %llu..%llu, file has "
		    "%llu)",
		    f->name, what, (unsigned long long)off,
		    (unsigned long long)(off + len),
		    (unsigned long long)f->size);
	if (f->fd < 0) {
		if (len > 0)
			memcpy(buf, f->mem + off, len);
		return 0;
	}
	while (done < len) {
		ssize_t n = pread(
		    f->fd, p + done, len - done, (off_t)(off + (uint64_t)done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sp_err_set(ctx, SP_EIO,
			    "cannot read '%s' at offset %llu: %s", f->name,
			    (unsigned long long)(off + done),
			    n < 0 ? strerror(errno) : "file shrank");
		done += (size_t)n;
	}
	return 0;
}

char *
cmp_clean(const char *s, size_t len, size_t max)
{
	sp_buf b = SP_BUF_INIT;

	if (len > max)
		len = max;
	if (sp_escape_terminal(&b, s, len) < 0) {
		sp_buf_dispose(&b);
		return NULL;
	}
	return sp_buf_detach(&b);
}

int
cmp_finding(sp_ctx *ctx, cmp_findings *fs, cmp_severity sev, const char *code,
    const char *fmt, ...)
{
	static const char *const names[] = {"info", "warning", "fail"};
	char msg[1024];
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (fs->list == NULL && (fs->list = json_array()) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	o = json_pack("{s:s, s:s, s:s}", "severity", names[sev], "code", code,
	    "message", msg);
	if (o == NULL || json_array_append_new(fs->list, o) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if (sev == CMP_FAIL)
		fs->nfail++;
	return 0;
}

/* ---- regions ------------------------------------------------------------- */

int
cmp_region_add(sp_ctx *ctx, cmp_regions *rs, uint64_t start, uint64_t len,
    int kind, const char *fmt, ...)
{
	char label[256];
	va_list ap;

	if (len == 0 || rs == NULL)
		return 0;
	if (rs->n >= CMP_MAX_REGIONS)
		return 0; /* labels are best effort past the cap */
	if (rs->n == rs->cap) {
		size_t ncap = rs->cap ? rs->cap * 2 : 64;
		cmp_region *nv = realloc(rs->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return sp_err_set(ctx, SP_ENOMEM, "out of memory");
		rs->v = nv;
		rs->cap = ncap;
	}
	va_start(ap, fmt);
	if (vsnprintf(label, sizeof(label), fmt, ap) < 0)
		label[0] = '\0';
	va_end(ap);
	if ((rs->v[rs->n].label = strdup(label)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	rs->v[rs->n].start = start;
	rs->v[rs->n].end = start + len < start ? UINT64_MAX : start + len;
	rs->v[rs->n].kind = kind;
	rs->n++;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
cmp_regions_finish(sp_ctx *ctx, cmp_regions *rs)
{
	uint64_t *bounds = NULL;
	size_t nb = 0, i, j, nu;
	int error = 0;

	free(rs->flat);
	rs->flat = NULL;
	rs->nflat = 0;
	if (rs->n == 0)
		return 0;
	if ((bounds = calloc(rs->n * 2, sizeof(*bounds))) == NULL ||
	    (rs->flat = calloc(rs->n * 2, sizeof(*rs->flat))) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < rs->n; i++) {
		bounds[nb++] = rs->v[i].start;
		bounds[nb++] = rs->v[i].end;
	}
	qsort(bounds, nb, sizeof(*bounds), cmp_u64);
	for (i = 0, nu = 0; i < nb; i++)
		if (nu == 0 || bounds[nu - 1] != bounds[i])
			bounds[nu++] = bounds[i];
	/* Each elementary piece takes the smallest region holding it. */
	for (i = 0; i + 1 < nu; i++) {
		const cmp_region *best = NULL;

		for (j = 0; j < rs->n; j++) {
			const cmp_region *r = &rs->v[j];

			if (r->start <= bounds[i] && r->end >= bounds[i + 1] &&
			    (best == NULL ||
			        r->end - r->start < best->end - best->start))
				best = r;
		}
		if (best == NULL)
			continue;
		if (rs->nflat > 0 &&
		    rs->flat[rs->nflat - 1].label == best->label &&
		    rs->flat[rs->nflat - 1].end == bounds[i]) {
			rs->flat[rs->nflat - 1].end = bounds[i + 1];
			continue;
		}
		rs->flat[rs->nflat].start = bounds[i];
		rs->flat[rs->nflat].end = bounds[i + 1];
		rs->flat[rs->nflat].label = best->label; /* borrowed */
		rs->flat[rs->nflat].kind = best->kind;
		rs->nflat++;
	}
out:
	free(bounds);
	return error;
}

const cmp_region *
cmp_regions_find(const cmp_regions *rs, uint64_t off, uint64_t *end_out)
{
	size_t lo = 0, hi = rs->nflat;

	*end_out = UINT64_MAX;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->flat[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo: first piece ending after off. */
	if (lo < rs->nflat) {
		if (rs->flat[lo].start <= off) {
			*end_out = rs->flat[lo].end;
			return &rs->flat[lo];
		}
		*end_out = rs->flat[lo].start;
	}
	return NULL;
}

void
cmp_regions_dispose(cmp_regions *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		free(rs->v[i].label);
	free(rs->v);
	free(rs->flat);
	memset(rs, 0, sizeof(*rs));
}

/* ---- views --------------------------------------------------------------- */

void
cmp_view_init(cmp_view *v, const cmp_file *f, uint64_t file_len)
{
	memset(v, 0, sizeof(*v));
	v->f = f;
	v->file_len = file_len;
	v->pad_to = file_len;
}

void
cmp_view_patch(cmp_view *v, uint64_t off, const void *bytes, size_t len)
{
	if (v->npatch >= SP_ARRAY_SIZE(v->patch) || len > 8)
		return;
	v->patch[v->npatch].off = off;
	v->patch[v->npatch].len = (uint8_t)len;
	memcpy(v->patch[v->npatch].bytes, bytes, len);
	v->npatch++;
}

int
cmp_view_read(sp_ctx *ctx, const cmp_view *v, uint64_t off, uint8_t *buf,
    size_t len, uint8_t *raw, size_t *raw_len)
{
	uint64_t end = off + len, size = cmp_view_size(v);
	size_t nfile = 0, i;
	int error;

	if (off > size || len > size - off)
		return sp_err_set(
		    ctx, SP_EPARSE, "'%s': read past the view", v->f->name);
	if (off < v->file_len) {
		nfile = (size_t)((end < v->file_len ? end : v->file_len) - off);
		if ((error = cmp_read(ctx, v->f, off, buf, nfile, "data")) < 0)
			return error;
	}
	if (raw != NULL) {
		memcpy(raw, buf, nfile);
		*raw_len = nfile;
	}
	for (i = nfile; i < len; i++) {
		uint64_t o = off + i;

		buf[i] = o < v->pad_to ? 0 : v->tail[o - v->pad_to];
	}
	for (i = 0; i < v->npatch; i++) {
		const cmp_patch *p = &v->patch[i];
		uint64_t s = p->off > off ? p->off : off;
		uint64_t e = p->off + p->len < end ? p->off + p->len : end;

		for (; s < e; s++)
			buf[s - off] = p->bytes[s - p->off];
	}
	return 0;
}

int
cmp_asn1_time(char *out, const void *t)
{
	struct tm tm;
	int64_t secs;

	if (t == NULL || !ASN1_TIME_to_tm((const ASN1_TIME *)t, &tm))
		return -1;
	secs = (int64_t)timegm(&tm);
	return sp_time_format(out, secs);
}
