// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the config parser and editor: any bytes parse without
 * a crash, and an edit of them re-reads to the intended value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <blkprio/conf.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_change ch = { "IOPRIO", "7" };
	const struct conf_entry *e;
	struct ct_settings s;
	struct conf c, d;
	size_t out_len;
	bool changed;
	char *out;

	conf_init(&c);
	if (conf_parse(&c, (const char *)data, size, "fuzz", NULL, NULL))
		abort();
	ct_settings_init(&s);
	ct_settings_apply(&s, &c, CT_SRC_CONFIG, NULL, NULL);
	if (s.v[CT_IOPRIO].val < 0 || s.v[CT_IOPRIO].val > 7)
		abort();
	if (conf_edit((const char *)data, size, &ch, 1, &out, &out_len, &changed))
		abort();
	conf_init(&d);
	if (conf_parse(&d, out, out_len, "fuzz", NULL, NULL))
		abort();
	e = conf_find(&d, "IOPRIO");
	if (!e || strcmp(e->value, "7"))
		abort();	/* the edit must be what readers see */
	conf_free(&d);
	free(out);
	conf_free(&c);
	return 0;
}
