package match

// slotTable finds record slots by a 64-bit key (an id, an ID number, a
// phone) without storing the keys: cells hold slot+1 (0 is empty), and the
// key of a cell is read from the index's own arrays. Open addressing with
// linear probing and backward-shift deletion; several slots may share a
// key. At about 4 bytes per cell and a load under 3/4 it takes a fraction
// of a Go map's memory.
type slotTable struct {
	cells []uint32
	n     int
	key   func(slot uint32) uint64
}

func newSlotTable(key func(uint32) uint64) slotTable {
	return slotTable{cells: make([]uint32, 1024), key: key}
}

func hash64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// each calls fn for every slot with key k.
func (t *slotTable) each(k uint64, fn func(slot uint32)) {
	mask := uint64(len(t.cells) - 1)
	for i := hash64(k) & mask; ; i = (i + 1) & mask {
		c := t.cells[i]
		if c == 0 {
			return
		}
		if t.key(c-1) == k {
			fn(c - 1)
		}
	}
}

// first returns a slot with key k.
func (t *slotTable) first(k uint64) (uint32, bool) {
	mask := uint64(len(t.cells) - 1)
	for i := hash64(k) & mask; ; i = (i + 1) & mask {
		c := t.cells[i]
		if c == 0 {
			return 0, false
		}
		if t.key(c-1) == k {
			return c - 1, true
		}
	}
}

// insert adds slot, whose key is already in place.
func (t *slotTable) insert(slot uint32) {
	if (t.n+1)*4 > len(t.cells)*3 {
		t.grow(len(t.cells) * 2)
	}
	t.put(slot)
	t.n++
}

func (t *slotTable) put(slot uint32) {
	mask := uint64(len(t.cells) - 1)
	i := hash64(t.key(slot)) & mask
	for t.cells[i] != 0 {
		i = (i + 1) & mask
	}
	t.cells[i] = slot + 1
}

func (t *slotTable) grow(size int) {
	old := t.cells
	t.cells = make([]uint32, size)
	for _, c := range old {
		if c != 0 {
			t.put(c - 1)
		}
	}
}

// reserve makes room for n entries without growing.
func (t *slotTable) reserve(n int) {
	size := len(t.cells)
	for n*4 > size*3 {
		size *= 2
	}
	if size > len(t.cells) {
		t.grow(size)
	}
}

// remove takes slot out; its key must still be in place.
func (t *slotTable) remove(slot uint32) {
	mask := uint64(len(t.cells) - 1)
	i := hash64(t.key(slot)) & mask
	for t.cells[i] != slot+1 {
		if t.cells[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	// Backward shift: move later entries of the run into the hole when
	// their home is at or before it.
	for j := (i + 1) & mask; t.cells[j] != 0; j = (j + 1) & mask {
		home := hash64(t.key(t.cells[j]-1)) & mask
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.cells[i] = t.cells[j]
			i = j
		}
	}
	t.cells[i] = 0
	t.n--
}
