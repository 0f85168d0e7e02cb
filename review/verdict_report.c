/*
 * The one-page report of a verdict (rebuild or compare): plain text and a
 * self-contained HTML page, both rendered from the predicate, so the page
 * says exactly what the signed statement says.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rebuild_int.h"
#include "util_int.h"

#include "banned.h"

/* Appending helpers: each returns 0 or a negative code. */
typedef struct rend {
	sp_buf *b;
	bool html;
} rend;

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Untrusted text, escaped for the output kind. */
static int
put(rend *o, const char *s)
{
	if (s == NULL)
		s = "";
	return o->html ? sp_escape_html(o->b, s, strlen(s))
	               : sp_escape_terminal(o->b, s, strlen(s));
}

/* Trusted markup or text written by srcproof. */
static int
raw(rend *o, const char *s)
{
	return sp_buf_puts(o->b, s);
}

static int rawf(rend *o, const char *fmt, ...) SP_PRINTF(2, 3);

static int
rawf(rend *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return sp_buf_puts(o->b, buf);
}

/* Untrusted text, escaped, then padded with spaces to @p width and one. */
static int
put_pad(rend *o, const char *s, size_t width)
{
	size_t n = strlen(s);
	int error;

	if ((error = put(o, s)) < 0)
		return error;
	return rawf(o, "%*s", n < width ? (int)(width - n) + 1 : 1, "");
}

#define P(x)                                                                   \
	do {                                                                   \
		if ((error = (x)) < 0)                                         \
			goto out;                                              \
	} while (0)

static const char *
verdict_class(const char *v)
{
	if (strcmp(v, "IDENTICAL") == 0 ||
	    strcmp(v, "IDENTICAL_MODULO_SIGNATURE") == 0)
		return "ok";
	if (strcmp(v, "EXPLAINED_DIFFERENCE") == 0)
		return "warn";
	return "bad";
}

static json_int_t
num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* A line "label: value" (text) or a table row (HTML). */
static int
row_begin(rend *o, const char *label)
{
	int error;

	if (o->html) {
		P(raw(o, "<tr><th>"));
		P(raw(o, label));
		P(raw(o, "</th><td>"));
	} else {
		P(rawf(o, "  %-10s ", label));
	}
out:
	return error;
}

static int
row_end(rend *o)
{
	return raw(o, o->html ? "</td></tr>\n" : "\n");
}

static int
section(rend *o, const char *title, const char *id)
{
	int error = 0;

	if (o->html) {
		P(rawf(o, "<h2 id=\"%s\">", id));
		P(raw(o, title));
		P(raw(o, "</h2>\n"));
	} else {
		P(rawf(o, "\n%s\n", title));
	}
out:
	return error;
}

static int
bundle_part(rend *o, const json_t *p)
{
	const json_t *b = json_object_get(p, "bundle"),
	             *m = json_object_get(p, "manifest"),
	             *checks = json_object_get(p, "bundle_checks"), *c;
	size_t i;
	int error = 0;

	if (!json_is_object(b))
		return 0;
	P(row_begin(o, "bundle"));
	P(put(o, str(b, "name")));
	P(raw(o, "  sha256 "));
	P(put(o, str(b, "sha256")));
	P(rawf(o, "  (%" PRId64 " bytes%s)", (int64_t)num(b, "size"),
	    json_is_true(json_object_get(b, "encrypted")) ? ", encrypted"
	                                                  : ""));
	P(row_end(o));
	if (json_is_object(m)) {
		P(row_begin(o, "manifest"));
		P(put(o, str(m, "product")));
		P(raw(o, " "));
		P(put(o, str(m, "release")));
		P(raw(o, " ("));
		P(put(o, str(m, "kind")));
		P(raw(o, ")  sha256 "));
		P(put(o, str(m, "sha256")));
		P(row_end(o));
	}
	json_array_foreach(checks, i, c)
	{
		const char *st = str(c, "status");

		P(row_begin(o, i == 0 ? "checks" : ""));
		if (o->html)
			P(rawf(o, "<span class=\"%s\">",
			    strcmp(st, "PASS") == 0   ? "ok"
			    : strcmp(st, "FAIL") == 0 ? "bad"
			                              : "warn"));
		P(put_pad(o, st, 11));
		if (o->html)
			P(raw(o, "</span> "));
		P(put(o, str(c, "name")));
		if (str(c, "detail")[0] != '\0') {
			P(raw(o, ": "));
			P(put(o, str(c, "detail")));
		}
		P(row_end(o));
	}
out:
	return error;
}

static int
build_part(rend *o, const json_t *p)
{
	const json_t *b = json_object_get(p, "build"), *cmd, *w, *bp, *log,
	             *env, *v;
	const char *k;
	size_t i;
	int error = 0;

	if (!json_is_object(b))
		return 0;
	cmd = json_object_get(b, "command");
	bp = json_object_get(b, "build_path");
	log = json_object_get(b, "log");
	env = json_object_get(b, "environment");
	P(row_begin(o, "build"));
	P(put(o, str(b, "status")));
	if (json_is_integer(json_object_get(b, "exit_code")))
		P(rawf(
		    o, ", exit status %" PRId64, (int64_t)num(b, "exit_code")));
	if (json_is_integer(json_object_get(b, "signal")))
		P(rawf(o, ", killed by signal %" PRId64,
		    (int64_t)num(b, "signal")));
	P(rawf(o, ", %" PRId64 ".%03" PRId64 " s (limit %" PRId64 " s)",
	    (int64_t)num(b, "duration_ms") / 1000,
	    (int64_t)num(b, "duration_ms") % 1000, (int64_t)num(b, "timeout")));
	if (str(b, "error")[0] != '\0') {
		P(raw(o, ": "));
		P(put(o, str(b, "error")));
	}
	P(row_end(o));
	P(row_begin(o, "command"));
	json_array_foreach(cmd, i, w)
	{
		if (i > 0)
			P(raw(o, " "));
		P(put(o, json_string_value(w)));
	}
	P(raw(o, "  (in "));
	P(put(o, str(b, "workdir")));
	P(raw(o, ", no shell)"));
	P(row_end(o));
	P(row_begin(o, "path"));
	P(raw(o, "recorded "));
	P(put(o, str(bp, "recorded")));
	P(raw(o, ", used "));
	P(put(o, str(bp, "used")));
	P(raw(o, json_is_true(json_object_get(bp, "same")) ? " (same)"
	                                                   : " (differs)"));
	P(row_end(o));
	P(row_begin(o, "env"));
	i = 0;
	json_object_foreach((json_t *)env, k, v)
	{
		if (i++ > 0)
			P(raw(o, " "));
		P(put(o, k));
		P(raw(o, "="));
		P(put(o, json_string_value(v)));
	}
	P(raw(o, "; umask 022; stdin /dev/null"));
	P(row_end(o));
	if (json_is_object(log)) {
		P(row_begin(o, "log"));
		P(put(o, str(log, "file")));
		P(rawf(o, "  %" PRId64 " bytes%s  sha256 ",
		    (int64_t)num(log, "bytes"),
		    json_is_true(json_object_get(log, "truncated"))
		        ? " (truncated)"
		        : ""));
		P(put(o, str(log, "sha256")));
		P(row_end(o));
	}
out:
	return error;
}

static int
toolchain_part(rend *o, const json_t *p)
{
	const json_t *tc = json_object_get(p, "toolchain"),
	             *h = json_object_get(p, "host"), *t;
	size_t i, same = 0, diff = 0, miss = 0;
	int error = 0;

	if (json_is_object(tc)) {
		json_array_foreach(json_object_get(tc, "tools"), i, t)
		{
			const char *s = str(t, "status");

			if (strcmp(s, "SAME") == 0)
				same++;
			else if (strcmp(s, "DIFFERENT") == 0)
				diff++;
			else
				miss++;
		}
		P(row_begin(o, "toolchain"));
		P(rawf(o,
		    "%zu tools recorded: %zu same, %zu different, %zu "
		    "missing",
		    i, same, diff, miss));
		P(row_end(o));
		json_array_foreach(json_object_get(tc, "tools"), i, t)
		{
			const json_t *rec = json_object_get(t, "recorded"),
			             *loc = json_object_get(t, "local");

			if (strcmp(str(t, "status"), "SAME") == 0)
				continue;
			P(row_begin(o, ""));
			if (o->html)
				P(raw(o, "<span class=\"warn\">"));
			P(put(o, str(t, "status")));
			if (o->html)
				P(raw(o, "</span>"));
			P(raw(o, " "));
			P(put(o, str(t, "name")));
			P(raw(o, ": recorded "));
			P(put(o, str(rec, "path")));
			P(raw(o, " '"));
			P(put(o, str(rec, "version")));
			P(raw(o, "' sha256 "));
			P(put(o, str(rec, "sha256")));
			if (json_is_object(loc)) {
				P(raw(o, "; found "));
				P(put(o, str(loc, "path")));
				P(raw(o, " '"));
				P(put(o, str(loc, "version")));
				P(raw(o, "' sha256 "));
				P(put(o, str(loc, "sha256")));
			}
			P(row_end(o));
		}
	}
	if (json_is_object(h)) {
		const json_t *rec = json_object_get(h, "recorded"),
		             *loc = json_object_get(h, "local");

		P(row_begin(o, "host"));
		P(raw(o, "recorded "));
		P(put(o, str(rec, "arch")));
		P(raw(o, " "));
		P(put(o, str(rec, "os")));
		P(raw(o, " '"));
		P(put(o, str(rec, "distro")));
		P(raw(o, "', this machine "));
		P(put(o, str(loc, "arch")));
		P(raw(o, " "));
		P(put(o, str(loc, "os")));
		P(raw(o, " '"));
		P(put(o, str(loc, "distro")));
		P(raw(o, "'"));
		P(row_end(o));
	}
out:
	return error;
}

static int
digest_line(rend *o, const json_t *a, const char *label, const char *key,
    const char *size_key)
{
	const json_t *v = json_object_get(a, key);
	int error = 0;

	if (!json_is_string(v))
		return 0;
	P(row_begin(o, label));
	P(put(o, json_string_value(v)));
	if (size_key != NULL && json_is_integer(json_object_get(a, size_key)))
		P(rawf(o, "  (%" PRId64 " bytes)", (int64_t)num(a, size_key)));
	P(row_end(o));
out:
	return error;
}

static int
artefact_part(rend *o, const json_t *a)
{
	const char *v = str(a, "verdict");
	const json_t *x;
	size_t i;
	int error = 0;

	if (o->html) {
		P(rawf(o,
		    "<table class=\"art\"><tr><th>verdict</th><td "
		    "class=\"%s\"><b>",
		    verdict_class(v)));
		P(put(o, v));
		P(raw(o, "</b></td></tr>\n"));
	} else {
		P(raw(o, "  "));
		P(put_pad(o, v, 27));
		P(put(o, str(a, "name")));
		P(raw(o, "\n"));
	}
	if (o->html) {
		P(row_begin(o, "artefact"));
		P(put(o, str(a, "name")));
		P(row_end(o));
	}
	if (json_is_string(json_object_get(a, "output"))) {
		P(row_begin(o, "output"));
		P(put(o, str(a, "output")));
		P(row_end(o));
	}
	P(row_begin(o, "method"));
	P(put(o, str(a, "method")));
	P(row_end(o));
	P(row_begin(o, "why"));
	P(put(o, str(a, "reason")));
	P(row_end(o));
	P(digest_line(o, a, "shipped", "shipped_sha256", "shipped_size"));
	P(digest_line(o, a, "declared", "declared_sha256", NULL));
	P(digest_line(o, a, "rebuilt", "rebuilt_sha256", "rebuilt_size"));
	P(digest_line(o, a, "normalized", "normalized_sha256", NULL));
	if (json_is_string(json_object_get(a, "detached_signature"))) {
		P(row_begin(o, "signature"));
		P(put(o, str(a, "detached_signature")));
		P(raw(o, " (detached)"));
		P(row_end(o));
	}
	json_array_foreach(json_object_get(a, "signatures"), i, x)
	{
		P(row_begin(o, i == 0 ? "signatures" : ""));
		P(put(o, str(x, "where")));
		P(raw(o, ": "));
		P(put(o, str(x, "digest_algorithm")));
		P(raw(o, json_is_true(json_object_get(x, "digest_match"))
		             ? " digest matches the rebuilt file"
		             : " digest does NOT match the rebuilt file"));
		P(raw(o, json_is_true(json_object_get(x, "signature_valid"))
		             ? ", signature valid"
		             : ", signature NOT valid"));
		if (str(x, "signer")[0] != '\0') {
			P(raw(o, "; signer "));
			P(put(o, str(x, "signer")));
		}
		P(row_end(o));
	}
	if (num(a, "ranges_total") > 0) {
		P(row_begin(o, "differs"));
		P(rawf(o, "%" PRId64 " ranges, %" PRId64 " bytes",
		    (int64_t)num(a, "ranges_total"),
		    (int64_t)num(a, "bytes_differing")));
		P(row_end(o));
		json_array_foreach(json_object_get(a, "ranges"), i, x)
		{
			P(row_begin(o, ""));
			P(rawf(o, "offset 0x%" PRIx64 " length %" PRId64 " ",
			    (uint64_t)num(x, "offset"),
			    (int64_t)num(x, "length")));
			P(put(o, str(x, "region")));
			if (json_is_true(json_object_get(x, "explained")))
				P(raw(o, " (explained)"));
			P(row_end(o));
		}
	}
	json_array_foreach(json_object_get(a, "findings"), i, x)
	{
		P(row_begin(o, i == 0 ? "findings" : ""));
		P(put(o, str(x, "severity")));
		P(raw(o, " "));
		P(put(o, str(x, "code")));
		P(raw(o, ": "));
		P(put(o, str(x, "message")));
		P(row_end(o));
	}
	if (json_is_string(json_object_get(a, "report"))) {
		P(row_begin(o, "details"));
		P(put(o, str(a, "report")));
		P(row_end(o));
	}
	if (o->html)
		P(raw(o, "</table>\n"));
out:
	return error;
}

static int
list_part(rend *o, const json_t *list, const char *title, const char *id,
    const char *none)
{
	const json_t *s;
	size_t i;
	int error = 0;

	P(section(o, title, id));
	if (json_array_size(list) == 0) {
		P(raw(o, o->html ? "<p>" : "  "));
		P(raw(o, none));
		P(raw(o, o->html ? "</p>\n" : "\n"));
		goto out;
	}
	if (o->html)
		P(rawf(o, "<ul class=\"%s\">\n", id));
	json_array_foreach(list, i, s)
	{
		P(raw(o, o->html ? "<li>" : "  - "));
		P(put(o, json_string_value(s)));
		P(raw(o, o->html ? "</li>\n" : "\n"));
	}
	if (o->html)
		P(raw(o, "</ul>\n"));
out:
	return error;
}

static const char STYLE[] =
    "body{font-family:sans-serif;max-width:60em;margin:1em auto;"
    "padding:0 1em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.1em;border-bottom:1px solid #ccc}"
    "#verdict{font-size:1.6em;font-weight:bold;padding:.3em .6em;"
    "display:inline-block}"
    "#verdict.ok{background:#d8f5d8}#verdict.warn{background:#fff0c0}"
    "#verdict.bad{background:#ffd6d6}"
    ".ok{color:#064}.warn{color:#850}.bad{color:#a00}"
    "table{border-collapse:collapse;margin:.5em 0;width:100%}"
    "th{text-align:left;vertical-align:top;padding:.1em .6em .1em 0;"
    "white-space:nowrap;width:8em}"
    "td{font-family:monospace;word-break:break-all;padding:.1em 0}"
    "table.art{border:1px solid #ccc;padding:.3em}"
    "ul.not_checked li{color:#850}";

static int
render(sp_ctx *ctx, sp_buf *b, const json_t *p, bool html)
{
	rend o = {b, html};
	const char *v = str(p, "verdict"), *kind = str(p, "kind");
	const json_t *arts = json_object_get(p, "artefacts"), *a,
	             *tool = json_object_get(p, "tool");
	bool rebuild = strcmp(kind, "rebuild") == 0;
	size_t i;
	int error = 0;

	if (!json_is_object(p))
		return sp_err_set(ctx, SP_EINVALID, "not a verdict predicate");
	if (html) {
		P(raw(&o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
		          "charset=\"utf-8\">\n<meta "
		          "http-equiv=\"Content-Security-Policy\" "
		          "content=\"default-src 'none'; style-src "
		          "'unsafe-inline'\">\n<title>srcproof "));
		P(raw(&o, rebuild ? "rebuild" : "compare"));
		P(raw(&o, " verdict: "));
		P(put(&o, v));
		P(rawf(&o, "</title>\n<style>%s", ""));
		P(raw(&o, STYLE));
		P(raw(&o, "</style></head>\n<body>\n<h1>srcproof "));
		P(raw(&o, rebuild ? "rebuild" : "compare"));
		P(rawf(&o, " verdict</h1>\n<p id=\"verdict\" class=\"%s\">",
		    verdict_class(v)));
		P(put(&o, v));
		P(raw(&o, "</p>\n<p id=\"reason\">"));
		P(put(&o, str(p, "reason")));
		P(raw(&o, "</p>\n<table>\n"));
	} else {
		P(raw(&o, rebuild ? "srcproof rebuild verdict: "
		                  : "srcproof compare verdict: "));
		P(put(&o, v));
		P(raw(&o, "\n  "));
		P(put(&o, str(p, "reason")));
		P(raw(&o, "\n"));
	}
	P(row_begin(&o, "time"));
	P(put(&o, str(p, "signed_at")));
	P(raw(&o, "  by "));
	P(put(&o, str(tool, "name")));
	P(raw(&o, " "));
	P(put(&o, str(tool, "version")));
	P(raw(&o, ", role "));
	P(put(&o, str(p, "role")));
	P(row_end(&o));
	if (html)
		P(raw(&o, "</table>\n"));

	if (rebuild) {
		P(section(&o, "What was checked", "checked"));
		if (html)
			P(raw(&o, "<table>\n"));
		P(bundle_part(&o, p));
		P(build_part(&o, p));
		P(toolchain_part(&o, p));
		if (html)
			P(raw(&o, "</table>\n"));
	}
	P(section(&o, "Artefacts", "artefacts"));
	if (json_array_size(arts) == 0)
		P(raw(&o, html ? "<p>none</p>\n" : "  none\n"));
	json_array_foreach(arts, i, a)
	{
		if (i > 0 && !html)
			P(raw(&o, "\n"));
		P(artefact_part(&o, a));
	}
	P(list_part(&o, json_object_get(p, "warnings"), "Warnings", "warnings",
	    "none"));
	P(list_part(&o, json_object_get(p, "not_checked"), "NOT CHECKED",
	    "not_checked", "nothing"));
	if (html)
		P(raw(&o, "</body></html>\n"));
out:
	if (error < 0 && error != SP_EINVALID)
		error = sp_err_buf(ctx, error, "the report");
	return error;
}

int
sp_verdict_text(sp_ctx *ctx, sp_buf *out, const json_t *predicate)
{
	return render(ctx, out, predicate, false);
}

int
sp_verdict_html(sp_ctx *ctx, sp_buf *out, const json_t *predicate)
{
	return render(ctx, out, predicate, true);
}
