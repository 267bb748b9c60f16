// SPDX-License-Identifier: GPL-2.0
/* Logging for blkprio's programs: stderr, journal priority prefixes under systemd. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <blkprio/log.h>

static const char *log_prog = "blkprio";
static int log_level = LOG_NOTICE;
static int log_journal;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void log_init(const char *progname, int max_level)
{
	log_prog = progname;
	log_level = max_level;
	/* systemd connects stderr to the journal and says so in JOURNAL_STREAM. */
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_set_level(int max_level)
{
	log_level = max_level;
}

int log_get_level(void)
{
	return log_level;
}

void log_msg(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", level, buf);
	else if (level <= LOG_WARNING || level == LOG_DEBUG)
		fprintf(stderr, "%s: %s: %s\n", log_prog, level_names[level & 7], buf);
	else
		fprintf(stderr, "%s: %s\n", log_prog, buf);
}
