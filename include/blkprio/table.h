/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Column tables for every listing: one description of the columns, plain and
 * JSON renderings through libsmartcols (as util-linux does), -o column
 * selection, -n no headings, -r raw.
 */
#ifndef BLKPRIO_TABLE_H
#define BLKPRIO_TABLE_H

#include <stddef.h>
#include <stdio.h>

enum col_type { COL_STR, COL_NUM, COL_BOOL, COL_FLOAT };

struct colinfo {
	const char *name;	/* header; lower-cased as the JSON key */
	double whint;		/* width hint, as libsmartcols takes it */
	int flags;		/* SCOLS_FL_* */
	enum col_type type;	/* JSON type of the cells */
	const char *help;
};

#define TABLE_JSON	0x1
#define TABLE_RAW	0x2
#define TABLE_NOHEAD	0x4

#define TABLE_MAX_COLS	64

struct table;

/*
 * Parse a "-o" list ("CTID,IOPRIO" or "+WEIGHT" to add to the defaults) into
 * column indexes. Returns the count or -EINVAL with *bad naming the culprit.
 */
int table_parse_columns(const struct colinfo *cols, size_t ncols, const char *list,
			const int *defaults, size_t ndefaults, int *out, size_t max,
			const char **bad);

struct table *table_new(const char *name, const struct colinfo *cols,
			const int *sel, size_t nsel, unsigned int flags);
/* Start a row; then table_set() each column by its index in cols. */
int table_row(struct table *t);
int table_set(struct table *t, int col, const char *val);
int table_setf(struct table *t, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int table_print(struct table *t, FILE *out);
void table_free(struct table *t);
/* Print the column help ("-o help"). */
void table_help(const struct colinfo *cols, size_t ncols, FILE *out);

#endif
