package bot

import (
	"sync"
	"sync/atomic"
)

// Cache keeps an adapter's rendering of replies that carry a CacheKey:
// salary bands or a skill are the same for everyone, and rendering them
// (markdown, blocks, JSON) costs more than answering. Keys come from the
// command spec, the content pack and progress states, never from what
// users type. A step's key names the state of each of its topics, which
// users could combine in many ways, so the cache keeps at most cacheMax
// entries: the first ones, which are the common states; beyond, values
// are made and not kept. The zero value is ready to use.
type Cache[V any] struct {
	m sync.Map // CacheKey + variant -> V
	n atomic.Int64
}

// cacheMax bounds a Cache: a few thousand renderings of a few KB.
const cacheMax = 4096

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
	if c.n.Load() >= cacheMax {
		return v, nil
	}
	kept, loaded := c.m.LoadOrStore(key, v)
	if !loaded {
		c.n.Add(1)
	}
	return kept.(V), nil
}
