/* The viewer's conversations: see nvg-flow-store.h. */
#include "nvg-flow-store.h"

#include <string.h>

/* ---- a row's derived figures ------------------------------------------------------------- */

uint64_t nvg_flow_row_bytes(const struct nvg_flow_row *r)
{
    uint64_t a = r->flow.dir[0].bytes, b = r->flow.dir[1].bytes;
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

double nvg_flow_row_duration(const struct nvg_flow_row *r)
{
    /* as doubles: both times may be anywhere in int64 (nvg_flow_from_pb takes them as sent) */
    double d = ((double)r->flow.last_ns - (double)r->flow.first_ns) / 1e9;
    return d > 0 ? d : 0;
}

double nvg_flow_row_rtt_ms(const struct nvg_flow_row *r)
{
    const unsigned both = NVG_FLOW_HAS_RTT_SERVER | NVG_FLOW_HAS_RTT_CLIENT;
    if ((r->flow.flags & both) != both)
        return -1;
    return ((double)r->flow.rtt_server_ns + (double)r->flow.rtt_client_ns) / 1e6;
}

uint64_t nvg_flow_row_retrans(const struct nvg_flow_row *r)
{
    return (uint64_t)r->flow.dir[0].retransmissions + r->flow.dir[1].retransmissions;
}

/* ---- NvgFlowItem ------------------------------------------------------------------------- */

struct _NvgFlowItem {
    GObject parent_instance;
    struct nvg_flow_row r;
};

G_DEFINE_FINAL_TYPE(NvgFlowItem, nvg_flow_item, G_TYPE_OBJECT)

static void nvg_flow_item_class_init(NvgFlowItemClass *klass)
{
}

static void nvg_flow_item_init(NvgFlowItem *self)
{
}

const struct nvg_flow_row *nvg_flow_item_get(NvgFlowItem *item)
{
    g_return_val_if_fail(NVG_IS_FLOW_ITEM(item), NULL);
    return &item->r;
}

/* ---- NvgFlowStore ------------------------------------------------------------------------ */

/* Rows in a GSequence (oldest first): position lookups, updates in place and removals in
 * O(log n), so thousands of updates a second stay cheap at 20,000 rows. */
struct _NvgFlowStore {
    GObject parent_instance;
    GSequence *rows;  /* NvgFlowItem* */
    GHashTable *keys; /* "sensor/id" -> GSequenceIter* */
    guint capacity;
    guint active;
    guint64 dropped;
};

static void list_model_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(NvgFlowStore, nvg_flow_store, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_init))

static GType get_item_type(GListModel *m)
{
    return NVG_TYPE_FLOW_ITEM;
}

static guint get_n_items(GListModel *m)
{
    return (guint)g_sequence_get_length(NVG_FLOW_STORE(m)->rows);
}

static gpointer get_item(GListModel *m, guint pos)
{
    NvgFlowStore *self = NVG_FLOW_STORE(m);
    if (pos >= (guint)g_sequence_get_length(self->rows))
        return NULL;
    return g_object_ref(g_sequence_get(g_sequence_get_iter_at_pos(self->rows, (gint)pos)));
}

static void list_model_init(GListModelInterface *iface)
{
    iface->get_item_type = get_item_type;
    iface->get_n_items = get_n_items;
    iface->get_item = get_item;
}

static void nvg_flow_store_finalize(GObject *object)
{
    NvgFlowStore *self = NVG_FLOW_STORE(object);
    g_hash_table_unref(self->keys);
    g_sequence_free(self->rows);
    G_OBJECT_CLASS(nvg_flow_store_parent_class)->finalize(object);
}

static void nvg_flow_store_class_init(NvgFlowStoreClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = nvg_flow_store_finalize;
}

static void nvg_flow_store_init(NvgFlowStore *self)
{
    self->rows = g_sequence_new(g_object_unref);
    self->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

NvgFlowStore *nvg_flow_store_new(guint capacity)
{
    NvgFlowStore *self = g_object_new(NVG_TYPE_FLOW_STORE, NULL);
    self->capacity = capacity ? capacity : NVG_FLOW_STORE_DEFAULT_CAPACITY;
    return self;
}

static char *make_key(const char *sensor, uint64_t id)
{
    return g_strdup_printf("%s/%" G_GUINT64_FORMAT, sensor, id);
}

static gboolean ended(const struct nvg_flow_row *r)
{
    return r->flow.end != NVG_FLOW_ACTIVE;
}

/* Unlinks one row without telling the views: the caller says it, in runs. */
static void remove_quiet(NvgFlowStore *self, GSequenceIter *it)
{
    NvgFlowItem *item = g_sequence_get(it);
    if (!ended(&item->r))
        self->active--;
    g_autofree char *key = make_key(item->r.sensor, item->r.flow.id);
    g_hash_table_remove(self->keys, key);
    g_sequence_remove(it);
    self->dropped++;
}

/* Room for k more: the oldest ended conversations go, then the oldest of all. Removed in runs
 * of neighbours, one items-changed a run: a batch at the cap costs the views a few signals. */
static void make_room(NvgFlowStore *self, guint k)
{
    guint len = (guint)g_sequence_get_length(self->rows);
    if (len + k <= self->capacity)
        return;
    guint need = len + k - self->capacity, ended_left = len - self->active;
    guint kept = 0, run = 0; /* rows kept before the run; rows in the run */
    GSequenceIter *it = g_sequence_get_begin_iter(self->rows);
    while (need && ended_left && !g_sequence_iter_is_end(it)) {
        GSequenceIter *next = g_sequence_iter_next(it);
        if (ended(&((NvgFlowItem *)g_sequence_get(it))->r)) {
            remove_quiet(self, it);
            need--, ended_left--, run++;
        } else {
            if (run)
                g_list_model_items_changed(G_LIST_MODEL(self), kept, run, 0);
            run = 0;
            kept++;
        }
        it = next;
    }
    if (run)
        g_list_model_items_changed(G_LIST_MODEL(self), kept, run, 0);
    for (guint i = 0; i < need; i++)
        remove_quiet(self, g_sequence_get_begin_iter(self->rows));
    if (need)
        g_list_model_items_changed(G_LIST_MODEL(self), 0, need, 0);
}

static double rate_of(const struct nvg_flow_row *prev, const struct nvg_flow_row *r)
{
    uint64_t bytes = nvg_flow_row_bytes(r);
    if (prev) {
        uint64_t was = nvg_flow_row_bytes(prev);
        double dt = ((double)r->flow.last_ns - (double)prev->flow.last_ns) / 1e9;
        if (dt > 0 && bytes >= was)
            return (double)(bytes - was) / dt;
    }
    double life = nvg_flow_row_duration(r);
    return life > 0 ? (double)bytes / life : 0;
}

static NvgFlowItem *item_new(const char *sensor, const struct nvg_flow *f,
                             const struct nvg_flow_row *prev, int64_t now_ms)
{
    NvgFlowItem *item = g_object_new(NVG_TYPE_FLOW_ITEM, NULL);
    item->r.flow = *f;
    g_strlcpy(item->r.sensor, sensor, sizeof(item->r.sensor));
    item->r.rate = rate_of(prev, &item->r);
    item->r.seen_ms = now_ms;
    item->r.updates = prev ? prev->updates + 1 : 1;
    return item;
}

static gboolean restarted(const struct nvg_flow_row *old, const struct nvg_flow *f)
{
    return f->export_seq == 0 && f->first_ns != old->flow.first_ns;
}

/* The item that replaces old for f, or NULL when f is no news: not newer than old, or after
 * its end; a restart of the sensor's ids is another conversation. */
static NvgFlowItem *replacement(const struct nvg_flow_row *old, const char *sensor,
                                const struct nvg_flow *f, int64_t now_ms)
{
    if (restarted(old, f))
        return item_new(sensor, f, NULL, now_ms);
    if (ended(old) || f->export_seq <= old->flow.export_seq)
        return NULL;
    return item_new(sensor, f, old, now_ms);
}

static enum nvg_flow_change update(NvgFlowStore *self, GSequenceIter *it, const char *sensor,
                                   const struct nvg_flow *f, int64_t now_ms)
{
    NvgFlowItem *old = g_sequence_get(it);
    NvgFlowItem *item = replacement(&old->r, sensor, f, now_ms);
    if (!item)
        return NVG_FLOW_IGNORED;
    self->active += (guint)!ended(&item->r) - (guint)!ended(&old->r);
    g_sequence_set(it, item); /* unrefs old */
    g_list_model_items_changed(G_LIST_MODEL(self), (guint)g_sequence_iter_get_position(it), 1, 1);
    return NVG_FLOW_UPDATED;
}

/* Appends items (taken) at the end, after making room: one items-changed. */
static void append(NvgFlowStore *self, NvgFlowItem **items, guint n)
{
    if (!n)
        return;
    make_room(self, n);
    guint pos = (guint)g_sequence_get_length(self->rows);
    for (guint i = 0; i < n; i++) {
        const struct nvg_flow_row *r = &items[i]->r;
        GSequenceIter *it = g_sequence_append(self->rows, items[i]);
        g_hash_table_insert(self->keys, make_key(r->sensor, r->flow.id), it);
        if (!ended(r))
            self->active++;
    }
    g_list_model_items_changed(G_LIST_MODEL(self), pos, 0, n);
}

enum nvg_flow_change nvg_flow_store_apply(NvgFlowStore *self, const char *sensor,
                                          const struct nvg_flow *f, int64_t now_ms)
{
    g_return_val_if_fail(NVG_IS_FLOW_STORE(self), NVG_FLOW_IGNORED);
    g_autofree char *key = make_key(sensor, f->id);
    GSequenceIter *it = g_hash_table_lookup(self->keys, key);
    if (it)
        return update(self, it, sensor, f, now_ms);
    NvgFlowItem *item = item_new(sensor, f, NULL, now_ms);
    append(self, &item, 1);
    return NVG_FLOW_ADDED;
}

guint nvg_flow_store_apply_batch(NvgFlowStore *self, const char *sensor, const struct nvg_flow *f,
                                 size_t n, int64_t now_ms)
{
    g_return_val_if_fail(NVG_IS_FLOW_STORE(self), 0);
    GPtrArray *fresh = g_ptr_array_new();
    /* key -> index + 1 in fresh: a batch may carry a new conversation and its update */
    GHashTable *pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint changed = 0;
    for (size_t i = 0; i < n; i++) {
        char *key = make_key(sensor, f[i].id);
        GSequenceIter *it = g_hash_table_lookup(self->keys, key);
        guint idx = GPOINTER_TO_UINT(g_hash_table_lookup(pending, key));
        if (it || idx) {
            g_free(key);
            if (it) {
                changed += update(self, it, sensor, &f[i], now_ms) != NVG_FLOW_IGNORED;
                continue;
            }
            NvgFlowItem *old = fresh->pdata[idx - 1], *item;
            if ((item = replacement(&old->r, sensor, &f[i], now_ms))) {
                fresh->pdata[idx - 1] = item;
                g_object_unref(old);
            }
            continue;
        }
        g_ptr_array_add(fresh, item_new(sensor, &f[i], NULL, now_ms));
        g_hash_table_insert(pending, key, GUINT_TO_POINTER(fresh->len));
    }
    g_hash_table_unref(pending);
    /* more new ones than the store holds: the first of them go (counted) */
    guint skip = fresh->len > self->capacity ? fresh->len - self->capacity : 0;
    for (guint i = 0; i < skip; i++)
        g_object_unref(fresh->pdata[i]);
    self->dropped += skip;
    append(self, (NvgFlowItem **)fresh->pdata + skip, fresh->len - skip);
    changed += fresh->len - skip;
    g_ptr_array_free(fresh, TRUE);
    return changed;
}

NvgFlowItem *nvg_flow_store_lookup(NvgFlowStore *self, const char *sensor, uint64_t id)
{
    g_return_val_if_fail(NVG_IS_FLOW_STORE(self), NULL);
    g_autofree char *key = make_key(sensor, id);
    GSequenceIter *it = g_hash_table_lookup(self->keys, key);
    return it ? g_sequence_get(it) : NULL;
}

void nvg_flow_store_clear(NvgFlowStore *self)
{
    g_return_if_fail(NVG_IS_FLOW_STORE(self));
    guint n = (guint)g_sequence_get_length(self->rows);
    g_hash_table_remove_all(self->keys);
    g_sequence_remove_range(g_sequence_get_begin_iter(self->rows),
                            g_sequence_get_end_iter(self->rows));
    self->active = 0;
    if (n)
        g_list_model_items_changed(G_LIST_MODEL(self), 0, n, 0);
}

guint nvg_flow_store_get_active(NvgFlowStore *self)
{
    g_return_val_if_fail(NVG_IS_FLOW_STORE(self), 0);
    return self->active;
}

guint nvg_flow_store_get_capacity(NvgFlowStore *self)
{
    g_return_val_if_fail(NVG_IS_FLOW_STORE(self), 0);
    return self->capacity;
}

guint64 nvg_flow_store_get_dropped(NvgFlowStore *self)
{
    g_return_val_if_fail(NVG_IS_FLOW_STORE(self), 0);
    return self->dropped;
}
