/*
 * The release configuration file (docs/spec/release-config.md): strict
 * JSON, every member known, typed and checked before anything runs.
 */
#include <jansson.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release_int.h"
#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

/* Parsing state: the label for messages and the base of relative paths. */
struct cfgp {
	sp_ctx *ctx;
	const char *label;
	const char *base;
	sp_release_config *cfg;
};

static int bad(struct cfgp *p, const char *fmt, ...) SP_PRINTF(2, 3);

static int
bad(struct cfgp *p, const char *fmt, ...)
{
	char msg[SP_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sp_err_set(
	    p->ctx, SP_EINVALID, "config '%s': %s", p->label, msg);
}

static int
oom(struct cfgp *p)
{
	return sp_err_set(p->ctx, SP_ENOMEM, "out of memory");
}

/* Refuse members of @p obj not in @p known (NULL-terminated). */
static int
only_known(struct cfgp *p, const json_t *obj, const char *where,
    const char *const *known)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v)
	{
		size_t i;
		bool ok = false;

		(void)v;
		for (i = 0; known[i] != NULL && !ok; i++)
			ok = strcmp(k, known[i]) == 0;
		if (!ok)
			return bad(p, "unknown member '%s' in %s", k, where);
	}
	return 0;
}

/* A string member: NULL when absent; refused when not a non-empty string. */
static int
get_str(struct cfgp *p, const json_t *obj, const char *key, const char *where,
    bool required, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL) {
		if (required)
			return bad(p, "missing member '%s' in %s", key, where);
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return bad(
		    p, "'%s' in %s must be a non-empty string", key, where);
	*out = json_string_value(v);
	return 0;
}

static int
dup_str(struct cfgp *p, char **out, const char *s)
{
	if (s == NULL)
		return 0;
	if ((*out = strdup(s)) == NULL)
		return oom(p);
	return 0;
}

/* A path relative to the configuration's directory. */
static int
dup_path(struct cfgp *p, char **out, const char *s)
{
	sp_buf b = SP_BUF_INIT;

	if (s == NULL)
		return 0;
	if (s[0] == '/' || strcmp(p->base, ".") == 0)
		return dup_str(p, out, s);
	if (sp_buf_printf(&b, "%s/%s", p->base, s) < 0) {
		sp_buf_dispose(&b);
		return oom(p);
	}
	*out = sp_buf_detach(&b);
	return 0;
}

/* A key: a PKCS#11 URI as is, a file relative to the configuration. */
static int
dup_keyspec(struct cfgp *p, char **out, const char *s)
{
	if (s != NULL && strncmp(s, "pkcs11:", 7) == 0)
		return dup_str(p, out, s);
	return dup_path(p, out, s);
}

static bool
env_name_ok(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) > 128 ||
	    !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	        s[0] == '_'))
		return false;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static int
get_env_name(struct cfgp *p, const json_t *obj, const char *where, char **out)
{
	const char *s;
	int error;

	if ((error = get_str(p, obj, "passphrase_env", where, false, &s)) < 0)
		return error;
	if (s == NULL)
		return 0;
	if (!env_name_ok(s))
		return bad(p,
		    "'passphrase_env' in %s must name an environment variable "
		    "([A-Za-z_][A-Za-z0-9_]*), never hold the passphrase",
		    where);
	return dup_str(p, out, s);
}

/* An array of 1..SP_RELEASE_MAX_ITEMS non-empty strings. */
static int
get_strv(struct cfgp *p, const json_t *obj, const char *key, const char *where,
    bool paths, struct sp_release_strv *out)
{
	const json_t *a = json_object_get(obj, key), *v;
	size_t i;
	int error;

	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > SP_RELEASE_MAX_ITEMS)
		return bad(p, "'%s' in %s must be an array of 1 to %d strings",
		    key, where, SP_RELEASE_MAX_ITEMS);
	if ((out->v = calloc(json_array_size(a) + 1, sizeof(*out->v))) == NULL)
		return oom(p);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return bad(p,
			    "'%s' in %s: item %zu must be a non-empty string",
			    key, where, i + 1);
		error = paths ? dup_path(p, &out->v[i], json_string_value(v))
		              : dup_str(p, &out->v[i], json_string_value(v));
		if (error < 0)
			return error;
		out->n++;
	}
	return 0;
}

static int
get_int(struct cfgp *p, const json_t *obj, const char *key, const char *where,
    int64_t min, int64_t max, bool *have, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	*have = false;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return bad(p, "'%s' in %s must be an integer from %lld to %lld",
		    key, where, (long long)min, (long long)max);
	*out = (int64_t)json_integer_value(v);
	*have = true;
	return 0;
}

static int
get_object(struct cfgp *p, const json_t *obj, const char *key,
    const char *where, bool required, const json_t **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL) {
		if (required)
			return bad(p, "missing member '%s' in %s", key, where);
		return 0;
	}
	if (!json_is_object(v))
		return bad(p, "'%s' in %s must be an object", key, where);
	*out = v;
	return 0;
}

/* ---- sections ---------------------------------------------------------------
 */

static int
parse_source(struct cfgp *p, const json_t *src)
{
	static const char *const known[] = {
	    "dir", "git", "ref", "archive", "strip_components", NULL};
	sp_release_config *c = p->cfg;
	const char *dir, *git, *ref, *archive;
	int64_t strip = 0;
	bool have_strip;
	int error, n;

	if ((error = only_known(p, src, "'source'", known)) < 0 ||
	    (error = get_str(p, src, "dir", "'source'", false, &dir)) < 0 ||
	    (error = get_str(p, src, "git", "'source'", false, &git)) < 0 ||
	    (error = get_str(p, src, "ref", "'source'", false, &ref)) < 0 ||
	    (error = get_str(p, src, "archive", "'source'", false, &archive)) <
	        0 ||
	    (error = get_int(p, src, "strip_components", "'source'", 0, 64,
	         &have_strip, &strip)) < 0)
		return error;
	n = (git != NULL) + (archive != NULL);
	if (n > 1)
		return bad(p, "'source' names both 'git' and 'archive'");
	if (git == NULL && ref != NULL)
		return bad(p, "'ref' in 'source' needs 'git'");
	if (archive == NULL && have_strip)
		return bad(p, "'strip_components' in 'source' needs 'archive'");
	if (git != NULL) {
		if (ref == NULL)
			return bad(p, "'git' in 'source' needs 'ref' (the "
			              "tag, branch or commit to release)");
		c->source_type = SP_MANIFEST_SOURCE_GIT;
		if ((error = dup_path(p, &c->source_path, git)) < 0 ||
		    (error = dup_str(p, &c->source_ref, ref)) < 0 ||
		    (error = dup_path(
		         p, &c->source_dir, dir != NULL ? dir : git)) < 0)
			return error;
	} else if (archive != NULL) {
		if (dir == NULL)
			return bad(p,
			    "'archive' in 'source' needs 'dir': the "
			    "unpacked tree that goes into the bundle");
		c->source_type = SP_MANIFEST_SOURCE_ARCHIVE;
		c->strip_components = (unsigned)strip;
		if ((error = dup_path(p, &c->source_path, archive)) < 0 ||
		    (error = dup_path(p, &c->source_dir, dir)) < 0)
			return error;
	} else {
		if (dir == NULL)
			return bad(p, "'source' needs 'dir', 'git' or "
			              "'archive'");
		c->source_type = SP_MANIFEST_SOURCE_DIR;
		if ((error = dup_path(p, &c->source_path, dir)) < 0 ||
		    (error = dup_path(p, &c->source_dir, dir)) < 0)
			return error;
	}
	return 0;
}

static int
parse_keys(struct cfgp *p, const json_t *keys)
{
	static const char *const known[] = {"key", "passphrase_env", NULL};
	sp_release_config *c = p->cfg;
	const json_t *k;
	size_t i;
	int error;

	if (keys == NULL)
		return bad(p, "missing member 'keys' (the signing keys)");
	if (!json_is_array(keys) || json_array_size(keys) == 0 ||
	    json_array_size(keys) > SP_RELEASE_MAX_ITEMS)
		return bad(p, "'keys' must be an array of 1 to %d objects",
		    SP_RELEASE_MAX_ITEMS);
	if ((c->keys = calloc(json_array_size(keys), sizeof(*c->keys))) == NULL)
		return oom(p);
	json_array_foreach(keys, i, k)
	{
		char where[48];
		const char *spec;
		size_t j;

		snprintf(where, sizeof(where), "'keys' item %zu", i + 1);
		if (!json_is_object(k))
			return bad(p, "%s must be an object", where);
		c->nkeys++;
		if ((error = only_known(p, k, where, known)) < 0 ||
		    (error = get_str(p, k, "key", where, true, &spec)) < 0 ||
		    (error = dup_keyspec(p, &c->keys[i].spec, spec)) < 0 ||
		    (error = get_env_name(p, k, where, &c->keys[i].env_name)) <
		        0)
			return error;
		for (j = 0; j < i; j++)
			if (strcmp(c->keys[j].spec, c->keys[i].spec) == 0)
				return bad(
				    p, "%s repeats key '%s'", where, spec);
	}
	return 0;
}

static int
parse_recipe(struct cfgp *p, const json_t *r)
{
	static const char *const known[] = {"file", "command", "workdir",
	    "outputs", "tools", "env", "source_date_epoch", "no_versions",
	    NULL};
	sp_release_config *c = p->cfg;
	const json_t *nv;
	const char *file, *workdir;
	int error;

	if ((error = only_known(p, r, "'recipe'", known)) < 0 ||
	    (error = get_str(p, r, "file", "'recipe'", false, &file)) < 0)
		return error;
	c->have_recipe = true;
	if (file != NULL) {
		if (json_object_size(r) != 1)
			return bad(p, "'recipe' with 'file' takes no other "
			              "member (the recipe is used as it is)");
		return dup_path(p, &c->recipe_file, file);
	}
	c->recipe_record = true;
	if (json_object_get(r, "command") == NULL)
		return bad(p, "'recipe' needs 'file' or 'command'");
	if ((error = get_strv(
	         p, r, "command", "'recipe'", false, &c->command)) < 0 ||
	    (error = get_strv(
	         p, r, "outputs", "'recipe'", false, &c->outputs)) < 0 ||
	    (error = get_strv(p, r, "tools", "'recipe'", false, &c->tools)) <
	        0 ||
	    (error = get_strv(p, r, "env", "'recipe'", false, &c->env_names)) <
	        0 ||
	    (error = get_str(p, r, "workdir", "'recipe'", false, &workdir)) <
	        0 ||
	    (error = dup_str(p, &c->workdir, workdir)) < 0 ||
	    (error = get_int(p, r, "source_date_epoch", "'recipe'", 0,
	         SP_ESCROW_MAX_MTIME, &c->recipe_have_sde, &c->recipe_sde)) < 0)
		return error;
	if ((nv = json_object_get(r, "no_versions")) != NULL) {
		if (!json_is_boolean(nv))
			return bad(p,
			    "'no_versions' in 'recipe' must be true or false");
		c->no_versions = json_is_true(nv);
	}
	return 0;
}

static int
parse_log(struct cfgp *p, const json_t *l)
{
	static const char *const known[] = {"dir", "key", "passphrase_env",
	    "witness_command", "witnesses", "quorum", "witness_timeout", NULL};
	sp_release_config *c = p->cfg;
	const char *dir, *key;
	bool have_quorum, have_timeout;
	int64_t quorum = 0, timeout = 0;
	int error;

	if ((error = only_known(p, l, "'log'", known)) < 0 ||
	    (error = get_str(p, l, "dir", "'log'", true, &dir)) < 0 ||
	    (error = get_str(p, l, "key", "'log'", false, &key)) < 0 ||
	    (error = dup_path(p, &c->log_dir, dir)) < 0 ||
	    (error = dup_keyspec(p, &c->log_key.spec, key)) < 0 ||
	    (error = get_env_name(p, l, "'log'", &c->log_key.env_name)) < 0 ||
	    (error = get_strv(p, l, "witness_command", "'log'", false,
	         &c->witness_command)) < 0 ||
	    (error = get_strv(
	         p, l, "witnesses", "'log'", true, &c->witnesses)) < 0 ||
	    (error = get_int(p, l, "quorum", "'log'", 1, SP_RELEASE_MAX_ITEMS,
	         &have_quorum, &quorum)) < 0 ||
	    (error = get_int(p, l, "witness_timeout", "'log'", 1, 86400,
	         &have_timeout, &timeout)) < 0)
		return error;
	if ((c->witness_command.n > 0) != (c->witnesses.n > 0))
		return bad(p, "'witness_command' and 'witnesses' in 'log' go "
		              "together");
	if ((have_quorum || have_timeout) && c->witnesses.n == 0)
		return bad(p, "'quorum' and 'witness_timeout' in 'log' need "
		              "'witness_command' and 'witnesses'");
	if (have_quorum && (size_t)quorum > c->witnesses.n)
		return bad(p,
		    "'quorum' in 'log' is %lld, more than the %zu witnesses",
		    (long long)quorum, c->witnesses.n);
	c->quorum = have_quorum ? (unsigned)quorum : (unsigned)c->witnesses.n;
	c->witness_timeout = have_timeout ? (unsigned)timeout : 300;
	if (c->witness_command.n > 0 &&
	    (error = dup_str(p, &c->base, p->base)) < 0)
		return error;
	c->have_log = true;
	return 0;
}

static int
parse_top(struct cfgp *p, const json_t *root)
{
	static const char *const known[] = {"format", "product", "release",
	    "kind", "previous", "source", "keys", "policy", "recipe",
	    "binaries", "binary_sigs", "log", "recipients", "compression",
	    "source_date_epoch", "output", NULL};
	sp_release_config *c = p->cfg;
	const char *format, *product, *release, *kind, *previous, *policy;
	const char *binaries, *sigs, *compression, *output;
	const json_t *src, *rec, *log;
	bool have;
	int error;

	if (!json_is_object(root))
		return bad(p, "the top level must be a JSON object");
	if ((error = only_known(p, root, "the top level", known)) < 0 ||
	    (error = get_str(
	         p, root, "format", "the top level", true, &format)) < 0)
		return error;
	if (strcmp(format, SP_RELEASE_CONFIG_FORMAT) != 0)
		return bad(
		    p, "'format' must be \"%s\"", SP_RELEASE_CONFIG_FORMAT);
	if ((error = get_str(
	         p, root, "product", "the top level", true, &product)) < 0 ||
	    (error = get_str(
	         p, root, "release", "the top level", true, &release)) < 0 ||
	    (error = get_str(p, root, "kind", "the top level", false, &kind)) <
	        0 ||
	    (error = get_str(
	         p, root, "previous", "the top level", false, &previous)) < 0 ||
	    (error = get_str(
	         p, root, "policy", "the top level", false, &policy)) < 0 ||
	    (error = get_str(
	         p, root, "binaries", "the top level", false, &binaries)) < 0 ||
	    (error = get_str(
	         p, root, "binary_sigs", "the top level", false, &sigs)) < 0 ||
	    (error = get_str(p, root, "compression", "the top level", false,
	         &compression)) < 0 ||
	    (error = get_str(
	         p, root, "output", "the top level", false, &output)) < 0 ||
	    (error = get_object(
	         p, root, "source", "the top level", true, &src)) < 0 ||
	    (error = get_object(
	         p, root, "recipe", "the top level", false, &rec)) < 0 ||
	    (error = get_object(p, root, "log", "the top level", false, &log)) <
	        0)
		return error;
	if (kind == NULL || strcmp(kind, "release") == 0) {
		c->kind = SP_MANIFEST_RELEASE;
		if (previous != NULL)
			return bad(p, "'previous' is for an update (\"kind\": "
			              "\"update\")");
	} else if (strcmp(kind, "update") == 0) {
		c->kind = SP_MANIFEST_UPDATE;
		if (previous == NULL)
			return bad(p, "an update needs 'previous': the "
			              "previous release's manifest");
	} else {
		return bad(p, "'kind' must be \"release\" or \"update\"");
	}
	if (compression != NULL && sp_escrow_compression_parse(p->ctx,
	                               &c->compression, compression) < 0) {
		sp_err_clear(p->ctx);
		return bad(p, "'compression' must be \"zstd\", \"gzip\" or "
		              "\"none\"");
	}
	if ((error = dup_str(p, &c->product, product)) < 0 ||
	    (error = dup_str(p, &c->release, release)) < 0 ||
	    (error = dup_path(p, &c->previous, previous)) < 0 ||
	    (error = dup_path(p, &c->policy, policy)) < 0 ||
	    (error = dup_path(p, &c->binaries, binaries)) < 0 ||
	    (error = dup_path(p, &c->binary_sigs, sigs)) < 0 ||
	    (error = dup_path(p, &c->output, output)) < 0 ||
	    (error = parse_source(p, src)) < 0 ||
	    (error = parse_keys(p, json_object_get(root, "keys"))) < 0 ||
	    (rec != NULL && (error = parse_recipe(p, rec)) < 0) ||
	    (log != NULL && (error = parse_log(p, log)) < 0) ||
	    (error = get_strv(p, root, "recipients", "the top level", true,
	         &c->recipients)) < 0 ||
	    (error = get_int(p, root, "source_date_epoch", "the top level", 0,
	         SP_ESCROW_MAX_MTIME, &have, &c->sde)) < 0)
		return error;
	c->have_sde = have;
	if (c->binary_sigs != NULL && c->binaries == NULL)
		return bad(p, "'binary_sigs' needs 'binaries'");
	return 0;
}

static void
free_strv(struct sp_release_strv *s)
{
	size_t i;

	for (i = 0; s->v != NULL && i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

void
sp_release_config_free(sp_release_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->product);
	free(c->release);
	free(c->previous);
	free(c->source_path);
	free(c->source_ref);
	free(c->source_dir);
	for (i = 0; c->keys != NULL && i < c->nkeys; i++) {
		free(c->keys[i].spec);
		free(c->keys[i].env_name);
	}
	free(c->keys);
	free(c->policy);
	free(c->recipe_file);
	free_strv(&c->command);
	free_strv(&c->outputs);
	free_strv(&c->tools);
	free_strv(&c->env_names);
	free(c->workdir);
	free(c->binaries);
	free(c->binary_sigs);
	free(c->log_dir);
	free(c->log_key.spec);
	free(c->log_key.env_name);
	free_strv(&c->witness_command);
	free_strv(&c->witnesses);
	free(c->base);
	free_strv(&c->recipients);
	free(c->output);
	free(c);
}

static int
parse_labelled(sp_ctx *ctx, sp_release_config **out, const char *data,
    size_t len, const char *base, const char *label)
{
	struct cfgp p = {ctx, label, base, NULL};
	json_error_t jerr;
	json_t *root = NULL;
	int error = 0;

	SP_ASSERT_ARG(ctx, out != NULL && data != NULL && base != NULL);
	*out = NULL;
	if (len > SP_RELEASE_CONFIG_MAX_SIZE)
		return sp_err_set(ctx, SP_ELIMIT,
		    "config '%s' is larger than %zu bytes", label,
		    SP_RELEASE_CONFIG_MAX_SIZE);
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		error = bad(&p, "%s (line %d, column %d)", jerr.text, jerr.line,
		    jerr.column);
		goto out;
	}
	if ((p.cfg = calloc(1, sizeof(*p.cfg))) == NULL) {
		error = oom(&p);
		goto out;
	}
	if ((error = parse_top(&p, root)) < 0)
		goto out;
	*out = p.cfg;
	p.cfg = NULL;
out:
	sp_release_config_free(p.cfg);
	json_decref(root);
	return error;
}

int
sp_release_config_parse(sp_ctx *ctx, sp_release_config **out, const char *data,
    size_t len, const char *base_dir)
{
	return parse_labelled(ctx, out, data, len, base_dir, "(input)");
}

int
sp_release_config_load(sp_ctx *ctx, sp_release_config **out, const char *path)
{
	sp_buf data = SP_BUF_INIT;
	char *copy = NULL;
	int error;

	SP_ASSERT_ARG(ctx, out != NULL && path != NULL);
	*out = NULL;
	if ((error = sp_read_file(ctx, &data, path,
	         SP_RELEASE_CONFIG_MAX_SIZE + 1, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if ((copy = strdup(path)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	error = parse_labelled(ctx, out, data.ptr != NULL ? data.ptr : "",
	    data.size, dirname(copy), path);
out:
	free(copy);
	sp_buf_dispose(&data);
	return error;
}

const char *
sp_release_config_output(const sp_release_config *cfg)
{
	return cfg != NULL ? cfg->output : NULL;
}
