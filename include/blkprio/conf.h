/* SPDX-License-Identifier: GPL-2.0 */
/*
 * OpenVZ-style configuration files: one per container (CTID.conf), and the
 * daemon's own blkpriod.conf, all in the same syntax:
 *
 *	# comment
 *	KEY="value"
 *
 * Reading: last duplicate wins; single quotes, unquoted values and inline
 * "# comments" are tolerated; a malformed line is handed to the diagnostic
 * callback with its line number and skipped.
 *
 * Writing changes only the keys given, as KEY="value", on the line readers
 * use (the last occurrence), keeps every other byte, appends new keys, and
 * replaces the file atomically (FILE.tmp, fsync, rename, fsync of the folder)
 * under a per-container lock.
 */
#ifndef BLKPRIO_CONF_H
#define BLKPRIO_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_SIZE		(16u << 20)	/* refuse larger config files */
#define CONF_DEFAULT_DIR	"/etc/vz/conf"
#define CONF_DEFAULT_RUN_DIR	"/run/blkprio"
#define CTID_MAX_LEN		64

/* Diagnostics from the parsers: file name, 1-based line, message. */
typedef void (*conf_diag_fn)(void *ctx, const char *file, unsigned int line,
			     const char *msg);

struct conf_entry {
	char *key;
	char *value;
	unsigned int line;	/* line of the occurrence that won */
};

struct conf {
	char *name;		/* file name for diagnostics */
	struct conf_entry *ent;
	size_t n, cap;
};

void conf_init(struct conf *c);
void conf_free(struct conf *c);
/* Parse a buffer. Returns 0 or -ENOMEM; malformed lines go to diag. */
int conf_parse(struct conf *c, const char *buf, size_t len, const char *name,
	       conf_diag_fn diag, void *ctx);
/* Load a file (dirfd may be AT_FDCWD). -ENOENT when it does not exist. */
int conf_load_at(struct conf *c, int dirfd, const char *path, const char *name,
		 conf_diag_fn diag, void *ctx);
int conf_load(struct conf *c, const char *path, conf_diag_fn diag, void *ctx);
const struct conf_entry *conf_find(const struct conf *c, const char *key);

/*
 * One line of the file as the reader sees it. Used by the editor, so that the
 * line it changes is exactly the one readers take.
 */
struct conf_line {
	const char *key;	/* not NUL-terminated */
	size_t key_len;
	const char *val;	/* value without quotes, not NUL-terminated */
	size_t val_len;
	const char *comment;	/* inline "# comment" or NULL */
	size_t comment_len;
};
enum conf_line_kind { CONF_LINE_BLANK, CONF_LINE_KV, CONF_LINE_BAD };
enum conf_line_kind conf_parse_line(const char *s, size_t len, struct conf_line *l,
				    const char **why);

/* A change: value NULL removes every occurrence of the key. */
struct conf_change {
	const char *key;
	const char *value;
};

bool conf_key_valid(const char *key);
/* Values we write: no quotes, backslashes, newlines or control characters. */
bool conf_value_valid(const char *value);

/*
 * Apply changes to a file image. *out is malloc'd. Returns 0, -EINVAL for an
 * invalid key or value, -ENOMEM. *changed tells whether any byte differs.
 */
int conf_edit(const char *in, size_t len, const struct conf_change *ch, size_t n,
	      char **out, size_t *out_len, bool *changed);

#define CONF_SAVE_CREATE	0x1	/* create the file if missing (mode 0644) */
/*
 * Read-modify-write path under the per-file lock, atomically. Symlinks are
 * followed (the real file is replaced). Mode and owner are kept.
 * *changed (may be NULL) is false when nothing needed writing.
 */
int conf_save(const char *path, const struct conf_change *ch, size_t n,
	      unsigned int flags, bool *changed);

/* ---- container IDs ---------------------------------------------------- */

/* Decimal (OpenVZ) or [A-Za-z0-9._-]{1,64} not starting with '.'. */
bool ctid_valid(const char *ctid);
/* "DIR/CTID.conf" into buf; -EINVAL for a bad CTID, -ENAMETOOLONG. */
int ctid_conf_path(const char *dir, const char *ctid, char *buf, size_t len);
/* "101.conf" -> "101"; false when the name is not a container config. */
bool ctid_from_filename(const char *fname, char *buf, size_t len);
/* Order for listings: numbers numerically first, then names. */
int ctid_cmp(const char *a, const char *b);

/* ---- typed container settings ---------------------------------------- */

enum ct_key { CT_IOPRIO, CT_IOLIMIT, CT_IOPSLIMIT, CT_NKEYS };
enum ct_source { CT_SRC_DEFAULT, CT_SRC_CONFIG, CT_SRC_RUNTIME };

#define CT_IOPRIO_MIN		0
#define CT_IOPRIO_MAX		7
#define CT_IOPRIO_DEFAULT	4

struct ct_value {
	int64_t val;		/* IOPRIO 0..7; limits: 0 = none */
	enum ct_source src;
	unsigned int line;	/* where it came from (0 for defaults) */
	bool bad;		/* the winning line held a bad value (ignored) */
};

struct ct_settings {
	struct ct_value v[CT_NKEYS];
};

const char *ct_key_name(enum ct_key k);
int ct_key_lookup(const char *name);		/* enum ct_key or -ENOENT */
const char *ct_source_name(enum ct_source s);
/* Parse a value for a key: -EINVAL (not a value), -ERANGE (out of range). */
int ct_parse_value(enum ct_key k, const char *s, int64_t *out);
/* Canonical text for saving ("7", "10485760", "0"). */
void ct_format_value(enum ct_key k, int64_t v, char *buf, size_t len);
/* Display text ("7", "10M", "unlimited"). */
void ct_display_value(enum ct_key k, int64_t v, char *buf, size_t len);

void ct_settings_init(struct ct_settings *s);
/* Overlay a parsed file: bad values go to diag and leave the old value. */
void ct_settings_apply(struct ct_settings *s, const struct conf *c,
		       enum ct_source src, conf_diag_fn diag, void *ctx);

struct ct_dirs {
	const char *conf_dir;
	const char *run_dir;
};

/*
 * Effective settings of one container: defaults, then CONF_DIR/CTID.conf,
 * then the runtime override RUN_DIR/CTID.conf. *exists tells which of the
 * two files were found (bit 0 config, bit 1 override). Returns 0 or -errno
 * (a missing file is not an error).
 */
#define CT_HAS_CONFIG	0x1
#define CT_HAS_RUNTIME	0x2
int ct_load(const struct ct_dirs *d, const char *ctid, struct ct_settings *s,
	    unsigned int *exists, conf_diag_fn diag, void *ctx);

#endif
