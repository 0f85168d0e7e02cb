/*
 * The trust policy: keys, roles and thresholds in a DSSE envelope signed by
 * its root keys; rotation chains; verification of envelopes against it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "signing_int.h"
#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

#define POLICY_TYPE_V1 "https://srcproof.dev/policy/v1"
#define MAX_THRESHOLD 256

enum { ROLE_ROOT = 0, NROLES = 7 };
static const char *const role_names[NROLES] = {
    "root", "release", "update", "review", "rebuild", "witness", "log"};
/* Roles that sign log checkpoints (C2SP signed notes): Ed25519 only. */
#define NOTE_ROLES ((1u << 5) | (1u << 6))

struct pkey {
	sp_key *key;
	unsigned roles; /* bit i: role_names[i] */
	const char *rolelist[NROLES];
	size_t nroles;
	int64_t not_before, not_after; /* 0: unbounded */
};

struct sp_policy {
	sp_dsse *env;
	uint64_t version;
	int64_t expires;
	char *product;
	size_t nkeys;
	struct pkey keys[SP_POLICY_MAX_KEYS];
	unsigned threshold[NROLES]; /* 0: role not defined */
	/* Trusted: made in memory by the caller, or parsed and then checked
	 * by sp_policy_verify_chain. */
	bool verified;
};

static int
role_index(const char *name)
{
	int i;

	for (i = 0; i < NROLES; i++)
		if (strcmp(name, role_names[i]) == 0)
			return i;
	return -1;
}

bool
sp_sign_role_is_known(const char *name)
{
	return name != NULL && role_index(name) >= 0;
}

/* The first role of @p mask that signs checkpoints, when @p key is not
 * Ed25519 (which they need); NULL when the key may have every role. */
static const char *
note_role_refused(const sp_key *key, unsigned mask)
{
	int i;

	if (sp_key_algorithm(key) == SP_KEY_ED25519)
		return NULL;
	for (i = 0; i < NROLES; i++)
		if ((mask & NOTE_ROLES & (1u << i)) != 0)
			return role_names[i];
	return NULL;
}

static void
pkey_set_roles(struct pkey *k, unsigned roles)
{
	int i;

	k->roles = roles;
	k->nroles = 0;
	for (i = 0; i < NROLES; i++)
		if (roles & (1u << i))
			k->rolelist[k->nroles++] = role_names[i];
}

void
sp_policy_free(sp_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nkeys; i++)
		sp_key_free(p->keys[i].key);
	sp_dsse_free(p->env);
	free(p->product);
	free(p);
}

static size_t
role_key_count(const sp_policy *p, int role)
{
	size_t i, n = 0;

	for (i = 0; i < p->nkeys; i++)
		if (p->keys[i].roles & (1u << role))
			n++;
	return n;
}

static json_t *
role_keyids(const sp_policy *p, int role)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < p->nkeys; i++) {
		if ((p->keys[i].roles & (1u << role)) &&
		    json_array_append_new(
		        a, json_string(sp_key_id(p->keys[i].key))) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
time_json(int64_t t)
{
	char s[SP_TIME_STR_LEN];

	if (sp_time_format(s, t) < 0)
		return NULL;
	return json_string(s);
}

/* Build the body from the fields and put it in a new unsigned envelope. */
static int
rebuild(sp_ctx *ctx, sp_policy *p)
{
	json_t *body = NULL, *keys, *roles;
	sp_buf text = SP_BUF_INIT, pem = SP_BUF_INIT;
	sp_dsse *env = NULL;
	size_t i;
	int r, error = 0;

	body = json_pack("{s:s, s:I, s:o, s:[], s:{}}", "_type", POLICY_TYPE_V1,
	    "version", (json_int_t)p->version, "expires", time_json(p->expires),
	    "keys", "roles");
	if (body == NULL)
		goto nomem;
	if (p->product != NULL &&
	    json_object_set_new(body, "product", json_string(p->product)) < 0)
		goto nomem;
	keys = json_object_get(body, "keys");
	roles = json_object_get(body, "roles");
	for (i = 0; i < p->nkeys; i++) {
		const struct pkey *k = &p->keys[i];
		json_t *jk, *jr = json_array();
		size_t j;

		sp_buf_clear(&pem);
		if (jr == NULL)
			goto nomem;
		for (j = 0; j < k->nroles; j++)
			if (json_array_append_new(
			        jr, json_string(k->rolelist[j])) < 0) {
				json_decref(jr);
				goto nomem;
			}
		if ((error = sp_key_public_pem(ctx, k->key, &pem)) < 0) {
			json_decref(jr);
			goto out;
		}
		jk = json_pack("{s:s, s:s, s:s, s:o}", "id", sp_key_id(k->key),
		    "algorithm", sp_key_algorithm_name(k->key), "public_key",
		    pem.ptr, "roles", jr);
		if (jk == NULL || json_array_append_new(keys, jk) < 0)
			goto nomem;
		if (k->not_before != 0 && json_object_set_new(jk, "not_before",
		                              time_json(k->not_before)) < 0)
			goto nomem;
		if (k->not_after != 0 && json_object_set_new(jk, "not_after",
		                             time_json(k->not_after)) < 0)
			goto nomem;
	}
	for (r = 0; r < NROLES; r++) {
		json_t *jr;

		if (p->threshold[r] == 0)
			continue;
		jr = json_pack("{s:i, s:o}", "threshold", (int)p->threshold[r],
		    "keyids", role_keyids(p, r));
		if (jr == NULL)
			goto nomem;
		if (r == ROLE_ROOT
		        ? json_object_set_new(body, "root", jr) < 0
		        : json_object_set_new(roles, role_names[r], jr) < 0)
			goto nomem;
	}
	if ((error = sp_sign__json_dump(ctx, &text, body,
	         JSON_SORT_KEYS | JSON_INDENT(2), "the policy")) < 0)
		goto out;
	if (sp_buf_putc(&text, '\n') < 0)
		goto nomem;
	if ((error = sp_dsse_new(
	         ctx, &env, SP_DSSE_TYPE_POLICY, text.ptr, text.size)) < 0)
		goto out;
	sp_dsse_free(p->env);
	p->env = env;
	goto out;
nomem:
	error = sp_err_set(ctx, SP_ENOMEM, "out of memory building the policy");
out:
	json_decref(body);
	sp_buf_dispose(&text);
	sp_buf_dispose(&pem);
	return error;
}

int
sp_policy_new(sp_ctx *ctx, sp_policy **out, const sp_policy *from,
    int64_t expires, const char *product)
{
	sp_policy *p;
	size_t i;
	int error = 0;

	*out = NULL;
	if (product != NULL && (product[0] == '\0' || strlen(product) > 256 ||
	                           !sp_is_clean_utf8(product, strlen(product))))
		return sp_err_set(ctx, SP_EINVALID,
		    "product name must be 1 to 256 bytes of clean UTF-8");
	if ((p = sp_calloc(ctx, 1, sizeof(*p))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	p->version = 1;
	p->expires = expires;
	p->verified = true; /* the caller's own */
	p->threshold[ROLE_ROOT] = 1;
	if (from != NULL) {
		p->version = from->version + 1;
		memcpy(p->threshold, from->threshold, sizeof(p->threshold));
		for (i = 0; i < from->nkeys; i++) {
			p->keys[i] = from->keys[i];
			p->keys[i].key = NULL;
			if ((error = sp_key_public_copy(
			         ctx, &p->keys[i].key, from->keys[i].key)) < 0)
				goto out;
			p->nkeys = i + 1;
		}
		if (product == NULL)
			product = from->product;
	}
	if (product != NULL && (p->product = strdup(product)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = rebuild(ctx, p)) < 0)
		goto out;
	*out = p;
	p = NULL;
out:
	sp_policy_free(p);
	return error;
}

static int
parse_time_field(
    sp_ctx *ctx, int64_t *out, const json_t *v, const char *what, bool req)
{
	*out = 0;
	if (v == NULL && !req)
		return 0;
	if (!json_is_string(v) || sp_time_parse(out, json_string_value(v)) < 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "the policy's %s is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)",
		    what);
	return 0;
}

static int
check_members(sp_ctx *ctx, const json_t *obj, const char *const *allowed,
    size_t n, const char *what)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, k, v)
	{
		for (i = 0; i < n; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (i == n)
			return sp_err_set(ctx, SP_EPARSE,
			    "%s has an unknown member '%s'", what, k);
	}
	return 0;
}

static int
parse_key(sp_ctx *ctx, sp_policy *p, const json_t *jk, size_t idx)
{
	static const char *const members[] = {"id", "algorithm", "public_key",
	    "roles", "not_before", "not_after"};
	struct pkey *k = &p->keys[idx];
	const json_t *id, *alg, *pem, *roles, *r;
	const char *bad;
	unsigned mask = 0;
	size_t i;
	int error, ri;

	if (!json_is_object(jk))
		return sp_err_set(
		    ctx, SP_EPARSE, "policy key %zu is not an object", idx + 1);
	if ((error = check_members(
	         ctx, jk, members, SP_ARRAY_SIZE(members), "a policy key")) < 0)
		return error;
	id = json_object_get(jk, "id");
	alg = json_object_get(jk, "algorithm");
	pem = json_object_get(jk, "public_key");
	roles = json_object_get(jk, "roles");
	if (!json_is_string(id) || !json_is_string(alg) ||
	    !json_is_string(pem) || !json_is_array(roles))
		return sp_err_set(ctx, SP_EPARSE,
		    "policy key %zu needs id, algorithm, public_key and roles",
		    idx + 1);
	if ((error = sp_key_from_public_pem(ctx, &k->key,
	         json_string_value(pem), json_string_length(pem))) < 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "policy key %zu: the public key does not parse", idx + 1);
	p->nkeys = idx + 1;
	if (strcmp(json_string_value(id), sp_key_id(k->key)) != 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "policy key %zu: id '%s' is not the sha256 of its public "
		    "key",
		    idx + 1, json_string_value(id));
	if (strcmp(json_string_value(alg), sp_key_algorithm_name(k->key)) != 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "policy key '%s': algorithm '%s' does not match the key "
		    "(%s)",
		    sp_key_id(k->key), json_string_value(alg),
		    sp_key_algorithm_name(k->key));
	if (idx > 0 &&
	    strcmp(sp_key_id(p->keys[idx - 1].key), sp_key_id(k->key)) >= 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "policy keys are not sorted by id or repeat '%s'",
		    sp_key_id(k->key));
	json_array_foreach(roles, i, r)
	{
		ri = json_is_string(r) ? role_index(json_string_value(r)) : -1;
		if (ri < 0)
			return sp_err_set(ctx, SP_EPARSE,
			    "policy key '%s' names an unknown role",
			    sp_key_id(k->key));
		if (mask & (1u << ri))
			return sp_err_set(ctx, SP_EPARSE,
			    "policy key '%s' names role '%s' twice",
			    sp_key_id(k->key), role_names[ri]);
		mask |= 1u << ri;
	}
	if ((bad = note_role_refused(k->key, mask)) != NULL)
		return sp_err_set(ctx, SP_EPARSE,
		    "policy key '%s' has role '%s' but is not Ed25519 (%s): "
		    "checkpoint signatures are Ed25519",
		    sp_key_id(k->key), bad, sp_key_algorithm_name(k->key));
	pkey_set_roles(k, mask);
	if ((error = parse_time_field(ctx, &k->not_before,
	         json_object_get(jk, "not_before"), "not_before", false)) < 0 ||
	    (error = parse_time_field(ctx, &k->not_after,
	         json_object_get(jk, "not_after"), "not_after", false)) < 0)
		return error;
	return 0;
}

static int
parse_role(sp_ctx *ctx, sp_policy *p, int role, const json_t *jr)
{
	static const char *const members[] = {"threshold", "keyids"};
	const json_t *th = json_object_get(jr, "threshold");
	json_t *want = NULL;
	int error;

	if (!json_is_object(jr))
		return sp_err_set(ctx, SP_EPARSE, "role '%s' is not an object",
		    role_names[role]);
	if ((error = check_members(ctx, jr, members, SP_ARRAY_SIZE(members),
	         "a policy role")) < 0)
		return error;
	if (!json_is_integer(th) || json_integer_value(th) < 1 ||
	    json_integer_value(th) > MAX_THRESHOLD)
		return sp_err_set(ctx, SP_EPARSE,
		    "role '%s' needs a threshold from 1 to %d",
		    role_names[role], MAX_THRESHOLD);
	p->threshold[role] = (unsigned)json_integer_value(th);
	/* keyids is derived from the keys' roles and must agree with them. */
	want = role_keyids(p, role);
	if (want == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if (!json_equal(want, json_object_get(jr, "keyids")))
		error = sp_err_set(ctx, SP_EPARSE,
		    "role '%s': keyids do not list exactly the keys that name "
		    "the role, sorted",
		    role_names[role]);
	json_decref(want);
	return error;
}

static int
parse_body(sp_ctx *ctx, sp_policy *p, const char *data, size_t len)
{
	static const char *const members[] = {
	    "_type", "version", "expires", "product", "keys", "roles", "root"};
	json_t *body = NULL, *keys, *roles, *v;
	const char *name;
	size_t i;
	int error, r;

	if ((error = sp_sign__json_parse(
	         ctx, &body, data, len, "the policy body")) < 0)
		goto out;
	if (!json_is_object(body)) {
		error = sp_err_set(
		    ctx, SP_EPARSE, "the policy body is not a JSON object");
		goto out;
	}
	if ((error = check_members(
	         ctx, body, members, SP_ARRAY_SIZE(members), "the policy")) < 0)
		goto out;
	v = json_object_get(body, "_type");
	if (!json_is_string(v) ||
	    strcmp(json_string_value(v), POLICY_TYPE_V1) != 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "the policy's _type is not '%s'", POLICY_TYPE_V1);
		goto out;
	}
	v = json_object_get(body, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		error = sp_err_set(
		    ctx, SP_EPARSE, "the policy needs an integer version >= 1");
		goto out;
	}
	p->version = (uint64_t)json_integer_value(v);
	if ((error = parse_time_field(ctx, &p->expires,
	         json_object_get(body, "expires"), "expires", true)) < 0)
		goto out;
	v = json_object_get(body, "product");
	if (v != NULL) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 256 ||
		    !sp_is_clean_utf8(
		        json_string_value(v), json_string_length(v))) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "the policy's product is not 1 to 256 bytes of "
			    "clean UTF-8");
			goto out;
		}
		if ((p->product = strdup(json_string_value(v))) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	}
	keys = json_object_get(body, "keys");
	roles = json_object_get(body, "roles");
	if (!json_is_array(keys) || !json_is_object(roles)) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "the policy needs a 'keys' array and a 'roles' object");
		goto out;
	}
	if (json_array_size(keys) > SP_POLICY_MAX_KEYS) {
		error = sp_err_set(ctx, SP_ELIMIT,
		    "the policy lists %zu keys; the limit is %d",
		    json_array_size(keys), SP_POLICY_MAX_KEYS);
		goto out;
	}
	json_array_foreach(keys, i, v)
	{
		if ((error = parse_key(ctx, p, v, i)) < 0)
			goto out;
	}
	json_object_foreach(roles, name, v)
	{
		r = role_index(name);
		if (r <= ROLE_ROOT) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "the policy defines an unknown role in 'roles' "
			    "(root goes in 'root')");
			goto out;
		}
		if ((error = parse_role(ctx, p, r, v)) < 0)
			goto out;
	}
	v = json_object_get(body, "root");
	if (v == NULL) {
		error = sp_err_set(ctx, SP_EPARSE, "the policy has no 'root'");
		goto out;
	}
	if ((error = parse_role(ctx, p, ROLE_ROOT, v)) < 0)
		goto out;
	for (i = 0; i < p->nkeys; i++) {
		for (r = 0; r < NROLES; r++) {
			if ((p->keys[i].roles & (1u << r)) &&
			    p->threshold[r] == 0) {
				error = sp_err_set(ctx, SP_EPARSE,
				    "key '%s' names role '%s' that the policy "
				    "does not define",
				    sp_key_id(p->keys[i].key), role_names[r]);
				goto out;
			}
		}
	}
out:
	json_decref(body);
	return error;
}

int
sp_policy_parse(sp_ctx *ctx, sp_policy **out, const char *data, size_t len)
{
	sp_policy *p = NULL;
	const char *payload;
	size_t plen;
	int error;

	*out = NULL;
	if (len > SP_POLICY_MAX_SIZE)
		return sp_err_set(ctx, SP_ELIMIT,
		    "policy is larger than the limit of %zu bytes",
		    SP_POLICY_MAX_SIZE);
	if ((p = sp_calloc(ctx, 1, sizeof(*p))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = sp_dsse_parse(ctx, &p->env, data, len)) < 0)
		goto out;
	if (strcmp(sp_dsse_payload_type(p->env), SP_DSSE_TYPE_POLICY) != 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "not a policy: payload type '%s' (expected '%s')",
		    sp_dsse_payload_type(p->env), SP_DSSE_TYPE_POLICY);
		goto out;
	}
	payload = sp_dsse_payload(p->env, &plen);
	if ((error = parse_body(ctx, p, payload, plen)) < 0)
		goto out;
	*out = p;
	p = NULL;
out:
	sp_policy_free(p);
	return error;
}

int
sp_policy_load(sp_ctx *ctx, sp_policy **out, const char *path)
{
	sp_buf data = SP_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = sp_read_file(
	         ctx, &data, path, SP_POLICY_MAX_SIZE, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if ((error = sp_policy_parse(ctx, out, data.ptr, data.size)) < 0) {
		char msg[SP_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
		error = sp_err_set(ctx, error, "policy '%s': %s", path, msg);
	}
out:
	sp_buf_dispose(&data);
	return error;
}

int
sp_policy_serialize(sp_ctx *ctx, const sp_policy *p, sp_buf *out)
{
	return sp_dsse_serialize(ctx, p->env, out);
}

static int
parse_roles_arg(
    sp_ctx *ctx, unsigned *mask, const char *const *roles, size_t nroles)
{
	size_t i;
	int r;

	*mask = 0;
	for (i = 0; i < nroles; i++) {
		if ((r = role_index(roles[i])) < 0) {
			sp_err_set(
			    ctx, SP_EINVALID, "unknown role '%s'", roles[i]);
			sp_err_hint(ctx,
			    "roles: root, release, update, review, "
			    "rebuild, witness, log");
			return SP_EINVALID;
		}
		*mask |= 1u << r;
	}
	if (*mask == 0)
		return sp_err_set(ctx, SP_EINVALID, "a key needs a role");
	return 0;
}

int
sp_policy_add_key(sp_ctx *ctx, sp_policy *p, const sp_key *key,
    const char *const *roles, size_t nroles, int64_t not_before,
    int64_t not_after)
{
	struct pkey k = {0};
	const char *bad;
	unsigned mask;
	size_t i, at;
	int error, r;

	if ((error = parse_roles_arg(ctx, &mask, roles, nroles)) < 0)
		return error;
	if ((bad = note_role_refused(key, mask)) != NULL) {
		sp_err_set(ctx, SP_EINVALID,
		    "key '%s' is not Ed25519 (%s): role '%s' signs log "
		    "checkpoints, which are Ed25519",
		    sp_key_id(key), sp_key_algorithm_name(key), bad);
		sp_err_hint(ctx, "give an Ed25519 key (srcproof key generate "
		                 "makes one)");
		return SP_EINVALID;
	}
	if (not_before != 0 && not_after != 0 && not_after <= not_before)
		return sp_err_set(ctx, SP_EINVALID,
		    "not_after must be later than not_before");
	if (p->nkeys == SP_POLICY_MAX_KEYS)
		return sp_err_set(ctx, SP_ELIMIT, "the policy is full");
	for (at = 0; at < p->nkeys; at++) {
		int c = strcmp(sp_key_id(p->keys[at].key), sp_key_id(key));

		if (c == 0)
			return sp_err_set(ctx, SP_EEXISTS,
			    "key '%s' is already in the policy",
			    sp_key_id(key));
		if (c > 0)
			break;
	}
	if ((error = sp_key_public_copy(ctx, &k.key, key)) < 0)
		return error;
	pkey_set_roles(&k, mask);
	k.not_before = not_before;
	k.not_after = not_after;
	for (i = p->nkeys; i > at; i--)
		p->keys[i] = p->keys[i - 1];
	p->keys[at] = k;
	p->nkeys++;
	for (r = 0; r < NROLES; r++)
		if ((mask & (1u << r)) && p->threshold[r] == 0)
			p->threshold[r] = 1;
	return rebuild(ctx, p);
}

int
sp_policy_remove_key(sp_ctx *ctx, sp_policy *p, const char *keyid)
{
	size_t i, at;
	int r;

	for (at = 0; at < p->nkeys; at++)
		if (strcmp(sp_key_id(p->keys[at].key), keyid) == 0)
			break;
	if (at == p->nkeys)
		return sp_err_set(
		    ctx, SP_ENOTFOUND, "key '%s' is not in the policy", keyid);
	for (r = 0; r < NROLES; r++) {
		size_t left = role_key_count(p, r);

		if (!(p->keys[at].roles & (1u << r)))
			continue;
		left--;
		if (left < p->threshold[r] && left > 0) {
			sp_err_set(ctx, SP_EINVALID,
			    "removing key '%s' would leave role '%s' with %zu "
			    "keys for a threshold of %u",
			    keyid, role_names[r], left, p->threshold[r]);
			sp_err_hint(ctx, "lower the threshold first");
			return SP_EINVALID;
		}
		if (left == 0 && r != ROLE_ROOT)
			p->threshold[r] = 0;
	}
	sp_key_free(p->keys[at].key);
	for (i = at; i + 1 < p->nkeys; i++)
		p->keys[i] = p->keys[i + 1];
	p->nkeys--;
	return rebuild(ctx, p);
}

int
sp_policy_set_threshold(
    sp_ctx *ctx, sp_policy *p, const char *role, unsigned threshold)
{
	int r = role_index(role);
	size_t n;

	if (r < 0)
		return sp_err_set(ctx, SP_EINVALID, "unknown role '%s'", role);
	n = role_key_count(p, r);
	if (threshold < 1 || threshold > MAX_THRESHOLD)
		return sp_err_set(ctx, SP_EINVALID,
		    "threshold must be from 1 to %d", MAX_THRESHOLD);
	if (threshold > n) {
		sp_err_set(ctx, SP_EINVALID,
		    "role '%s' has %zu keys; a threshold of %u could never be "
		    "met",
		    role, n, threshold);
		sp_err_hint(ctx, "add keys with 'srcproof policy add-key' "
		                 "first");
		return SP_EINVALID;
	}
	p->threshold[r] = threshold;
	return rebuild(ctx, p);
}

int
sp_policy_set_expires(sp_ctx *ctx, sp_policy *p, int64_t expires)
{
	p->expires = expires;
	return rebuild(ctx, p);
}

int
sp_policy_sign(sp_ctx *ctx, sp_policy *p, const sp_key *key)
{
	return sp_dsse_add_signature(ctx, p->env, key);
}

uint64_t
sp_policy_version(const sp_policy *p)
{
	return p->version;
}

int64_t
sp_policy_expires(const sp_policy *p)
{
	return p->expires;
}

const char *
sp_policy_product(const sp_policy *p)
{
	return p->product;
}

size_t
sp_policy_key_count(const sp_policy *p)
{
	return p->nkeys;
}

const sp_key *
sp_policy_key(const sp_policy *p, size_t i)
{
	return i < p->nkeys ? p->keys[i].key : NULL;
}

void
sp_policy_key_info(const sp_policy *p, size_t i, const char *const **roles,
    size_t *nroles, int64_t *not_before, int64_t *not_after)
{
	const struct pkey *k = &p->keys[i];

	*roles = k->rolelist;
	*nroles = k->nroles;
	*not_before = k->not_before;
	*not_after = k->not_after;
}

static bool
pkey_valid_at(const struct pkey *k, int64_t at)
{
	return (k->not_before == 0 || at >= k->not_before) &&
	       (k->not_after == 0 || at < k->not_after);
}

bool
sp_policy_key_has_role(const sp_policy *p, size_t i, const char *role)
{
	int r = role != NULL ? role_index(role) : -1;

	return i < p->nkeys && r >= 0 && (p->keys[i].roles & (1u << r)) != 0;
}

bool
sp_policy_key_valid_at(const sp_policy *p, size_t i, int64_t at)
{
	return i < p->nkeys && pkey_valid_at(&p->keys[i], at);
}

unsigned
sp_policy_threshold(const sp_policy *p, const char *role)
{
	int r = role_index(role);

	return r < 0 ? 0 : p->threshold[r];
}

const sp_dsse *
sp_policy_envelope(const sp_policy *p)
{
	return p->env;
}

/* Count root signatures of @p signer's root keys over @p target. */
static int
root_signed(sp_ctx *ctx, const sp_policy *signer, const sp_policy *target,
    const char *what)
{
	struct sp_sign__trusted t[SP_POLICY_MAX_KEYS];
	sp_sign_result res;
	size_t i, n = 0;

	for (i = 0; i < signer->nkeys; i++) {
		if (!(signer->keys[i].roles & 1u))
			continue;
		t[n].key = signer->keys[i].key;
		t[n].allowed = true;
		t[n].in_time = true;
		t[n].not_yet = false;
		n++;
	}
	return sp_sign__count(
	    ctx, target->env, t, n, signer->threshold[ROLE_ROOT], what, &res);
}

static int64_t
at_or_now(int64_t at)
{
	return at != 0 ? at : (int64_t)time(NULL);
}

static int
check_expiry(sp_ctx *ctx, const sp_policy *p, int64_t at)
{
	char exp[SP_TIME_STR_LEN], now[SP_TIME_STR_LEN];

	if (at < p->expires)
		return 0;
	(void)sp_time_format(exp, p->expires);
	(void)sp_time_format(now, at);
	sp_err_set(ctx, SP_EVERIFY,
	    "policy expired: version %llu expired at %s (checked at %s)",
	    (unsigned long long)p->version, exp, now);
	sp_err_hint(ctx, "an expired policy may be a freeze attack: get the "
	                 "current policy, or check as of an earlier time "
	                 "with --at");
	return SP_EVERIFY;
}

int
sp_policy_verify_chain(sp_ctx *ctx, sp_policy *const *chain, size_t n,
    int64_t at, const sp_policy **current)
{
	char what[128];
	size_t i;
	int error;

	if (current != NULL)
		*current = NULL;
	if (n == 0)
		return sp_err_set(ctx, SP_EINVALID, "no policy given");
	at = at_or_now(at);
	snprintf(what, sizeof(what), "policy version %llu (pinned)",
	    (unsigned long long)chain[0]->version);
	if ((error = root_signed(ctx, chain[0], chain[0], what)) < 0) {
		sp_err_hint(ctx, "a policy needs signatures from its root "
		                 "threshold: srcproof policy sign");
		return error;
	}
	for (i = 1; i < n; i++) {
		const sp_policy *prev = chain[i - 1], *p = chain[i];

		if (p->version != prev->version + 1)
			return sp_err_set(ctx, SP_EVERIFY,
			    "policy version %llu does not follow version %llu "
			    "(rollback or gap in the chain)",
			    (unsigned long long)p->version,
			    (unsigned long long)prev->version);
		snprintf(what, sizeof(what),
		    "policy version %llu, by the root keys of version %llu",
		    (unsigned long long)p->version,
		    (unsigned long long)prev->version);
		if ((error = root_signed(ctx, prev, p, what)) < 0)
			return error;
		snprintf(what, sizeof(what),
		    "policy version %llu, by its own root keys",
		    (unsigned long long)p->version);
		if ((error = root_signed(ctx, p, p, what)) < 0)
			return error;
	}
	if ((error = check_expiry(ctx, chain[n - 1], at)) < 0)
		return error;
	for (i = 0; i < n; i++)
		chain[i]->verified = true;
	if (current != NULL)
		*current = chain[n - 1];
	return 0;
}

int
sp_dsse_verify(sp_ctx *ctx, const sp_dsse *env, const sp_sign_verify_opts *opts,
    sp_sign_result *result)
{
	struct sp_sign__trusted t[SP_POLICY_MAX_KEYS];
	const char *want =
	    opts->payload_type ? opts->payload_type : SP_DSSE_TYPE_INTOTO;
	sp_sign_result local;
	int64_t at = at_or_now(opts->at);
	char what[128];
	size_t i, threshold;
	int error, r;

	if (result == NULL)
		result = &local;
	memset(result, 0, sizeof(*result));
	if (strcmp(sp_dsse_payload_type(env), want) != 0)
		return sp_err_set(ctx, SP_EVERIFY,
		    "wrong payload type '%s' (expected '%s')",
		    sp_dsse_payload_type(env), want);
	if (opts->policy != NULL) {
		const sp_policy *p = opts->policy;

		if (opts->role == NULL || (r = role_index(opts->role)) < 0)
			return sp_err_set(ctx, SP_EVERIFY, "unknown role '%s'",
			    opts->role ? opts->role : "(none)");
		if ((error = check_expiry(ctx, p, at)) < 0)
			return error;
		/* Never trust a policy whose own signatures were not checked:
		 * one that did not come through sp_policy_verify_chain is
		 * checked here as a pinned policy of its own. */
		if (!p->verified) {
			snprintf(what, sizeof(what), "policy version %llu",
			    (unsigned long long)p->version);
			if ((error = root_signed(ctx, p, p, what)) < 0)
				return error;
		}
		if (p->threshold[r] == 0)
			return sp_err_set(ctx, SP_EVERIFY,
			    "role not allowed: policy version %llu defines no "
			    "threshold for role '%s'",
			    (unsigned long long)p->version, opts->role);
		for (i = 0; i < p->nkeys; i++) {
			const struct pkey *k = &p->keys[i];

			t[i].key = k->key;
			t[i].allowed = (k->roles & (1u << r)) != 0;
			t[i].in_time = pkey_valid_at(k, at);
			t[i].not_yet = k->not_before != 0 && at < k->not_before;
		}
		snprintf(what, sizeof(what), "role '%s'", opts->role);
		return sp_sign__count(
		    ctx, env, t, p->nkeys, p->threshold[r], what, result);
	}
	if (opts->nkeys > SP_POLICY_MAX_KEYS)
		return sp_err_set(ctx, SP_ELIMIT, "too many keys");
	threshold = opts->threshold ? opts->threshold : 1;
	if (threshold > opts->nkeys)
		return sp_err_set(ctx, SP_EINVALID,
		    "threshold %zu is more than the %zu keys given", threshold,
		    opts->nkeys);
	for (i = 0; i < opts->nkeys; i++) {
		t[i].key = opts->keys[i];
		t[i].allowed = true;
		t[i].in_time = true;
		t[i].not_yet = false;
	}
	return sp_sign__count(
	    ctx, env, t, opts->nkeys, threshold, "signature check", result);
}
