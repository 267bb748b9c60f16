// SPDX-License-Identifier: GPL-2.0
/*
 * blkprio img: secrets and encryption, with qemu-img's syntax.
 *   --object secret,id=ID,data=STR|file=PATH[,format=raw|base64]  (repeatable)
 *   --image-opts: image arguments are "driver=qcow2,file.filename=F,
 *     encrypt.key-secret=ID" option lists
 *   -o encrypt.format=luks|aes,encrypt.key-secret=ID,encrypt.iter-time=MS,
 *     encrypt.cipher-alg=..., ... for create and convert targets
 * Without a secret a passphrase is asked on the terminal (an extension).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "img.h"

#define MAX_SECRETS	16
#define MAX_SOURCES	16
#define MAX_SECRET_LEN	(64u << 10)

struct secret {
	char *id;
	uint8_t *data;
	size_t len;
};

/* An image named through --image-opts, or the target being created. */
struct source {
	char *path;			/* NULL: the image being created */
	const struct secret *secret;
};

static struct secret secrets[MAX_SECRETS];
static unsigned int nsecrets;
static struct source sources[MAX_SOURCES];
static unsigned int nsources;
static struct qcow2_crypt_opts create_crypt;
static struct secret prompted;
static const char *key_secret_id;	/* for the "Formatting" line */

static const struct secret *find_secret(const char *id)
{
	unsigned int i;

	for (i = 0; i < nsecrets; i++)
		if (!strcmp(secrets[i].id, id))
			return &secrets[i];
	return NULL;
}

/*
 * Next "key=value" of a qemu option list (",," is a literal comma), in
 * place: *s advances; returns NULL at the end.
 */
static char *next_opt(char **s, char **val)
{
	char *start = *s, *r, *w;

	if (!start || !*start)
		return NULL;
	for (r = w = start; *r; r++, w++) {
		if (*r == ',') {
			if (r[1] != ',')
				break;
			r++;
		}
		*w = *r;
	}
	*s = *r ? r + 1 : r;
	*w = '\0';
	*val = strchr(start, '=');
	if (*val)
		*(*val)++ = '\0';
	return start;
}

static int read_secret_file(const char *path, struct secret *s)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(EXIT_FAIL, "secret", path, "%s", strerror(errno));
	s->data = malloc(MAX_SECRET_LEN + 1);
	if (!s->data) {
		close(fd);
		return cli_fail(EXIT_FAIL, "secret", path, "%s", strerror(ENOMEM));
	}
	s->len = 0;
	while ((n = read(fd, s->data + s->len, MAX_SECRET_LEN + 1 - s->len)) > 0)
		s->len += (size_t)n;
	close(fd);
	if (n < 0)
		return cli_fail(EXIT_FAIL, "secret", path, "%s", strerror(errno));
	if (s->len > MAX_SECRET_LEN)
		return cli_fail(EXIT_FAIL, "secret", path, "secret file too large");
	return 0;
}

static int base64_decode(struct secret *s, const char *id)
{
	size_t pad = 0;
	uint8_t *out;
	int n;

	if (s->len % 4)
		return cli_fail(EXIT_FAIL, "secret", id, "invalid base64 data");
	out = malloc(s->len / 4 * 3 + 1);
	if (!out)
		return cli_fail(EXIT_FAIL, "secret", id, "%s", strerror(ENOMEM));
	n = s->len ? EVP_DecodeBlock(out, s->data, (int)s->len) : 0;
	if (n < 0) {
		free(out);
		return cli_fail(EXIT_FAIL, "secret", id, "invalid base64 data");
	}
	if (s->len && s->data[s->len - 1] == '=')
		pad++;
	if (s->len > 1 && s->data[s->len - 2] == '=')
		pad++;
	free(s->data);
	s->data = out;
	s->len = (size_t)n - pad;
	return 0;
}

/* "secret,id=ID,data=...|file=...[,format=raw|base64]" */
static int add_object(char *spec)
{
	char *p = spec, *k, *v, *type, *tv;
	const char *data = NULL, *file = NULL, *format = "raw";
	struct secret *s;
	int code;

	type = next_opt(&p, &tv);
	if (!type || tv || strcmp(type, "secret"))
		return cli_usage_err("--object: only 'secret' objects are supported");
	if (nsecrets >= MAX_SECRETS)
		return cli_usage_err("--object: too many secrets");
	s = &secrets[nsecrets];
	memset(s, 0, sizeof(*s));
	while ((k = next_opt(&p, &v))) {
		if (!v)
			return cli_usage_err("--object: Invalid parameter '%s'", k);
		if (!strcmp(k, "id"))
			s->id = v;
		else if (!strcmp(k, "data"))
			data = v;
		else if (!strcmp(k, "file"))
			file = v;
		else if (!strcmp(k, "format"))
			format = v;
		else if (!strcmp(k, "keyid") || !strcmp(k, "iv"))
			return cli_fail(EXIT_FAIL, "secret", k, "encrypted secrets are not supported");
		else
			return cli_usage_err("--object: Invalid parameter '%s'", k);
	}
	if (!s->id || !*s->id)
		return cli_usage_err("--object: Parameter 'id' is missing");
	if (find_secret(s->id))
		return cli_usage_err("--object: attempt to add duplicate property '%s'", s->id);
	if (!data == !file)
		return cli_usage_err("--object secret: give exactly one of 'data' and 'file'");
	if (strcmp(format, "raw") && strcmp(format, "base64"))
		return cli_usage_err("--object secret: format must be raw or base64");
	s->id = strdup(s->id);
	if (file) {
		code = read_secret_file(file, s);
		if (code)
			return code;
	} else {
		s->len = strlen(data);
		s->data = (uint8_t *)strdup(data);
	}
	if (!s->id || !s->data)
		return cli_fail(EXIT_FAIL, "secret", s->id, "%s", strerror(ENOMEM));
	if (!strcmp(format, "base64")) {
		code = base64_decode(s, s->id);
		if (code)
			return code;
	}
	nsecrets++;
	return 0;
}

/* "driver=qcow2,file.filename=F,encrypt.key-secret=ID": the argument becomes F. */
static int add_image_opts(char **arg)
{
	char *copy = strdup(*arg), *p = copy, *k, *v, *file = NULL;
	const char *driver = NULL, *sid = NULL;
	const struct secret *secret = NULL;
	struct source *src;
	int code;

	if (!copy)
		return cli_fail(EXIT_FAIL, "image-opts", *arg, "%s", strerror(ENOMEM));
	while ((k = next_opt(&p, &v))) {
		if (!v) {
			code = cli_usage_err("--image-opts: Invalid parameter '%s'", k);
			goto err_free;
		}
		if (!strcmp(k, "driver")) {
			driver = v;
		} else if (!strcmp(k, "file.filename") || !strcmp(k, "file")) {
			file = v;
		} else if (!strcmp(k, "encrypt.key-secret")) {
			sid = v;
		} else if (strcmp(k, "file.driver") || strcmp(v, "file")) {
			code = cli_usage_err("--image-opts: unsupported option '%s'", k);
			goto err_free;
		}
	}
	if (!file) {
		code = cli_usage_err("--image-opts: file.filename is missing in '%s'", *arg);
		goto err_free;
	}
	if (driver && strcmp(driver, "qcow2") && strcmp(driver, "raw")) {
		code = cli_fail(EXIT_FAIL, "unknown format", driver,
				"only qcow2 and raw are supported");
		goto err_free;
	}
	if (sid) {
		secret = find_secret(sid);
		if (!secret) {
			code = cli_fail(EXIT_FAIL, "secret", sid, "No secret with id '%s'", sid);
			goto err_free;
		}
	}
	if (nsources >= MAX_SOURCES) {
		code = cli_usage_err("--image-opts: too many images");
		goto err_free;
	}
	src = &sources[nsources++];
	src->secret = secret;
	src->path = file;	/* copy stays allocated: the path lives on */
	/* the library unlocks the file whoever opens it (commit, snapshot, ...) */
	if (secret)
		qcow2_secret_add(file, secret->data, secret->len);
	*arg = file;
	return 0;
err_free:
	free(copy);
	return code;
}

/* Take --object options out of argv (registering the secrets), and --image-opts. */
static int strip_objects(int *argc, char **argv, bool *image_opts)
{
	int i, j, code;

	*image_opts = false;
	for (i = j = 0; i < *argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (!strcmp(a, "--image-opts")) {
			*image_opts = true;
			continue;
		}
		if (!strcmp(a, "--object") || !strncmp(a, "--object=", 9)) {
			char *spec = a[8] ? argv[i] + 9 : (i + 1 < *argc ? argv[++i] : NULL);

			if (!spec)
				return cli_usage_err("--object needs an argument");
			code = add_object(spec);
			if (code)
				return code;
			continue;
		}
		argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return 0;
}

int img_secret_args(int *argc, char **argv)
{
	bool image_opts;
	int i, code;

	code = strip_objects(argc, argv, &image_opts);
	if (code || !image_opts)
		return code;
	/* the image arguments: option lists naming the file */
	for (i = 2; i < *argc; i++) {
		if (argv[i][0] == '-' || !strstr(argv[i], "filename="))
			continue;
		code = add_image_opts(&argv[i]);
		if (code)
			return code;
	}
	return 0;
}

int cli_img_secrets(int *argc, char **argv)
{
	bool image_opts;
	int i, code;

	code = strip_objects(argc, argv, &image_opts);
	if (code)
		return code;
	for (i = 1; i < *argc; i++) {
		char *img = strstr(argv[i], "img:"), *opts, *arg;
		size_t pre;

		if (!img || !strstr(img, "filename="))
			continue;
		pre = (size_t)(img + 4 - argv[i]);
		opts = img + 4;
		/* opts becomes the file name, its secret registered in the library */
		code = add_image_opts(&opts);
		if (code)
			return code;
		arg = malloc(pre + strlen(opts) + 1);
		if (!arg)
			return cli_fail(EXIT_FAIL, "secret", opts, "%s", strerror(ENOMEM));
		memcpy(arg, argv[i], pre);
		strcpy(arg + pre, opts);
		argv[i] = arg;		/* lives as long as the command */
	}
	return 0;
}

/* ---- passphrase prompt ------------------------------------------------------------ */

static int read_pass(const char *prompt, char *buf, size_t size)
{
	struct termios old, noecho;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	ssize_t n = -1;
	bool restore;

	if (fd < 0 || !isatty(STDIN_FILENO)) {
		if (fd >= 0)
			close(fd);
		return -ENOTTY;
	}
	restore = !tcgetattr(fd, &old);
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	if (restore)
		tcsetattr(fd, TCSANOW, &noecho);
	if (write(fd, prompt, strlen(prompt)) >= 0)
		n = read(fd, buf, size - 1);
	if (restore)
		tcsetattr(fd, TCSANOW, &old);
	if (write(fd, "\n", 1) < 0)
		n = -1;
	close(fd);
	if (n < 0)
		return -EIO;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return (int)n;
}

static int prompt_secret(const char *file, bool twice)
{
	char a[1024], b[1024], msg[1200];
	int n, m;

	snprintf(msg, sizeof(msg), "Password for %s: ", file);
	n = read_pass(msg, a, sizeof(a));
	if (n == -ENOTTY)
		return n;
	if (n >= 0 && twice) {
		m = read_pass("Repeat the password: ", b, sizeof(b));
		if (m != n || memcmp(a, b, (size_t)n)) {
			OPENSSL_cleanse(a, sizeof(a));
			OPENSSL_cleanse(b, sizeof(b));
			cli_fail(EXIT_FAIL, "secret", file, "the passwords do not match");
			return -EINVAL;
		}
		OPENSSL_cleanse(b, sizeof(b));
	}
	if (n < 0) {
		cli_fail(EXIT_FAIL, "secret", file, "cannot read a password");
		return -EIO;
	}
	free(prompted.data);
	prompted.data = malloc((size_t)n + 1);
	if (!prompted.data)
		return -ENOMEM;
	memcpy(prompted.data, a, (size_t)n);
	prompted.len = (size_t)n;
	OPENSSL_cleanse(a, sizeof(a));
	return 0;
}

/* ---- creating ------------------------------------------------------------------- */

/* One -o encrypt.* option (or encryption=on); 0, or an exit code negated. */
int img_crypt_opt(const char *key, const char *val, struct qcow2_create_opts *o)
{
	struct qcow2_crypt_opts *c = &create_crypt;
	const struct secret *s;
	uint64_t v;

	o->crypt = c;
	if (!strcmp(key, "encryption")) {
		if (!strcmp(val, "on") || !strcmp(val, "true") || !strcmp(val, "yes"))
			c->format = QCOW2_CRYPT_AES;
		else if (strcmp(val, "off") && strcmp(val, "false") && strcmp(val, "no"))
			return -cli_usage_err("Invalid encryption '%s' (on/off)", val);
	} else if (!strcmp(key, "encrypt.format")) {
		if (!strcmp(val, "luks"))
			c->format = QCOW2_CRYPT_LUKS;
		else if (!strcmp(val, "aes"))
			c->format = QCOW2_CRYPT_AES;
		else
			return -cli_usage_err("Invalid encrypt.format '%s' (luks, aes)", val);
	} else if (!strcmp(key, "encrypt.key-secret")) {
		s = find_secret(val);
		if (!s)
			return -cli_fail(EXIT_FAIL, "secret", val, "No secret with id '%s'", val);
		c->secret = s->data;
		c->secret_len = s->len;
		key_secret_id = s->id;
	} else if (!strcmp(key, "encrypt.iter-time")) {
		if (img_parse_size(val, &v) || !v || v > UINT32_MAX)
			return -cli_usage_err("Invalid encrypt.iter-time '%s' (milliseconds)", val);
		c->iter_time_ms = (uint32_t)v;
	} else if (!strcmp(key, "encrypt.cipher-alg")) {
		c->cipher_alg = val;
	} else if (!strcmp(key, "encrypt.cipher-mode")) {
		c->cipher_mode = val;
	} else if (!strcmp(key, "encrypt.ivgen-alg")) {
		c->ivgen_alg = val;
	} else if (!strcmp(key, "encrypt.ivgen-hash-alg")) {
		c->ivgen_hash_alg = val;
	} else if (!strcmp(key, "encrypt.hash-alg")) {
		c->hash_alg = val;
	} else {
		return -cli_usage_err("Invalid parameter '%s'", key);
	}
	return 0;
}

int img_crypt_finish(struct qcow2_create_opts *o, const char *file)
{
	struct qcow2_crypt_opts *c = &create_crypt;
	int err;

	if (!o->crypt || c->format == QCOW2_CRYPT_NONE) {
		o->crypt = NULL;
		if (c->secret || c->iter_time_ms || c->cipher_alg || c->cipher_mode ||
		    c->ivgen_alg || c->ivgen_hash_alg || c->hash_alg)
			return cli_fail(EXIT_FAIL, "encryption", file,
					"encrypt.* options need encrypt.format=luks or aes");
		return 0;
	}
	if (c->format == QCOW2_CRYPT_AES && (c->iter_time_ms || c->cipher_alg ||
					     c->cipher_mode || c->ivgen_alg || c->hash_alg))
		return cli_fail(EXIT_FAIL, "encryption", file,
				"the legacy AES format has no cipher or PBKDF options");
	if (!c->secret) {
		err = prompt_secret(file, true);
		if (err == -ENOTTY)
			return cli_fail(EXIT_FAIL, "encryption", file,
					"Parameter 'encrypt.key-secret' is required for cipher");
		if (err)
			return EXIT_FAIL;
		c->secret = prompted.data;
		c->secret_len = prompted.len;
	}
	if (c->format == QCOW2_CRYPT_AES)
		fprintf(stderr, "blkprio: warning: the legacy qcow2 AES encryption is weak (predictable IVs, the passphrase is the key); use encrypt.format=luks\n");
	/* a target opened after creating it (convert) takes this secret */
	if (nsources < MAX_SOURCES) {
		sources[nsources].path = NULL;
		sources[nsources].secret = NULL;
		nsources++;
	}
	return 0;
}

/* The encrypt.* options as qemu-img's "Formatting ..." line lists them. */
const char *img_crypt_opts_str(const struct qcow2_create_opts *o)
{
	static char buf[512];
	const struct qcow2_crypt_opts *c = o->crypt;
	size_t n;

	buf[0] = '\0';
	if (!c || c->format == QCOW2_CRYPT_NONE)
		return buf;
	n = (size_t)snprintf(buf, sizeof(buf), " encrypt.format=%s",
			     c->format == QCOW2_CRYPT_LUKS ? "luks" : "aes");
	if (key_secret_id && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " encrypt.key-secret=%s", key_secret_id);
#define OPT_STR(name, v) \
	if ((v) && n < sizeof(buf)) \
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " encrypt." name "=%s", (v))
	OPT_STR("cipher-alg", c->cipher_alg);
	OPT_STR("cipher-mode", c->cipher_mode);
	OPT_STR("ivgen-alg", c->ivgen_alg);
	OPT_STR("ivgen-hash-alg", c->ivgen_hash_alg);
	OPT_STR("hash-alg", c->hash_alg);
#undef OPT_STR
	if (c->iter_time_ms && n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, " encrypt.iter-time=%u", c->iter_time_ms);
	return buf;
}

/* ---- opening -------------------------------------------------------------------- */

int img_crypt_unlock(struct qcow2 *q, const char *path, bool rw, bool need_data)
{
	const void *data = NULL;
	size_t len = 0;
	unsigned int i;
	bool found = false;
	int err;

	if (qcow2_encryption(q) == QCOW2_CRYPT_NONE)
		return 0;
	if (qcow2_crypt_unlocked(q))	/* by the secret registered for it */
		goto out;
	for (i = 0; i < nsources && !found; i++) {
		if (sources[i].path && !strcmp(sources[i].path, path) && sources[i].secret) {
			data = sources[i].secret->data;
			len = sources[i].secret->len;
			found = true;
		} else if (!sources[i].path && rw && create_crypt.secret) {
			data = create_crypt.secret;
			len = create_crypt.secret_len;
			found = true;
		}
	}
	if (!found && need_data) {
		err = prompt_secret(path, false);
		if (err == -ENOTTY)
			return cli_fail(EXIT_FAIL, "cannot open", path,
					"image is encrypted: give its secret (--object secret,id=ID,file=F --image-opts driver=qcow2,file.filename=%s,encrypt.key-secret=ID)",
					path);
		if (err)
			return EXIT_FAIL;
		data = prompted.data;
		len = prompted.len;
		found = true;
	}
	if (!found)
		return 0;
	err = qcow2_unlock(q, data, len);
	if (err)
		return img_fail("cannot open", path, err);
out:
	if (qcow2_encryption(q) == QCOW2_CRYPT_AES && rw)
		fprintf(stderr, "blkprio: warning: '%s' uses the legacy qcow2 AES encryption, which is weak\n",
			path);
	return 0;
}

/* ---- info ----------------------------------------------------------------------- */

void img_crypt_print(struct qcow2 *q, bool json)
{
	struct qcow2_crypt_info ci;
	unsigned int i;

	if (qcow2_crypt_get_info(q, &ci) || ci.format == QCOW2_CRYPT_NONE)
		return;
	if (ci.format == QCOW2_CRYPT_AES) {
		if (json)
			printf(",\n            \"encrypt\": {\n                \"format\": \"aes\"\n            }");
		else
			printf("    encrypt:\n        format: aes\n");
		return;
	}
	if (!json) {
		printf("    encrypt:\n        ivgen alg: %s\n", ci.ivgen_alg);
		if (ci.ivgen_hash_alg[0])
			printf("        ivgen hash alg: %s\n", ci.ivgen_hash_alg);
		printf("        hash alg: %s\n        cipher alg: %s\n        uuid: %s\n"
		       "        format: luks\n        cipher mode: %s\n        slots:\n",
		       ci.hash_alg, ci.cipher_alg, ci.uuid, ci.cipher_mode);
		for (i = 0; i < QCOW2_LUKS_SLOTS; i++) {
			printf("            [%u]:\n                active: %s\n", i,
			       ci.slots[i].active ? "true" : "false");
			if (ci.slots[i].active)
				printf("                iters: %u\n", ci.slots[i].iters);
			printf("                key offset: %" PRIu64 "\n", ci.slots[i].key_offset);
			if (ci.slots[i].active)
				printf("                stripes: %u\n", ci.slots[i].stripes);
		}
		printf("        payload offset: %" PRIu64 "\n        master key iters: %u\n",
		       ci.payload_offset, ci.master_key_iters);
		return;
	}
	printf(",\n            \"encrypt\": {\n                \"ivgen-alg\": \"%s\",\n", ci.ivgen_alg);
	if (ci.ivgen_hash_alg[0])
		printf("                \"ivgen-hash-alg\": \"%s\",\n", ci.ivgen_hash_alg);
	printf("                \"hash-alg\": \"%s\",\n                \"cipher-alg\": \"%s\",\n"
	       "                \"uuid\": \"%s\",\n                \"format\": \"luks\",\n"
	       "                \"cipher-mode\": \"%s\",\n                \"slots\": [\n",
	       ci.hash_alg, ci.cipher_alg, ci.uuid, ci.cipher_mode);
	for (i = 0; i < QCOW2_LUKS_SLOTS; i++) {
		printf("                    {\n                        \"active\": %s,\n",
		       ci.slots[i].active ? "true" : "false");
		if (ci.slots[i].active)
			printf("                        \"iters\": %u,\n", ci.slots[i].iters);
		printf("                        \"key-offset\": %" PRIu64 "%s\n", ci.slots[i].key_offset,
		       ci.slots[i].active ? "," : "");
		if (ci.slots[i].active)
			printf("                        \"stripes\": %u\n", ci.slots[i].stripes);
		printf("                    }%s\n", i + 1 < QCOW2_LUKS_SLOTS ? "," : "");
	}
	printf("                ],\n                \"payload-offset\": %" PRIu64 ",\n"
	       "                \"master-key-iters\": %u\n            }",
	       ci.payload_offset, ci.master_key_iters);
}
