// SPDX-License-Identifier: GPL-2.0
/* Editing config images: targeted cases and a property test over generated files. */
#include <stdlib.h>
#include <string.h>

#include <blkprio/conf.h>

#include "kselftest_harness.h"

static char *edit(const char *in, const struct conf_change *ch, size_t n, bool *changed)
{
	size_t len;
	char *out;

	if (conf_edit(in, strlen(in), ch, n, &out, &len, changed))
		return NULL;
	return out;
}

TEST(changes_last_duplicate_only)
{
	static const char in[] = "IOPRIO=\"1\"\n# keep me\nIOPRIO='2'\nX=y\n";
	struct conf_change ch = { "IOPRIO", "7" };
	bool changed;
	char *out = edit(in, &ch, 1, &changed);

	ASSERT_NE(NULL, out);
	EXPECT_TRUE(changed);
	EXPECT_STREQ("IOPRIO=\"1\"\n# keep me\nIOPRIO=\"7\"\nX=y\n", out);
	free(out);
}

TEST(appends_missing_key_and_newline)
{
	struct conf_change ch[] = { { "IOPRIO", "3" }, { "IOLIMIT", "0" } };
	bool changed;
	char *out = edit("A=\"1\"", ch, 2, &changed);

	ASSERT_NE(NULL, out);
	EXPECT_STREQ("A=\"1\"\nIOPRIO=\"3\"\nIOLIMIT=\"0\"\n", out);
	free(out);
	out = edit("", ch, 1, &changed);
	ASSERT_NE(NULL, out);
	EXPECT_STREQ("IOPRIO=\"3\"\n", out);
	free(out);
}

TEST(keeps_inline_comment_and_crlf)
{
	static const char in[] = "  IOPRIO = 2   # slow tier\r\nB=1\r\n";
	struct conf_change ch = { "IOPRIO", "5" };
	bool changed;
	char *out = edit(in, &ch, 1, &changed);

	ASSERT_NE(NULL, out);
	EXPECT_STREQ("IOPRIO=\"5\" # slow tier\r\nB=1\r\n", out);
	free(out);
}

TEST(no_change_is_reported)
{
	static const char in[] = "# c\nIOPRIO=\"4\"\n";
	struct conf_change ch = { "IOPRIO", "4" };
	bool changed = true;
	char *out = edit(in, &ch, 1, &changed);

	ASSERT_NE(NULL, out);
	EXPECT_FALSE(changed);
	EXPECT_STREQ(in, out);
	free(out);
}

TEST(remove_every_occurrence)
{
	static const char in[] = "IOPRIO=1\nA=2\nIOPRIO=3\n";
	struct conf_change ch = { "IOPRIO", NULL };
	bool changed;
	char *out = edit(in, &ch, 1, &changed);

	ASSERT_NE(NULL, out);
	EXPECT_STREQ("A=2\n", out);
	free(out);
}

TEST(refuses_bad_keys_and_values)
{
	struct conf_change bad[] = {
		{ "IO PRIO", "1" }, { "", "1" }, { "1A", "1" },
		{ "A", "x\"y" }, { "A", "x\ny" }, { "A", "back\\slash" },
	};
	size_t i, len;
	char *out;
	bool changed;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, conf_edit("A=1\n", 4, &bad[i], 1, &out, &len, &changed));
}

/* ---- property test ------------------------------------------------------ */

static const char *const pool[] = { "IOPRIO", "IOLIMIT", "IOPSLIMIT", "NAME", "A_1" };
#define NPOOL (sizeof(pool) / sizeof(pool[0]))

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) % n;
}

static void rand_word(unsigned int *seed, char *buf, size_t max)
{
	static const char chars[] = "abcxyz0123456789-_.";
	size_t i, n = rnd(seed, (unsigned int)max);

	for (i = 0; i < n; i++)
		buf[i] = chars[rnd(seed, sizeof(chars) - 1)];
	buf[n] = '\0';
}

static size_t gen_file(unsigned int *seed, char *buf)
{
	unsigned int i, lines = rnd(seed, 12);
	const char *key, *eol;
	char w[8];
	size_t len = 0;

	for (i = 0; i < lines; i++) {
		key = pool[rnd(seed, NPOOL)];
		rand_word(seed, w, 7);
		eol = rnd(seed, 5) ? "\n" : "\r\n";
		if (i == lines - 1 && !rnd(seed, 3))
			eol = "";
		switch (rnd(seed, 9)) {
		case 0: len += (size_t)sprintf(buf + len, "# comment %s%s", w, eol); break;
		case 1: len += (size_t)sprintf(buf + len, "%s", eol); break;
		case 2: len += (size_t)sprintf(buf + len, "%s='%s'%s", key, w, eol); break;
		case 3: len += (size_t)sprintf(buf + len, "%s=%s%s", key, w, eol); break;
		case 4: len += (size_t)sprintf(buf + len, "  %s = \"%s\" # n%s", key, w, eol); break;
		case 5: len += (size_t)sprintf(buf + len, "garbage %s%s", w, eol); break;
		case 6: len += (size_t)sprintf(buf + len, "%s=\"open%s", key, eol); break;
		default: len += (size_t)sprintf(buf + len, "%s=\"%s\"%s", key, w, eol); break;
		}
	}
	buf[len] = '\0';
	return len;
}

/* Split into lines, each with its terminator. */
static size_t split(const char *s, const char **line, size_t *len, size_t max)
{
	size_t n = 0;
	const char *nl;

	while (*s && n < max) {
		nl = strchr(s, '\n');
		line[n] = s;
		len[n] = nl ? (size_t)(nl - s) + 1 : strlen(s);
		s += len[n++];
	}
	return n;
}

static bool same_content(const char *a, size_t la, const char *b, size_t lb)
{
	/* Content equal, allowing b to gain a final '\n' (a key appended after it). */
	return (la == lb && !memcmp(a, b, la)) ||
	       (lb == la + 1 && b[la] == '\n' && !memcmp(a, b, la));
}

TEST(property_edit_changes_only_target_lines)
{
	char in[4096], want[64];
	const char *il[64], *ol[64];
	size_t ilen[64], olen[64], ni, no, i, j, nch, appended, out_len;
	struct conf_change ch[4];
	char vals[4][8];
	struct conf before, after;
	const struct conf_entry *e;
	unsigned int seed, iter;
	long target[4];
	bool changed, is_target;
	char *out;

	for (iter = 0; iter < 3000; iter++) {
		seed = iter * 2654435761u + 7;
		gen_file(&seed, in);
		nch = 1 + rnd(&seed, 3);
		for (i = 0; i < nch; i++) {
			ch[i].key = pool[rnd(&seed, NPOOL)];
			rand_word(&seed, vals[i], 7);
			ch[i].value = vals[i];
		}
		conf_init(&before);
		ASSERT_EQ(0, conf_parse(&before, in, strlen(in), "in", NULL, NULL));
		ASSERT_EQ(0, conf_edit(in, strlen(in), ch, nch, &out, &out_len, &changed));
		ASSERT_EQ(strlen(out), out_len);

		/* 1. Re-reading gives the intended key map. */
		conf_init(&after);
		ASSERT_EQ(0, conf_parse(&after, out, out_len, "out", NULL, NULL));
		for (i = 0; i < before.n; i++) {
			const char *exp = before.ent[i].value;

			for (j = 0; j < nch; j++)
				if (!strcmp(ch[j].key, before.ent[i].key))
					exp = ch[j].value;
			e = conf_find(&after, before.ent[i].key);
			ASSERT_NE(NULL, e);
			ASSERT_STREQ(exp, e->value) TH_LOG("iter %u input:\n%s", iter, in);
		}
		for (j = 0; j < nch; j++) {
			const char *exp = ch[j].value;
			size_t k;

			for (k = j + 1; k < nch; k++)	/* the last change of a key wins */
				if (!strcmp(ch[k].key, ch[j].key))
					exp = ch[k].value;
			e = conf_find(&after, ch[j].key);
			ASSERT_NE(NULL, e);
			ASSERT_STREQ(exp, e->value);
		}

		/* 2. Every byte outside the changed lines is identical. */
		appended = 0;
		for (j = 0; j < nch; j++) {
			size_t k;
			bool dup = false;

			for (k = j + 1; k < nch; k++)
				dup |= !strcmp(ch[k].key, ch[j].key);
			e = conf_find(&before, ch[j].key);
			target[j] = dup ? -2 : e ? (long)e->line - 1 : -1;
			if (!dup && !e)
				appended++;
		}
		ni = split(in, il, ilen, 64);
		no = split(out, ol, olen, 64);
		ASSERT_EQ(ni + appended, no) TH_LOG("iter %u", iter);
		for (i = 0; i < ni; i++) {
			is_target = false;
			for (j = 0; j < nch; j++)
				if (target[j] == (long)i) {
					is_target = true;
					snprintf(want, sizeof(want), "%s=\"%s\"", ch[j].key, ch[j].value);
					ASSERT_EQ(0, strncmp(ol[i], want, strlen(want)))
						TH_LOG("iter %u line %zu", iter, i);
				}
			if (!is_target)
				ASSERT_TRUE(same_content(il[i], ilen[i], ol[i], olen[i]))
					TH_LOG("iter %u line %zu changed:\n%s\n---\n%s", iter, i, in, out);
		}
		EXPECT_EQ(changed, strcmp(in, out) != 0);
		conf_free(&before);
		conf_free(&after);
		free(out);
	}
}

TEST_HARNESS_MAIN
