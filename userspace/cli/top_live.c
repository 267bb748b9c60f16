// SPDX-License-Identifier: GPL-2.0
/* blkprio top: the live, refreshing terminal view (ncurses). */
#include <time.h>

#include <curses.h>
#include <libsmartcols/libsmartcols.h>

#include "cli.h"
#include "top.h"

static void draw(struct top *t)
{
	char buf[PATH_MAX + 64];
	int w[NCOLS], x, y, maxy, maxx;
	size_t i, c;

	getmaxyx(stdscr, maxy, maxx);
	erase();
	top_header_line(t, buf, sizeof(buf));
	mvaddnstr(0, 0, buf, maxx);
	mvaddnstr(1, 0, "keys: s/S sort  c per-container/per-device  q quit", maxx);
	for (c = 0; c < t->nsel; c++) {
		int col = t->sel[c];

		w[c] = col == COL_CTID ? 16 : col == COL_CGROUP ? 24 : 8;
	}
	attron(A_REVERSE);
	for (c = 0, x = 0; c < t->nsel && x < maxx; x += w[c] + 1, c++)
		mvprintw(3, x, "%*s", -w[c], top_cols[t->sel[c]].name);
	attroff(A_REVERSE);
	for (i = 0, y = 4; i < t->n && y < maxy; i++, y++) {
		for (c = 0, x = 0; c < t->nsel && x < maxx; x += w[c] + 1, c++) {
			bool right = top_cols[t->sel[c]].flags & SCOLS_FL_RIGHT;

			top_cell(t, &t->rows[i], t->sel[c], buf, sizeof(buf));
			if (right)
				mvprintw(y, x, "%*.*s", w[c], w[c], buf);
			else
				mvprintw(y, x, "%-*.*s", w[c], w[c], buf);
		}
	}
	refresh();
}

/* Wait for the next update; false to quit. Keys act at once. */
static bool live_wait(struct top *t, double delay)
{
	struct timespec start, now;
	int ch, left;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (int)(delay * 1000) - (int)((now.tv_sec - start.tv_sec) * 1000 +
						   (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || latview_stopped())
			return !latview_stopped();
		timeout(left);
		ch = getch();
		switch (ch) {
		case 'q':
		case 'Q':
			return false;
		case 's':
			t->sort = (t->sort + 1) % NSORT;
			break;
		case 'S':
			t->sort = (t->sort + NSORT - 1) % NSORT;
			break;
		case 'c':
		case 'd':
			t->per_ct = !t->per_ct;
			break;
		default:
			continue;
		}
		/* re-sort or re-group the interval shown */
		top_build(t);
		draw(t);
	}
}

int top_run_live(struct top *t, double delay, long long count)
{
	long long n;

	if (!initscr())
		return cli_fail(EXIT_FAIL, "terminal", NULL, "cannot start curses");
	cbreak();
	noecho();
	curs_set(0);
	keypad(stdscr, TRUE);
	mvaddstr(0, 0, "blkprio top: collecting...");
	refresh();
	for (n = 0; count < 0 || n < count; n++) {
		if (!live_wait(t, delay))
			break;
		if (latview_sample(&t->v) || top_build(t))
			break;
		top_probe_info(t);
		draw(t);
	}
	endwin();
	return EXIT_OK;
}
