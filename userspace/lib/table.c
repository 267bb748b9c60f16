// SPDX-License-Identifier: GPL-2.0
/* Column tables: one description, plain and JSON renderings (libsmartcols). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libsmartcols/libsmartcols.h>

#include <blkprio/table.h>

struct table {
	struct libscols_table *tb;
	struct libscols_line *ln;
	const struct colinfo *cols;
	int map[TABLE_MAX_COLS];	/* column index -> position or -1 */
};

static int column_lookup(const struct colinfo *cols, size_t ncols, const char *name,
			 size_t len)
{
	size_t i;

	for (i = 0; i < ncols; i++)
		if (strlen(cols[i].name) == len && !strncasecmp(cols[i].name, name, len))
			return (int)i;
	return -1;
}

int table_parse_columns(const struct colinfo *cols, size_t ncols, const char *list,
			const int *defaults, size_t ndefaults, int *out, size_t max,
			const char **bad)
{
	const char *p = list, *end;
	size_t n = 0, i;
	int idx;

	if (*p == '+') {
		if (ndefaults > max)
			return -E2BIG;
		memcpy(out, defaults, ndefaults * sizeof(*out));
		n = ndefaults;
		p++;
	}
	while (*p) {
		end = strchrnul(p, ',');
		idx = column_lookup(cols, ncols, p, (size_t)(end - p));
		if (idx < 0) {
			*bad = p;
			return -EINVAL;
		}
		/* a column shows once (and a cell has one value): "+COL" of a default adds nothing */
		for (i = 0; i < n && out[i] != idx; i++)
			;
		if (i == n && n >= max)
			return -E2BIG;
		if (i == n)
			out[n++] = idx;
		p = *end ? end + 1 : end;
	}
	if (!n) {
		*bad = list;
		return -EINVAL;
	}
	return (int)n;
}

struct table *table_new(const char *name, const struct colinfo *cols,
			const int *sel, size_t nsel, unsigned int flags)
{
	static const int json_types[] = {
		[COL_STR] = SCOLS_JSON_STRING, [COL_NUM] = SCOLS_JSON_NUMBER,
		[COL_BOOL] = SCOLS_JSON_BOOLEAN, [COL_FLOAT] = SCOLS_JSON_NUMBER,
	};
	struct libscols_column *cl;
	struct table *t;
	size_t i;

	if (nsel > TABLE_MAX_COLS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cols = cols;
	for (i = 0; i < TABLE_MAX_COLS; i++)
		t->map[i] = -1;
	t->tb = scols_new_table();
	if (!t->tb)
		goto err_free;
	scols_table_set_name(t->tb, name);
	scols_table_enable_json(t->tb, !!(flags & TABLE_JSON));
	scols_table_enable_raw(t->tb, !!(flags & TABLE_RAW));
	scols_table_enable_noheadings(t->tb, !!(flags & TABLE_NOHEAD));
	for (i = 0; i < nsel; i++) {
		const struct colinfo *ci = &cols[sel[i]];

		cl = scols_table_new_column(t->tb, ci->name, ci->whint, ci->flags);
		if (!cl)
			goto err_table;
		scols_column_set_json_type(cl, json_types[ci->type]);
		t->map[sel[i]] = (int)i;
	}
	return t;

err_table:
	scols_unref_table(t->tb);
err_free:
	free(t);
	return NULL;
}

int table_row(struct table *t)
{
	t->ln = scols_table_new_line(t->tb, NULL);
	return t->ln ? 0 : -ENOMEM;
}

int table_set(struct table *t, int col, const char *val)
{
	if (col < 0 || col >= TABLE_MAX_COLS || t->map[col] < 0 || !val)
		return 0;	/* column not selected, or no value (JSON null) */
	return scols_line_set_data(t->ln, (size_t)t->map[col], val) ? -ENOMEM : 0;
}

int table_setf(struct table *t, int col, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (col < 0 || col >= TABLE_MAX_COLS || t->map[col] < 0)
		return 0;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	if (scols_line_refer_data(t->ln, (size_t)t->map[col], s)) {
		free(s);
		return -ENOMEM;
	}
	return 0;
}

int table_print(struct table *t, FILE *out)
{
	scols_table_set_stream(t->tb, out);
	return scols_print_table(t->tb) ? -EIO : 0;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	scols_unref_table(t->tb);
	free(t);
}

void table_help(const struct colinfo *cols, size_t ncols, FILE *out)
{
	size_t i;

	fprintf(out, "Available columns:\n");
	for (i = 0; i < ncols; i++)
		fprintf(out, " %12s  %s\n", cols[i].name, cols[i].help);
}
