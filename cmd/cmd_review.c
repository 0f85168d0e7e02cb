/*
 * srcproof review: the review ledger. attest (sign what was reviewed),
 * coverage (what a trusted reviewer covered, carried across releases by
 * content hash), delta (a pack of what needs fresh eyes) and report (the
 * one-page summary).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_secret.h"
#include "srcproof/manifest.h"
#include "srcproof/review.h"
#include "srcproof/sign.h"
#include "srcproof/util.h"

#include "banned.h"

#define MAX_CHAIN 64
#define MAX_FROM_SIZE ((size_t)64 << 20)

enum {
	OPT_POLICY = CLI_OPT_FIRST_FREE,
	OPT_PUBKEY,
	OPT_AT,
	OPT_MIN_DEPTH,
	OPT_SOURCE,
	OPT_OLD_SOURCE,
	OPT_PREVIOUS,
	OPT_REQUIRE,
	OPT_FILES,
	OPT_ALL,
	OPT_FROM,
	OPT_DEPTH,
	OPT_VERDICT,
	OPT_NOTE,
	OPT_LINES,
	OPT_NAME,
	OPT_TIME,
	OPT_PASSPHRASE_FD,
	OPT_FORCE,
	OPT_ATTESTATIONS,
	OPT_SIG,
	OPT_VERDICTS,
	OPT_NOW,
	OPT_REVIEWED_SOURCE,
	OPT_MAX_FILE,
};

/* ---- small helpers --------------------------------------------------------
 */

struct strlist {
	const char **v;
	size_t n, a;
};

static int
strlist_add(struct strlist *l, const char *s)
{
	if (l->n == l->a) {
		size_t na = l->a ? l->a * 2 : 16;
		const char **nv = realloc(l->v, na * sizeof(*nv));

		if (nv == NULL)
			return -1;
		l->v = nv;
		l->a = na;
	}
	l->v[l->n++] = s;
	return 0;
}

static void
strlist_dispose(struct strlist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * Take optarg and every following argument that is not an option (a list
 * option: --files A B C). getopt then treats them like option arguments.
 */
static int
take_list(struct strlist *l, int argc, char **argv)
{
	if (strlist_add(l, optarg) < 0)
		return -1;
	while (optind < argc && argv[optind][0] != '-')
		if (strlist_add(l, argv[optind++]) < 0)
			return -1;
	return 0;
}

static int
oom(void)
{
	cli_error("out of memory");
	return CLI_EXIT_ERROR;
}

static int
parse_time_opt(const char *cmd, const char *opt, const char *arg, int64_t *out)
{
	if (sp_time_parse(out, arg) < 0)
		return cli_usage_error(cmd,
		    "%s needs YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD or @SECONDS, "
		    "not '%s'",
		    opt, arg);
	return 0;
}

static int
parse_depth_opt(
    const char *cmd, sp_ctx *ctx, const char *arg, sp_review_depth *out)
{
	if (sp_review_depth_parse(ctx, out, arg) < 0)
		return cli_usage_error(cmd, "%s", sp_ctx_errmsg(ctx));
	return 0;
}

/* ---- trust: --policy chain or --pubkey keys ------------------------------ */

struct trust_args {
	struct strlist pols, pubs;
	int64_t at;
};

struct trust {
	sp_policy *chain[MAX_CHAIN];
	size_t nchain;
	sp_key **keys;
	size_t nkeys;
	sp_review_trust t;
};

/* Handle a trust option: 1 handled, 0 not ours, 2 usage error printed. */
static int
trust_opt(struct trust_args *ta, const char *cmd, int opt)
{
	switch (opt) {
	case OPT_POLICY:
		if (ta->pols.n == MAX_CHAIN) {
			cli_usage_error(cmd, "too many --policy options");
			return 2;
		}
		return strlist_add(&ta->pols, optarg) < 0 ? (oom(), 2) : 1;
	case OPT_PUBKEY:
		if (ta->pubs.n == SP_POLICY_MAX_KEYS) {
			cli_usage_error(cmd, "too many --pubkey options");
			return 2;
		}
		return strlist_add(&ta->pubs, optarg) < 0 ? (oom(), 2) : 1;
	case OPT_AT:
		return parse_time_opt(cmd, "--at", optarg, &ta->at) != 0 ? 2
		                                                         : 1;
	default:
		return 0;
	}
}

static void
trust_dispose(struct trust *tr)
{
	size_t i;

	for (i = 0; i < tr->nchain; i++)
		sp_policy_free(tr->chain[i]);
	for (i = 0; i < tr->nkeys; i++)
		sp_key_free(tr->keys[i]);
	free(tr->keys);
	memset(tr, 0, sizeof(*tr));
}

/* Load and verify the trust anchors; an exit status or CLI_EXIT_OK. */
static int
trust_load(sp_ctx *ctx, const char *cmd, struct trust_args *ta,
    struct trust *tr, const sp_manifest *m)
{
	const sp_policy *current = NULL;
	size_t i;

	memset(tr, 0, sizeof(*tr));
	tr->t = (sp_review_trust)SP_REVIEW_TRUST_INIT;
	tr->t.at = ta->at ? ta->at : (int64_t)time(NULL);
	if (ta->pols.n > 0 && ta->pubs.n > 0)
		return cli_usage_error(
		    cmd, "give either --policy or --pubkey, not both");
	for (i = 0; i < ta->pols.n; i++) {
		if (sp_policy_load(ctx, &tr->chain[i], ta->pols.v[i]) < 0)
			return cli_fail(ctx);
		tr->nchain++;
	}
	if (tr->nchain > 0) {
		if (sp_policy_verify_chain(
		        ctx, tr->chain, tr->nchain, tr->t.at, &current) < 0)
			return cli_fail(ctx);
		if (sp_policy_product(current) != NULL &&
		    (sp_manifest_product(m) == NULL ||
		        strcmp(sp_policy_product(current),
		            sp_manifest_product(m)) != 0)) {
			sp_err_set(ctx, SP_EVERIFY,
			    "product mismatch: the policy is for product '%s' "
			    "but the manifest is for '%s'",
			    sp_policy_product(current),
			    sp_manifest_product(m) ? sp_manifest_product(m)
			                           : "(none)");
			return cli_fail(ctx);
		}
		tr->t.policy = current;
	}
	if (ta->pubs.n > 0) {
		if ((tr->keys = calloc(ta->pubs.n, sizeof(*tr->keys))) == NULL)
			return oom();
		for (i = 0; i < ta->pubs.n; i++) {
			if (sp_key_load_public(
			        ctx, &tr->keys[i], ta->pubs.v[i]) < 0)
				return cli_fail(ctx);
			tr->nkeys++;
		}
		tr->t.keys = tr->keys;
		tr->t.nkeys = tr->nkeys;
	}
	return CLI_EXIT_OK;
}

/* A ledger for @p m with the attestations and known manifests given. */
static int
ledger_load(sp_ctx *ctx, sp_review_ledger **out, const sp_manifest *m,
    const struct trust *tr, const struct strlist *atts,
    sp_manifest *const *known, size_t nknown)
{
	size_t i;

	if (sp_review_ledger_new(ctx, out, m, &tr->t) < 0)
		return cli_fail(ctx);
	for (i = 0; i < nknown; i++)
		if (sp_review_ledger_know(ctx, *out, known[i]) < 0)
			return cli_fail(ctx);
	for (i = 0; i < atts->n; i++)
		if (sp_review_ledger_add_file(ctx, *out, atts->v[i]) < 0)
			return cli_fail(ctx);
	return CLI_EXIT_OK;
}

static void
warn_not_checked(const struct cli_common *c, const struct trust *tr)
{
	if (c->quiet || tr->t.policy != NULL || tr->t.nkeys > 0)
		return;
	cli_warn("NOT CHECKED: no --policy or --pubkey given; signatures "
	         "were not checked and no attestation counts");
}

/* ---- attest ---------------------------------------------------------------
 */

static const char attest_usage[] =
    "usage: srcproof review attest MANIFEST (--files PATH... | --all | --from "
    "FILE)\n"
    "           --depth overview|read|in-depth --verdict "
    "ok|concern|not-reviewed\n"
    "           [--note TEXT] [--lines PATH:START-END ...] --key KEY -o "
    "ATTESTATION\n"
    "           [--name NAME] [--time TIME] [--passphrase-fd N] [--force] "
    "[--json]\n"
    "\n"
    "Record what you reviewed: a DSSE envelope over an in-toto Statement\n"
    "(role review) whose subject is MANIFEST's sha256 and whose predicate "
    "lists\n"
    "each file by path and sha256 (taken from MANIFEST), with the depth, "
    "the\n"
    "verdict, optional line ranges and a note, your key id and the time.\n"
    "\n"
    "options:\n"
    "  --files PATH...        the files reviewed (paths as in the manifest)\n"
    "  --all                  every entry of the manifest\n"
    "  --from FILE            one path per line ('#' comments; \\\\, \\n, "
    "\\r, \\t\n"
    "                         escapes; optional TAB then ranges "
    "1-20,40-60)\n"
    "  --depth D              overview, read or in-depth\n"
    "  --verdict V            ok, concern or not-reviewed\n"
    "  --note TEXT            a note for every file (UTF-8, at most 4096 "
    "bytes)\n"
    "  --lines PATH:S-E ...   only lines S to E of PATH were reviewed "
    "(repeat\n"
    "                         for more ranges)\n"
    "  -k, --key KEY          private key file or PKCS#11 URI\n"
    "  -o, --output FILE      the attestation to write\n"
    "  --name NAME            subject name (default: MANIFEST's base name)\n"
    "  --time TIME            signed_at (default: now)\n"
    "  --passphrase-fd N      read the key passphrase or PIN from "
    "descriptor N\n"
    "  --force                replace an existing output file\n"
    "  --json, -q, -h         JSON output, quiet, this help\n"
    "\n"
    "A second reviewer co-signs with: srcproof sign MANIFEST --append -o "
    "FILE.\n";

struct attest_items {
	sp_review_item *v;
	size_t n, a;
	sp_review_range **ranges; /* per item, owned */
	char **owned;             /* paths from --from, owned */
	size_t nowned;
};

static sp_review_item *
items_add(struct attest_items *it, const char *path)
{
	if (it->n == it->a) {
		size_t na = it->a ? it->a * 2 : 64;
		sp_review_item *nv = realloc(it->v, na * sizeof(*nv));
		sp_review_range **nr;

		if (nv == NULL)
			return NULL;
		it->v = nv;
		nr = realloc(it->ranges, na * sizeof(*nr));
		if (nr == NULL)
			return NULL;
		it->ranges = nr;
		it->a = na;
	}
	memset(&it->v[it->n], 0, sizeof(it->v[it->n]));
	it->ranges[it->n] = NULL;
	it->v[it->n].path = path;
	return &it->v[it->n++];
}

static void
items_dispose(struct attest_items *it)
{
	size_t i;

	for (i = 0; i < it->n; i++)
		free(it->ranges[i]);
	for (i = 0; i < it->nowned; i++)
		free(it->owned[i]);
	free(it->owned);
	free(it->ranges);
	free(it->v);
	memset(it, 0, sizeof(*it));
}

static int
item_add_range(struct attest_items *it, size_t idx, sp_review_range r)
{
	sp_review_item *item = &it->v[idx];
	sp_review_range *nr;

	if (item->nranges >= SP_REVIEW_MAX_RANGES)
		return -2;
	nr = realloc(it->ranges[idx], (item->nranges + 1) * sizeof(*nr));
	if (nr == NULL)
		return -1;
	nr[item->nranges] = r;
	it->ranges[idx] = nr;
	item->ranges = nr;
	item->nranges++;
	return 0;
}

static ssize_t
items_find(const struct attest_items *it, const char *path)
{
	size_t i;

	for (i = 0; i < it->n; i++)
		if (strcmp(it->v[i].path, path) == 0)
			return (ssize_t)i;
	return -1;
}

/* Undo the --from escapes (\\, \n, \r, \t) of @p s in place. */
static int
from_unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			*o++ = *s;
			continue;
		}
		switch (*++s) {
		case '\\':
			*o++ = '\\';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		default:
			return -1;
		}
	}
	*o = '\0';
	return 0;
}

/* Read the --from list into @p it; an exit status. */
static int
read_from(sp_ctx *ctx, const char *file, struct attest_items *it)
{
	sp_buf data = SP_BUF_INIT;
	char *line, *next;
	size_t lineno = 0;
	int rc = CLI_EXIT_OK;

	if (sp_read_file(ctx, &data, file, MAX_FROM_SIZE, 0) < 0)
		return cli_fail(ctx);
	if (memchr(data.ptr, '\0', data.size) != NULL) {
		cli_error("'%s' holds a NUL byte", file);
		rc = CLI_EXIT_ERROR;
		goto out;
	}
	for (line = data.ptr; line != NULL && *line != '\0'; line = next) {
		char *tab, *path, **owned;
		ssize_t idx;

		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((tab = strchr(line, '\t')) != NULL)
			*tab++ = '\0';
		if (from_unescape(line) < 0) {
			cli_error("'%s' line %zu: bad escape (use \\\\, \\n, "
			          "\\r or \\t)",
			    file, lineno);
			rc = CLI_EXIT_ERROR;
			goto out;
		}
		if ((path = strdup(line)) == NULL ||
		    (owned = realloc(it->owned,
		         (it->nowned + 1) * sizeof(*owned))) == NULL) {
			free(path);
			rc = oom();
			goto out;
		}
		it->owned = owned;
		it->owned[it->nowned++] = path;
		if ((idx = items_find(it, path)) < 0) {
			if (items_add(it, path) == NULL) {
				rc = oom();
				goto out;
			}
			idx = (ssize_t)it->n - 1;
		}
		while (tab != NULL && *tab != '\0') {
			char *comma = strchr(tab, ',');
			sp_review_range r;
			int e;

			if (comma != NULL)
				*comma++ = '\0';
			if (sp_review_range_parse(ctx, &r, tab) < 0) {
				cli_error("'%s' line %zu: %s", file, lineno,
				    sp_ctx_errmsg(ctx));
				rc = CLI_EXIT_ERROR;
				goto out;
			}
			if ((e = item_add_range(it, (size_t)idx, r)) < 0) {
				if (e == -1)
					rc = oom();
				else {
					cli_error("'%s' line %zu: more than %d "
					          "ranges",
					    file, lineno, SP_REVIEW_MAX_RANGES);
					rc = CLI_EXIT_ERROR;
				}
				goto out;
			}
			tab = comma;
		}
	}
out:
	sp_buf_dispose(&data);
	return rc;
}

static int
review_attest(int argc, char **argv, sp_ctx *ctx)
{
	static const char cmd[] = "review attest";
	static const struct option longopts[] = {
	    {"files", required_argument, NULL, OPT_FILES},
	    {"all", no_argument, NULL, OPT_ALL},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"depth", required_argument, NULL, OPT_DEPTH},
	    {"verdict", required_argument, NULL, OPT_VERDICT},
	    {"note", required_argument, NULL, OPT_NOTE},
	    {"lines", required_argument, NULL, OPT_LINES},
	    {"key", required_argument, NULL, 'k'},
	    {"output", required_argument, NULL, 'o'},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"time", required_argument, NULL, OPT_TIME},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD},
	    {"force", no_argument, NULL, OPT_FORCE}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	struct cli_secret secret = CLI_SECRET_INIT;
	struct strlist files = {0}, lines = {0};
	struct attest_items items = {0};
	const char *mpath, *from = NULL, *note = NULL, *keyspec = NULL;
	const char *output = NULL, *name = NULL;
	bool all = false, force = false, have_depth = false,
	     have_verdict = false;
	sp_review_depth depth = SP_REVIEW_DEPTH_NONE;
	sp_review_verdict verdict = SP_REVIEW_OK;
	int64_t when = (int64_t)time(NULL);
	sp_manifest *m = NULL;
	sp_key *key = NULL;
	sp_dsse *env = NULL;
	sp_buf outbuf = SP_BUF_INIT;
	uint8_t md[SP_SHA256_LEN];
	char hex[SP_SHA256_HEX_LEN + 1], ts[SP_TIME_STR_LEN];
	size_t i, nsel;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "k:o:" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, attest_usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_FILES:
			if (take_list(&files, argc, argv) < 0) {
				rc = oom();
				goto out;
			}
			break;
		case OPT_ALL:
			all = true;
			break;
		case OPT_FROM:
			from = optarg;
			break;
		case OPT_DEPTH:
			if ((rc = parse_depth_opt(cmd, ctx, optarg, &depth)) !=
			    0)
				goto out;
			have_depth = true;
			break;
		case OPT_VERDICT:
			if (sp_review_verdict_parse(ctx, &verdict, optarg) <
			    0) {
				rc = cli_usage_error(
				    cmd, "%s", sp_ctx_errmsg(ctx));
				goto out;
			}
			have_verdict = true;
			break;
		case OPT_NOTE:
			note = optarg;
			break;
		case OPT_LINES:
			if (take_list(&lines, argc, argv) < 0) {
				rc = oom();
				goto out;
			}
			break;
		case 'k':
			keyspec = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_TIME:
			if ((rc = parse_time_opt(
			         cmd, "--time", optarg, &when)) != 0)
				goto out;
			break;
		case OPT_PASSPHRASE_FD:
			if ((rc = cli_secret_parse_fd(&secret, cmd, optarg)) !=
			    0)
				goto out;
			break;
		case OPT_FORCE:
			force = true;
			break;
		default:
			rc = cli_bad_option(cmd, argv);
			goto out;
		}
	}
	if (exit_now >= 0) {
		rc = exit_now;
		goto out;
	}
	if (optind + 1 != argc) {
		rc = cli_usage_error(cmd,
		    optind == argc ? "expected the MANIFEST"
		                   : "unexpected argument '%s'",
		    argv[optind + 1 < argc ? optind + 1 : optind]);
		goto out;
	}
	mpath = argv[optind];
	nsel = (files.n > 0) + all + (from != NULL);
	if (nsel != 1) {
		rc = cli_usage_error(
		    cmd, "give exactly one of --files, --all and --from");
		goto out;
	}
	if (!have_depth || !have_verdict) {
		rc = cli_usage_error(cmd, "--depth and --verdict are needed");
		goto out;
	}
	if (keyspec == NULL || output == NULL) {
		rc = cli_usage_error(
		    cmd, "--key KEY and -o ATTESTATION are needed");
		goto out;
	}
	if (note != NULL && strlen(note) > SP_REVIEW_MAX_NOTE) {
		rc = cli_usage_error(cmd,
		    "the note has %zu bytes; the limit is %d", strlen(note),
		    SP_REVIEW_MAX_NOTE);
		goto out;
	}
	if (sp_manifest_load(ctx, &m, mpath) < 0 ||
	    sp_manifest_digest(ctx, m, md) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	sp_hex_encode(hex, md, sizeof(md));
	if (all) {
		for (i = 0; i < sp_manifest_entry_count(m); i++)
			if (items_add(&items,
			        sp_manifest_entry_at(m, i)->path) == NULL) {
				rc = oom();
				goto out;
			}
	} else if (from != NULL) {
		if ((rc = read_from(ctx, from, &items)) != CLI_EXIT_OK)
			goto out;
	} else {
		for (i = 0; i < files.n; i++)
			if (items_find(&items, files.v[i]) < 0 &&
			    items_add(&items, files.v[i]) == NULL) {
				rc = oom();
				goto out;
			}
	}
	for (i = 0; i < lines.n; i++) {
		char *spec = strdup(lines.v[i]), *colon;
		sp_review_range r;
		ssize_t idx;
		int e;

		if (spec == NULL) {
			rc = oom();
			goto out;
		}
		if ((colon = strrchr(spec, ':')) == NULL) {
			free(spec);
			rc = cli_usage_error(cmd,
			    "--lines needs PATH:START-END, not '%s'",
			    lines.v[i]);
			goto out;
		}
		*colon = '\0';
		if (sp_review_range_parse(ctx, &r, colon + 1) < 0) {
			rc = cli_usage_error(cmd, "%s", sp_ctx_errmsg(ctx));
			free(spec);
			goto out;
		}
		idx = items_find(&items, spec);
		if (idx < 0) {
			rc = cli_usage_error(cmd,
			    "--lines names '%s', which is not among the files "
			    "attested",
			    spec);
			free(spec);
			goto out;
		}
		free(spec);
		if ((e = item_add_range(&items, (size_t)idx, r)) < 0) {
			rc = e == -1 ? oom()
			             : cli_usage_error(cmd,
			                   "more than %d ranges for one file",
			                   SP_REVIEW_MAX_RANGES);
			goto out;
		}
	}
	for (i = 0; i < items.n; i++) {
		items.v[i].depth = depth;
		items.v[i].verdict = verdict;
		items.v[i].note = note;
	}
	if (name == NULL) {
		name = strrchr(mpath, '/') ? strrchr(mpath, '/') + 1 : mpath;
		if (name[0] == '\0')
			name = "manifest";
	}
	if (sp_key_load_private(ctx, &key, keyspec, cli_secret_cb, &secret) <
	        0 ||
	    sp_review_attest(ctx, &env, m, name, items.v, items.n, when, key) <
	        0 ||
	    sp_dsse_serialize(ctx, env, &outbuf) < 0 ||
	    sp_write_file_atomic(ctx, output, outbuf.ptr, outbuf.size, 0644,
	        force ? 0 : SP_ATOMIC_EXCL) < 0) {
		if (sp_ctx_errcode(ctx) == SP_EEXISTS)
			sp_err_hint(ctx, "add --force to replace it");
		rc = cli_fail(ctx);
		goto out;
	}
	(void)sp_time_format(ts, when);
	if (common.json)
		rc = cli_json_print(
		    json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s}",
		        "attestation", output, "manifest", hex, "files",
		        (int)items.n, "depth", sp_review_depth_name(depth),
		        "verdict", sp_review_verdict_name(verdict), "reviewer",
		        sp_key_id(key), "signed_at", ts),
		    "review-attest");
	else if (!common.quiet) {
		fprintf(stderr, "srcproof: attested %zu file%s of ", items.n,
		    items.n == 1 ? "" : "s");
		cli_print_untrusted(stderr, mpath);
		fprintf(stderr,
		    " (sha256 %s): depth %s, verdict %s, reviewer %s; wrote ",
		    hex, sp_review_depth_name(depth),
		    sp_review_verdict_name(verdict), sp_key_id(key));
		cli_print_untrusted(stderr, output);
		fputc('\n', stderr);
	}
out:
	items_dispose(&items);
	strlist_dispose(&files);
	strlist_dispose(&lines);
	sp_manifest_free(m);
	sp_key_free(key);
	sp_dsse_free(env);
	sp_buf_dispose(&outbuf);
	return rc;
}

/* ---- coverage -------------------------------------------------------------
 */

static const char coverage_usage[] =
    "usage: srcproof review coverage MANIFEST [ATTESTATION...]\n"
    "           [--policy POLICY ... | --pubkey PUB ...] [--at TIME]\n"
    "           [--min-depth D] [--require PERCENT] [--source DIR]\n"
    "           [--previous OLD_MANIFEST ...] [-v] [--json] [-q]\n"
    "\n"
    "For each file of MANIFEST and overall (files, bytes, lines): did a\n"
    "trusted reviewer cover these exact bytes at the required depth? "
    "Coverage\n"
    "is by content hash: a file unchanged since an earlier release stays\n"
    "covered by the attestations made then; a changed file is uncovered.\n"
    "An attestation counts only when its signature meets the role review "
    "of\n"
    "the trust policy (or is by one of the --pubkey keys); the others are\n"
    "listed with the reason. Without --policy or --pubkey nothing is "
    "checked\n"
    "and nothing counts (NOT CHECKED). Concerns are listed first.\n"
    "\n"
    "options:\n"
    "  --policy POLICY        trust policy; repeat for a rotation chain\n"
    "  --pubkey PUB           trusted reviewer key (SPKI PEM); repeatable\n"
    "  --at TIME              check keys and policy expiry at TIME "
    "(default: now)\n"
    "  --min-depth D          overview, read (default) or in-depth\n"
    "  --require PERCENT      exit 1 when fewer files are covered\n"
    "  --source DIR           the source of MANIFEST: checked against it,\n"
    "                         and bytes and lines counted\n"
    "  --previous M ...       earlier manifests: attestations for them get\n"
    "                         their entries checked against them\n"
    "  -v, --verbose          list covered files too\n"
    "  --json, -q, -h         JSON output, quiet, this help\n"
    "\n"
    "exit status: 0 done (and --require met), 1 below --require or the "
    "source\n"
    "or policy did not verify, 2 usage, 3 could not complete.\n";

/* Options shared by coverage, delta and report. */
struct ledger_args {
	struct trust_args trust;
	struct strlist atts, previous;
	sp_review_depth min_depth;
	const char *source;
};

/* Handle a shared option: 1 handled, 0 not ours, 2 usage error. */
static int
ledger_opt(struct ledger_args *la, const char *cmd, sp_ctx *ctx, int opt,
    int argc, char **argv)
{
	int r = trust_opt(&la->trust, cmd, opt);

	if (r != 0)
		return r;
	switch (opt) {
	case OPT_MIN_DEPTH:
		return parse_depth_opt(cmd, ctx, optarg, &la->min_depth) ? 2
		                                                         : 1;
	case OPT_SOURCE:
		la->source = optarg;
		return 1;
	case OPT_PREVIOUS:
		return take_list(&la->previous, argc, argv) < 0 ? (oom(), 2)
		                                                : 1;
	case OPT_ATTESTATIONS:
		return take_list(&la->atts, argc, argv) < 0 ? (oom(), 2) : 1;
	default:
		return 0;
	}
}

#define LEDGER_LONGOPTS                                                        \
	{"policy", required_argument, NULL, OPT_POLICY},                       \
	    {"pubkey", required_argument, NULL, OPT_PUBKEY},                   \
	    {"at", required_argument, NULL, OPT_AT},                           \
	    {"min-depth", required_argument, NULL, OPT_MIN_DEPTH},             \
	    {"source", required_argument, NULL, OPT_SOURCE},                   \
	    {"previous", required_argument, NULL, OPT_PREVIOUS},               \
	{                                                                      \
		"attestations", required_argument, NULL, OPT_ATTESTATIONS      \
	}

/* Everything loaded for a ledger command. */
struct ledger_state {
	sp_manifest *m;
	sp_manifest **previous;
	size_t nprevious;
	struct trust tr;
	sp_review_ledger *ledger;
	sp_review_coverage *cov;
};

static void
ledger_state_dispose(struct ledger_state *st)
{
	size_t i;

	sp_review_coverage_free(st->cov);
	sp_review_ledger_free(st->ledger);
	for (i = 0; i < st->nprevious; i++)
		sp_manifest_free(st->previous[i]);
	free(st->previous);
	trust_dispose(&st->tr);
	sp_manifest_free(st->m);
	memset(st, 0, sizeof(*st));
}

static void
ledger_args_dispose(struct ledger_args *la)
{
	strlist_dispose(&la->trust.pols);
	strlist_dispose(&la->trust.pubs);
	strlist_dispose(&la->atts);
	strlist_dispose(&la->previous);
}

/*
 * Load MANIFEST, trust, previous manifests (@p extra is one more known
 * manifest, borrowed, or NULL), the ledger and, when @p source is set,
 * its coverage. An exit status.
 */
static int
ledger_state_load(sp_ctx *ctx, const char *cmd, struct ledger_args *la,
    const char *mpath, struct ledger_state *st, const sp_manifest *extra,
    const char *source, struct cli_common *common)
{
	sp_review_coverage_opts co = SP_REVIEW_COVERAGE_OPTS_INIT;
	size_t i;
	int rc;

	memset(st, 0, sizeof(*st));
	if (sp_manifest_load(ctx, &st->m, mpath) < 0)
		return cli_fail(ctx);
	if ((rc = trust_load(ctx, cmd, &la->trust, &st->tr, st->m)) !=
	    CLI_EXIT_OK)
		return rc;
	if ((st->previous =
	            calloc(la->previous.n + 1, sizeof(*st->previous))) == NULL)
		return oom();
	for (i = 0; i < la->previous.n; i++) {
		if (sp_manifest_load(ctx, &st->previous[i], la->previous.v[i]) <
		    0)
			return cli_fail(ctx);
		st->nprevious++;
	}
	if ((rc = ledger_load(ctx, &st->ledger, st->m, &st->tr, &la->atts,
	         st->previous, st->nprevious)) != CLI_EXIT_OK)
		return rc;
	if (extra != NULL && sp_review_ledger_know(ctx, st->ledger, extra) < 0)
		return cli_fail(ctx);
	if (la->min_depth != SP_REVIEW_DEPTH_NONE)
		co.min_depth = la->min_depth;
	co.source = source;
	cli_progress_setup(ctx, common);
	if (sp_review_coverage_compute(ctx, &st->cov, st->ledger, &co) < 0)
		return cli_fail(ctx);
	cli_progress_done();
	warn_not_checked(common, &st->tr);
	return CLI_EXIT_OK;
}

struct cov_items {
	sp_ctx *ctx;
	const sp_review_coverage *cov;
};

static json_t *
cov_item(void *arg, size_t i)
{
	struct cov_items *ci = arg;
	json_t *o = NULL;

	if (sp_review_coverage_file_json(ci->ctx, ci->cov, i, &o) < 0)
		cli_fail(ci->ctx);
	return o;
}

static int
review_coverage(int argc, char **argv, sp_ctx *ctx)
{
	static const char cmd[] = "review coverage";
	static const struct option longopts[] = {LEDGER_LONGOPTS,
	    {"require", required_argument, NULL, OPT_REQUIRE},
	    {"verbose", no_argument, NULL, 'v'}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	struct ledger_args la = {0};
	struct ledger_state st = {0};
	const char *mpath, *require_arg = NULL;
	uint64_t require = 0;
	bool verbose = false, met = true;
	sp_buf text = SP_BUF_INIT;
	json_t *doc = NULL;
	int opt, exit_now = -1, rc = CLI_EXIT_OK, r;

	common.progress = isatty(2);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "v" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, coverage_usage, &exit_now))
			continue;
		if ((r = ledger_opt(&la, cmd, ctx, opt, argc, argv)) == 1)
			continue;
		if (r == 2) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		switch (opt) {
		case OPT_REQUIRE:
			if (cli_parse_percent(optarg, &require) < 0) {
				rc = cli_usage_error(cmd,
				    "--require needs a percentage from 0 to "
				    "100, not '%s'",
				    optarg);
				goto out;
			}
			require_arg = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			rc = cli_bad_option(cmd, argv);
			goto out;
		}
	}
	if (exit_now >= 0) {
		rc = exit_now;
		goto out;
	}
	if (optind >= argc) {
		rc = cli_usage_error(cmd, "expected the MANIFEST");
		goto out;
	}
	mpath = argv[optind++];
	for (; optind < argc; optind++)
		if (strlist_add(&la.atts, argv[optind]) < 0) {
			rc = oom();
			goto out;
		}
	if ((rc = ledger_state_load(ctx, cmd, &la, mpath, &st, NULL, la.source,
	         &common)) != CLI_EXIT_OK)
		goto out;
	if (require_arg != NULL)
		met = sp_review_coverage_meets(st.cov, require);
	if (common.json) {
		struct cov_items ci = {ctx, st.cov};

		if (sp_review_coverage_json(
		        ctx, st.cov, SP_REVIEW_JSON_NO_FILES, &doc) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		if (require_arg != NULL) {
			json_object_set_new(
			    doc, "require", json_string(require_arg));
			json_object_set_new(
			    doc, "require_met", json_boolean(met));
		}
		/* One file object at a time: 80,000 files held as JSON took
		 * 270 MiB. */
		rc = cli_json_print_items(doc, "review-coverage", "files",
		    sp_review_coverage_count(st.cov), cov_item, &ci);
		doc = NULL;
		if (rc != CLI_EXIT_OK)
			goto out;
	} else if (!common.quiet) {
		if (sp_review_coverage_text(ctx, st.cov, &text,
		        verbose ? SP_REVIEW_TEXT_ALL : 0) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		fputs(text.ptr, stdout);
	}
	if (!met) {
		char pct[16];
		const sp_review_summary *s = sp_review_coverage_summary(st.cov);

		sp_review_percent(pct, s->files_covered, s->files);
		if (!common.json || !common.quiet)
			cli_error("coverage %s is below the required %s%%", pct,
			    require_arg);
		rc = CLI_EXIT_FAIL;
	}
out:
	json_decref(doc);
	sp_buf_dispose(&text);
	ledger_state_dispose(&st);
	ledger_args_dispose(&la);
	return rc;
}

/* ---- delta ------------------------------------------------------------------
 */

static const char delta_usage[] =
    "usage: srcproof review delta OLD_MANIFEST NEW_MANIFEST --source NEW_SRC\n"
    "           [--old-source OLD_SRC] [--reviewed-source DIR ...]\n"
    "           [--attestations ATTESTATION...]\n"
    "           [--policy POLICY ... | --pubkey PUB ...] [--at TIME]\n"
    "           [--min-depth D] [--previous M ...] [--max-file BYTES]\n"
    "           -o PACK [--json] [-q]\n"
    "\n"
    "Write a delta review pack: a new directory PACK with exactly the files\n"
    "of NEW_MANIFEST that need fresh eyes (added, changed, or carrying an\n"
    "open concern) unless their new bytes are already covered. For each: a\n"
    "unified diff against the last reviewed version in diffs/NNNN.diff and\n"
    "the new bytes in files/NNNN. The base is OLD_SRC's file when a counted\n"
    "attestation reviewed those bytes; else the latest reviewed version of\n"
    "the same path found (by sha256) in OLD_SRC or a --reviewed-source\n"
    "tree; else OLD_SRC's file, marked never reviewed. Also: report.txt,\n"
    "report.html (self-contained), delta.json, and review-list.txt (the\n"
    "paths, for 'review attest NEW_MANIFEST --from'). Sources are checked\n"
    "against their manifests.\n"
    "\n"
    "options:\n"
    "  --source DIR           the new release's source directory\n"
    "  --old-source DIR       the old release's (to diff against)\n"
    "  --reviewed-source DIR  an earlier release's source, searched for the\n"
    "                         last reviewed version; repeatable\n"
    "  --attestations F ...   review attestations (any release)\n"
    "  --policy POLICY        trust policy; repeat for a rotation chain\n"
    "  --pubkey PUB           trusted reviewer key; repeatable\n"
    "  --at TIME              check keys and policy expiry at TIME\n"
    "  --min-depth D          overview, read (default) or in-depth\n"
    "  --previous M ...       earlier manifests (attestation checks)\n"
    "  --max-file BYTES       largest file read for a diff (default 64 MiB;\n"
    "                         larger ones are listed as too large)\n"
    "  -o, --output PACK      the directory to create (must not exist)\n"
    "  --json, -q, -h         JSON output, quiet, this help\n";

static int
review_delta(int argc, char **argv, sp_ctx *ctx)
{
	static const char cmd[] = "review delta";
	static const struct option longopts[] = {LEDGER_LONGOPTS,
	    {"old-source", required_argument, NULL, OPT_OLD_SOURCE},
	    {"reviewed-source", required_argument, NULL, OPT_REVIEWED_SOURCE},
	    {"max-file", required_argument, NULL, OPT_MAX_FILE},
	    {"output", required_argument, NULL, 'o'}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	struct ledger_args la = {0};
	struct ledger_state st = {0};
	sp_review_delta_opts o = SP_REVIEW_DELTA_OPTS_INIT;
	sp_review_delta_summary sum;
	sp_manifest *oldm = NULL;
	struct strlist reviewed = {0};
	const char *output = NULL, *old_source = NULL;
	sp_buf path = SP_BUF_INIT, text = SP_BUF_INIT;
	int opt, exit_now = -1, rc = CLI_EXIT_OK, r;

	memset(&sum, 0, sizeof(sum));
	common.progress = isatty(2);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, delta_usage, &exit_now))
			continue;
		if ((r = ledger_opt(&la, cmd, ctx, opt, argc, argv)) == 1)
			continue;
		if (r == 2) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		switch (opt) {
		case OPT_OLD_SOURCE:
			old_source = optarg;
			break;
		case OPT_REVIEWED_SOURCE:
			if (strlist_add(&reviewed, optarg) < 0) {
				rc = oom();
				goto out;
			}
			break;
		case OPT_MAX_FILE:
			if (!cli_parse_u64(
			        optarg, 1, UINT64_MAX, &o.max_file)) {
				rc = cli_usage_error(cmd,
				    "--max-file needs a number of bytes, not "
				    "'%s'",
				    optarg);
				goto out;
			}
			break;
		case 'o':
			output = optarg;
			break;
		default:
			rc = cli_bad_option(cmd, argv);
			goto out;
		}
	}
	if (exit_now >= 0) {
		rc = exit_now;
		goto out;
	}
	if (optind + 2 != argc) {
		rc = cli_usage_error(cmd, "expected OLD_MANIFEST NEW_MANIFEST");
		goto out;
	}
	if (la.source == NULL || output == NULL) {
		rc = cli_usage_error(
		    cmd, "--source NEW_SRC and -o PACK are needed");
		goto out;
	}
	if (sp_manifest_load(ctx, &oldm, argv[optind]) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if ((rc = ledger_state_load(ctx, cmd, &la, argv[optind + 1], &st, oldm,
	         NULL, &common)) != CLI_EXIT_OK)
		goto out;
	o.old_manifest = oldm;
	o.coverage = st.cov;
	o.source = la.source;
	o.old_source = old_source;
	o.reviewed_sources = reviewed.v;
	o.nreviewed_sources = reviewed.n;
	o.output = output;
	cli_progress_setup(ctx, &common);
	if (sp_review_delta(ctx, &o, &sum) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	cli_progress_done();
	if (common.json) {
		rc = cli_json_print(
		    json_pack(
		        "{s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		        "s:I, s:I, s:I, s:I}}",
		        "pack", output, "summary", "fresh",
		        (json_int_t)sum.fresh, "added", (json_int_t)sum.added,
		        "changed", (json_int_t)sum.changed, "concerns",
		        (json_int_t)sum.concerns, "removed",
		        (json_int_t)sum.removed, "renamed",
		        (json_int_t)sum.renamed, "mode", (json_int_t)sum.mode,
		        "already_covered", (json_int_t)sum.already_covered,
		        "carried", (json_int_t)sum.carried,
		        "unchanged_uncovered",
		        (json_int_t)sum.unchanged_uncovered, "lines_added",
		        (json_int_t)sum.lines_added, "lines_removed",
		        (json_int_t)sum.lines_removed),
		    "review-delta");
	} else if (!common.quiet) {
		if (sp_buf_printf(&path, "%s/report.txt", output) < 0 ||
		    sp_read_file(ctx, &text, path.ptr, SP_BUF_DEFAULT_MAX, 0) <
		        0) {
			rc = cli_fail(ctx);
			goto out;
		}
		fputs(text.ptr, stdout);
		fputs("srcproof: wrote the pack ", stderr);
		cli_print_untrusted(stderr, output);
		fputc('\n', stderr);
	}
out:
	sp_buf_dispose(&path);
	sp_buf_dispose(&text);
	ledger_state_dispose(&st);
	ledger_args_dispose(&la);
	strlist_dispose(&reviewed);
	sp_manifest_free(oldm);
	return rc;
}

/* ---- report -----------------------------------------------------------------
 */

static const char report_usage[] =
    "usage: srcproof review report MANIFEST [--sig SIG ...]\n"
    "           [--policy POLICY ... | --pubkey PUB ...] [--at TIME]\n"
    "           [--attestations ATTESTATION...] [--verdicts VERDICT...]\n"
    "           [--min-depth D] [--source DIR] [--previous M ...]\n"
    "           -o DIR [--time TIME] [--json] [-q]\n"
    "\n"
    "Write the one-page review report for MANIFEST into the new directory\n"
    "DIR (report.txt, report.html, report.json) and print the text: "
    "product,\n"
    "release, manifest digest, the signatures over the manifest and whether\n"
    "they meet the trust policy, review coverage by depth, open concerns,\n"
    "files not covered, rebuild verdicts (role rebuild), and what was NOT\n"
    "checked.\n"
    "\n"
    "options:\n"
    "  --sig SIG ...          signature envelopes over MANIFEST (role "
    "release\n"
    "                         or update, after the manifest's kind)\n"
    "  --policy POLICY        trust policy; repeat for a rotation chain\n"
    "  --pubkey PUB           trusted key (instead of a policy); "
    "repeatable\n"
    "  --at TIME              check keys and policy expiry at TIME\n"
    "  --attestations F ...   review attestations (any release)\n"
    "  --verdicts F ...       rebuild verdict attestations\n"
    "  --min-depth D          overview, read (default) or in-depth\n"
    "  --source DIR           the source of MANIFEST (bytes and lines)\n"
    "  --previous M ...       earlier manifests (attestation checks)\n"
    "  -o, --output DIR       the directory to create (must not exist)\n"
    "  --time TIME            the generation time shown (default: now)\n"
    "  --json, -q, -h         JSON output, quiet, this help\n"
    "\n"
    "exit status: 0 report written and every signature and verdict given\n"
    "verified (and matched), 1 report written but a signature or verdict\n"
    "failed, did not match or was NOT CHECKED, 2 usage, 3 could not "
    "complete.\n";

static int
review_report(int argc, char **argv, sp_ctx *ctx)
{
	static const char cmd[] = "review report";
	static const struct option longopts[] = {LEDGER_LONGOPTS,
	    {"sig", required_argument, NULL, OPT_SIG},
	    {"verdicts", required_argument, NULL, OPT_VERDICTS},
	    {"output", required_argument, NULL, 'o'},
	    {"time", required_argument, NULL, OPT_NOW}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	struct ledger_args la = {0};
	struct ledger_state st = {0};
	struct strlist sigs = {0}, verdicts = {0};
	sp_review_report_opts o = SP_REVIEW_REPORT_OPTS_INIT;
	sp_review_report_result res;
	const char *output = NULL;
	int64_t now = 0;
	sp_buf text = SP_BUF_INIT;
	json_t *doc = NULL;
	int opt, exit_now = -1, rc = CLI_EXIT_OK, r;

	memset(&res, 0, sizeof(res));
	common.progress = isatty(2);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, report_usage, &exit_now))
			continue;
		if ((r = ledger_opt(&la, cmd, ctx, opt, argc, argv)) == 1)
			continue;
		if (r == 2) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		switch (opt) {
		case OPT_SIG:
			if (take_list(&sigs, argc, argv) < 0) {
				rc = oom();
				goto out;
			}
			break;
		case OPT_VERDICTS:
			if (take_list(&verdicts, argc, argv) < 0) {
				rc = oom();
				goto out;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_NOW:
			if ((rc = parse_time_opt(
			         cmd, "--time", optarg, &now)) != 0)
				goto out;
			break;
		default:
			rc = cli_bad_option(cmd, argv);
			goto out;
		}
	}
	if (exit_now >= 0) {
		rc = exit_now;
		goto out;
	}
	if (optind + 1 != argc) {
		rc = cli_usage_error(cmd, "expected one MANIFEST");
		goto out;
	}
	if (output == NULL) {
		rc = cli_usage_error(cmd, "-o DIR is needed");
		goto out;
	}
	if ((rc = ledger_state_load(ctx, cmd, &la, argv[optind], &st, NULL,
	         la.source, &common)) != CLI_EXIT_OK)
		goto out;
	o.coverage = st.cov;
	o.sigs = sigs.v;
	o.nsigs = sigs.n;
	o.verdicts = verdicts.v;
	o.nverdicts = verdicts.n;
	o.now = now;
	o.output = output;
	if (sp_review_report(ctx, &o, &text, common.json ? &doc : NULL, &res) <
	    0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		rc = cli_json_print(doc, "review-report");
		doc = NULL;
		if (rc != CLI_EXIT_OK)
			goto out;
	} else if (!common.quiet) {
		fputs(text.ptr, stdout);
		fputs("srcproof: wrote the report to ", stderr);
		cli_print_untrusted(stderr, output);
		fputc('\n', stderr);
	}
	if (res.sigs_failed + res.sigs_not_checked + res.verdicts_mismatch +
	        res.verdicts_not_checked >
	    0) {
		if (!common.quiet)
			cli_warn(
			    "%zu signature%s and %zu verdict%s failed, did "
			    "not match or were NOT CHECKED",
			    res.sigs_failed + res.sigs_not_checked,
			    res.sigs_failed + res.sigs_not_checked == 1 ? ""
			                                                : "s",
			    res.verdicts_mismatch + res.verdicts_not_checked,
			    res.verdicts_mismatch + res.verdicts_not_checked ==
			            1
			        ? ""
			        : "s");
		rc = CLI_EXIT_FAIL;
	}
out:
	json_decref(doc);
	sp_buf_dispose(&text);
	strlist_dispose(&sigs);
	strlist_dispose(&verdicts);
	ledger_state_dispose(&st);
	ledger_args_dispose(&la);
	return rc;
}

/* ---- the group --------------------------------------------------------------
 */

static const struct cli_sub subs[] = {
    {"attest", review_attest, "sign what you reviewed (files, depth, verdict)"},
    {"coverage", review_coverage,
        "what trusted reviewers covered, carried across releases"},
    {"delta", review_delta, "a pack of exactly the files needing fresh eyes"},
    {"report", review_report, "the one-page review report (text, HTML, JSON)"},
};

int
cmd_review(int argc, char **argv, sp_ctx *ctx)
{
	return cli_dispatch("review",
	    "The review ledger: attestations, coverage, delta packs, reports.",
	    subs, sizeof(subs) / sizeof(subs[0]), argc, argv, ctx);
}
