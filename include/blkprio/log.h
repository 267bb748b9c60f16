/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging for the programs (never called from the libraries, which return
 * -errno and hand diagnostics to a callback). Lines go to stderr; under
 * systemd (JOURNAL_STREAM set) they carry "<N>" priority prefixes.
 */
#ifndef BLKPRIO_LOG_H
#define BLKPRIO_LOG_H

#include <syslog.h>

void log_init(const char *progname, int max_level);
void log_set_level(int max_level);
int log_get_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
