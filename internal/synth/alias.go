package synth

import (
	"math"
	"math/rand/v2"
)

// alias draws an index with probability proportional to its weight in O(1)
// (Vose's alias method), which keeps generation fast at millions of draws.
type alias struct {
	prob  []uint32 // chance of keeping the drawn column, scaled to 2³²
	other []int32
}

func newAlias(weights []float64) *alias {
	n := len(weights)
	a := &alias{prob: make([]uint32, n), other: make([]int32, n)}
	keep := func(i int, p float64) { a.prob[i] = uint32(min(p, 1) * math.MaxUint32) }
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	scaled := make([]float64, n)
	var small, large []int
	for i, w := range weights {
		scaled[i] = w * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		keep(s, scaled[s])
		a.other[s] = int32(l)
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(large, small...) { // small: rounding leftovers
		keep(i, 1)
		a.other[i] = int32(i)
	}
	return a
}

// draw uses one 64-bit draw: the high half picks a column, the low half
// decides between it and its alias.
func (a *alias) draw(r *rand.Rand) int {
	u := r.Uint64()
	i := int((u >> 32) * uint64(len(a.prob)) >> 32)
	if uint32(u) < a.prob[i] || a.prob[i] == math.MaxUint32 {
		return i
	}
	return int(a.other[i])
}

// zipf returns weights 1/rank^s for n items, the shape of name frequencies.
func zipf(n int, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
	}
	return w
}
