package bot

import "sync"

// Cache keeps an adapter's rendering of replies that carry a CacheKey:
// salary bands or a skill are the same for everyone, and rendering them
// (markdown, blocks, JSON) costs more than answering. Keys come from the
// command spec and the content pack, never from what users type, so the
// cache is bounded by the content. The zero value is ready to use.
type Cache[V any] struct {
	m sync.Map // CacheKey + variant -> V
}

// Get returns the value kept for key, making and keeping it with make on
// the first call. Two callers may both make it once; the first one kept
// wins. An error is returned and nothing is kept.
func (c *Cache[V]) Get(key string, make func() (V, error)) (V, error) {
	if v, ok := c.m.Load(key); ok {
		return v.(V), nil
	}
	v, err := make()
	if err != nil {
		return v, err
	}
	kept, _ := c.m.LoadOrStore(key, v)
	return kept.(V), nil
}
