/*
 * Bounded ELF32/ELF64 parser (either byte order): ELF header, program
 * headers, section headers and names, the GNU build-id note and the
 * .gnu_debuglink CRC; and the Linux kernel module signature trailer
 * (module bytes, PKCS#7, 12-byte module_signature, marker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare_int.h"
#include "util_int.h"

#include "banned.h"

#define ELF_MAX_SECTIONS (1u << 20)
#define ELF_MAX_SHSTRTAB ((uint64_t)16 << 20)
#define ELF_MAX_NOTE ((uint64_t)1 << 20)
#define SHT_NOBITS_ 8
#define SHT_NOTE_ 7
#define NT_GNU_BUILD_ID_ 3

bool
elf_detect(const cmp_file *f)
{
	uint8_t m[4];
	sp_ctx *ctx = NULL;
	bool ok = false;

	if (f->size < 4 || sp_ctx_new(&ctx) < 0)
		return false;
	ok = cmp_read(ctx, f, 0, m, 4, "ELF magic") == 0 &&
	     memcmp(m, "\177ELF", 4) == 0;
	sp_ctx_free(ctx);
	return ok;
}

typedef struct elf_rd {
	bool is64, be;
} elf_rd;

static uint16_t
rd16(const elf_rd *r, const uint8_t *p)
{
	return r->be ? cmp_be16(p) : cmp_le16(p);
}
static uint32_t
rd32(const elf_rd *r, const uint8_t *p)
{
	return r->be ? cmp_be32(p) : cmp_le32(p);
}
static uint64_t
rdw(const elf_rd *r, const uint8_t *p)
{
	if (r->is64)
		return r->be ? cmp_be64(p) : cmp_le64(p);
	return rd32(r, p);
}

void
elf_dispose(elf_info *e)
{
	free(e->debuglink_name);
	memset(e, 0, sizeof(*e));
}

static const char *
ptype_name(uint32_t t)
{
	switch (t) {
	case 0:
		return "NULL";
	case 1:
		return "LOAD";
	case 2:
		return "DYNAMIC";
	case 3:
		return "INTERP";
	case 4:
		return "NOTE";
	case 6:
		return "PHDR";
	case 7:
		return "TLS";
	case 0x6474e550:
		return "GNU_EH_FRAME";
	case 0x6474e551:
		return "GNU_STACK";
	case 0x6474e552:
		return "GNU_RELRO";
	case 0x6474e553:
		return "GNU_PROPERTY";
	default:
		return "other";
	}
}

struct ehdr_field {
	uint8_t off32, off64, len32, len64;
	const char *name;
};

static const struct ehdr_field ehdr_fields[] = {
    {0, 0, 16, 16, "e_ident"},
    {16, 16, 2, 2, "e_type"},
    {18, 18, 2, 2, "e_machine"},
    {20, 20, 4, 4, "e_version"},
    {24, 24, 4, 8, "e_entry"},
    {28, 32, 4, 8, "e_phoff"},
    {32, 40, 4, 8, "e_shoff"},
    {36, 48, 4, 4, "e_flags"},
    {40, 52, 2, 2, "e_ehsize"},
    {42, 54, 2, 2, "e_phentsize"},
    {44, 56, 2, 2, "e_phnum"},
    {46, 58, 2, 2, "e_shentsize"},
    {48, 60, 2, 2, "e_shnum"},
    {50, 62, 2, 2, "e_shstrndx"},
};

/* Read the notes of one SHT_NOTE section looking for the GNU build-id. */
static int
scan_notes(sp_ctx *ctx, elf_info *e, const elf_rd *r, const cmp_file *f,
    uint64_t off, uint64_t size)
{
	uint8_t *buf = NULL;
	uint64_t pos = 0;
	int error = 0;

	if (size > ELF_MAX_NOTE || size < 12)
		return 0;
	if ((buf = malloc((size_t)size)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = cmp_read(ctx, f, off, buf, (size_t)size, "note")) < 0)
		goto out;
	while (pos + 12 <= size) {
		uint32_t namesz = rd32(r, buf + pos),
		         descsz = rd32(r, buf + pos + 4),
		         type = rd32(r, buf + pos + 8);
		uint64_t name_off = pos + 12;
		uint64_t desc_off = name_off + (((uint64_t)namesz + 3) & ~3u);
		uint64_t next = desc_off + (((uint64_t)descsz + 3) & ~3u);

		if (desc_off > size || descsz > size - desc_off)
			break;
		if (type == NT_GNU_BUILD_ID_ && namesz == 4 &&
		    memcmp(buf + name_off, "GNU", 4) == 0 && descsz > 0 &&
		    descsz <= sizeof(e->build_id) && !e->has_build_id) {
			e->has_build_id = true;
			e->build_id_off = off + desc_off;
			e->build_id_len = descsz;
			memcpy(e->build_id, buf + desc_off, descsz);
		}
		pos = next;
	}
out:
	free(buf);
	return error;
}

int
elf_parse(sp_ctx *ctx, elf_info *e, const cmp_file *f, uint64_t limit,
    cmp_regions *rs)
{
	uint8_t eh[64], *shdrs = NULL, *strtab = NULL, *ph = NULL;
	elf_rd r;
	uint64_t phoff, shoff, ehsize, strtab_size = 0, i, phnum, shnum;
	uint16_t phentsize, shentsize;
	uint32_t shstrndx;
	size_t need;
	int error = 0;

	memset(e, 0, sizeof(*e));
	e->limit = limit;
	if (limit > f->size)
		limit = f->size;
	if (limit < 16) {
		error = sp_err_set(
		    ctx, SP_EPARSE, "'%s': truncated ELF header", f->name);
		goto out;
	}
	if ((error = cmp_read(ctx, f, 0, eh, 16, "ELF header")) < 0)
		goto out;
	if (memcmp(eh, "\177ELF", 4) != 0 || (eh[4] != 1 && eh[4] != 2) ||
	    (eh[5] != 1 && eh[5] != 2)) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': bad ELF identification (class %u, data %u)", f->name,
		    eh[4], eh[5]);
		goto out;
	}
	r.is64 = e->is64 = eh[4] == 2;
	r.be = e->be = eh[5] == 2;
	ehsize = r.is64 ? 64 : 52;
	if (limit < ehsize) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': truncated ELF header (%llu bytes)", f->name,
		    (unsigned long long)limit);
		goto out;
	}
	if ((error = cmp_read(ctx, f, 0, eh, (size_t)ehsize, "ELF header")) < 0)
		goto out;
	e->type = rd16(&r, eh + 16);
	e->machine = rd16(&r, eh + 18);
	phoff = rdw(&r, eh + (r.is64 ? 32 : 28));
	shoff = rdw(&r, eh + (r.is64 ? 40 : 32));
	phentsize = rd16(&r, eh + (r.is64 ? 54 : 42));
	phnum = rd16(&r, eh + (r.is64 ? 56 : 44));
	shentsize = rd16(&r, eh + (r.is64 ? 58 : 46));
	shnum = rd16(&r, eh + (r.is64 ? 60 : 48));
	shstrndx = rd16(&r, eh + (r.is64 ? 62 : 50));
	for (i = 0; i < SP_ARRAY_SIZE(ehdr_fields); i++) {
		const struct ehdr_field *fl = &ehdr_fields[i];

		if ((error = cmp_region_add(ctx, rs,
		         r.is64 ? fl->off64 : fl->off32,
		         r.is64 ? fl->len64 : fl->len32, CMP_RK_PLAIN,
		         "ELF header.%s", fl->name)) < 0)
			goto out;
	}
	/* Program headers. */
	if (phnum > 0) {
		if (phentsize != (r.is64 ? 56 : 32)) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': bad e_phentsize %u", f->name, phentsize);
			goto out;
		}
		if (phoff > limit || phnum * phentsize > limit - phoff) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': program header table (%llu entries at "
			    "offset %llu) lies outside the file",
			    f->name, (unsigned long long)phnum,
			    (unsigned long long)phoff);
			goto out;
		}
		need = (size_t)(phnum * phentsize);
		if ((ph = malloc(need)) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if ((error = cmp_read(
		         ctx, f, phoff, ph, need, "program headers")) < 0)
			goto out;
		for (i = 0; i < phnum && rs != NULL; i++)
			if ((error = cmp_region_add(ctx, rs,
			         phoff + i * phentsize, phentsize, CMP_RK_PLAIN,
			         "program header[%llu] (%s)",
			         (unsigned long long)i,
			         ptype_name(rd32(&r, ph + i * phentsize)))) < 0)
				goto out;
	}
	/* Section headers. */
	if (shoff == 0) {
		if (shnum != 0) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': %llu section headers at offset 0", f->name,
			    (unsigned long long)shnum);
			goto out;
		}
		goto done;
	}
	if (shentsize != (r.is64 ? 64 : 40)) {
		error = sp_err_set(ctx, SP_EPARSE, "'%s': bad e_shentsize %u",
		    f->name, shentsize);
		goto out;
	}
	if (shoff > limit || limit - shoff < shentsize) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': section header table offset %llu lies outside the "
		    "file (%llu bytes)",
		    f->name, (unsigned long long)shoff,
		    (unsigned long long)limit);
		goto out;
	}
	if (shnum == 0 || shstrndx == 0xffff) {
		/* Extended numbering: counts in section header 0. */
		uint8_t s0[64];

		if ((error = cmp_read(
		         ctx, f, shoff, s0, shentsize, "section header 0")) < 0)
			goto out;
		if (shnum == 0)
			shnum = rdw(&r, s0 + (r.is64 ? 32 : 20));
		if (shstrndx == 0xffff)
			shstrndx = rd32(&r, s0 + (r.is64 ? 40 : 24));
	}
	if (shnum > ELF_MAX_SECTIONS || shnum * shentsize > limit - shoff) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': section header table (%llu entries at offset "
		    "%llu) runs past the end of the file (%llu bytes)",
		    f->name, (unsigned long long)shnum,
		    (unsigned long long)shoff, (unsigned long long)limit);
		goto out;
	}
	e->nsections = (uint32_t)shnum;
	need = (size_t)(shnum * shentsize);
	if ((shdrs = malloc(need ? need : 1)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = cmp_read(ctx, f, shoff, shdrs, need, "section headers")) <
	    0)
		goto out;
	if (shstrndx != 0 && shstrndx < shnum) {
		const uint8_t *s = shdrs + (size_t)shstrndx * shentsize;
		uint64_t so = rdw(&r, s + (r.is64 ? 24 : 16));
		uint64_t ss = rdw(&r, s + (r.is64 ? 32 : 20));

		if (ss > ELF_MAX_SHSTRTAB || so > limit || ss > limit - so) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': section name table (offset %llu, %llu "
			    "bytes) lies outside the file",
			    f->name, (unsigned long long)so,
			    (unsigned long long)ss);
			goto out;
		}
		strtab_size = ss;
		if ((strtab = malloc(ss ? (size_t)ss : 1)) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if ((error = cmp_read(
		         ctx, f, so, strtab, (size_t)ss, "section names")) < 0)
			goto out;
	} else if (shstrndx >= shnum && shnum > 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': e_shstrndx %u is not a section (%llu sections)",
		    f->name, shstrndx, (unsigned long long)shnum);
		goto out;
	}
	for (i = 0; i < shnum; i++) {
		const uint8_t *s = shdrs + i * shentsize;
		uint32_t nm = rd32(&r, s), type = rd32(&r, s + 4);
		uint64_t so = rdw(&r, s + (r.is64 ? 24 : 16));
		uint64_t ss = rdw(&r, s + (r.is64 ? 32 : 20));
		char *name = NULL;
		const char *raw = "";
		size_t rawlen = 0;

		if (strtab != NULL && nm < strtab_size) {
			raw = (const char *)strtab + nm;
			rawlen = strnlen(raw, (size_t)(strtab_size - nm));
		}
		if ((name = cmp_clean(raw, rawlen, 64)) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if ((error = cmp_region_add(ctx, rs, shoff + i * shentsize,
		         shentsize, CMP_RK_PLAIN, "section header[%llu] '%s'",
		         (unsigned long long)i, name)) < 0) {
			free(name);
			goto out;
		}
		if (type == SHT_NOBITS_ || ss == 0 || i == 0) {
			free(name);
			continue;
		}
		if (so > limit || ss > limit - so) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': section %llu '%s' (offset %llu, %llu bytes) "
			    "lies outside the file (%llu bytes)",
			    f->name, (unsigned long long)i, name,
			    (unsigned long long)so, (unsigned long long)ss,
			    (unsigned long long)limit);
			free(name);
			goto out;
		}
		error = cmp_region_add(
		    ctx, rs, so, ss, CMP_RK_PLAIN, "section '%s'", name);
		if (error == 0 && type == SHT_NOTE_ && !e->has_build_id)
			error = scan_notes(ctx, e, &r, f, so, ss);
		/* raw is not NUL-terminated when the name ends the table. */
		if (error == 0 && rawlen == strlen(".gnu_debuglink") &&
		    memcmp(raw, ".gnu_debuglink", rawlen) == 0 &&
		    !e->has_debuglink) {
			uint8_t buf[4096];
			size_t n = ss < sizeof(buf) ? (size_t)ss : sizeof(buf);
			size_t l;

			error = cmp_read(ctx, f, so, buf, n, ".gnu_debuglink");
			l = error == 0 ? strnlen((char *)buf, n) : n;
			if (error == 0 && l < n) {
				uint64_t crc_off = ((uint64_t)l + 1 + 3) & ~3u;

				if (crc_off + 4 <= ss) {
					e->has_debuglink = true;
					e->debuglink_crc_off = so + crc_off;
					e->debuglink_name =
					    cmp_clean((char *)buf, l, 256);
					if (crc_off + 4 <= n)
						e->debuglink_crc =
						    rd32(&r, buf + crc_off);
					else if ((error = cmp_read(ctx, f,
					              so + crc_off, buf, 4,
					              "debuglink CRC")) == 0)
						e->debuglink_crc =
						    rd32(&r, buf);
				}
			}
		}
		free(name);
		if (error < 0)
			goto out;
	}
	if (e->has_build_id &&
	    (error = cmp_region_add(ctx, rs, e->build_id_off, e->build_id_len,
	         CMP_RK_BUILD_ID, "build-id (.note.gnu.build-id)")) < 0)
		goto out;
	if (e->has_debuglink &&
	    (error = cmp_region_add(ctx, rs, e->debuglink_crc_off, 4,
	         CMP_RK_DEBUGLINK_CRC, "CRC32 (.gnu_debuglink)")) < 0)
		goto out;
done:
	if (rs != NULL)
		rs->gap_label = "ELF (outside any section)";
out:
	free(ph);
	free(shdrs);
	free(strtab);
	return error;
}

int
kmod_parse(sp_ctx *ctx, kmod_sig *k, const cmp_file *f)
{
	uint8_t tail[KMOD_RECORD_LEN + KMOD_MARKER_LEN];
	uint64_t room;
	int error;

	memset(k, 0, sizeof(*k));
	if (f->size < sizeof(tail))
		return 0;
	if ((error = cmp_read(ctx, f, f->size - sizeof(tail), tail,
	         sizeof(tail), "module signature")) < 0)
		return error;
	if (memcmp(tail + KMOD_RECORD_LEN, KMOD_MARKER, KMOD_MARKER_LEN) != 0)
		return 0;
	k->present = true;
	k->algo = tail[0];
	k->hash = tail[1];
	k->id_type = tail[2];
	k->signer_len = tail[3];
	k->key_id_len = tail[4];
	k->sig_len = cmp_be32(tail + 8);
	room = f->size - sizeof(tail);
	if (k->id_type != 2)
		return sp_err_set(ctx, SP_EPARSE,
		    "'%s': module signature of type %u is not PKCS#7 (2)",
		    f->name, k->id_type);
	if (k->algo || k->hash || k->signer_len || k->key_id_len || tail[5] ||
	    tail[6] || tail[7])
		return sp_err_set(ctx, SP_EPARSE,
		    "'%s': module_signature record has non-zero fields that "
		    "PKCS#7 signatures leave zero",
		    f->name);
	if (k->sig_len == 0 || k->sig_len > room)
		return sp_err_set(ctx, SP_EPARSE,
		    "'%s': module signature length %u does not fit the file "
		    "(%llu bytes before the trailer)",
		    f->name, k->sig_len, (unsigned long long)room);
	k->sig_off = room - k->sig_len;
	k->module_len = k->sig_off;
	return 0;
}
