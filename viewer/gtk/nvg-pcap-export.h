/* "Save packets as pcapng…" and "Open in Wireshark": the frames behind the Packets page's
 * rows, from the sensor's pcap ring (sensor --pcap-ring; admin keys only), through
 * `netvigil-ctl pcap` run as a child process with the viewer's collector endpoint and keys.
 *
 * Why a child and not the feed worker's DEALER: ctl already does the whole transfer right
 * (chunk after chunk checked against the first reply, FILE.part mode 0600 renamed when whole,
 * nothing left behind when refused, exit status 5 for "not allowed"), and a child keeps the
 * file writing and a hostile collector's replies out of the viewer's process and threads: the
 * main loop only watches a pipe. ctl is looked for next to the viewer's executable, then in
 * PATH.
 *
 * The request: a selected row gives its sensor and its capture time; without one, the rows
 * shown give the span (first to last capture time of the sensor's rows), the sensor coming
 * from the display filter, the sensor selector, or the rows (when they are all one sensor's).
 * The display filter becomes the BPF expression (nvg-pcap-bpf.h). One extraction at a time;
 * progress (bytes written so far), the result (frames, bytes) and errors show as toasts and
 * in the log.
 *
 * Application actions (D-Bus), added by nvg_pcap_export_install():
 *   app.save-pcap (sxxss)   sensor (as the list names it: LABEL/SENSOR with several
 *                           collectors), from and to (ns since the epoch, both included), BPF
 *                           expression ("" = every frame), output path: extract, no dialog;
 *   app.save-pcap-dialog    the page's request, the file asked for (GtkFileChooserNative);
 *   app.open-wireshark      the page's request into a temporary file (0600, in a 0700
 *                           directory of $XDG_RUNTIME_DIR), then `wireshark -r FILE`, not
 *                           waited for; the file goes when wireshark exits. Disabled (and its
 *                           menu item hidden) when there is no wireshark in PATH at startup. */
#ifndef NVG_PCAP_EXPORT_H
#define NVG_PCAP_EXPORT_H

#include <gtk/gtk.h>

#include "nvg-packets-page.h"
#include "nvg-pcap-bpf.h"
#include "nvg-sensor-names.h"

G_BEGIN_DECLS

/* What the page's rows ask for. */
struct nvg_pcap_span {
    char sensor[NVG_VIEW_NAME_MAX + 1];
    gint64 from_ns, to_ns;
    guint rows; /* rows of the sensor in the span (1: the selected one) */
    gboolean selected;
    char bpf[NVG_PCAP_BPF_MAX];
};

/* The request for page's selected row or shown rows. FALSE with *why (newly allocated, for the
 * person) when there is none: no rows, rows of several sensors and none chosen. */
gboolean nvg_pcap_span_from_page(NvgPacketsPage *page, struct nvg_pcap_span *span, char **why);

/* The actions above, on app (an NvgApplication). */
void nvg_pcap_export_install(GtkApplication *app);

/* NvgPcapButton: the Packets page's menu button ("Save Packets as pcapng…", "Open in
 * Wireshark"); its tooltip says what the page's rows would extract and what of the display
 * filter does not map to BPF. */
#define NVG_TYPE_PCAP_BUTTON (nvg_pcap_button_get_type())
G_DECLARE_FINAL_TYPE(NvgPcapButton, nvg_pcap_button, NVG, PCAP_BUTTON, GtkWidget)

G_END_DECLS

#endif
