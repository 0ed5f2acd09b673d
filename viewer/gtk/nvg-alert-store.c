/* The viewer's alerts: see nvg-alert-store.h. */
#include "nvg-alert-store.h"

#include <string.h>

#include "nvg-format.h"

#define MAX_LISTED 4 /* targets and sensors shown by name; the rest counted */

/* ---- NvgAlertItem -------------------------------------------------------------------------- */

struct _NvgAlertItem {
    GObject parent_instance;
    struct nvg_alert a;
};

G_DEFINE_FINAL_TYPE(NvgAlertItem, nvg_alert_item, G_TYPE_OBJECT)

static void nvg_alert_item_class_init(NvgAlertItemClass *klass)
{
}

static void nvg_alert_item_init(NvgAlertItem *self)
{
}

static NvgAlertItem *item_new(const struct nvg_alert *a)
{
    NvgAlertItem *item = g_object_new(NVG_TYPE_ALERT_ITEM, NULL);
    item->a = *a;
    return item;
}

const struct nvg_alert *nvg_alert_item_get(NvgAlertItem *item)
{
    g_return_val_if_fail(NVG_IS_ALERT_ITEM(item), NULL);
    return &item->a;
}

/* ---- NvgAlertStore ------------------------------------------------------------------------- */

struct _NvgAlertStore {
    GObject parent_instance;
    GPtrArray *items;  /* NvgAlertItem*, newest first */
    GHashTable *by_id; /* guint64* id -> NvgAlertItem* (in items) of the current run */
    guint capacity;
    guint active;
    guint64 dropped;
};

static void list_model_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(NvgAlertStore, nvg_alert_store, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_init))

static GType get_item_type(GListModel *m)
{
    return NVG_TYPE_ALERT_ITEM;
}

static guint get_n_items(GListModel *m)
{
    return NVG_ALERT_STORE(m)->items->len;
}

static gpointer get_item(GListModel *m, guint pos)
{
    NvgAlertStore *self = NVG_ALERT_STORE(m);
    return pos < self->items->len ? g_object_ref(self->items->pdata[pos]) : NULL;
}

static void list_model_init(GListModelInterface *iface)
{
    iface->get_item_type = get_item_type;
    iface->get_n_items = get_n_items;
    iface->get_item = get_item;
}

static void nvg_alert_store_finalize(GObject *object)
{
    NvgAlertStore *self = NVG_ALERT_STORE(object);
    g_hash_table_unref(self->by_id);
    g_ptr_array_unref(self->items);
    G_OBJECT_CLASS(nvg_alert_store_parent_class)->finalize(object);
}

static void nvg_alert_store_class_init(NvgAlertStoreClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = nvg_alert_store_finalize;
}

static void nvg_alert_store_init(NvgAlertStore *self)
{
    self->items = g_ptr_array_new_with_free_func(g_object_unref);
    self->by_id = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
}

NvgAlertStore *nvg_alert_store_new(guint capacity)
{
    NvgAlertStore *self = g_object_new(NVG_TYPE_ALERT_STORE, NULL);
    self->capacity = capacity ? capacity : NVG_ALERT_STORE_DEFAULT_CAPACITY;
    return self;
}

static guint position_of(NvgAlertStore *self, NvgAlertItem *item)
{
    guint pos = 0;
    g_ptr_array_find(self->items, item, &pos);
    return pos;
}

/* ---- from the wire ------------------------------------------------------------------------- */

static void append_addr(GString *s, const ProtobufCBinaryData *b)
{
    char text[64];
    if (b->len != 4 && b->len != 16)
        return; /* not an address: nothing to show */
    nvg_format_addr(text, b->data, b->len == 4 ? 4 : 6);
    g_string_append_printf(s, "%s%s", s->len ? ", " : "", text);
}

static void fill(struct nvg_alert *out, const Netvigil__Alert *a)
{
    out->id = a->id;
    out->severity = a->severity;
    g_strlcpy(out->detector, a->detector ? a->detector : "", sizeof(out->detector));
    out->src[0] = '\0';
    if (a->src.len == 4 || a->src.len == 16)
        nvg_format_addr(out->src, a->src.data, a->src.len == 4 ? 4 : 6);
    GString *s = g_string_new(NULL);
    size_t n = MIN(a->n_targets, MAX_LISTED);
    for (size_t i = 0; i < n; i++)
        append_addr(s, &a->targets[i]);
    if (a->target_count > n && n)
        g_string_append_printf(s, " +%u more", (unsigned)(a->target_count - n));
    else if (a->target_count && !n)
        g_string_printf(s, "%u host%s", a->target_count, a->target_count == 1 ? "" : "s");
    g_strlcpy(out->targets, s->str, sizeof(out->targets));
    g_string_truncate(s, 0);
    n = MIN(a->n_sensors, MAX_LISTED);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, "%s%s", s->len ? ", " : "", a->sensors[i]);
    if (a->n_sensors > n)
        g_string_append_printf(s, " +%zu more", a->n_sensors - n);
    g_strlcpy(out->sensors, s->str, sizeof(out->sensors));
    g_string_free(s, TRUE);
    g_strlcpy(out->summary, a->summary ? a->summary : "", sizeof(out->summary));
    g_strlcpy(out->rule, a->rule ? a->rule : "", sizeof(out->rule));
    out->target_count = a->target_count;
    out->packets = a->packets;
    out->bytes = a->bytes;
    out->count = a->count;
    out->first_ns = a->first_ns;
    out->last_ns = a->last_ns;
}

/* A start the store never saw: the event's time less the evidence's span (record times). */
static int64_t estimate_start(const Netvigil__Alert *a, int64_t now_ms)
{
    int64_t t = a->time_ms ? a->time_ms : now_ms;
    if (a->event == NETVIGIL__ALERT_EVENT__ALERT_START)
        return t;
    int64_t span_ms = (a->last_ns - a->first_ns) / 1000000; /* both 0..INT64_MAX (parse) */
    return t > span_ms ? t - span_ms : 0;
}

/* Room for one more: the oldest ended alert goes, else the oldest of all. */
static void make_room(NvgAlertStore *self)
{
    while (self->items->len >= self->capacity) {
        guint victim = self->items->len - 1;
        for (guint i = self->items->len; i-- > 0;) {
            if (((NvgAlertItem *)self->items->pdata[i])->a.ended) {
                victim = i;
                break;
            }
        }
        NvgAlertItem *item = self->items->pdata[victim];
        if (!item->a.ended)
            self->active--;
        if (g_hash_table_lookup(self->by_id, &item->a.id) == item)
            g_hash_table_remove(self->by_id, &item->a.id);
        g_ptr_array_remove_index(self->items, victim);
        self->dropped++;
        g_list_model_items_changed(G_LIST_MODEL(self), victim, 1, 0);
    }
}

static enum nvg_alert_change add(NvgAlertStore *self, const Netvigil__Alert *a, int64_t now_ms)
{
    struct nvg_alert al = {0};
    fill(&al, a);
    al.start_ms = estimate_start(a, now_ms);
    al.event_ms = a->time_ms ? a->time_ms : now_ms;
    al.ended = a->event == NETVIGIL__ALERT_EVENT__ALERT_END;
    al.end_ms = al.ended ? al.event_ms : 0;
    make_room(self);
    NvgAlertItem *item = item_new(&al);
    g_ptr_array_insert(self->items, 0, item);
    g_hash_table_insert(self->by_id, g_memdup2(&al.id, sizeof(al.id)), item);
    if (!al.ended)
        self->active++;
    g_list_model_items_changed(G_LIST_MODEL(self), 0, 0, 1);
    return NVG_ALERT_ADDED;
}

/* Whether a, for an alert held as old, is news: a start never is (the alert is there already),
 * nothing is after an end, and an event older than the one applied is not. */
static gboolean newer(const struct nvg_alert *old, const Netvigil__Alert *a)
{
    if (a->event == NETVIGIL__ALERT_EVENT__ALERT_START || old->ended)
        return FALSE;
    if (a->time_ms && a->time_ms < old->event_ms)
        return FALSE;
    return !(a->time_ms == old->event_ms && a->last_ns < old->last_ns);
}

enum nvg_alert_change nvg_alert_store_apply(NvgAlertStore *self, const Netvigil__Alert *a,
                                            int64_t now_ms)
{
    g_return_val_if_fail(NVG_IS_ALERT_STORE(self), NVG_ALERT_IGNORED);
    if (!a->id || a->event < NETVIGIL__ALERT_EVENT__ALERT_START ||
        a->event > NETVIGIL__ALERT_EVENT__ALERT_END)
        return NVG_ALERT_IGNORED;
    NvgAlertItem *old = g_hash_table_lookup(self->by_id, &a->id);
    if (!old)
        return add(self, a, now_ms);
    if (!newer(&old->a, a))
        return NVG_ALERT_IGNORED;
    struct nvg_alert al = old->a;
    fill(&al, a);
    al.event_ms = a->time_ms ? a->time_ms : now_ms;
    if (a->event == NETVIGIL__ALERT_EVENT__ALERT_END) {
        al.ended = TRUE;
        al.end_ms = al.event_ms;
        self->active--;
    }
    guint pos = position_of(self, old);
    NvgAlertItem *item = item_new(&al);
    g_hash_table_insert(self->by_id, g_memdup2(&al.id, sizeof(al.id)), item);
    g_ptr_array_index(self->items, pos) = item;
    g_object_unref(old);
    g_list_model_items_changed(G_LIST_MODEL(self), pos, 1, 1);
    return al.ended ? NVG_ALERT_ENDED : NVG_ALERT_UPDATED;
}

void nvg_alert_store_new_run(NvgAlertStore *self, int64_t now_ms)
{
    g_return_if_fail(NVG_IS_ALERT_STORE(self));
    g_hash_table_remove_all(self->by_id);
    for (guint i = 0; i < self->items->len; i++) {
        NvgAlertItem *old = self->items->pdata[i];
        if (old->a.ended)
            continue;
        struct nvg_alert al = old->a;
        al.ended = al.orphaned = TRUE;
        al.end_ms = now_ms;
        self->items->pdata[i] = item_new(&al);
        g_object_unref(old);
        g_list_model_items_changed(G_LIST_MODEL(self), i, 1, 1);
    }
    self->active = 0;
}

NvgAlertItem *nvg_alert_store_lookup(NvgAlertStore *self, uint64_t id)
{
    g_return_val_if_fail(NVG_IS_ALERT_STORE(self), NULL);
    return g_hash_table_lookup(self->by_id, &id);
}

guint nvg_alert_store_get_active(NvgAlertStore *self)
{
    g_return_val_if_fail(NVG_IS_ALERT_STORE(self), 0);
    return self->active;
}

guint nvg_alert_store_get_capacity(NvgAlertStore *self)
{
    g_return_val_if_fail(NVG_IS_ALERT_STORE(self), 0);
    return self->capacity;
}

guint64 nvg_alert_store_get_dropped(NvgAlertStore *self)
{
    g_return_val_if_fail(NVG_IS_ALERT_STORE(self), 0);
    return self->dropped;
}

/* ---- notification rate limit --------------------------------------------------------------- */

gboolean nvg_alert_ratelimit_offer(struct nvg_alert_ratelimit *rl, int64_t now_us)
{
    if (!rl->held && (!rl->last_us || now_us - rl->last_us >= rl->interval_us)) {
        rl->last_us = now_us;
        return TRUE;
    }
    rl->held++;
    return FALSE;
}

int64_t nvg_alert_ratelimit_due(const struct nvg_alert_ratelimit *rl)
{
    return rl->held ? rl->last_us + rl->interval_us : 0;
}

guint nvg_alert_ratelimit_flush(struct nvg_alert_ratelimit *rl, int64_t now_us)
{
    if (!rl->held || now_us < nvg_alert_ratelimit_due(rl))
        return 0;
    guint n = rl->held;
    rl->held = 0;
    rl->last_us = now_us;
    return n;
}
