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

static void remove_at(NvgFlowStore *self, GSequenceIter *it)
{
    NvgFlowItem *item = g_sequence_get(it);
    if (!ended(&item->r))
        self->active--;
    g_autofree char *key = make_key(item->r.sensor, item->r.flow.id);
    g_hash_table_remove(self->keys, key);
    guint pos = (guint)g_sequence_iter_get_position(it);
    g_sequence_remove(it);
    g_list_model_items_changed(G_LIST_MODEL(self), pos, 1, 0);
}

/* Room for one more: the oldest ended conversation goes, else the oldest of all. */
static void make_room(NvgFlowStore *self)
{
    while ((guint)g_sequence_get_length(self->rows) >= self->capacity) {
        GSequenceIter *victim = g_sequence_get_begin_iter(self->rows);
        if (self->active < (guint)g_sequence_get_length(self->rows)) {
            GSequenceIter *it = victim;
            while (!g_sequence_iter_is_end(it) && !ended(&((NvgFlowItem *)g_sequence_get(it))->r))
                it = g_sequence_iter_next(it);
            if (!g_sequence_iter_is_end(it))
                victim = it;
        }
        remove_at(self, victim);
        self->dropped++;
    }
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

/* Whether f, for a conversation held as old, is news. */
static gboolean newer(const struct nvg_flow_row *old, const struct nvg_flow *f)
{
    if (f->export_seq == 0 && f->first_ns != old->flow.first_ns)
        return TRUE; /* the sensor's ids started again: another conversation */
    return !ended(old) && f->export_seq > old->flow.export_seq;
}

enum nvg_flow_change nvg_flow_store_apply(NvgFlowStore *self, const char *sensor,
                                          const struct nvg_flow *f, int64_t now_ms)
{
    g_return_val_if_fail(NVG_IS_FLOW_STORE(self), NVG_FLOW_IGNORED);
    char *key = make_key(sensor, f->id);
    GSequenceIter *it = g_hash_table_lookup(self->keys, key);
    if (it) {
        g_free(key);
        NvgFlowItem *old = g_sequence_get(it);
        if (!newer(&old->r, f))
            return NVG_FLOW_IGNORED;
        gboolean restarted = f->export_seq == 0 && f->first_ns != old->r.flow.first_ns;
        NvgFlowItem *item = item_new(sensor, f, restarted ? NULL : &old->r, now_ms);
        self->active += (guint)!ended(&item->r) - (guint)!ended(&old->r);
        g_sequence_set(it, item); /* unrefs old */
        g_list_model_items_changed(G_LIST_MODEL(self), (guint)g_sequence_iter_get_position(it), 1,
                                   1);
        return NVG_FLOW_UPDATED;
    }
    make_room(self);
    NvgFlowItem *item = item_new(sensor, f, NULL, now_ms);
    it = g_sequence_append(self->rows, item);
    g_hash_table_insert(self->keys, key, it);
    if (!ended(&item->r))
        self->active++;
    g_list_model_items_changed(G_LIST_MODEL(self), (guint)g_sequence_iter_get_position(it), 0, 1);
    return NVG_FLOW_ADDED;
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
