/* NvgPacketStore: see nvg-packet-store.h.
 *
 * Every record gets an absolute number a (0, 1, 2, ... in arrival order) and lives in ring slot
 * a % capacity while a >= appended - capacity. Unsorted, the model is `vis`, a deque (same
 * capacity) of the absolute numbers of live records that pass the filter. Sorted, it is `perm`:
 * the same numbers in sort order (vis is then not kept up to date).
 *
 * A sort: the main thread copies the keys of the rows shown (32 bytes a row, ~5 ms for 200k),
 * a GTask thread sorts the copy, and the main thread applies it: it drops the rows that left
 * the ring meanwhile and merges in those that came. While sorted, a batch is merged in the same
 * way: its keys sorted, each placed by binary search (keys of the sorted rows are made on the
 * fly from the ring), one pass of memcpy into the other perm buffer. */
#include "nvg-packet-store.h"

#include "nvg-packet-item.h"

#define REPLACE_CHUNK 512u /* rows per items-changed when every row is replaced */

struct _NvgPacketStore {
    GObject parent_instance;
    const struct nvg_sensor_names *names;
    guint cap;
    struct nvg_view_rec *ring;
    guint64 appended; /* next absolute number */
    guint64 floor;    /* records below this were cleared */
    guint64 *vis;
    guint vis_head, vis_len;
    struct nvg_filter filter;
    gboolean filtering;

    /* sorted view */
    int sort_column; /* applied: NVG_COL_NONE = vis is the model */
    gboolean descending;
    guint64 *perm, *perm_spare; /* capacity each */
    guint perm_len;
    struct nvg_sort_key *batch_keys; /* scratch for a batch's keys, grown on demand */
    guint batch_keys_cap;
    struct nvg_sensor_ranks ranks;
    guint n_sensor_ids; /* ids below this have been seen (ranks cover them) */

    /* the sort in progress (one at a time; a newer request makes the older one stale) */
    gboolean sorting;
    int want_column;
    gboolean want_descending;
    guint generation;
    struct nvg_packet_store_sort_timing timing;
};

enum { SIGNAL_REORDER, SIGNAL_SORT_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void list_model_iface_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(NvgPacketStore, nvg_packet_store, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_iface_init))

static GType get_item_type(GListModel *model)
{
    return NVG_TYPE_PACKET_ITEM;
}

static inline gboolean sorted(NvgPacketStore *self)
{
    return self->sort_column != NVG_COL_NONE;
}

static inline guint n_shown(NvgPacketStore *self)
{
    return sorted(self) ? self->perm_len : self->vis_len;
}

static guint get_n_items(GListModel *model)
{
    return n_shown(NVG_PACKET_STORE(model));
}

static inline guint64 vis_at(NvgPacketStore *self, guint pos)
{
    return self->vis[(self->vis_head + pos) % self->cap];
}

/* The absolute number of the row at a model position (< n_shown). */
static inline guint64 abs_at(NvgPacketStore *self, guint pos)
{
    return sorted(self) ? self->perm[pos] : vis_at(self, pos);
}

static gpointer get_item(GListModel *model, guint position)
{
    NvgPacketStore *self = NVG_PACKET_STORE(model);
    if (position >= n_shown(self))
        return NULL;
    guint64 a = abs_at(self, position);
    const struct nvg_view_rec *r = &self->ring[a % self->cap];
    return nvg_packet_item_new(r, nvg_sensor_names_get(self->names, r->sensor), a + 1);
}

static void list_model_iface_init(GListModelInterface *iface)
{
    iface->get_item_type = get_item_type;
    iface->get_n_items = get_n_items;
    iface->get_item = get_item;
}

static void nvg_packet_store_finalize(GObject *object)
{
    NvgPacketStore *self = NVG_PACKET_STORE(object);
    g_free(self->ring);
    g_free(self->vis);
    g_free(self->perm);
    g_free(self->perm_spare);
    g_free(self->batch_keys);
    G_OBJECT_CLASS(nvg_packet_store_parent_class)->finalize(object);
}

static void nvg_packet_store_class_init(NvgPacketStoreClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = nvg_packet_store_finalize;
    signals[SIGNAL_REORDER] = g_signal_new("reorder", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
    signals[SIGNAL_SORT_CHANGED] =
        g_signal_new("sort-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
}

static void nvg_packet_store_init(NvgPacketStore *self)
{
    nvg_filter_init(&self->filter);
    self->sort_column = self->want_column = NVG_COL_NONE;
}

NvgPacketStore *nvg_packet_store_new(guint capacity, const struct nvg_sensor_names *names)
{
    NvgPacketStore *self = g_object_new(NVG_TYPE_PACKET_STORE, NULL);
    self->cap = capacity ? capacity : NVG_PACKET_STORE_DEFAULT_CAPACITY;
    self->names = names;
    self->ring = g_new0(struct nvg_view_rec, self->cap);
    self->vis = g_new0(guint64, self->cap);
    self->perm = g_new0(guint64, self->cap);
    self->perm_spare = g_new0(guint64, self->cap);
    return self;
}

guint nvg_packet_store_get_capacity(NvgPacketStore *self)
{
    return self->cap;
}

static inline gboolean passes(NvgPacketStore *self, const struct nvg_view_rec *r)
{
    return !self->filtering ||
           nvg_filter_match(&self->filter, nvg_sensor_names_get(self->names, r->sensor), &r->pkt);
}

static guint64 oldest_live(NvgPacketStore *self, guint64 appended)
{
    guint64 lo = appended > self->cap ? appended - self->cap : 0;
    return MAX(lo, self->floor);
}

/* Every row of the model replaced at once; "reorder" lets the page keep its selection (a
 * selection model looks for its item among the added rows: 200k get_item calls). */
static void replace_all(NvgPacketStore *self, guint old_n)
{
    guint n = n_shown(self);
    if (!old_n && !n)
        return;
    g_signal_emit(self, signals[SIGNAL_REORDER], 0, FALSE);
    /* GTK 4.8's list item manager looks for the items of the row widgets a change removed
     * among all the items it adds (a get_item() each: 60-70 ms for 200k rows). In chunks, only
     * the chunks over the rows on screen pay that, and only for their REPLACE_CHUNK rows. The
     * length changes first (at the end) so that n_items is right for every signal after it. */
    guint common = MIN(old_n, n);
    if (old_n != n)
        g_list_model_items_changed(G_LIST_MODEL(self), common, old_n - common, n - common);
    for (guint pos = 0; pos < common; pos += REPLACE_CHUNK) {
        guint len = MIN(REPLACE_CHUNK, common - pos);
        g_list_model_items_changed(G_LIST_MODEL(self), pos, len, len);
    }
    g_signal_emit(self, signals[SIGNAL_REORDER], 0, TRUE);
}

/* ---- sorted rows -------------------------------------------------------------------------- */

static void key_of(NvgPacketStore *self, guint64 a, struct nvg_sort_key *key)
{
    nvg_sort_key_make(key, self->sort_column, &self->ring[a % self->cap], &self->ranks, a);
}

/* New sensor ids re-rank the names (the relative order of the others stays, so the sorted rows
 * stay sorted). */
static void note_sensors(NvgPacketStore *self, guint64 first, guint64 end)
{
    guint n = self->n_sensor_ids;
    for (guint64 a = first; a < end; a++)
        n = MAX(n, (guint)self->ring[a % self->cap].sensor + 1u);
    if (n != self->n_sensor_ids) {
        self->n_sensor_ids = n;
        nvg_sensor_ranks_update(&self->ranks, self->names, n);
    }
}

/* Drop the sorted rows whose records left the ring (< lo); the order stays. */
static guint perm_drop_below(NvgPacketStore *self, guint64 lo)
{
    guint out = 0;
    for (guint i = 0; i < self->perm_len; i++)
        if (self->perm[i] >= lo)
            self->perm[out++] = self->perm[i];
    guint dropped = self->perm_len - out;
    self->perm_len = out;
    return dropped;
}

static struct nvg_sort_key *batch_keys(NvgPacketStore *self, guint n)
{
    if (n > self->batch_keys_cap) {
        self->batch_keys_cap = MAX(n, MIN(self->cap, 4096u));
        self->batch_keys = g_renew(struct nvg_sort_key, self->batch_keys, self->batch_keys_cap);
    }
    return self->batch_keys;
}

/* First position in perm[lo..hi) whose row sorts after key. */
static guint upper_bound(NvgPacketStore *self, guint lo, guint hi, const struct nvg_sort_key *key)
{
    struct nvg_sort_key k;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        key_of(self, self->perm[mid], &k);
        if (nvg_sort_key_cmp(&k, key, self->descending) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Merge the records [first, end) that pass the filter into the sorted rows. TRUE if any. */
static gboolean perm_merge(NvgPacketStore *self, guint64 first, guint64 end)
{
    struct nvg_sort_key *keys = batch_keys(self, (guint)(end - first));
    guint k = 0;
    for (guint64 a = first; a < end; a++)
        if (passes(self, &self->ring[a % self->cap]))
            key_of(self, a, &keys[k++]);
    if (!k)
        return FALSE;
    nvg_sort_keys(keys, k, self->descending);
    guint64 *out = self->perm_spare;
    guint i = 0, o = 0;
    for (guint j = 0; j < k; j++) {
        guint at = upper_bound(self, i, self->perm_len, &keys[j]);
        memcpy(out + o, self->perm + i, (at - i) * sizeof(*out));
        o += at - i;
        i = at;
        out[o++] = keys[j].abs;
    }
    memcpy(out + o, self->perm + i, (self->perm_len - i) * sizeof(*out));
    o += self->perm_len - i;
    self->perm_spare = self->perm;
    self->perm = out;
    self->perm_len = o;
    return TRUE;
}

static void append_sorted(NvgPacketStore *self, guint64 first, guint64 lo)
{
    guint old_n = self->perm_len;
    gboolean changed = perm_drop_below(self, lo) > 0;
    changed = perm_merge(self, first, self->appended) || changed;
    if (changed)
        replace_all(self, old_n);
}

/* ---- appending ---------------------------------------------------------------------------- */

static void append_unsorted(NvgPacketStore *self, guint64 first, guint removed)
{
    if (removed)
        g_list_model_items_changed(G_LIST_MODEL(self), 0, removed, 0);

    /* matching new records join the back */
    guint start = self->vis_len, added = 0;
    for (guint64 a = first; a < self->appended; a++) {
        if (!passes(self, &self->ring[a % self->cap]))
            continue;
        self->vis[(self->vis_head + self->vis_len) % self->cap] = a;
        self->vis_len++;
        added++;
    }
    if (added)
        g_list_model_items_changed(G_LIST_MODEL(self), start, 0, added);
}

void nvg_packet_store_append(NvgPacketStore *self, const struct nvg_view_rec *recs, guint n)
{
    g_return_if_fail(NVG_IS_PACKET_STORE(self));
    if (n == 0)
        return;
    guint skip = n > self->cap ? n - self->cap : 0;
    guint64 after = self->appended + n;
    guint64 lo = oldest_live(self, after);

    /* 1. rows whose records the batch overwrites leave the front of vis (sorted: of perm) */
    guint removed = 0;
    while (removed < self->vis_len && vis_at(self, removed) < lo)
        removed++;
    self->vis_head = (self->vis_head + removed) % self->cap;
    self->vis_len -= removed;

    /* 2. the ring takes the batch; only slots of records older than lo are overwritten */
    for (guint i = skip; i < n; i++)
        self->ring[(self->appended + i) % self->cap] = recs[i];
    guint64 first = self->appended + skip;
    self->appended = after;
    note_sensors(self, first, after);

    /* 3. the model: new rows at the back, or merged into the sorted rows */
    if (sorted(self))
        append_sorted(self, first, lo);
    else
        append_unsorted(self, first, removed);
}

static void rescan(NvgPacketStore *self)
{
    self->vis_head = 0;
    self->vis_len = 0;
    for (guint64 a = oldest_live(self, self->appended); a < self->appended; a++)
        if (passes(self, &self->ring[a % self->cap]))
            self->vis[self->vis_len++] = a;
}

/* Back to arrival order; the sort in progress, if any, goes on. */
static void unsort(NvgPacketStore *self)
{
    guint old_n = n_shown(self);
    self->sort_column = NVG_COL_NONE;
    self->perm_len = 0;
    rescan(self);
    replace_all(self, old_n);
}

void nvg_packet_store_set_filter(NvgPacketStore *self, const struct nvg_filter *filter)
{
    g_return_if_fail(NVG_IS_PACKET_STORE(self));
    if (filter)
        self->filter = *filter;
    else
        nvg_filter_init(&self->filter);
    const struct nvg_filter *f = &self->filter;
    self->filtering = f->proto >= 0 || f->port >= 0 || f->src.set || f->dst.set || f->sensor[0];
    /* sorted: arrival order until the rows the new filter lets through are sorted again */
    int column = self->sorting ? self->want_column : self->sort_column;
    gboolean desc = self->sorting ? self->want_descending : self->descending;
    if (sorted(self)) {
        unsort(self);
    } else {
        guint old_n = self->vis_len;
        rescan(self);
        if (old_n || self->vis_len)
            g_list_model_items_changed(G_LIST_MODEL(self), 0, old_n, self->vis_len);
    }
    if (column != NVG_COL_NONE)
        nvg_packet_store_set_sort(self, column, desc);
}

void nvg_packet_store_clear(NvgPacketStore *self)
{
    g_return_if_fail(NVG_IS_PACKET_STORE(self));
    guint old_n = n_shown(self);
    self->floor = self->appended;
    self->perm_len = 0;
    self->vis_head = self->vis_len = 0;
    if (old_n)
        g_list_model_items_changed(G_LIST_MODEL(self), 0, old_n, 0);
}

const struct nvg_view_rec *nvg_packet_store_peek(NvgPacketStore *self, guint position)
{
    if (position >= n_shown(self))
        return NULL;
    return &self->ring[abs_at(self, position) % self->cap];
}

guint nvg_packet_store_find(NvgPacketStore *self, guint64 number)
{
    if (number == 0 || number > self->appended || number - 1 < oldest_live(self, self->appended))
        return G_MAXUINT;
    guint64 a = number - 1;
    if (sorted(self)) {
        for (guint i = 0; i < self->perm_len; i++)
            if (self->perm[i] == a)
                return i;
        return G_MAXUINT;
    }
    guint lo = 0, hi = self->vis_len; /* vis is in arrival order */
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (vis_at(self, mid) < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->vis_len && vis_at(self, lo) == a ? lo : G_MAXUINT;
}

void nvg_packet_store_get_counts(NvgPacketStore *self, struct nvg_packet_store_counts *c)
{
    guint64 lo = oldest_live(self, self->appended);
    c->appended = self->appended;
    c->in_ring = (guint)(self->appended - lo);
    c->overwritten = self->appended - c->in_ring;
    c->shown = n_shown(self);
}

/* ---- sorting ------------------------------------------------------------------------------ */

struct sort_job {
    guint generation;
    gboolean descending;
    struct nvg_sort_key *keys;
    guint n;
    guint64 snapshot_end; /* records from here on came after the keys were taken */
    gint64 t0, sorted_us;
};

static void sort_job_free(gpointer data)
{
    struct sort_job *job = data;
    g_free(job->keys);
    g_free(job);
}

static void sort_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
    struct sort_job *job = data;
    gint64 t = g_get_monotonic_time();
    nvg_sort_keys(job->keys, job->n, job->descending);
    job->sorted_us = g_get_monotonic_time() - t;
    g_task_return_boolean(task, TRUE);
}

static void sort_done(GObject *source, GAsyncResult *res, gpointer unused)
{
    NvgPacketStore *self = NVG_PACKET_STORE(source);
    struct sort_job *job = g_task_get_task_data(G_TASK(res));
    if (job->generation != self->generation)
        return; /* a newer request (or an unsort) replaced it */
    gint64 t = g_get_monotonic_time();
    guint old_n = n_shown(self);
    guint64 lo = oldest_live(self, self->appended);
    self->sort_column = self->want_column;
    self->descending = self->want_descending;
    self->perm_len = 0;
    for (guint i = 0; i < job->n; i++)
        if (job->keys[i].abs >= lo)
            self->perm[self->perm_len++] = job->keys[i].abs;
    perm_merge(self, MAX(job->snapshot_end, lo), self->appended);
    self->vis_head = self->vis_len = 0; /* not kept while sorted */
    self->sorting = FALSE;
    replace_all(self, old_n);
    gint64 now = g_get_monotonic_time();
    self->timing.rows = self->perm_len;
    self->timing.apply_us = now - t;
    self->timing.thread_us = job->sorted_us;
    self->timing.total_us = now - job->t0;
    g_signal_emit(self, signals[SIGNAL_SORT_CHANGED], 0);
}

static void start_sort(NvgPacketStore *self)
{
    gint64 t0 = g_get_monotonic_time();
    struct sort_job *job = g_new0(struct sort_job, 1);
    job->generation = ++self->generation;
    job->descending = self->want_descending;
    job->t0 = t0;
    job->snapshot_end = self->appended;
    guint n = n_shown(self);
    job->keys = g_new(struct nvg_sort_key, MAX(n, 1u));
    for (guint i = 0; i < n; i++) {
        guint64 a = abs_at(self, i);
        nvg_sort_key_make(&job->keys[i], self->want_column, &self->ring[a % self->cap],
                          &self->ranks, a);
    }
    job->n = n;
    self->timing.snapshot_us = g_get_monotonic_time() - t0;
    GTask *task = g_task_new(self, NULL, sort_done, NULL);
    g_task_set_task_data(task, job, sort_job_free);
    g_task_run_in_thread(task, sort_in_thread);
    g_object_unref(task);
}

void nvg_packet_store_set_sort(NvgPacketStore *self, int column, gboolean descending)
{
    g_return_if_fail(NVG_IS_PACKET_STORE(self));
    g_return_if_fail(column >= NVG_COL_NONE && column < NVG_N_PACKET_COLUMNS);
    self->want_column = column;
    self->want_descending = descending;
    if (column == NVG_COL_NONE) {
        self->generation++; /* a sort in progress is stale */
        self->sorting = FALSE;
        if (sorted(self))
            unsort(self);
    } else {
        /* the keys are taken from the rows shown, whatever their order */
        self->sorting = TRUE;
        start_sort(self);
    }
    g_signal_emit(self, signals[SIGNAL_SORT_CHANGED], 0);
}

int nvg_packet_store_get_sort(NvgPacketStore *self, gboolean *descending, gboolean *sorting)
{
    if (descending)
        *descending = self->sorting ? self->want_descending : self->descending;
    if (sorting)
        *sorting = self->sorting;
    return self->sorting ? self->want_column : self->sort_column;
}

void nvg_packet_store_get_sort_timing(NvgPacketStore *self,
                                      struct nvg_packet_store_sort_timing *timing)
{
    *timing = self->timing;
}
