// SPDX-License-Identifier: GPL-2.0
/*
 * Encryption at rest: sector ciphers (OpenSSL libcrypto), the legacy qcow2
 * AES method, and the hooks the data path calls. The LUKS header and key
 * slots are in luks.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypt-int.h"

#define QCOW2_CRYPT_METHOD_AES	1
#define QCOW2_CRYPT_METHOD_LUKS	2

/* ---- sector ciphers -------------------------------------------------------- */

static const EVP_CIPHER *aes_cipher(const char *mode, int key_len)
{
	if (!strcmp(mode, "xts")) {
		if (key_len == 32)
			return EVP_aes_128_xts();
		if (key_len == 64)
			return EVP_aes_256_xts();
		return NULL;
	}
	if (!strcmp(mode, "cbc")) {
		switch (key_len) {
		case 16: return EVP_aes_128_cbc();
		case 24: return EVP_aes_192_cbc();
		case 32: return EVP_aes_256_cbc();
		}
		return NULL;
	}
	if (!strcmp(mode, "ecb")) {
		switch (key_len) {
		case 16: return EVP_aes_128_ecb();
		case 24: return EVP_aes_192_ecb();
		case 32: return EVP_aes_256_ecb();
		}
	}
	return NULL;
}

/* ESSIV: IV = E(salt, sector), salt = hash(key), the same cipher in ECB mode. */
static int essiv_setup(struct qcow2_cipher *c, const char *hash)
{
	const EVP_MD *md = EVP_get_digestbyname(hash);
	unsigned int n = 0;

	if (!md)
		return qcow2_err(-ENOTSUP, "unsupported ESSIV hash '%s'", hash);
	if (EVP_MD_get_size(md) > CRYPT_MAX_KEY ||
	    !EVP_Digest(c->key, (size_t)c->key_len, c->essiv_key, &n, md, NULL))
		return qcow2_err(-ENOTSUP, "unsupported ESSIV hash '%s'", hash);
	c->essiv = aes_cipher("ecb", (int)n);
	if (!c->essiv)
		return qcow2_err(-ENOTSUP, "no AES key size for ESSIV hash '%s'", hash);
	return 0;
}

int qcow2_cipher_setup(struct qcow2_cipher *c, const char *name, const char *mode,
		       const uint8_t *key, int key_len)
{
	char m[33], *iv, *hash;

	memset(c, 0, sizeof(*c));
	snprintf(m, sizeof(m), "%s", mode);
	iv = strchr(m, '-');
	if (iv)
		*iv++ = '\0';
	hash = iv ? strchr(iv, ':') : NULL;
	if (hash)
		*hash++ = '\0';
	if (strcmp(name, "aes"))
		return qcow2_err(-ENOTSUP, "unsupported cipher '%s' (only aes is)", name);
	if (key_len <= 0 || key_len > CRYPT_MAX_KEY)
		return qcow2_err(-EUCLEAN, "invalid key size %d", key_len);
	c->evp = aes_cipher(m, key_len);
	if (!c->evp)
		return qcow2_err(-ENOTSUP, "unsupported cipher mode '%s' with %d-byte keys",
				 mode, key_len);
	memcpy(c->key, key, (size_t)key_len);
	c->key_len = key_len;
	if (!strcmp(m, "ecb")) {
		c->ivgen = CRYPT_IV_NONE;
		return iv ? qcow2_err(-ENOTSUP, "unsupported cipher mode '%s'", mode) : 0;
	}
	if (!iv)
		return qcow2_err(-ENOTSUP, "unsupported cipher mode '%s' (no IV generator)", mode);
	if (!strcmp(iv, "plain64")) {
		c->ivgen = CRYPT_IV_PLAIN64;
	} else if (!strcmp(iv, "plain")) {
		c->ivgen = CRYPT_IV_PLAIN;
	} else if (!strcmp(iv, "essiv")) {
		c->ivgen = CRYPT_IV_ESSIV;
		return essiv_setup(c, hash ? hash : "sha256");
	} else {
		return qcow2_err(-ENOTSUP, "unsupported IV generator '%s'", iv);
	}
	return hash ? qcow2_err(-ENOTSUP, "unsupported cipher mode '%s'", mode) : 0;
}

void qcow2_cipher_wipe(struct qcow2_cipher *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int qcow2_cipher_run(const struct qcow2_cipher *c, bool enc, uint8_t *buf, size_t len,
		     uint64_t sector)
{
	EVP_CIPHER_CTX *ctx, *ectx = NULL;
	uint8_t iv[16], eiv[16];
	int out, err = -EIO;
	size_t i;

	if (len % CRYPT_SECTOR)
		return qcow2_err(-EINVAL, "encrypted I/O of %zu bytes is not whole sectors", len);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (!EVP_CipherInit_ex(ctx, c->evp, NULL, c->key, NULL, enc))
		goto out;
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	if (c->ivgen == CRYPT_IV_ESSIV) {
		ectx = EVP_CIPHER_CTX_new();
		if (!ectx || !EVP_EncryptInit_ex(ectx, c->essiv, NULL, c->essiv_key, NULL))
			goto out;
		EVP_CIPHER_CTX_set_padding(ectx, 0);
	}
	for (i = 0; i < len; i += CRYPT_SECTOR, sector++) {
		memset(iv, 0, sizeof(iv));
		switch (c->ivgen) {
		case CRYPT_IV_NONE:
			break;
		case CRYPT_IV_PLAIN:
			put_le64(iv, sector & 0xffffffffu);
			break;
		case CRYPT_IV_PLAIN64:
			put_le64(iv, sector);
			break;
		case CRYPT_IV_ESSIV:
			put_le64(eiv, sector);
			memset(eiv + 8, 0, 8);
			if (!EVP_EncryptUpdate(ectx, iv, &out, eiv, sizeof(eiv)))
				goto out;
			break;
		}
		if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, c->ivgen == CRYPT_IV_NONE ? NULL : iv,
				       enc) ||
		    !EVP_CipherUpdate(ctx, buf + i, &out, buf + i, CRYPT_SECTOR) ||
		    out != CRYPT_SECTOR)
			goto out;
	}
	err = 0;
out:
	if (err)
		qcow2_err(err, "encryption failed (libcrypto)");
	EVP_CIPHER_CTX_free(ectx);
	EVP_CIPHER_CTX_free(ctx);
	return err;
}

/* ---- the image ---------------------------------------------------------------- */

enum qcow2_crypt_format qcow2_encryption(const struct qcow2 *q)
{
	switch (q->crypt_method) {
	case QCOW2_CRYPT_METHOD_AES:
		return QCOW2_CRYPT_AES;
	case QCOW2_CRYPT_METHOD_LUKS:
		return QCOW2_CRYPT_LUKS;
	}
	return QCOW2_CRYPT_NONE;
}

bool qcow2_crypt_unlocked(const struct qcow2 *q)
{
	return !q->crypt_method || q->crypt;
}

int qcow2_crypt_ready(const struct qcow2 *q)
{
	if (!q->crypt_method || q->crypt)
		return 0;
	return qcow2_err(-ENOKEY, "image is encrypted: its secret is needed (--object secret,id=ID,... with encrypt.key-secret=ID)");
}

void qcow2_crypt_free(struct qcow2 *q)
{
	if (!q->crypt)
		return;
	qcow2_cipher_wipe(&q->crypt->data);
	free(q->crypt);
	q->crypt = NULL;
}

int qcow2_crypt_area(const struct qcow2 *q, uint64_t *off, uint64_t *len)
{
	unsigned int i;

	*off = *len = 0;
	for (i = 0; i < q->nhext; i++) {
		const uint8_t *d = q->hext[i].data;

		if (q->hext[i].type != QCOW2_EXT_CRYPTO)
			continue;
		if (q->hext[i].len < 16)
			return qcow2_err(-EUCLEAN, "crypto header extension too short");
		memcpy(off, d, 8);
		memcpy(len, d + 8, 8);
		*off = be64toh(*off);
		*len = be64toh(*len);
		if (*off & (q->cluster_size - 1) || !*len || *len > (256ull << 20) ||
		    *off + *len < *off || *off < q->cluster_size)
			return qcow2_err(-EUCLEAN, "invalid crypto header area %#llx+%llu",
					 (unsigned long long)*off, (unsigned long long)*len);
		return 0;
	}
	return 0;
}

static struct qcow2_crypt *crypt_alloc(enum qcow2_crypt_format f)
{
	struct qcow2_crypt *c = calloc(1, sizeof(*c));

	if (c)
		c->format = f;
	return c;
}

/* Legacy AES: the first 16 bytes of the passphrase, padded with zeros. */
static void aes_legacy_key(struct qcow2_cipher *c, const void *secret, size_t len)
{
	uint8_t key[16] = { 0 };

	memcpy(key, secret, len < 16 ? len : 16);
	qcow2_cipher_setup(c, "aes", "cbc-plain64", key, 16);
	OPENSSL_cleanse(key, sizeof(key));
}

int qcow2_unlock(struct qcow2 *q, const void *secret, size_t len)
{
	struct qcow2_crypt *c;
	int err;

	if (!q->crypt_method)
		return qcow2_err(-EINVAL, "image is not encrypted");
	c = crypt_alloc(qcow2_encryption(q));
	if (!c)
		return -ENOMEM;
	switch (q->crypt_method) {
	case QCOW2_CRYPT_METHOD_AES:
		aes_legacy_key(&c->data, secret, len);
		err = 0;
		break;
	case QCOW2_CRYPT_METHOD_LUKS:
		err = qcow2_luks_unlock(q, secret, len, &c->data);
		break;
	default:
		err = qcow2_err(-ENOTSUP, "unsupported encryption method %u", q->crypt_method);
	}
	if (err) {
		qcow2_cipher_wipe(&c->data);
		free(c);
		return err;
	}
	qcow2_crypt_free(q);
	q->crypt = c;
	return 0;
}

int qcow2_crypt_create(struct qcow2 *q, const struct qcow2_crypt_opts *o)
{
	struct qcow2_crypt *c;
	int err;

	if (!o || o->format == QCOW2_CRYPT_NONE)
		return 0;
	if (!o->secret)
		return qcow2_err(-EINVAL, "encryption needs a secret (encrypt.key-secret)");
	c = crypt_alloc(o->format);
	if (!c)
		return -ENOMEM;
	if (o->format == QCOW2_CRYPT_AES) {
		q->crypt_method = QCOW2_CRYPT_METHOD_AES;
		aes_legacy_key(&c->data, o->secret, o->secret_len);
		err = 0;
	} else if (o->format == QCOW2_CRYPT_LUKS) {
		err = qcow2_luks_create(q, o, &c->data);
		if (!err)
			q->crypt_method = QCOW2_CRYPT_METHOD_LUKS;
	} else {
		err = qcow2_err(-EINVAL, "unknown encryption format");
	}
	if (err) {
		qcow2_cipher_wipe(&c->data);
		free(c);
		return err;
	}
	q->crypt = c;
	return 0;
}

/* ---- secrets registered by file ----------------------------------------------- */

struct secret_entry {
	char *path;			/* realpath */
	uint8_t *data;
	size_t len;
};

static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret_entry *secrets;
static unsigned int nsecrets;

int qcow2_secret_add(const char *path, const void *secret, size_t len)
{
	struct secret_entry *e, *n;
	char *rp = realpath(path, NULL);
	unsigned int i;
	int err = 0;

	if (!rp)
		return qcow2_err(-errno, "%s: %s", path, strerror(errno));
	pthread_mutex_lock(&secrets_lock);
	for (i = 0; i < nsecrets && strcmp(secrets[i].path, rp); i++)
		;
	if (i == nsecrets) {
		n = realloc(secrets, (nsecrets + 1) * sizeof(*n));
		if (!n) {
			err = -ENOMEM;
			goto out;
		}
		secrets = n;
		secrets[nsecrets].path = rp;
		secrets[nsecrets].data = NULL;
		rp = NULL;
		nsecrets++;
	}
	e = &secrets[i];
	if (e->data) {
		OPENSSL_cleanse(e->data, e->len);
		free(e->data);
	}
	e->data = malloc(len ? len : 1);
	e->len = e->data ? len : 0;
	if (e->data)
		memcpy(e->data, secret, len);
	else
		err = -ENOMEM;
out:
	pthread_mutex_unlock(&secrets_lock);
	free(rp);
	return err;
}

int qcow2_crypt_open(struct qcow2 *q)
{
	uint8_t *data = NULL;
	size_t len = 0;
	unsigned int i;
	char *rp;
	int err;

	if (!q->crypt_method || q->crypt || !nsecrets)
		return 0;
	rp = realpath(q->path, NULL);
	if (!rp)
		return 0;
	pthread_mutex_lock(&secrets_lock);
	for (i = 0; i < nsecrets; i++)
		if (!strcmp(secrets[i].path, rp)) {
			data = malloc(secrets[i].len ? secrets[i].len : 1);
			len = secrets[i].len;
			if (data)
				memcpy(data, secrets[i].data, len);
			break;
		}
	pthread_mutex_unlock(&secrets_lock);
	free(rp);
	if (i == nsecrets)
		return 0;
	if (!data)
		return -ENOMEM;
	err = qcow2_unlock(q, data, len);
	OPENSSL_cleanse(data, len);
	free(data);
	return err;
}

static uint64_t iv_sector(const struct qcow2 *q, uint64_t host, uint64_t guest)
{
	/* LUKS: the host sector (qemu's crypt_physical_offset); AES: the guest's */
	return (q->crypt->format == QCOW2_CRYPT_LUKS ? host : guest) / CRYPT_SECTOR;
}

int qcow2_crypt_encrypt(struct qcow2 *q, void *buf, size_t len, uint64_t host,
			uint64_t guest)
{
	int err = qcow2_crypt_ready(q);

	if (err || !q->crypt)
		return err;
	return qcow2_cipher_run(&q->crypt->data, true, buf, len, iv_sector(q, host, guest));
}

int qcow2_crypt_decrypt(struct qcow2 *q, void *buf, size_t len, uint64_t host,
			uint64_t guest)
{
	int err = qcow2_crypt_ready(q);

	if (err || !q->crypt)
		return err;
	return qcow2_cipher_run(&q->crypt->data, false, buf, len, iv_sector(q, host, guest));
}

int qcow2_crypt_get_info(struct qcow2 *q, struct qcow2_crypt_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->format = qcow2_encryption(q);
	ci->unlocked = q->crypt != NULL;
	if (ci->format == QCOW2_CRYPT_LUKS)
		return qcow2_luks_info(q, ci);
	return 0;
}

int qcow2_crypt_compress_check(const struct qcow2_create_opts *o, bool compress)
{
	if (compress && o->crypt && o->crypt->format != QCOW2_CRYPT_NONE)
		return qcow2_err(-EINVAL, "Compression and encryption not supported at the same time");
	return 0;
}
