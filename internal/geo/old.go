package geo

import (
	"slices"
	"strings"
)

// ResolveOld returns the current units an old (pre-July-2025) unit went into:
// code is a 2-digit old province, a 5-digit old commune, or the 3-digit code
// of one of the five island districts that had no communes (Bạch Long Vĩ 318,
// Cồn Cỏ 471, Hoàng Sa 498, Lý Sơn 536, Côn Đảo 755). An old unit that was
// split has several successors, each Partial. ok is false for an unknown code.
//
// The code is always read as old: "00004" here is Phường Trúc Bạch, which went
// into today's Phường Ba Đình, also "00004".
func (u *Units) ResolveOld(code string) (succ []Successor, ok bool) {
	o, ok := u.findOld(code)
	if !ok {
		return nil, false
	}
	next := u.next[o.from:o.to]
	succ = make([]Successor, len(next))
	for j, i := range next {
		succ[j] = Successor{Unit: u.units[i], Partial: len(next) > 1}
	}
	return succ, true
}

// Predecessors returns the old units a current unit absorbed, by old code:
// for a province the old provinces, for a commune the old communes (or island
// district). Partial marks an old unit that was split, only part of which
// came here. An unknown code has none.
func (u *Units) Predecessors(code string) []Predecessor {
	i, ok := u.at[code]
	if !ok {
		return nil
	}
	idx := u.preds[u.predStart[i]:u.predStart[i+1]]
	out := make([]Predecessor, len(idx))
	for j, oi := range idx {
		o := u.old[oi]
		out[j] = Predecessor{Code: o.code, Name: o.name, Partial: o.to-o.from > 1}
	}
	return out
}

// OldName returns the full name an old unit code had before July 2025, as
// "Phường Trúc Bạch" for "00004" or "Tỉnh Hà Giang" for "02".
func (u *Units) OldName(code string) (string, bool) {
	o, ok := u.findOld(code)
	return o.name, ok
}

func (u *Units) findOld(code string) (oldUnit, bool) {
	i, ok := slices.BinarySearchFunc(u.old, code, func(o oldUnit, c string) int { return strings.Compare(o.code, c) })
	if !ok {
		return oldUnit{}, false
	}
	return u.old[i], true
}
