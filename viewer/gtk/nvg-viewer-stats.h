/* NVG_VIEWER_STATS=1 (tests/bench/bench-viewer.sh): how the viewer keeps up with its feed,
 * measured from outside the widgets and printed to stdout as one line when the window goes:
 *
 *   viewer-stats: seconds=.. max_stall_ms=.. steady_max_stall_ms=.. max_drain_ms=.. frames=..
 *   fps=.. records=.. dropped_handover=.. skipped=.. in_ring=.. shown=.. vmrss_kb=.. vmhwm_kb=..
 *   max_append_ms=.. max_follow_ms=..
 *
 * Stall: the longest gap between two runs of a 10 ms timeout (the main loop did nothing else
 * meanwhile), overall and "steady" (after the first 2 s of feed, when the first rows have made
 * the row widgets). Frames: the frame clock's after-paint, from the first records on. Drain:
 * handlers before and after the window's "drain" signal; within it, append runs to the packet
 * list's last items-changed (or to the follow), follow is the packets page's "follow-tail".
 * Records, hand-over drops and records skipped on the feed (feed_offset) from the feed, rows from
 * the packet list, memory from /proc/self/status. */
#ifndef NVG_VIEWER_STATS_H
#define NVG_VIEWER_STATS_H

#include "nvg-window.h"

G_BEGIN_DECLS

/* Does nothing unless NVG_VIEWER_STATS is "1". Call before the window is realized; the
 * measurement goes with the window. */
void nvg_viewer_stats_attach(NvgWindow *window);

G_END_DECLS

#endif
