#include "nvg-pcap-export.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "nvg-application.h"
#include "nvg-format.h"
#include "nvg-packet-item.h"
#include "nvg-packet-store.h"
#include "nvg-view-filter.h"
#include "nvg-window.h"

#define PROGRESS_MS 400
#define ERROR_TEXT_MAX 300 /* characters of ctl's message in a toast */
#define CTL_EXIT_NOT_ALLOWED 5
#define STATE_KEY "nvg-pcap-export"

/* ---- the request from the page ----------------------------------------------------------- */

/* The display filter as applied, compiled again from its text form (the page only keeps a
 * filter that compiled). */
static void page_filter(NvgPacketsPage *page, struct nvg_filter *f)
{
    g_autofree char *spec = nvg_packets_page_dup_filter_spec(page);
    struct nvg_view_fields fields;
    nvg_filter_init(f);
    if (nvg_view_fields_parse(spec, &fields) == 0)
        nvg_view_filter_compile(&fields, f);
}

typedef void (*row_fn)(const char *sensor, gint64 ts_ns, gpointer data);

/* Every row shown: straight from the ring when the model is the store (no item per row). */
static void for_each_row(NvgPacketsPage *page, row_fn fn, gpointer data)
{
    GListModel *m = nvg_packets_page_get_model(page);
    guint n = g_list_model_get_n_items(m);
    if (NVG_IS_PACKET_STORE(m)) {
        const struct nvg_sensor_names *names = NULL;
        g_object_get(page, "sensor-names", &names, NULL);
        for (guint i = 0; i < n; i++) {
            const struct nvg_view_rec *r = nvg_packet_store_peek(NVG_PACKET_STORE(m), i);
            fn(nvg_sensor_names_get(names, r->sensor), r->pkt.ts_ns, data);
        }
        return;
    }
    for (guint i = 0; i < n; i++) {
        g_autoptr(NvgPacketItem) item = g_list_model_get_item(m, i);
        fn(nvg_packet_item_get_sensor(item), nvg_packet_item_get_pkt(item)->ts_ns, data);
    }
}

struct sensors_seen {
    const char *first; /* interned: lives as long as the names */
    gboolean several;
};

static void see_sensor(const char *sensor, gint64 ts_ns, gpointer data)
{
    struct sensors_seen *s = data;
    if (!s->first)
        s->first = sensor;
    else if (s->first != sensor && strcmp(s->first, sensor) != 0)
        s->several = TRUE;
}

static void widen_span(const char *sensor, gint64 ts_ns, gpointer data)
{
    struct nvg_pcap_span *span = data;
    if (strcmp(sensor, span->sensor) != 0)
        return;
    span->from_ns = MIN(span->from_ns, ts_ns);
    span->to_ns = MAX(span->to_ns, ts_ns);
    span->rows++;
}

/* The display filter's sensor, the selector's, else the one sensor of the rows shown. */
static gboolean choose_sensor(NvgPacketsPage *page, const struct nvg_filter *f,
                              struct nvg_pcap_span *span, char **why)
{
    const char *chosen = f->sensor[0] ? f->sensor : nvg_page_get_sensor(NVG_PAGE(page));
    struct sensors_seen seen = {NULL, FALSE};
    if (!chosen[0]) {
        for_each_row(page, see_sensor, &seen);
        chosen = seen.first ? seen.first : "";
    }
    if (seen.several) {
        *why = g_strdup("The rows shown come from several sensors, and packets come from one "
                        "sensor's ring: select a row, or choose the sensor in the header bar");
        return FALSE;
    }
    if (!chosen[0]) {
        *why = g_strdup("No packets are shown");
        return FALSE;
    }
    g_strlcpy(span->sensor, chosen, sizeof(span->sensor));
    return TRUE;
}

gboolean nvg_pcap_span_from_page(NvgPacketsPage *page, struct nvg_pcap_span *span, char **why)
{
    memset(span, 0, sizeof(*span));
    struct nvg_filter f;
    page_filter(page, &f);
    nvg_pcap_bpf_from_filter(&f, span->bpf, sizeof(span->bpf));
    NvgPacketItem *sel = nvg_packets_page_get_selected_item(page);
    if (sel) {
        g_strlcpy(span->sensor, nvg_packet_item_get_sensor(sel), sizeof(span->sensor));
        span->from_ns = span->to_ns = nvg_packet_item_get_pkt(sel)->ts_ns;
        span->rows = 1;
        span->selected = TRUE;
        return TRUE;
    }
    if (!choose_sensor(page, &f, span, why))
        return FALSE;
    span->from_ns = G_MAXINT64;
    span->to_ns = G_MININT64;
    for_each_row(page, widen_span, span);
    if (!span->rows) {
        *why = g_strdup_printf("No packets of %s are shown", span->sensor);
        return FALSE;
    }
    return TRUE;
}

/* ---- where the extraction goes --------------------------------------------------------- */

/* The collector of a sensor as the list names it, and the name its collector knows. */
struct target {
    char *control_ep, *collector_key, *sensor; /* collector_key NULL: ctl's default */
};

static void target_clear(struct target *t)
{
    g_free(t->control_ep);
    g_free(t->collector_key);
    g_free(t->sensor);
}

static gboolean find_target(const struct nvg_viewer_config *cfg, const char *shown,
                            struct target *t, char **why)
{
    memset(t, 0, sizeof(*t));
    const char *slash = strchr(shown, '/');
    if (!cfg->collectors || !slash) {
        t->control_ep = g_strdup(cfg->control_ep);
        t->collector_key = g_strdup(cfg->collector_key_path);
        t->sensor = g_strdup(shown);
        return TRUE; /* the configuration always has an endpoint (localhost by default) */
    }
    g_autofree char *label = g_strndup(shown, (gsize)(slash - shown));
    for (guint i = 0; cfg->collectors[i]; i++) {
        g_autofree char *l = NULL, *feed = NULL, *control = NULL;
        if (!nvg_viewer_config_parse_collector(cfg->collectors[i], &l, &feed, &control, NULL) ||
            strcmp(l, label) != 0)
            continue;
        gboolean dir =
            cfg->collector_key_path && g_file_test(cfg->collector_key_path, G_FILE_TEST_IS_DIR);
        t->control_ep = g_steal_pointer(&control);
        t->collector_key = dir ? g_strdup_printf("%s/%s.key", cfg->collector_key_path, label)
                               : g_strdup(cfg->collector_key_path);
        t->sensor = g_strdup(slash + 1);
        return TRUE;
    }
    *why = g_strdup_printf("No collector %s among the viewer's", label);
    return FALSE;
}

/* netvigil-ctl next to our own executable (an installed pair), else in PATH. */
static char *find_ctl(void)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe) {
        g_autofree char *dir = g_path_get_dirname(exe);
        char *p = g_build_filename(dir, "netvigil-ctl", NULL);
        if (g_file_test(p, G_FILE_TEST_IS_EXECUTABLE))
            return p;
        g_free(p);
    }
    return g_find_program_in_path("netvigil-ctl");
}

/* Seconds since the epoch with nine decimals: ctl's --from / --to read them to the ns. */
static char *epoch_arg(gint64 ns)
{
    return g_strdup_printf("%" G_GINT64_FORMAT ".%09d", ns / G_GINT64_CONSTANT(1000000000),
                           (int)(ns % G_GINT64_CONSTANT(1000000000)));
}

/* ctl's options first, then "--": a sensor name is never taken for an option. */
static GPtrArray *ctl_argv(const char *ctl, const struct target *t, const char *key, gint64 from_ns,
                           gint64 to_ns, const char *bpf, const char *path)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(a, g_strdup(ctl));
    g_ptr_array_add(a, g_strdup("--control-endpoint"));
    g_ptr_array_add(a, g_strdup(t->control_ep));
    if (key) {
        g_ptr_array_add(a, g_strdup("--key"));
        g_ptr_array_add(a, g_strdup(key));
    }
    if (t->collector_key) {
        g_ptr_array_add(a, g_strdup("--collector-key"));
        g_ptr_array_add(a, g_strdup(t->collector_key));
    }
    g_ptr_array_add(a, g_strdup("--json"));
    g_ptr_array_add(a, g_strdup("--from"));
    g_ptr_array_add(a, epoch_arg(from_ns));
    g_ptr_array_add(a, g_strdup("--to"));
    g_ptr_array_add(a, epoch_arg(to_ns));
    if (bpf && *bpf) {
        g_ptr_array_add(a, g_strdup("--filter"));
        g_ptr_array_add(a, g_strdup(bpf));
    }
    g_ptr_array_add(a, g_strdup("-o"));
    g_ptr_array_add(a, g_strdup(path));
    g_ptr_array_add(a, g_strdup("--"));
    g_ptr_array_add(a, g_strdup("pcap"));
    g_ptr_array_add(a, g_strdup(t->sensor));
    g_ptr_array_add(a, NULL);
    return a;
}

/* ---- one extraction ---------------------------------------------------------------------- */

struct pcap_state;

struct job {
    struct pcap_state *state; /* NULL once the application went */
    GSubprocess *proc;
    GCancellable *cancel;
    char *sensor, *path, *part;
    char *tmpdir; /* Open in Wireshark: the temporary directory of path; else NULL */
    guint progress_id;
    goffset reported;
};

struct pcap_state {
    GtkApplication *app; /* borrowed: the state is the application's data */
    struct job *job;     /* the one running, or NULL */
    gboolean wireshark;  /* in PATH at startup */
};

static void say(GtkApplication *app, gboolean log, const char *text)
{
    if (log)
        g_message("pcap: %s", text);
    else
        g_info("pcap: %s", text);
    GtkWindow *w = app ? gtk_application_get_active_window(app) : NULL;
    if (w && NVG_IS_WINDOW(w))
        gtk_widget_activate_action(GTK_WIDGET(w), "window.toast", "s", text);
}

static void remove_temp(const char *path, const char *dir)
{
    if (path)
        g_unlink(path);
    if (dir)
        g_rmdir(dir);
}

static void job_free(struct job *j)
{
    g_clear_handle_id(&j->progress_id, g_source_remove);
    g_clear_object(&j->proc);
    g_clear_object(&j->cancel);
    g_free(j->sensor);
    g_free(j->path);
    g_free(j->part);
    g_free(j->tmpdir);
    g_free(j);
}

static gboolean on_progress(gpointer data)
{
    struct job *j = data;
    GStatBuf st;
    if (j->state && g_stat(j->part, &st) == 0 && st.st_size != j->reported) {
        j->reported = st.st_size;
        g_autofree char *size = g_format_size((guint64)st.st_size);
        g_autofree char *text = g_strdup_printf("Extracting packets from %s… %s", j->sensor, size);
        say(j->state->app, FALSE, text);
    }
    return G_SOURCE_CONTINUE;
}

/* ctl's last line of stderr without its "netvigil-ctl: " prefix, valid UTF-8, bounded. */
static char *ctl_error(const char *err)
{
    g_auto(GStrv) lines = g_strsplit(err ? err : "", "\n", -1);
    const char *last = "";
    for (guint i = 0; lines[i]; i++)
        if (*g_strstrip(lines[i]))
            last = lines[i];
    if (g_str_has_prefix(last, "netvigil-ctl: "))
        last += strlen("netvigil-ctl: ");
    g_autofree char *valid = g_utf8_make_valid(last, -1);
    return g_utf8_substring(valid, 0, MIN(g_utf8_strlen(valid, -1), ERROR_TEXT_MAX));
}

static guint64 json_number(const char *json, const char *key)
{
    g_autofree char *k = g_strdup_printf("\"%s\":", key);
    const char *p = json ? strstr(json, k) : NULL;
    return p ? g_ascii_strtoull(p + strlen(k), NULL, 10) : 0;
}

static void on_wireshark_exit(GObject *proc, GAsyncResult *res, gpointer data)
{
    char **files = data; /* path, directory */
    g_subprocess_wait_finish(G_SUBPROCESS(proc), res, NULL);
    remove_temp(files[0], files[1]);
    g_strfreev(files);
}

static void launch_wireshark(struct job *j)
{
    const char *argv[] = {"wireshark", "-r", j->path, NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) ws = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_NONE, &error);
    if (!ws) {
        g_autofree char *text = g_strdup_printf("Cannot start Wireshark: %s", error->message);
        say(j->state->app, TRUE, text);
        remove_temp(j->path, j->tmpdir);
        return;
    }
    g_message("pcap: wireshark -r %s (pid %s)", j->path, g_subprocess_get_identifier(ws));
    char **files = g_new0(char *, 3);
    files[0] = g_strdup(j->path);
    files[1] = g_strdup(j->tmpdir);
    g_subprocess_wait_async(ws, NULL, on_wireshark_exit, files);
}

static void report_failure(struct job *j, int status, const char *err)
{
    g_autofree char *why = ctl_error(err);
    g_autofree char *text =
        status == CTL_EXIT_NOT_ALLOWED
            ? g_strdup_printf("Not allowed: extracting packets takes an admin key (%s)", why)
            : g_strdup_printf("No packets saved from %s: %s", j->sensor,
                              *why ? why : "netvigil-ctl failed");
    say(j->state->app, TRUE, text);
}

static void on_ctl_done(GObject *proc, GAsyncResult *res, gpointer data)
{
    struct job *j = data;
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(GError) error = NULL;
    gboolean ran =
        g_subprocess_communicate_utf8_finish(G_SUBPROCESS(proc), res, &out, &err, &error);
    g_clear_handle_id(&j->progress_id, g_source_remove);
    int status =
        ran && g_subprocess_get_if_exited(j->proc) ? g_subprocess_get_exit_status(j->proc) : -1;
    g_unlink(j->part); /* left only by a ctl that was killed */
    if (!j->state) {
        remove_temp(j->tmpdir ? j->path : NULL, j->tmpdir);
        job_free(j);
        return;
    }
    j->state->job = NULL;
    if (status == 0) {
        g_autofree char *size = g_format_size(json_number(out, "bytes"));
        g_autofree char *text = g_strdup_printf(
            "%s %" G_GUINT64_FORMAT " frames (%s) from %s%s%s", j->tmpdir ? "Opening" : "Saved",
            json_number(out, "frames"), size, j->sensor, j->tmpdir ? " in Wireshark" : " to ",
            j->tmpdir ? "" : j->path);
        say(j->state->app, TRUE, text);
        if (j->tmpdir)
            launch_wireshark(j);
    } else {
        report_failure(j, status, ran ? err : error->message);
        remove_temp(j->tmpdir ? j->path : NULL, j->tmpdir);
    }
    job_free(j);
}

/* Starts `netvigil-ctl pcap` for the request; tmpdir (taken) for Wireshark's temporary file. */
static void start_job(struct pcap_state *st, const char *sensor, gint64 from_ns, gint64 to_ns,
                      const char *bpf, const char *path, char *tmpdir)
{
    const struct nvg_viewer_config *cfg = nvg_application_get_config(NVG_APPLICATION(st->app));
    g_autofree char *ctl = find_ctl(), *why = NULL;
    struct target t;
    g_autoptr(GError) error = NULL;
    GSubprocess *proc = NULL;
    if (st->job)
        why = g_strdup("An extraction is running already");
    else if (!ctl)
        why = g_strdup("netvigil-ctl is neither next to the viewer nor in PATH");
    if (!why && find_target(cfg, sensor, &t, &why)) {
        /* the key given or remembered; none: ctl finds the default one, as the viewer did */
        g_autoptr(GPtrArray) argv = ctl_argv(ctl, &t, cfg->key_path, from_ns, to_ns, bpf, path);
        proc = g_subprocess_newv((const char *const *)argv->pdata,
                                 G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                 &error);
        target_clear(&t);
        if (!proc)
            why = g_strdup_printf("Cannot run %s: %s", ctl, error->message);
    }
    if (why) {
        say(st->app, TRUE, why);
        remove_temp(NULL, tmpdir);
        g_free(tmpdir);
        return;
    }
    struct job *j = g_new0(struct job, 1);
    *j = (struct job){st,
                      proc,
                      g_cancellable_new(),
                      g_strdup(sensor),
                      g_strdup(path),
                      g_strdup_printf("%s.part", path),
                      tmpdir,
                      0,
                      (goffset)-1};
    st->job = j;
    g_subprocess_communicate_utf8_async(proc, NULL, j->cancel, on_ctl_done, j);
    j->progress_id = g_timeout_add(PROGRESS_MS, on_progress, j);
    char from[32], to[32];
    nvg_format_time_iso(from, from_ns);
    nvg_format_time_iso(to, to_ns);
    g_autofree char *text = g_strdup_printf("Extracting packets from %s, %s to %s%s%s…", sensor,
                                            from, to, *bpf ? ", BPF " : "", bpf);
    say(st->app, TRUE, text);
}

/* ---- actions ----------------------------------------------------------------------------- */

static struct pcap_state *state_of(gpointer app)
{
    return g_object_get_data(G_OBJECT(app), STATE_KEY);
}

/* app.save-pcap (sxxss): sensor, from, to, BPF, path. */
static void act_save_pcap(GSimpleAction *a, GVariant *p, gpointer app)
{
    const char *sensor, *bpf, *path;
    gint64 from_ns, to_ns;
    g_variant_get(p, "(&sxx&s&s)", &sensor, &from_ns, &to_ns, &bpf, &path);
    if (!*sensor || from_ns <= 0 || to_ns < from_ns || !*path || strlen(bpf) >= NVG_PCAP_BPF_MAX) {
        g_message("save-pcap: give a sensor, 0 < from <= to (ns since the epoch), a BPF "
                  "expression (at most %d bytes) and a path",
                  NVG_PCAP_BPF_MAX - 1);
        return;
    }
    start_job(state_of(app), sensor, from_ns, to_ns, bpf, path, NULL);
}

static NvgPacketsPage *packets_page(gpointer app)
{
    GtkWindow *w = gtk_application_get_active_window(GTK_APPLICATION(app));
    return w && NVG_IS_WINDOW(w) ? nvg_window_get_packets_page(NVG_WINDOW(w)) : NULL;
}

/* The page's request, or NULL after saying why there is none. */
static gboolean page_span(gpointer app, struct nvg_pcap_span *span)
{
    NvgPacketsPage *page = packets_page(app);
    g_autofree char *why = NULL;
    if (!page)
        return FALSE;
    if (nvg_pcap_span_from_page(page, span, &why))
        return TRUE;
    say(app, TRUE, why);
    return FALSE;
}

/* "web-1-20240728-185841.pcapng": a sensor's LABEL/ becomes LABEL-. */
static char *file_name(const char *sensor)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
    char *name = g_strdup_printf("%s-%s.pcapng", sensor, stamp);
    g_strdelimit(name, "/", '-');
    return name;
}

struct dialog_request {
    GtkApplication *app;
    struct nvg_pcap_span span;
};

static void on_dialog_response(GtkNativeDialog *d, int response, gpointer data)
{
    struct dialog_request *r = data;
    g_autoptr(GFile) file =
        response == GTK_RESPONSE_ACCEPT ? gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d)) : NULL;
    g_autofree char *path = file ? g_file_get_path(file) : NULL;
    if (path && state_of(r->app))
        start_job(state_of(r->app), r->span.sensor, r->span.from_ns, r->span.to_ns, r->span.bpf,
                  path, NULL);
    g_object_unref(r->app);
    g_free(r);
    g_object_unref(d);
}

static void act_save_pcap_dialog(GSimpleAction *a, GVariant *p, gpointer app)
{
    struct dialog_request *r = g_new0(struct dialog_request, 1);
    if (!page_span(app, &r->span)) {
        g_free(r);
        return;
    }
    r->app = g_object_ref(app);
    GtkFileChooserNative *d = gtk_file_chooser_native_new(
        "Save Packets as pcapng", gtk_application_get_active_window(GTK_APPLICATION(app)),
        GTK_FILE_CHOOSER_ACTION_SAVE, "_Save", "_Cancel");
    g_autofree char *name = file_name(r->span.sensor);
    gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(d), name);
    GtkFileFilter *pcapng = gtk_file_filter_new();
    gtk_file_filter_set_name(pcapng, "pcapng files");
    gtk_file_filter_add_pattern(pcapng, "*.pcapng");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d), pcapng);
    g_object_unref(pcapng);
    g_signal_connect(d, "response", G_CALLBACK(on_dialog_response), r);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

static void act_open_wireshark(GSimpleAction *a, GVariant *p, gpointer app)
{
    struct nvg_pcap_span span;
    if (!page_span(app, &span))
        return;
    g_autofree char *tmpl =
        g_build_filename(g_get_user_runtime_dir(), "netvigil-pcap-XXXXXX", NULL);
    if (!g_mkdtemp_full(tmpl, 0700)) {
        int e = errno;
        g_autofree char *text = g_strdup_printf("Cannot create %s: %s", tmpl, g_strerror(e));
        say(app, TRUE, text);
        return;
    }
    g_autofree char *name = file_name(span.sensor);
    g_autofree char *path = g_build_filename(tmpl, name, NULL);
    start_job(state_of(app), span.sensor, span.from_ns, span.to_ns, span.bpf, path,
              g_steal_pointer(&tmpl));
}

static const GActionEntry actions[] = {
    {"save-pcap", act_save_pcap, "(sxxss)", NULL, NULL, {0}},
    {"save-pcap-dialog", act_save_pcap_dialog, NULL, NULL, NULL, {0}},
    {"open-wireshark", act_open_wireshark, NULL, NULL, NULL, {0}},
};

/* The application goes: a running ctl is ended (its FILE.part removed by on_ctl_done, or here
 * when the main loop is gone). */
static void state_free(gpointer data)
{
    struct pcap_state *st = data;
    if (st->job) {
        st->job->state = NULL;
        g_cancellable_cancel(st->job->cancel);
        g_subprocess_force_exit(st->job->proc);
        g_unlink(st->job->part);
        g_clear_handle_id(&st->job->progress_id, g_source_remove);
    }
    g_free(st);
}

void nvg_pcap_export_install(GtkApplication *app)
{
    struct pcap_state *st = g_new0(struct pcap_state, 1);
    st->app = app;
    g_autofree char *ws = g_find_program_in_path("wireshark");
    st->wireshark = ws != NULL;
    g_object_set_data_full(G_OBJECT(app), STATE_KEY, st, state_free);
    g_action_map_add_action_entries(G_ACTION_MAP(app), actions, G_N_ELEMENTS(actions), app);
    GAction *open = g_action_map_lookup_action(G_ACTION_MAP(app), "open-wireshark");
    g_simple_action_set_enabled(G_SIMPLE_ACTION(open), st->wireshark);
}

/* ---- the Packets page's button ------------------------------------------------------------- */

struct _NvgPcapButton {
    GtkWidget parent_instance;
    GtkWidget *menu_button;
};

G_DEFINE_FINAL_TYPE(NvgPcapButton, nvg_pcap_button, GTK_TYPE_WIDGET)

static char *tooltip_text(NvgPcapButton *self)
{
    GtkWidget *page = gtk_widget_get_ancestor(GTK_WIDGET(self), NVG_TYPE_PACKETS_PAGE);
    struct nvg_pcap_span span;
    g_autofree char *why = NULL;
    if (!page || !nvg_pcap_span_from_page(NVG_PACKETS_PAGE(page), &span, &why))
        return g_strdup_printf("Save packets as pcapng, or open them in Wireshark: %s",
                               why ? why : "no packets");
    char from[32], to[32];
    nvg_format_time_iso(from, span.from_ns);
    nvg_format_time_iso(to, span.to_ns);
    g_autofree char *what =
        span.selected
            ? g_strdup_printf("the selected row's frame (%s)", from)
            : g_strdup_printf("the frames of the %u rows shown, %s to %s", span.rows, from, to);
    return g_strdup_printf("Save packets as pcapng, or open them in Wireshark: %s, from the "
                           "pcap ring of sensor %s (it needs --pcap-ring; an admin key).\n"
                           "BPF filter: %s\nThe sensor and time fields choose the sensor and "
                           "the span. %s",
                           what, span.sensor, span.bpf[0] ? span.bpf : "none (every frame)",
                           NVG_PCAP_BPF_NOTE);
}

static gboolean on_query_tooltip(GtkWidget *w, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                                 NvgPcapButton *self)
{
    g_autofree char *text = tooltip_text(self);
    g_debug("pcap button tooltip: %s", text);
    gtk_tooltip_set_text(tooltip, text);
    return TRUE;
}

static GMenuModel *pcap_menu(void)
{
    GMenu *menu = g_menu_new();
    g_menu_append(menu, "_Save Packets as pcapng…", "app.save-pcap-dialog");
    GMenuItem *ws = g_menu_item_new("Open in _Wireshark", "app.open-wireshark");
    g_menu_item_set_attribute(ws, "hidden-when", "s", "action-disabled");
    g_menu_append_item(menu, ws);
    g_object_unref(ws);
    return G_MENU_MODEL(menu);
}

static void nvg_pcap_button_dispose(GObject *object)
{
    NvgPcapButton *self = NVG_PCAP_BUTTON(object);
    g_clear_pointer(&self->menu_button, gtk_widget_unparent);
    G_OBJECT_CLASS(nvg_pcap_button_parent_class)->dispose(object);
}

static void nvg_pcap_button_class_init(NvgPcapButtonClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = nvg_pcap_button_dispose;
    gtk_widget_class_set_layout_manager_type(GTK_WIDGET_CLASS(klass), GTK_TYPE_BIN_LAYOUT);
}

static void nvg_pcap_button_init(NvgPcapButton *self)
{
    self->menu_button = gtk_menu_button_new();
    GtkMenuButton *mb = GTK_MENU_BUTTON(self->menu_button);
    gtk_menu_button_set_icon_name(mb, "document-save-as-symbolic");
    gtk_menu_button_set_always_show_arrow(mb, TRUE);
    g_autoptr(GMenuModel) menu = pcap_menu();
    gtk_menu_button_set_menu_model(mb, menu);
    gtk_widget_set_has_tooltip(self->menu_button, TRUE);
    g_signal_connect(self->menu_button, "query-tooltip", G_CALLBACK(on_query_tooltip), self);
    gtk_widget_set_parent(self->menu_button, GTK_WIDGET(self));
}
