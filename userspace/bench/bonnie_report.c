// SPDX-License-Identifier: GPL-2.0
/*
 * bonnie++ 2.00a's result table and CSV line (format 1.98, 50 fields) so
 * bon_csv2html and bon_csv2txt render them; JSON adds percentiles. Rates:
 * KiB/s for I/O (k/m/g units in the table), seeks/s, files/s; a test under
 * 0.5 s prints "+++++"; latency is the worst operation, as bonnie++ does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/bench.h>

#define BON_VERSION	"2.00a"
#define BON_CSV_VERSION	"1.98"
#define BON_MIN_TIME	0.5

static bool is_io(int t)
{
	return t < BON_NIO;
}

static bool too_short(const struct bonnie_test_result *t)
{
	return t->elapsed < BON_MIN_TIME;
}

static double rate(int i, const struct bonnie_test_result *t)
{
	if (!t->elapsed)
		return 0;
	if (i == BON_SEEKS || !is_io(i))
		return t->ops / t->elapsed;
	return t->bytes / 1024.0 / t->elapsed;
}

static int cpu_pct(const struct bonnie_test_result *t)
{
	return t->elapsed ? (int)(t->cpu / t->elapsed * 100) : 0;
}

/* "64M", "2G" from MiB. */
static void size_str(char *buf, size_t len, uint64_t mb)
{
	if (mb && mb % 1024 == 0)
		snprintf(buf, len, "%lluG", (unsigned long long)(mb / 1024));
	else
		snprintf(buf, len, "%lluM", (unsigned long long)mb);
}

static void latency_str(char *buf, size_t len, const struct bonnie_test_result *t)
{
	double s = t->lat.max / 1e9;

	if (!t->ran)
		buf[0] = '\0';
	else if (s > 99.999999)
		snprintf(buf, len, "%ds", (int)s);
	else if (s > 0.099999)
		snprintf(buf, len, "%dms", (int)(s * 1000));
	else
		snprintf(buf, len, "%dus", (int)(s * 1e6));
}

static void rate_text(char *buf, size_t len, int i, const struct bonnie_test_result *t)
{
	double v = rate(i, t), m = v / 1024;

	if (i == BON_SEEKS)
		snprintf(buf, len, v >= 1000 ? "%5.0f" : "%5.1f", v);
	else if (!is_io(i))
		snprintf(buf, len, "%5d", (int)v);
	else if (v < 10000)
		snprintf(buf, len, "%4dk", (int)v);
	else if (m < 100)
		snprintf(buf, len, "%4.1fm", m);
	else if (m < 1000)
		snprintf(buf, len, "%4dm", (int)m);
	else
		snprintf(buf, len, "%4.1fg", m / 1024);
}

static void cells(FILE *out, const struct bonnie_result *r, int first)
{
	char v[32];
	int i;

	for (i = first; i < first + 6; i++) {
		const struct bonnie_test_result *t = &r->t[i];

		if (!t->ran)
			fprintf(out, " %5s %3s", "", "");
		else if (too_short(t))
			fprintf(out, " +++++ +++");
		else {
			rate_text(v, sizeof(v), i, t);
			fprintf(out, " %5s %3d", v, cpu_pct(t));
		}
	}
	fputc('\n', out);
}

static void latencies(FILE *out, const struct bonnie_result *r, int first)
{
	char v[32];
	int i;

	fprintf(out, "%-17s", "Latency");
	for (i = first; i < first + 6; i++) {
		latency_str(v, sizeof(v), &r->t[i]);
		fprintf(out, " %9s", v);
	}
	fputc('\n', out);
}

/* "64M", "64M:4k", "64M::1000:2": non-default parts of -s. */
static void io_desc(char *buf, size_t len, const struct bonnie_opts *o)
{
	char sz[32], ch[16] = "", sk[16] = "", sp[16] = "";
	int last = 0;

	size_str(sz, sizeof(sz), o->size_mb);
	if (o->chunk != 8192) {
		snprintf(ch, sizeof(ch), o->chunk % 1024 ? "%u" : "%uk",
			 o->chunk % 1024 ? o->chunk : o->chunk / 1024);
		last = 1;
	}
	if (o->seeks != 8192) {
		snprintf(sk, sizeof(sk), "%u", o->seeks);
		last = 2;
	}
	if (o->seekers != 5) {
		snprintf(sp, sizeof(sp), "%u", o->seekers);
		last = 3;
	}
	snprintf(buf, len, "%s%s%s%s%s%s%s", sz, last >= 1 ? ":" : "", ch, last >= 2 ? ":" : "",
		 sk, last >= 3 ? ":" : "", sp);
}

void bonnie_print_text(FILE *out, const struct bonnie_opts *o, const struct bonnie_result *r)
{
	char desc[64];
	int w;

	if (o->size_mb) {
		io_desc(desc, sizeof(desc), o);
		w = 19 - (int)strlen(desc);
		fprintf(out, "%-20s------Sequential Output------ --Sequential Input- --Random-\n",
			"Version " BON_VERSION);
		fprintf(out, "%-20s-Per Chr- --Block-- -Rewrite- -Per Chr- --Block-- --Seeks--\n", "");
		fprintf(out, "Name:Size etc        /sec %%CP  /sec %%CP  /sec %%CP  /sec %%CP  /sec %%CP  /sec %%CP\n");
		fprintf(out, "%-*s%s", w > 0 ? w : 0, o->name, desc);
		cells(out, r, BON_PUTC);
		latencies(out, r, BON_PUTC);
	}
	if (o->files) {
		fprintf(out, "%-20s------Sequential Create------ --------Random Create--------\n",
			"Version " BON_VERSION);
		fprintf(out, "%-19s -Create-- --Read--- -Delete-- -Create-- --Read--- -Delete--\n",
			o->name);
		fprintf(out, "              files  /sec %%CP  /sec %%CP  /sec %%CP  /sec %%CP  /sec %%CP  /sec %%CP\n");
		fprintf(out, "%19s", o->files_str);
		cells(out, r, BON_SEQ_CREATE);
		latencies(out, r, BON_SEQ_CREATE);
	}
}

static void csv_pair(FILE *out, const struct bonnie_result *r, int i)
{
	const struct bonnie_test_result *t = &r->t[i];
	double v;

	if (!t->ran) {
		fprintf(out, ",,");
	} else if (too_short(t)) {
		fprintf(out, ",+++++,+++");
	} else {
		v = rate(i, t);
		if (i == BON_SEEKS)
			fprintf(out, v >= 1000 ? ",%.0f,%d" : ",%.1f,%d", v, cpu_pct(t));
		else
			fprintf(out, ",%d,%d", (int)v, cpu_pct(t));
	}
}

/* The -n fields: num, max, min, dirs, chunk as given (defaults empty). */
static void csv_files(FILE *out, const struct bonnie_opts *o)
{
	char f[64], *p = f, *c;
	int k;

	snprintf(f, sizeof(f), "%s", o->files_str);
	for (k = 0; k < 5; k++) {
		c = p ? strchr(p, ':') : NULL;
		if (c)
			*c = '\0';
		fprintf(out, ",%s", p ? p : "");
		p = c ? c + 1 : NULL;
	}
}

void bonnie_print_csv(FILE *out, const struct bonnie_opts *o, const struct bonnie_result *r)
{
	char sz[32], lat[32];
	int i;

	fprintf(out, BON_CSV_VERSION "," BON_VERSION ",%s,%u,%llu", o->name, o->concurrency,
		(unsigned long long)r->seed);
	if (o->size_mb) {
		size_str(sz, sizeof(sz), o->size_mb);
		fprintf(out, ",%s,", sz);
		if (o->chunk != 8192)
			fprintf(out, o->chunk % 1024 ? "%u" : "%uk",
				o->chunk % 1024 ? o->chunk : o->chunk / 1024);
		fprintf(out, ",%u,%u", o->seeks, o->seekers);
		for (i = BON_PUTC; i < BON_NIO; i++)
			csv_pair(out, r, i);
	} else {
		fprintf(out, ",,,,,,,,,,,,,,,,");
	}
	if (o->files) {
		csv_files(out, o);
		for (i = BON_SEQ_CREATE; i < BON_NTESTS; i++)
			csv_pair(out, r, i);
	} else {
		fprintf(out, ",,,,,,,,,,,,,,,,,");
	}
	for (i = 0; i < BON_NTESTS; i++) {
		latency_str(lat, sizeof(lat), &r->t[i]);
		fprintf(out, ",%s", lat);
	}
	fputc('\n', out);
}

void bonnie_print_csv_header(FILE *out)
{
	int i;

	fprintf(out, "format_version,bonnie_version,name,concurrency,seed,file_size,"
		"io_chunk_size,seeks,seek_proc_count");
	for (i = 0; i < BON_NTESTS; i++) {
		if (i == BON_SEQ_CREATE)
			fprintf(out, ",num_files,max_size,min_size,num_dirs,file_chunk_size");
		fprintf(out, ",%s,%s_cpu", bonnie_test_name(i), bonnie_test_name(i));
	}
	for (i = 0; i < BON_NTESTS; i++)
		fprintf(out, ",%s_latency", bonnie_test_name(i));
	fputc('\n', out);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

void bonnie_print_json(FILE *out, const struct bonnie_opts *o, const struct bonnie_result *r)
{
	static const double pct[] = { 50, 90, 99, 99.9 };
	char *csv = NULL;
	size_t csvlen = 0;
	bool first = true;
	unsigned int k;
	FILE *m;
	int i;

	fprintf(out, "{\"name\":");
	json_str(out, o->name);
	fprintf(out, ",\"format\":\"bonnie++ " BON_VERSION "\",\"seed\":%llu,\"file_size_mb\":%llu,"
		"\"chunk_size\":%u,\"seeks\":%u,\"seekers\":%u,\"files\":%u,\"error\":%d,\"tests\":{",
		(unsigned long long)r->seed, (unsigned long long)o->size_mb, o->chunk, o->seeks,
		o->seekers, o->files * 1024, -r->error);
	for (i = 0; i < BON_NTESTS; i++) {
		const struct bonnie_test_result *t = &r->t[i];

		if (!t->ran)
			continue;
		fprintf(out, "%s\"%s\":{\"elapsed_s\":%.6f,\"cpu_pct\":%d,\"bytes\":%llu,\"ops\":%llu,"
			"\"rate\":%.3f,\"unit\":\"%s\",\"too_short\":%s,\"latency_ns\":{\"min\":%llu,"
			"\"mean\":%.0f,", first ? "" : ",", bonnie_test_name(i), t->elapsed, cpu_pct(t),
			(unsigned long long)t->bytes, (unsigned long long)t->ops, rate(i, t),
			i == BON_SEEKS ? "seeks/s" : is_io(i) ? "KiB/s" : "files/s",
			too_short(t) ? "true" : "false",
			(unsigned long long)(t->lat.count ? t->lat.min : 0), bench_hist_mean(&t->lat));
		first = false;
		for (k = 0; k < sizeof(pct) / sizeof(pct[0]); k++)
			fprintf(out, "\"p%g\":%llu,", pct[k],
				(unsigned long long)bench_hist_percentile(&t->lat, pct[k]));
		fprintf(out, "\"max\":%llu}}", (unsigned long long)t->lat.max);
	}
	m = open_memstream(&csv, &csvlen);
	if (m) {
		bonnie_print_csv(m, o, r);
		fclose(m);
	}
	if (csv && csvlen)
		csv[csvlen - 1] = '\0';	/* the newline */
	fprintf(out, "},\"csv\":");
	json_str(out, csv ? csv : "");
	fprintf(out, "}");
	free(csv);
}
