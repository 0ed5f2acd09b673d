/* NvgPacketStore: see nvg-packet-store.h.
 *
 * Every record gets an absolute number a (0, 1, 2, ... in arrival order) and lives in ring slot
 * a % capacity while a >= appended - capacity. The model is `vis`, a deque (same capacity) of
 * the absolute numbers of live records that pass the filter. */
#include "nvg-packet-store.h"

#include "nvg-packet-item.h"

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
};

static void list_model_iface_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(NvgPacketStore, nvg_packet_store, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_iface_init))

static GType get_item_type(GListModel *model)
{
    return NVG_TYPE_PACKET_ITEM;
}

static guint get_n_items(GListModel *model)
{
    return NVG_PACKET_STORE(model)->vis_len;
}

static inline guint64 vis_at(NvgPacketStore *self, guint pos)
{
    return self->vis[(self->vis_head + pos) % self->cap];
}

static gpointer get_item(GListModel *model, guint position)
{
    NvgPacketStore *self = NVG_PACKET_STORE(model);
    if (position >= self->vis_len)
        return NULL;
    guint64 a = vis_at(self, position);
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
    G_OBJECT_CLASS(nvg_packet_store_parent_class)->finalize(object);
}

static void nvg_packet_store_class_init(NvgPacketStoreClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = nvg_packet_store_finalize;
}

static void nvg_packet_store_init(NvgPacketStore *self)
{
    nvg_filter_init(&self->filter);
}

NvgPacketStore *nvg_packet_store_new(guint capacity, const struct nvg_sensor_names *names)
{
    NvgPacketStore *self = g_object_new(NVG_TYPE_PACKET_STORE, NULL);
    self->cap = capacity ? capacity : NVG_PACKET_STORE_DEFAULT_CAPACITY;
    self->names = names;
    self->ring = g_new0(struct nvg_view_rec, self->cap);
    self->vis = g_new0(guint64, self->cap);
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

void nvg_packet_store_append(NvgPacketStore *self, const struct nvg_view_rec *recs, guint n)
{
    g_return_if_fail(NVG_IS_PACKET_STORE(self));
    if (n == 0)
        return;
    guint skip = n > self->cap ? n - self->cap : 0;
    guint64 after = self->appended + n;
    guint64 lo = oldest_live(self, after);

    /* 1. rows whose records the batch overwrites leave the front of the model */
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
    if (removed)
        g_list_model_items_changed(G_LIST_MODEL(self), 0, removed, 0);

    /* 3. matching new records join the back */
    guint start = self->vis_len, added = 0;
    for (guint64 a = first; a < after; a++) {
        if (!passes(self, &self->ring[a % self->cap]))
            continue;
        self->vis[(self->vis_head + self->vis_len) % self->cap] = a;
        self->vis_len++;
        added++;
    }
    if (added)
        g_list_model_items_changed(G_LIST_MODEL(self), start, 0, added);
}

static void rescan(NvgPacketStore *self)
{
    guint old = self->vis_len;
    self->vis_head = 0;
    self->vis_len = 0;
    for (guint64 a = oldest_live(self, self->appended); a < self->appended; a++)
        if (passes(self, &self->ring[a % self->cap]))
            self->vis[self->vis_len++] = a;
    if (old || self->vis_len)
        g_list_model_items_changed(G_LIST_MODEL(self), 0, old, self->vis_len);
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
    rescan(self);
}

void nvg_packet_store_clear(NvgPacketStore *self)
{
    g_return_if_fail(NVG_IS_PACKET_STORE(self));
    self->floor = self->appended;
    rescan(self);
}

const struct nvg_view_rec *nvg_packet_store_peek(NvgPacketStore *self, guint position)
{
    if (position >= self->vis_len)
        return NULL;
    return &self->ring[vis_at(self, position) % self->cap];
}

void nvg_packet_store_get_counts(NvgPacketStore *self, struct nvg_packet_store_counts *c)
{
    guint64 lo = oldest_live(self, self->appended);
    c->appended = self->appended;
    c->in_ring = (guint)(self->appended - lo);
    c->overwritten = self->appended - c->in_ring;
    c->shown = self->vis_len;
}
