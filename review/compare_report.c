/*
 * Reports of a comparison: plain text, a self-contained HTML page (inline
 * style, no scripts, no external resources, every string from the inputs
 * escaped) and the JSON document, written atomically into a directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare_int.h"

#include "banned.h"

const json_t *cmp_result_doc(const sp_compare_result *res);

static const char *
js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static long long
ji(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static bool
jb(const json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

#define PUT(call)                                                              \
	do {                                                                   \
		if ((error = (call)) < 0)                                      \
			goto out;                                              \
	} while (0)

/* ---- text -------------------------------------------------------------------
 */

static int
text_file(sp_buf *b, const char *label, const json_t *f)
{
	const char *sha = js(f, "sha256");

	return sp_buf_printf(b,
	    "%-10s %s\n           %s, %lld bytes, sha256 %s\n", label,
	    js(f, "path"), js(f, "format"), ji(f, "size"),
	    sha[0] ? sha : "(not computed)");
}

int
sp_compare_result_text(sp_ctx *ctx, sp_buf *b, const sp_compare_result *res)
{
	const json_t *doc = cmp_result_doc(res), *v;
	size_t i;
	int error = 0;

	PUT(sp_buf_printf(b,
	    "srcproof compare report\n\nverdict    %s\nreason     %s\nmethod   "
	    "  "
	    "%s\n",
	    js(doc, "verdict"), js(doc, "reason"), js(doc, "method")));
	if ((v = json_object_get(doc, "error")) != NULL) {
		PUT(sp_buf_printf(b, "error      %s\n", js(v, "message")));
		if (js(v, "hint")[0])
			PUT(sp_buf_printf(b, "hint       %s\n", js(v, "hint")));
	}
	PUT(text_file(b, "shipped", json_object_get(doc, "shipped")));
	PUT(text_file(b, "rebuilt", json_object_get(doc, "rebuilt")));
	if ((v = json_object_get(doc, "normalized")) != NULL)
		PUT(sp_buf_printf(b,
		    "normalized rebuilt image: %lld bytes, sha256 %s\n",
		    ji(v, "size"), js(v, "sha256")));
	v = json_object_get(doc, "signatures");
	if (json_array_size(v) > 0)
		PUT(sp_buf_printf(
		    b, "\nsignatures (%zu)\n", json_array_size(v)));
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *s = json_array_get(v, i), *ts;

		PUT(sp_buf_printf(b,
		    "  %s (%s%s): %s\n    %s digest %s\n    rebuilt   %s: %s\n"
		    "    signature %s%s%s\n",
		    js(s, "where"), js(s, "origin"),
		    jb(s, "nested") ? ", nested" : "",
		    jb(s, "ok") ? "OK" : "NOT OK", js(s, "digest_algorithm"),
		    js(s, "digest"),
		    js(s, "rebuilt_digest")[0] ? js(s, "rebuilt_digest")
		                               : "(not computed)",
		    jb(s, "digest_match") ? "match" : "MISMATCH",
		    jb(s, "signature_valid") ? "verifies (chain not checked)"
		                             : "DOES NOT VERIFY",
		    js(s, "signature_error")[0] ? ": " : "",
		    js(s, "signature_error")));
		if (js(s, "signer")[0])
			PUT(sp_buf_printf(b,
			    "    signer    %s\n    issuer    %s\n",
			    js(s, "signer"), js(s, "issuer")));
		if (js(s, "signing_time")[0])
			PUT(sp_buf_printf(
			    b, "    signed at %s\n", js(s, "signing_time")));
		ts = json_object_get(s, "timestamp");
		if (json_is_object(ts))
			PUT(sp_buf_printf(b, "    timestamp %s (%s)\n",
			    js(ts, "time")[0] ? js(ts, "time") : "?",
			    js(ts, "kind")));
		if (jb(s, "page_hashes"))
			PUT(sp_buf_puts(b, "    page hashes present\n"));
	}
	if ((v = json_object_get(doc, "pe_shipped")) != NULL) {
		const json_t *u = json_object_get(doc, "pe_rebuilt");

		PUT(sp_buf_printf(b,
		    "\nPE         shipped %s %s, %lld sections, TimeDateStamp "
		    "%s, CheckSum 0x%08llx (%s)\n",
		    js(v, "format"), js(v, "machine"), ji(v, "sections"),
		    js(v, "timestamp_hex"), ji(v, "checksum"),
		    jb(v, "checksum_valid") ? "valid" : "not valid"));
		PUT(sp_buf_printf(b,
		    "           rebuilt %s %s, %lld sections, TimeDateStamp "
		    "%s, CheckSum 0x%08llx (%s)\n",
		    js(u, "format"), js(u, "machine"), ji(u, "sections"),
		    js(u, "timestamp_hex"), ji(u, "checksum"),
		    jb(u, "checksum_valid") ? "valid" : "not valid"));
	}
	if ((v = json_object_get(doc, "elf")) != NULL) {
		PUT(sp_buf_printf(b,
		    "\nELF        build-id shipped %s, rebuilt %s\n",
		    json_is_string(json_object_get(v, "shipped_build_id"))
		        ? js(v, "shipped_build_id")
		        : "(none)",
		    json_is_string(json_object_get(v, "rebuilt_build_id"))
		        ? js(v, "rebuilt_build_id")
		        : "(none)"));
	}
	if ((v = json_object_get(doc, "compression")) != NULL) {
		PUT(sp_buf_puts(b, "\n"));
		for (i = 0; i < 2; i++) {
			const char *side = i ? "rebuilt" : "shipped";
			const json_t *c =
			    json_object_get(v, i ? "rebuilt_decompressed"
			                         : "shipped_decompressed");

			if (json_is_object(c))
				PUT(sp_buf_printf(b,
				    "%-10s %s %s, %lld bytes decompressed, "
				    "sha256 %s\n",
				    i ? "" : "compressed", side, js(v, side),
				    ji(c, "size"),
				    js(c, "sha256")[0] ? js(c, "sha256")
				                       : "(not computed)"));
			else
				PUT(sp_buf_printf(b,
				    "%-10s %s not compressed\n",
				    i ? "" : "compressed", side));
		}
		PUT(sp_buf_printf(b,
		    "           %s; compared on the decompressed contents "
		    "(range offsets are theirs)\n",
		    jb(v, "compressed_identical")
		        ? "the compressed files are byte-identical"
		        : "the files as given differ"));
	}
	if ((v = json_object_get(doc, "module_signature")) != NULL) {
		PUT(sp_buf_printf(b,
		    "module signature: %lld bytes at offset %lld, %s, %s\n",
		    ji(v, "length"), ji(v, "offset"), js(v, "digest_algorithm"),
		    jb(v, "valid_over_rebuilt")
		        ? "verifies over the rebuilt module"
		        : "DOES NOT VERIFY over the rebuilt module"));
		if (strcmp(js(v, "signer_id"), "subject_key_identifier") == 0)
			PUT(sp_buf_printf(b,
			    "           signer identified by "
			    "subjectKeyIdentifier %s\n",
			    js(v, "key_id")));
		else if (js(v, "issuer")[0])
			PUT(sp_buf_printf(b,
			    "           signer identified by issuer %s, serial "
			    "%s\n",
			    js(v, "issuer"), js(v, "serial")));
		if (js(v, "signer")[0])
			PUT(sp_buf_printf(b,
			    "           signer certificate %s\n",
			    js(v, "signer")));
	}
	v = json_object_get(doc, "ranges");
	if (ji(doc, "ranges_total") > 0) {
		PUT(sp_buf_printf(b,
		    "\ndiffering ranges: %lld (%lld bytes); %zu shown, %lld "
		    "omitted\n",
		    ji(doc, "ranges_total"), ji(doc, "bytes_differing"),
		    json_array_size(v), ji(doc, "ranges_omitted")));
		for (i = 0; i < json_array_size(v); i++) {
			const json_t *r = json_array_get(v, i);

			PUT(sp_buf_printf(b,
			    "  0x%08llx %8lld  %s%s\n      shipped %s\n      "
			    "rebuilt %s\n",
			    ji(r, "offset"), ji(r, "length"), js(r, "region"),
			    jb(r, "explained") ? " [explained]" : "",
			    js(r, "shipped")[0] ? js(r, "shipped") : "(none)",
			    js(r, "rebuilt")[0] ? js(r, "rebuilt") : "(none)"));
		}
	}
	v = json_object_get(doc, "findings");
	if (json_array_size(v) > 0)
		PUT(sp_buf_printf(b, "\nfindings (%zu)\n", json_array_size(v)));
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *f = json_array_get(v, i);

		PUT(sp_buf_printf(b, "  [%s] %s: %s\n", js(f, "severity"),
		    js(f, "code"), js(f, "message")));
	}
	if ((v = json_object_get(doc, "diffoscope")) != NULL)
		PUT(sp_buf_printf(b, "\ndiffoscope: %s%s%s\n", js(v, "status"),
		    js(v, "text_report")[0] ? ", report " : "",
		    js(v, "text_report")));
out:
	return error < 0 ? sp_err_buf(ctx, error, "report") : 0;
}

/* ---- HTML -------------------------------------------------------------------
 */

static int
h(sp_buf *b, const char *s)
{
	return sp_escape_html(b, s, strlen(s));
}

static int
row(sp_buf *b, const char *k, const char *v)
{
	int error;

	if ((error = sp_buf_puts(b, "<tr><th>")) < 0 || (error = h(b, k)) < 0 ||
	    (error = sp_buf_puts(b, "</th><td>")) < 0 || (error = h(b, v)) < 0)
		return error;
	return sp_buf_puts(b, "</td></tr>\n");
}

static const char STYLE[] =
    "body{font-family:sans-serif;margin:2em;max-width:72em;color:#222}"
    "h1{font-size:1.4em}.v{padding:.6em 1em;font-size:1.3em;font-weight:"
    "bold;border-radius:4px}.ok{background:#d7f5d7}.warn{background:#fbeec2}"
    ".bad{background:#f8d0d0}table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;"
    "vertical-align:top}th{background:#f3f3f3}code,td.m{font-family:"
    "monospace;word-break:break-all}";

int
sp_compare_result_html(sp_ctx *ctx, sp_buf *b, const sp_compare_result *res)
{
	const json_t *doc = cmp_result_doc(res), *v;
	const char *verdict = js(doc, "verdict"), *cls;
	char num[64];
	size_t i;
	int error = 0;

	cls = jb(doc, "match")                               ? "ok"
	      : strcmp(verdict, "EXPLAINED_DIFFERENCE") == 0 ? "warn"
	                                                     : "bad";
	PUT(sp_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	                   "charset=\"utf-8\">\n<meta "
	                   "http-equiv=\"Content-Security-Policy\" "
	                   "content=\"default-src 'none'; style-src "
	                   "'unsafe-inline'\">\n<title>srcproof compare: "));
	PUT(h(b, verdict));
	PUT(sp_buf_printf(
	    b, "</title>\n<style>%s</style></head>\n<body>\n", STYLE));
	PUT(sp_buf_puts(b, "<h1>srcproof compare report</h1>\n<p class=\"v "));
	PUT(sp_buf_puts(b, cls));
	PUT(sp_buf_puts(b, "\" id=\"verdict\">"));
	PUT(h(b, verdict));
	PUT(sp_buf_puts(b, "</p>\n<p>"));
	PUT(h(b, js(doc, "reason")));
	PUT(sp_buf_puts(b, "</p>\n<table>\n"));
	PUT(row(b, "method", js(doc, "method")));
	if ((v = json_object_get(doc, "error")) != NULL) {
		PUT(row(b, "error", js(v, "message")));
		if (js(v, "hint")[0])
			PUT(row(b, "hint", js(v, "hint")));
	}
	for (i = 0; i < 2; i++) {
		const char *k = i ? "rebuilt" : "shipped";
		const json_t *f = json_object_get(doc, k);

		PUT(row(b, k, js(f, "path")));
		snprintf(num, sizeof(num), "%s, %lld bytes", js(f, "format"),
		    ji(f, "size"));
		PUT(row(b, "", num));
		PUT(row(b, "", js(f, "sha256")));
	}
	if ((v = json_object_get(doc, "normalized")) != NULL)
		PUT(row(b, "normalized rebuilt sha256", js(v, "sha256")));
	if ((v = json_object_get(doc, "compression")) != NULL) {
		for (i = 0; i < 2; i++) {
			const char *side = i ? "rebuilt" : "shipped";
			const json_t *c =
			    json_object_get(v, i ? "rebuilt_decompressed"
			                         : "shipped_decompressed");

			if (!json_is_object(c))
				continue;
			snprintf(num, sizeof(num),
			    "%s-compressed; %lld bytes decompressed",
			    js(v, side), ji(c, "size"));
			PUT(row(b,
			    i ? "rebuilt compression" : "shipped compression",
			    num));
			PUT(row(b, "", js(c, "sha256")));
		}
		PUT(row(b, "compared",
		    jb(v, "compressed_identical")
		        ? "the compressed files are byte-identical"
		        : "on the decompressed contents (the files as given "
		          "differ; range offsets are in the decompressed "
		          "contents)"));
	}
	if ((v = json_object_get(doc, "module_signature")) != NULL) {
		PUT(row(b, "module signature",
		    jb(v, "valid_over_rebuilt")
		        ? "verifies over the rebuilt module"
		        : "DOES NOT VERIFY over the rebuilt module"));
		if (js(v, "error")[0])
			PUT(row(b, "", js(v, "error")));
		if (strcmp(js(v, "signer_id"), "subject_key_identifier") == 0)
			PUT(row(
			    b, "signer subjectKeyIdentifier", js(v, "key_id")));
		else if (js(v, "issuer")[0]) {
			PUT(row(b, "signer issuer", js(v, "issuer")));
			PUT(row(b, "signer serial", js(v, "serial")));
		}
		if (js(v, "signer")[0])
			PUT(row(b, "signer certificate", js(v, "signer")));
	}
	PUT(sp_buf_puts(b, "</table>\n"));
	v = json_object_get(doc, "signatures");
	if (json_array_size(v) > 0) {
		PUT(sp_buf_puts(b, "<h2>Signatures</h2>\n<table><tr><th>where"
		                   "</th><th>result</th><th>digest</th><th>"
		                   "signer</th><th>time</th></tr>\n"));
		for (i = 0; i < json_array_size(v); i++) {
			const json_t *s = json_array_get(v, i), *ts;

			PUT(sp_buf_puts(b, "<tr><td>"));
			PUT(h(b, js(s, "where")));
			PUT(sp_buf_puts(b, " ("));
			PUT(h(b, js(s, "origin")));
			PUT(sp_buf_puts(b, ")</td><td>"));
			PUT(h(b, jb(s, "digest_match") ? "digest matches"
			                               : "DIGEST MISMATCH"));
			PUT(sp_buf_puts(b, "; "));
			PUT(h(b, jb(s, "signature_valid")
			             ? "signature verifies (chain not checked)"
			             : js(s, "signature_error")));
			PUT(sp_buf_puts(b, "</td><td class=\"m\">"));
			PUT(h(b, js(s, "digest_algorithm")));
			PUT(sp_buf_puts(b, " "));
			PUT(h(b, js(s, "digest")));
			PUT(sp_buf_puts(b, "</td><td>"));
			PUT(h(b, js(s, "signer")));
			PUT(sp_buf_puts(b, "</td><td>"));
			PUT(h(b, js(s, "signing_time")));
			ts = json_object_get(s, "timestamp");
			if (json_is_object(ts)) {
				PUT(sp_buf_puts(b, "<br>timestamp "));
				PUT(h(b, js(ts, "time")));
			}
			PUT(sp_buf_puts(b, "</td></tr>\n"));
		}
		PUT(sp_buf_puts(b, "</table>\n"));
	}
	v = json_object_get(doc, "ranges");
	if (ji(doc, "ranges_total") > 0) {
		snprintf(num, sizeof(num),
		    "%lld range(s), %lld byte(s); %lld omitted",
		    ji(doc, "ranges_total"), ji(doc, "bytes_differing"),
		    ji(doc, "ranges_omitted"));
		PUT(sp_buf_puts(b, "<h2>Differing ranges</h2>\n<p>"));
		PUT(h(b, num));
		PUT(sp_buf_puts(b, "</p>\n<table><tr><th>offset</th><th>length"
		                   "</th><th>region</th><th>shipped</th><th>"
		                   "rebuilt</th></tr>\n"));
		for (i = 0; i < json_array_size(v); i++) {
			const json_t *r = json_array_get(v, i);

			snprintf(num, sizeof(num),
			    "<tr><td class=\"m\">0x%llx</td><td>%lld</td><td>",
			    ji(r, "offset"), ji(r, "length"));
			PUT(sp_buf_puts(b, num));
			PUT(h(b, js(r, "region")));
			if (jb(r, "explained"))
				PUT(sp_buf_puts(b, " (explained)"));
			PUT(sp_buf_puts(b, "</td><td class=\"m\">"));
			PUT(h(b, js(r, "shipped")));
			PUT(sp_buf_puts(b, "</td><td class=\"m\">"));
			PUT(h(b, js(r, "rebuilt")));
			PUT(sp_buf_puts(b, "</td></tr>\n"));
		}
		PUT(sp_buf_puts(b, "</table>\n"));
	}
	v = json_object_get(doc, "findings");
	if (json_array_size(v) > 0) {
		PUT(sp_buf_puts(b, "<h2>Findings</h2>\n<ul>\n"));
		for (i = 0; i < json_array_size(v); i++) {
			const json_t *f = json_array_get(v, i);

			PUT(sp_buf_puts(b, "<li>["));
			PUT(h(b, js(f, "severity")));
			PUT(sp_buf_puts(b, "] "));
			PUT(h(b, js(f, "message")));
			PUT(sp_buf_puts(b, "</li>\n"));
		}
		PUT(sp_buf_puts(b, "</ul>\n"));
	}
	if ((v = json_object_get(doc, "diffoscope")) != NULL) {
		PUT(sp_buf_puts(b, "<h2>diffoscope</h2>\n<p>status: "));
		PUT(h(b, js(v, "status")));
		if (js(v, "text_report")[0]) {
			PUT(sp_buf_puts(b, "; <a href=\""));
			PUT(h(b, js(v, "text_report")));
			PUT(sp_buf_puts(b, "\">text report</a>"));
		}
		PUT(sp_buf_puts(b, " (for explanation only: the verdict does "
		                   "not depend on it)</p>\n"));
	}
	PUT(sp_buf_puts(b, "</body></html>\n"));
out:
	return error < 0 ? sp_err_buf(ctx, error, "report") : 0;
}

int
sp_compare_write_report(
    sp_ctx *ctx, const sp_compare_result *res, const char *dir)
{
	sp_buf t = SP_BUF_INIT, hb = SP_BUF_INIT;
	char path[4096];
	char *js_text = NULL;
	int error = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return sp_err_set(ctx, SP_EIO, "cannot create '%s': %s", dir,
		    strerror(errno));
	if ((error = sp_compare_result_text(ctx, &t, res)) < 0 ||
	    (error = sp_compare_result_html(ctx, &hb, res)) < 0)
		goto out;
	js_text = json_dumps(cmp_result_doc(res),
	    JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_SORT_KEYS);
	if (js_text == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/report.txt", dir);
	if ((error = sp_write_file_atomic(ctx, path, t.ptr, t.size, 0644, 0)) <
	    0)
		goto out;
	snprintf(path, sizeof(path), "%s/report.html", dir);
	if ((error = sp_write_file_atomic(
	         ctx, path, hb.ptr, hb.size, 0644, 0)) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/result.json", dir);
	error =
	    sp_write_file_atomic(ctx, path, js_text, strlen(js_text), 0644, 0);
out:
	free(js_text);
	sp_buf_dispose(&t);
	sp_buf_dispose(&hb);
	return error;
}
