// SPDX-License-Identifier: GPL-2.0
/*
 * LUKS1 inside qcow2 (crypt_method 2): the header and key material live in
 * the clusters the crypto header extension points at, laid out as qemu 7.2
 * writes them (header sector, then eight 4 KiB-aligned key material areas).
 * Key slots: PBKDF2 of the passphrase decrypts the anti-forensic split
 * master key; the master key digest tells a right passphrase from a wrong one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypt-int.h"

#define LUKS_MAGIC		"LUKS\xba\xbe"
#define LUKS_HDR_SIZE		592
#define LUKS_SLOT_ACTIVE	0x00ac71f3u
#define LUKS_SLOT_INACTIVE	0x0000deadu
#define LUKS_DIGEST_SIZE	20
#define LUKS_SALT_SIZE		32
#define LUKS_STRIPES		4000
#define LUKS_ALIGN		4096
#define LUKS_MIN_ITERS		1000
#define LUKS_MAX_STRIPES	100000

struct luks_slot {
	uint32_t active;
	uint32_t iters;
	uint8_t salt[LUKS_SALT_SIZE];
	uint32_t key_sector;
	uint32_t stripes;
};

struct luks_hdr {
	char cipher_name[33];
	char cipher_mode[33];
	char hash_spec[33];
	uint32_t payload_sector;
	uint32_t key_bytes;
	uint8_t mk_digest[LUKS_DIGEST_SIZE];
	uint8_t mk_salt[LUKS_SALT_SIZE];
	uint32_t mk_iters;
	char uuid[41];
	struct luks_slot slot[QCOW2_LUKS_SLOTS];
};

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void set_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void get_str(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void parse_hdr(struct luks_hdr *h, const uint8_t *b)
{
	unsigned int i;

	memset(h, 0, sizeof(*h));
	get_str(h->cipher_name, b + 8, 32);
	get_str(h->cipher_mode, b + 40, 32);
	get_str(h->hash_spec, b + 72, 32);
	h->payload_sector = get_be32(b + 104);
	h->key_bytes = get_be32(b + 108);
	memcpy(h->mk_digest, b + 112, LUKS_DIGEST_SIZE);
	memcpy(h->mk_salt, b + 132, LUKS_SALT_SIZE);
	h->mk_iters = get_be32(b + 164);
	get_str(h->uuid, b + 168, 40);
	for (i = 0; i < QCOW2_LUKS_SLOTS; i++) {
		const uint8_t *s = b + 208 + 48 * i;

		h->slot[i].active = get_be32(s);
		h->slot[i].iters = get_be32(s + 4);
		memcpy(h->slot[i].salt, s + 8, LUKS_SALT_SIZE);
		h->slot[i].key_sector = get_be32(s + 40);
		h->slot[i].stripes = get_be32(s + 44);
	}
}

static void build_hdr(const struct luks_hdr *h, uint8_t *b)
{
	unsigned int i;

	memset(b, 0, LUKS_HDR_SIZE);
	memcpy(b, LUKS_MAGIC, 6);
	b[7] = 1;			/* version 1, big endian */
	memcpy(b + 8, h->cipher_name, strnlen(h->cipher_name, 32));
	memcpy(b + 40, h->cipher_mode, strnlen(h->cipher_mode, 32));
	memcpy(b + 72, h->hash_spec, strnlen(h->hash_spec, 32));
	set_be32(b + 104, h->payload_sector);
	set_be32(b + 108, h->key_bytes);
	memcpy(b + 112, h->mk_digest, LUKS_DIGEST_SIZE);
	memcpy(b + 132, h->mk_salt, LUKS_SALT_SIZE);
	set_be32(b + 164, h->mk_iters);
	memcpy(b + 168, h->uuid, strlen(h->uuid));
	for (i = 0; i < QCOW2_LUKS_SLOTS; i++) {
		uint8_t *s = b + 208 + 48 * i;

		set_be32(s, h->slot[i].active);
		set_be32(s + 4, h->slot[i].iters);
		memcpy(s + 8, h->slot[i].salt, LUKS_SALT_SIZE);
		set_be32(s + 40, h->slot[i].key_sector);
		set_be32(s + 44, h->slot[i].stripes);
	}
}

/* Read and check the header; area_off, area_len: the LUKS area. */
static int read_hdr(struct qcow2 *q, struct luks_hdr *h, uint64_t *area_off,
		    uint64_t *area_len)
{
	uint8_t b[LUKS_HDR_SIZE];
	int err;

	err = qcow2_crypt_area(q, area_off, area_len);
	if (err)
		return err;
	if (!*area_len)
		return qcow2_err(-EUCLEAN, "LUKS encrypted image without its crypto header extension");
	if (*area_len < LUKS_HDR_SIZE || *area_off + *area_len > q->file_end)
		return qcow2_err(-EUCLEAN, "LUKS header area %#llx+%llu lies outside the image",
				 (unsigned long long)*area_off, (unsigned long long)*area_len);
	err = qcow2_host_pread(q, b, sizeof(b), *area_off);
	if (err)
		return qcow2_err(err, "cannot read the LUKS header");
	if (memcmp(b, LUKS_MAGIC, 6))
		return qcow2_err(-EUCLEAN, "Volume is not in LUKS format");
	if ((b[6] << 8 | b[7]) != 1)
		return qcow2_err(-ENOTSUP, "LUKS version %u is not supported", b[6] << 8 | b[7]);
	parse_hdr(h, b);
	if (!h->key_bytes || h->key_bytes > CRYPT_MAX_KEY)
		return qcow2_err(-EUCLEAN, "invalid LUKS master key size %u", h->key_bytes);
	return 0;
}

/* ---- anti-forensic splitter (LUKS1: the header's hash) ------------------------- */

/* Each digest-sized piece i of block becomes H(be32(i) || piece), cut to size. */
static int af_diffuse(const EVP_MD *md, uint8_t *block, size_t len)
{
	size_t dl = (size_t)EVP_MD_get_size(md), i, n = (len + dl - 1) / dl;
	uint8_t out[EVP_MAX_MD_SIZE], iv[4];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int err = 0;

	if (!ctx)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		size_t l = len - i * dl < dl ? len - i * dl : dl;

		set_be32(iv, (uint32_t)i);
		if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, iv, 4) ||
		    !EVP_DigestUpdate(ctx, block + i * dl, l) ||
		    !EVP_DigestFinal_ex(ctx, out, NULL))
			err = -EIO;
		else
			memcpy(block + i * dl, out, l);
	}
	EVP_MD_CTX_free(ctx);
	return err;
}

static void xor_into(uint8_t *d, const uint8_t *s, size_t n)
{
	while (n--)
		*d++ ^= *s++;
}

static int af_merge(const EVP_MD *md, const uint8_t *src, size_t kb, uint32_t stripes,
		    uint8_t *key)
{
	uint32_t i;
	int err;

	memset(key, 0, kb);
	for (i = 0; i + 1 < stripes; i++) {
		xor_into(key, src + i * kb, kb);
		err = af_diffuse(md, key, kb);
		if (err)
			return err;
	}
	xor_into(key, src + (size_t)(stripes - 1) * kb, kb);
	return 0;
}

static int af_split(const EVP_MD *md, const uint8_t *key, size_t kb, uint32_t stripes,
		    uint8_t *dst)
{
	uint8_t d[CRYPT_MAX_KEY] = { 0 };
	uint32_t i;
	int err;

	if (RAND_bytes(dst, (int)((stripes - 1) * kb)) != 1)
		return qcow2_err(-EIO, "no random bytes (libcrypto)");
	for (i = 0; i + 1 < stripes; i++) {
		xor_into(d, dst + i * kb, kb);
		err = af_diffuse(md, d, kb);
		if (err)
			return err;
	}
	memcpy(dst + (size_t)(stripes - 1) * kb, d, kb);
	xor_into(dst + (size_t)(stripes - 1) * kb, key, kb);
	OPENSSL_cleanse(d, sizeof(d));
	return 0;
}

/* ---- key slots ------------------------------------------------------------------ */

static int pbkdf2(const EVP_MD *md, const void *pass, size_t plen, const uint8_t *salt,
		  uint32_t iters, uint8_t *out, size_t olen)
{
	if (!PKCS5_PBKDF2_HMAC(pass, (int)plen, salt, LUKS_SALT_SIZE, (int)iters, md,
			       (int)olen, out))
		return qcow2_err(-EIO, "PBKDF2 failed (libcrypto)");
	return 0;
}

static size_t material_len(uint32_t kb, uint32_t stripes)
{
	return qcow2_align_up((uint64_t)kb * stripes, CRYPT_SECTOR);
}

/* Try one slot; 1 when the passphrase opens it (mk filled), 0 when not. */
static int try_slot(struct qcow2 *q, const struct luks_hdr *h, const struct luks_slot *s,
		    const EVP_MD *md, uint64_t area_off, uint64_t area_len,
		    const void *pass, size_t plen, uint8_t *mk)
{
	uint8_t slot_key[CRYPT_MAX_KEY], digest[LUKS_DIGEST_SIZE];
	size_t len = material_len(h->key_bytes, s->stripes);
	uint64_t at = (uint64_t)s->key_sector * CRYPT_SECTOR;
	struct qcow2_cipher c;
	uint8_t *mat;
	int err;

	if (!s->stripes || s->stripes > LUKS_MAX_STRIPES || !s->iters ||
	    at < LUKS_HDR_SIZE || at + len > area_len)
		return qcow2_err(-EUCLEAN, "invalid LUKS key slot (material at %llu, %u stripes)",
				 (unsigned long long)at, s->stripes);
	mat = malloc(len);
	if (!mat)
		return -ENOMEM;
	err = qcow2_host_pread(q, mat, len, area_off + at);
	if (!err)
		err = pbkdf2(md, pass, plen, s->salt, s->iters, slot_key, h->key_bytes);
	if (!err)
		err = qcow2_cipher_setup(&c, h->cipher_name, h->cipher_mode, slot_key,
					 (int)h->key_bytes);
	if (!err)
		err = qcow2_cipher_run(&c, false, mat, len, 0);
	qcow2_cipher_wipe(&c);
	if (!err)
		err = af_merge(md, mat, h->key_bytes, s->stripes, mk);
	if (!err)
		err = pbkdf2(md, mk, h->key_bytes, h->mk_salt, h->mk_iters, digest,
			     sizeof(digest));
	OPENSSL_cleanse(slot_key, sizeof(slot_key));
	OPENSSL_cleanse(mat, len);
	free(mat);
	if (err)
		return err;
	return !CRYPTO_memcmp(digest, h->mk_digest, sizeof(digest));
}

int qcow2_luks_unlock(struct qcow2 *q, const void *secret, size_t len,
		      struct qcow2_cipher *data)
{
	uint8_t mk[CRYPT_MAX_KEY];
	uint64_t area_off, area_len;
	struct qcow2_cipher probe;
	struct luks_hdr h;
	const EVP_MD *md;
	unsigned int i;
	int err, found = 0;

	err = read_hdr(q, &h, &area_off, &area_len);
	if (err)
		return err;
	md = EVP_get_digestbyname(h.hash_spec);
	if (!md)
		return qcow2_err(-ENOTSUP, "unsupported LUKS hash '%s'", h.hash_spec);
	/* an unsupported cipher is its own error, not a wrong passphrase */
	memset(mk, 0, sizeof(mk));
	err = qcow2_cipher_setup(&probe, h.cipher_name, h.cipher_mode, mk, (int)h.key_bytes);
	qcow2_cipher_wipe(&probe);
	if (err)
		return err;
	if (h.mk_iters == 0)
		return qcow2_err(-EUCLEAN, "invalid LUKS master key iterations");
	for (i = 0; i < QCOW2_LUKS_SLOTS && !found; i++) {
		if (h.slot[i].active != LUKS_SLOT_ACTIVE)
			continue;
		found = try_slot(q, &h, &h.slot[i], md, area_off, area_len, secret, len, mk);
		if (found < 0)
			return found;
	}
	if (!found) {
		OPENSSL_cleanse(mk, sizeof(mk));
		return qcow2_err(-EKEYREJECTED, "Invalid password, cannot unlock any keyslot");
	}
	err = qcow2_cipher_setup(data, h.cipher_name, h.cipher_mode, mk, (int)h.key_bytes);
	OPENSSL_cleanse(mk, sizeof(mk));
	return err;
}

/* ---- creating ------------------------------------------------------------------- */

/* This thread's CPU time: other load on the machine does not count. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * PBKDF2 iterations per second of CPU time (like qemu's calibration),
 * measured over an eighth of the wanted time, between 20 and 250 ms.
 */
static int pbkdf2_rate(const EVP_MD *md, size_t kb, uint32_t ms, double *rate)
{
	uint8_t salt[LUKS_SALT_SIZE] = { 0 }, out[CRYPT_MAX_KEY];
	uint64_t t0, dt, want = (uint64_t)ms * 1000000ull / 8;
	uint32_t iters = 1000;
	int err;

	if (want < 20000000ull)
		want = 20000000ull;
	if (want > 250000000ull)
		want = 250000000ull;
	for (;;) {
		t0 = now_ns();
		err = pbkdf2(md, "calibrate", 9, salt, iters, out, kb);
		if (err)
			return err;
		dt = now_ns() - t0;
		if (dt >= want || iters >= (1u << 28))
			break;
		iters *= 2;
	}
	*rate = (double)iters * 1e9 / (double)(dt ? dt : 1);
	return 0;
}

static uint32_t iters_for(double rate, uint32_t ms)
{
	double v = rate * ms / 1000.0;

	if (v < LUKS_MIN_ITERS)
		return LUKS_MIN_ITERS;
	if (v > (double)INT32_MAX)
		return INT32_MAX;
	return (uint32_t)v;
}

static int random_uuid(char *out)
{
	uint8_t u[16];

	if (RAND_bytes(u, sizeof(u)) != 1)
		return qcow2_err(-EIO, "no random bytes (libcrypto)");
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 41, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
	return 0;
}

/* qemu's option names to LUKS1 names: "aes-256" + "xts" + "plain64" ... */
static int luks_names(const struct qcow2_crypt_opts *o, struct luks_hdr *h)
{
	const char *alg = o->cipher_alg ? o->cipher_alg : "aes-256";
	const char *mode = o->cipher_mode ? o->cipher_mode : "xts";
	const char *iv = o->ivgen_alg ? o->ivgen_alg : "plain64";
	const char *ivh = o->ivgen_hash_alg ? o->ivgen_hash_alg : "sha256";
	const char *hash = o->hash_alg ? o->hash_alg : "sha256";
	unsigned int bits;

	if (!strcmp(alg, "aes-128"))
		bits = 128;
	else if (!strcmp(alg, "aes-192"))
		bits = 192;
	else if (!strcmp(alg, "aes-256"))
		bits = 256;
	else
		return qcow2_err(-ENOTSUP, "unsupported cipher algorithm '%s' (aes-128, aes-192, aes-256)", alg);
	if (strcmp(mode, "xts") && strcmp(mode, "cbc"))
		return qcow2_err(-ENOTSUP, "unsupported cipher mode '%s' (xts, cbc)", mode);
	if (strcmp(iv, "plain64") && strcmp(iv, "plain") && strcmp(iv, "essiv"))
		return qcow2_err(-ENOTSUP, "unsupported IV generator '%s' (plain64, plain, essiv)", iv);
	if (strlen(hash) > 31 || strlen(ivh) > 20)
		return qcow2_err(-ENOTSUP, "unsupported hash '%s'", hash);
	strcpy(h->cipher_name, "aes");
	if (!strcmp(iv, "essiv"))
		snprintf(h->cipher_mode, sizeof(h->cipher_mode), "%s-essiv:%s", mode, ivh);
	else
		snprintf(h->cipher_mode, sizeof(h->cipher_mode), "%s-%s", mode, iv);
	strcpy(h->hash_spec, hash);
	h->key_bytes = bits / 8 * (strcmp(mode, "xts") ? 1 : 2);
	return 0;
}

int qcow2_luks_create(struct qcow2 *q, const struct qcow2_crypt_opts *o,
		      struct qcow2_cipher *data)
{
	uint32_t ms = o->iter_time_ms ? o->iter_time_ms : 2000, split_sectors, i;
	uint8_t mk[CRYPT_MAX_KEY], slot_key[CRYPT_MAX_KEY], ext[16];
	uint64_t area_len, cs = q->cluster_size, v;
	struct qcow2_cipher sc;
	struct qcow2_hext *hx;
	struct luks_hdr h;
	uint8_t *area = NULL;
	const EVP_MD *md;
	int64_t a;
	double rate;
	size_t mlen;
	int err;

	memset(&h, 0, sizeof(h));
	err = luks_names(o, &h);
	if (err)
		return err;
	md = EVP_get_digestbyname(h.hash_spec);
	if (!md || EVP_MD_get_size(md) < LUKS_DIGEST_SIZE)
		return qcow2_err(-ENOTSUP, "unsupported hash '%s'", h.hash_spec);
	if (RAND_bytes(mk, (int)h.key_bytes) != 1 ||
	    RAND_bytes(h.mk_salt, LUKS_SALT_SIZE) != 1 ||
	    RAND_bytes(h.slot[0].salt, LUKS_SALT_SIZE) != 1)
		return qcow2_err(-EIO, "no random bytes (libcrypto)");
	err = qcow2_cipher_setup(data, h.cipher_name, h.cipher_mode, mk, (int)h.key_bytes);
	if (!err)
		err = random_uuid(h.uuid);
	if (!err)
		err = pbkdf2_rate(md, h.key_bytes, ms, &rate);
	if (err)
		goto out;
	h.mk_iters = iters_for(rate, ms / 8);
	err = pbkdf2(md, mk, h.key_bytes, h.mk_salt, h.mk_iters, h.mk_digest, LUKS_DIGEST_SIZE);
	if (err)
		goto out;
	/* qemu's layout: 4 KiB of header, then 4 KiB-aligned key material areas */
	split_sectors = (uint32_t)(qcow2_align_up((uint64_t)h.key_bytes * LUKS_STRIPES,
						  LUKS_ALIGN) / CRYPT_SECTOR);
	for (i = 0; i < QCOW2_LUKS_SLOTS; i++) {
		h.slot[i].active = i ? LUKS_SLOT_INACTIVE : LUKS_SLOT_ACTIVE;
		h.slot[i].stripes = LUKS_STRIPES;
		h.slot[i].key_sector = LUKS_ALIGN / CRYPT_SECTOR + i * split_sectors;
	}
	h.payload_sector = LUKS_ALIGN / CRYPT_SECTOR + QCOW2_LUKS_SLOTS * split_sectors;
	h.slot[0].iters = iters_for(rate, ms);
	area_len = (uint64_t)h.payload_sector * CRYPT_SECTOR;
	/* whole clusters, the unused end zeroed, as qemu writes them */
	area = calloc(1, qcow2_align_up(area_len, cs));
	if (!area) {
		err = -ENOMEM;
		goto out;
	}
	build_hdr(&h, area);
	mlen = material_len(h.key_bytes, LUKS_STRIPES);
	err = af_split(md, mk, h.key_bytes, LUKS_STRIPES,
		       area + (size_t)h.slot[0].key_sector * CRYPT_SECTOR);
	if (!err)
		err = pbkdf2(md, o->secret, o->secret_len, h.slot[0].salt, h.slot[0].iters,
			     slot_key, h.key_bytes);
	if (!err)
		err = qcow2_cipher_setup(&sc, h.cipher_name, h.cipher_mode, slot_key,
					 (int)h.key_bytes);
	if (!err)
		err = qcow2_cipher_run(&sc, true, area + (size_t)h.slot[0].key_sector * CRYPT_SECTOR,
				       mlen, 0);
	qcow2_cipher_wipe(&sc);
	if (err)
		goto out;
	a = qcow2_alloc_clusters(q, (area_len + cs - 1) / cs);
	if (a < 0) {
		err = (int)a;
		goto out;
	}
	err = qcow2_host_pwrite(q, area, qcow2_align_up(area_len, cs), (uint64_t)a);
	if (err)
		goto out;
	hx = realloc(q->hext, (q->nhext + 1) * sizeof(*hx));
	if (!hx) {
		err = -ENOMEM;
		goto out;
	}
	q->hext = hx;
	hx += q->nhext;
	v = htobe64((uint64_t)a);
	memcpy(ext, &v, 8);
	v = htobe64(area_len);
	memcpy(ext + 8, &v, 8);
	hx->data = malloc(sizeof(ext));
	if (!hx->data) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(hx->data, ext, sizeof(ext));
	hx->type = QCOW2_EXT_CRYPTO;
	hx->len = sizeof(ext);
	q->nhext++;
out:
	OPENSSL_cleanse(mk, sizeof(mk));
	OPENSSL_cleanse(slot_key, sizeof(slot_key));
	if (area) {
		OPENSSL_cleanse(area, qcow2_align_up(area_len, cs));
		free(area);
	}
	return err;
}

/* ---- information ------------------------------------------------------------------ */

int qcow2_luks_info(struct qcow2 *q, struct qcow2_crypt_info *ci)
{
	uint64_t area_off, area_len;
	struct luks_hdr h;
	char mode[33], *iv, *ivh;
	unsigned int i, bits;
	int err;

	err = read_hdr(q, &h, &area_off, &area_len);
	if (err)
		return err;
	snprintf(mode, sizeof(mode), "%s", h.cipher_mode);
	iv = strchr(mode, '-');
	if (iv)
		*iv++ = '\0';
	ivh = iv ? strchr(iv, ':') : NULL;
	if (ivh)
		*ivh++ = '\0';
	bits = h.key_bytes * 8 / (!strcmp(mode, "xts") ? 2 : 1);
	snprintf(ci->cipher_alg, sizeof(ci->cipher_alg), "%s-%u", h.cipher_name, bits);
	snprintf(ci->cipher_mode, sizeof(ci->cipher_mode), "%s", mode);
	snprintf(ci->ivgen_alg, sizeof(ci->ivgen_alg), "%s", iv ? iv : "");
	snprintf(ci->ivgen_hash_alg, sizeof(ci->ivgen_hash_alg), "%s", ivh ? ivh : "");
	snprintf(ci->hash_alg, sizeof(ci->hash_alg), "%s", h.hash_spec);
	snprintf(ci->uuid, sizeof(ci->uuid), "%s", h.uuid);
	ci->payload_offset = (uint64_t)h.payload_sector * CRYPT_SECTOR;
	ci->master_key_iters = h.mk_iters;
	for (i = 0; i < QCOW2_LUKS_SLOTS; i++) {
		ci->slots[i].active = h.slot[i].active == LUKS_SLOT_ACTIVE;
		ci->slots[i].iters = h.slot[i].iters;
		ci->slots[i].key_offset = (uint64_t)h.slot[i].key_sector * CRYPT_SECTOR;
		ci->slots[i].stripes = h.slot[i].stripes;
	}
	return 0;
}
