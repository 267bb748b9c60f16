// SPDX-License-Identifier: GPL-2.0
/*
 * The share controller's state file: written by blkpriod after each
 * interval, read by `blkprio top`. One owner of the format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <blkprio/share.h>

#define STATE_HEADER	"# ctid device promised realized lever weight cap measure\n"

int share_rows_write(const char *path, const struct share_row *rows, size_t n)
{
	char tmp[4096];
	size_t i;
	FILE *f;
	int err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fputs(STATE_HEADER, f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s %s %.4f %.4f %s %u %.0f %s\n", rows[i].ctid, rows[i].device,
			rows[i].promised, rows[i].realized, cg_lever_name(rows[i].lever),
			rows[i].weight, rows[i].cap, share_measure_name(rows[i].measure));
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int row_parse(const char *line, struct share_row *r)
{
	char lever[16], measure[16];

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "%64s %31s %lf %lf %15s %u %lf %15s", r->ctid, r->device, &r->promised,
		   &r->realized, lever, &r->weight, &r->cap, measure) != 8)
		return -EINVAL;
	if (r->promised < 0 || r->promised > 1 || r->realized < 0 || r->realized > 1 ||
	    r->cap < 0 || cg_lever_parse(lever, &r->lever) ||
	    share_measure_parse(measure, &r->measure))
		return -EINVAL;
	return 0;
}

int share_rows_read(const char *path, struct share_row **rows, size_t *n)
{
	struct share_row *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	char line[512];
	FILE *f;
	int err = 0;

	*rows = NULL;
	*n = 0;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				goto out_free;
			}
			v = nv;
		}
		err = row_parse(line, &v[cnt]);
		if (err)
			goto out_free;
		cnt++;
	}
	fclose(f);
	*rows = v;
	*n = cnt;
	return 0;
out_free:
	free(v);
	fclose(f);
	return err;
}
