/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Encryption internals shared by crypt.c (sector ciphers, legacy AES, the
 * data path hooks) and luks.c (the LUKS1 header, key slots).
 */
#ifndef BLKPRIO_QCOW2_CRYPT_INT_H
#define BLKPRIO_QCOW2_CRYPT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "qcow2-int.h"

#define CRYPT_SECTOR		512
#define CRYPT_MAX_KEY		64

enum crypt_ivgen { CRYPT_IV_NONE, CRYPT_IV_PLAIN, CRYPT_IV_PLAIN64, CRYPT_IV_ESSIV };

/* A sector cipher: algorithm, mode, key and IV generator. */
struct qcow2_cipher {
	const EVP_CIPHER *evp;
	uint8_t key[CRYPT_MAX_KEY];
	int key_len;
	enum crypt_ivgen ivgen;
	const EVP_CIPHER *essiv;	/* ECB cipher making ESSIV IVs */
	uint8_t essiv_key[CRYPT_MAX_KEY];
};

/* The unlocked state of an image (q->crypt). */
struct qcow2_crypt {
	enum qcow2_crypt_format format;
	struct qcow2_cipher data;
};

/*
 * Set up c from LUKS1 names: cipher "aes", mode "xts-plain64",
 * "cbc-essiv:sha256", "cbc-plain", "ecb"; key of key_len bytes.
 */
int qcow2_cipher_setup(struct qcow2_cipher *c, const char *name, const char *mode,
		       const uint8_t *key, int key_len);
/* En/decrypt whole sectors in place; the first has number sector. */
int qcow2_cipher_run(const struct qcow2_cipher *c, bool enc, uint8_t *buf, size_t len,
		     uint64_t sector);
void qcow2_cipher_wipe(struct qcow2_cipher *c);

/* luks.c */
int qcow2_luks_unlock(struct qcow2 *q, const void *secret, size_t len,
		      struct qcow2_cipher *data);
int qcow2_luks_create(struct qcow2 *q, const struct qcow2_crypt_opts *o,
		      struct qcow2_cipher *data);
int qcow2_luks_info(struct qcow2 *q, struct qcow2_crypt_info *ci);

#endif
