package match

import (
	"math"
	"slices"

	"treem/internal/dates"
	"treem/internal/ident"
)

// Candidate is a child about to be recorded (or reported), to be matched
// against the registry. Any field may be missing.
type Candidate struct {
	Name    string
	DOB     dates.Date
	Sex     ident.Sex
	Commune string // current 5-digit commune code
	// OldCommune is a pre-July-2025 commune code, resolved through geo to
	// the current commune(s) it went into.
	OldCommune string
	PID, Phone string
}

// Match is an existing record that may be the candidate.
type Match struct {
	ID      int64
	Score   float64 // 0..1: the probability that the record is the candidate
	Verdict string  // VerdictLikely or VerdictPossible
	Commune string  // the record's commune
	// Reasons are stable codes for what agreed or clashed, in the order
	// name, date of birth, sex, place, ID number, phone: name_exact,
	// name_typo, name_partial, name_differs; dob_exact, dob_swapped,
	// dob_near, dob_month, dob_year, dob_differs; sex, sex_differs;
	// commune, province, commune_differs; pid, pid_near, pid_differs;
	// phone, phone_differs.
	Reasons []string
}

// Verdicts.
const (
	VerdictLikely   = "likely"
	VerdictPossible = "possible"
)

// The thresholds on Match.Score. How they were chosen is in doc.go.
const (
	LikelyThreshold   = 0.80
	PossibleThreshold = 0.05
)

// Match finds the records that may be the candidate c, best first: at most
// limit (default 10, at most 100), each scoring at least PossibleThreshold.
// Only records inside scope are considered; the zero Scope is the whole
// country.
//
// The score is a Fellegi–Sunter match weight turned into a probability;
// see doc.go for the model.
func (ix *Index) Match(c Candidate, s Scope, limit int) []Match {
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, 100)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sc := ix.pl.scope(s)
	if sc.none || ix.live == 0 {
		return nil
	}
	st := ix.newMatchState(c)
	defer st.release()

	slots := st.candidates(sc)
	type kept struct {
		idx   uint32
		score float64
		id    int64
	}
	var keep []kept
	for _, idx := range slots {
		score := st.score(idx, nil)
		if score >= PossibleThreshold {
			keep = append(keep, kept{idx, score, ix.ids[idx]})
		}
	}
	slices.SortFunc(keep, func(a, b kept) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return cmpI64(a.id, b.id)
	})
	keep = keep[:min(len(keep), limit)]
	out := make([]Match, len(keep))
	for i, k := range keep {
		var reasons []string
		st.score(k.idx, &reasons)
		v := VerdictPossible
		if k.score >= LikelyThreshold {
			v = VerdictLikely
		}
		out[i] = Match{ID: k.id, Score: math.Round(k.score*1000) / 1000, Verdict: v,
			Commune: ix.pl.communes[ix.recs[k.idx].commune], Reasons: reasons}
	}
	return out
}

// Fellegi–Sunter parameters. Each is the probability of an outcome among
// true matches (m) — a second report about the same child — where the
// chance among non-matches (u) comes from the index's own frequencies.
// The m values are judgement, checked against the evaluation set (see
// doc.go): a report spells a name word exactly, after folding, about 88% of
// the time; gives the same commune 78% of the times it gives one, …
const (
	mWordExact    = 0.88 // a name word agrees exactly (folded)
	wFamilyDiffer = -5.6 // log2(0.02): the family name disagrees outright
	wMiddleDiffer = -3.6 // log2(0.08): another middle name
	wGivenDiffer  = -5.0 // log2(0.03): the given name disagrees outright
	wFamilyMiss   = -1.3 // the report has no word left for the family name
	wMiddleMiss   = -0.6 // middle name left out (common)
	wGivenMiss    = -2.0
	wExtraWord    = -0.5 // a word of the report the record does not have
	maxWordWeight = 12.0 // cap on one word's agreement weight

	mDOBExact  = 0.80
	mDOBSwap   = 0.04
	mDOBNear   = 0.04 // a day off
	mDOBMonth  = 0.02 // same month, another day (both exact)
	mDOBYear   = 0.03 // same year, another month (both exact)
	mDOBPartM  = 0.85 // a month-and-year date agrees
	mDOBPartY  = 0.85 // a year agrees
	mDOBYear1  = 0.02 // a year off
	mDOBYear1E = 0.30 // a year off where either date is an estimate
	wDOBDiffer = -6.4 // log2(0.01/0.85)

	wSexAgree  = 0.97 // log2(0.98/0.5)
	wSexDiffer = -4.6 // log2(0.02/0.5)

	mCommune     = 0.78 // the report's commune is the record's (current or old code)
	mProvince    = 0.17 // … another commune of the same province (moved, or reported by a neighbour)
	wPlaceDiffer = -4.3 // log2(0.05/0.95): another province

	wPIDAgree  = 18.0 // about log2(N): the number identifies one child
	wPIDNear   = 7.0  // one digit wrong or two swapped
	wPIDDiffer = -5.6
	// A phone is the caregiver's: it agrees for brothers and sisters too, so
	// it counts as household evidence, not as an identifier.
	wPhoneAgree  = 6.0
	wPhoneDiffer = -0.7

	priorIn = 0.5 // prior chance that a candidate is in the registry at all
)

// matchState is a candidate prepared for scoring.
type matchState struct {
	ix    *Index
	m     *matcher // nil without a name
	n     float64
	prior float64 // log2 prior odds that a given record is the candidate
	cut   float64 // the weight a record needs to reach PossibleThreshold

	// Name: per row of the matcher (an accented syllable the name may
	// match), its weights; per query word, the weight of a near match in
	// each role and whether it was written with diacritics.
	rows      []rowInfo
	accentW   [maxWords]float32 // weight added when a word agrees folded but not in diacritics
	qAccented [maxWords]bool
	nameHigh  float64   // name weights from here up are counted for the name's rarity (capFloor)
	highs     []scoredW // records reaching nameHigh while scanning
	rarity    []float32 // their name weights, highest first

	dob    dates.Date
	dobDay int
	dobB   [256]float32 // dobBound by year of birth − 1900
	sex    ident.Sex
	sexW   [4]float32 // sexWeight by the record's sex

	cut32, nameHigh32 float32

	communes []uint16
	provs    []uint8
	uComm    float64
	placeS   float32   // weight of the record being in one of communes
	placeP   []float32 // … in another commune of each province

	pid   uint64
	phone uint64
}

type rowInfo struct {
	exact    float32           // agreement weight of the syllable
	w        [maxWords]float32 // its weight as a match of each query word
	opt      [maxWords]float32 // the same, at least 0: for bounds
	accented bool              // written with diacritics
}

type scoredW struct {
	idx uint32
	w   float32
}

// Name roles by position.
const (
	roleFamily = iota
	roleMiddle
	roleGiven
)

const (
	wOrder   = -3.0 // words in an order that is neither the record's nor family-name-last
	mNameCap = 0.8  // see capName
	capFloor = 8.0  // names weighing this much or more are counted for capName
)

func (ix *Index) newMatchState(c Candidate) *matchState {
	st := &matchState{ix: ix, n: float64(ix.live), dob: c.DOB, sex: c.Sex}
	st.prior = math.Log2(priorIn / st.n)
	st.cut = math.Log2(PossibleThreshold/(1-PossibleThreshold)) - st.prior
	if toks := tokens(c.Name); len(toks) > 0 {
		st.m = ix.newMatcher(toks, false, false)
		st.prepareName()
	}
	if c.DOB.Precision == dates.Day {
		st.dobDay = dayNumber(c.DOB.Year, c.DOB.Month, c.DOB.Day)
	}
	if !c.DOB.IsZero() {
		for y := 1; y < 256; y++ {
			st.dobB[y] = float32(st.dobBound(uint8(y)))
		}
	}
	addCommune := func(ci uint16) {
		if ci != 0 && !slices.Contains(st.communes, ci) {
			st.communes = append(st.communes, ci)
		}
	}
	if c.Commune != "" {
		if ci, ok := ix.pl.commIdx[c.Commune]; ok {
			addCommune(ci)
		} else {
			for _, ci := range ix.pl.oldSuccessors(c.Commune) { // an old code in the wrong field
				addCommune(ci)
			}
		}
	}
	if c.OldCommune != "" {
		for _, ci := range ix.pl.oldSuccessors(c.OldCommune) {
			addCommune(ci)
		}
	}
	cnt := 0
	for _, ci := range st.communes {
		if int(ci) < len(ix.byCommune) {
			cnt += len(ix.byCommune[ci])
		}
		if p := ix.pl.provOf[ci]; p != 0 && !slices.Contains(st.provs, p) {
			st.provs = append(st.provs, p)
		}
	}
	st.uComm = share(cnt, st.n, float64(len(st.communes))/3321)
	if len(st.communes) > 0 {
		st.placeS = float32(math.Log2(mCommune / st.uComm))
		st.placeP = make([]float32, len(ix.pl.provinces))
		for p := range st.placeP {
			switch {
			case p == 0:
			case slices.Contains(st.provs, uint8(p)):
				u := share(int(ix.provCount[p]), st.n, 1.0/34)
				st.placeP[p] = float32(math.Log2(mProvince / u))
			default:
				st.placeP[p] = wPlaceDiffer
			}
		}
	}
	st.pid = parsePID(digitsOnly(c.PID))
	st.phone = parsePhone(c.Phone)
	for s := range st.sexW {
		st.sexW[s] = float32(st.sexWeight(uint8(s)))
	}
	st.cut32, st.nameHigh32 = float32(st.cut), float32(st.nameHigh)
	return st
}

// prepareName computes the weights the name comparison needs, once per
// candidate, so that scanning postings does no logarithms.
//
// A word's agreement weight is log2(m/u) with u the share of records that
// have the word anywhere in their name, whatever its place: Nguyễn weighs
// about 1.3 bits, a given name one child in ten thousand carries about 13
// (capped at maxWordWeight). Weighing by place would be sharper but names
// move (family name last, middle names dropped) and a word rare in one
// place is often common in another (Nguyễn as a middle name).
func (st *matchState) prepareName() {
	ix, m := st.ix, st.m
	nw := len(m.words)
	freq := func(fid uint32) float64 { return share(int(ix.v.fold[fid].n), st.n, 1.0/2000) }
	// A near match (a typo or a sound-alike) weighs log2(p/u): p the chance
	// that a report writes exactly this slip of the true word, u the chance
	// that anyone's word comes out written this way — the word itself if it
	// is a real name (most people typing "Hang" mean Hằng, not Khang), plus
	// the slips of all its neighbours. So "Jhang" for Khang weighs about
	// 5 bits and "Hang" for Khang nothing.
	var u [maxWords]float64
	for i, w := range m.words {
		if w.foldID >= 0 {
			u[i] = mWordExact * freq(uint32(w.foldID))
		}
		for _, e := range w.exps {
			if e.sim < simExact {
				u[i] += freq(e.fold) * slipChance(e.sim)
			}
		}
		st.qAccented[i] = w.tok.acc != w.tok.fold
		st.accentW[i] = -2.5
		if w.accID != 0 && w.foldID >= 0 {
			other := 1 - float64(ix.v.acc[w.accID].n)/float64(max(ix.v.fold[w.foldID].n, 1))
			st.accentW[i] = float32(min(max(math.Log2(0.06/max(other, 0.01)), -2.5), 0))
		}
	}
	st.rows = make([]rowInfo, len(m.sims))
	for r := 1; r < len(m.sims); r++ {
		a := m.touched[r-1]
		ri := &st.rows[r]
		fid := ix.v.accFold[a]
		ri.exact = float32(min(math.Log2(mWordExact/freq(fid)), maxWordWeight))
		ri.accented = ix.v.acc[a].text != ix.v.fold[fid].text
		for i := range nw {
			switch s := m.sims[r][i]; {
			case s >= simExact:
				ri.w[i] = ri.exact
			case s > 0:
				ri.w[i] = min(float32(math.Log2(slipChance(s)/u[i])), ri.exact-0.5)
			}
			ri.opt[i] = max(ri.w[i], 0)
		}
	}
	st.nameHigh = capFloor
}

// share estimates the chance u that a random record has a value the index
// counted count times among n, shrunk towards a national default u0 by a
// thousand pseudo-records, so that a small registry (a pilot commune) does
// not read much into a handful of counts and a national one speaks for
// itself.
func share(count int, n, u0 float64) float64 {
	const pseudo = 1000
	return (float64(count) + pseudo*u0) / (n + pseudo)
}

// slipChance is the chance that a report writes a given word as one
// particular near form: a sound-alike spelling, one slip, two slips.
func slipChance(sim uint8) float64 {
	switch {
	case sim >= simPhonetic:
		return 0.02
	case sim >= simTypo1:
		return 0.006
	case sim >= simPrefix:
		return 0.003
	}
	return 0.001
}

func (st *matchState) release() {
	if st.m != nil {
		st.m.release()
	}
}

// scanBudget caps the posting entries read for one candidate's name: the
// rarest word is always read, the next rarest while the total stays under.
// On the 2,000,000-child evaluation (cmd/matcheval) 30,000 gives the same
// answers as 120,000 (recall@1 0.9785, 0.8 % "likely" for children not in
// the registry) for half the CPU at the median; quality begins to fall
// below 15,000.
const scanBudget = 30_000

// candidates returns the slots worth scoring: records holding the
// candidate's ID number or phone, records sharing its rarer name words
// whose posting entry alone could reach the possible threshold, and
// records of its commune that could. On the way it collects how many
// records have a name about as close as the best (see capName).
func (st *matchState) candidates(sc scope) []uint32 {
	ix := st.ix
	var out []uint32
	add := func(s uint32) { out = append(out, s) }
	if st.pid != 0 {
		ix.pidTab.each(st.pid, add)
	}
	if st.phone != 0 {
		ix.phoneTab.each(st.phone, add)
	}
	j := 0
	for _, idx := range out {
		if sc.covers(ix.pl, ix.recs[idx].commune) {
			out[j] = idx
			j++
		}
	}
	out = out[:j]

	lo, hi := sc.provinceRange(len(ix.pl.provinces))
	if st.m != nil {
		// A word is read through its exact and sound-alike syllables; its
		// typo neighbours only when the word itself is unknown (a typo). A
		// record whose words all differ from the report's by typos is
		// reached through its commune, or not at all.
		ws := st.m.words
		order := make([]int, len(ws))
		scanExp := func(w *qword, e expansion) bool { return e.sim >= simPhonetic || w.slip }
		for i := range ws {
			order[i] = i
			ws[i].size = 0
			for _, e := range ws[i].exps {
				if !scanExp(&ws[i], e) {
					continue
				}
				for _, a := range ix.v.fold[e.fold].accs {
					ws[i].size += postingsIn(ix.v.acc[a].post, lo, hi)
				}
			}
		}
		slices.SortFunc(order, func(a, b int) int { return ws[a].size - ws[b].size })
		read := 0
		var seen []uint32
		for k, i := range order {
			if k > 0 && (k >= len(ws)-1 || read+ws[i].size > scanBudget) {
				break
			}
			read += ws[i].size
			for _, e := range ws[i].exps {
				if !scanExp(&ws[i], e) {
					continue
				}
				for _, a := range ix.v.fold[e.fold].accs {
					if slices.Contains(seen, a) {
						continue
					}
					seen = append(seen, a)
					posts := ix.v.acc[a].post
					for p := lo; p < hi && p < len(posts); p++ {
						out = st.scan(posts[p], sc, out)
					}
				}
			}
		}
		slices.SortFunc(st.highs, func(a, b scoredW) int { return cmpU32(a.idx, b.idx) })
		st.highs = slices.CompactFunc(st.highs, func(a, b scoredW) bool { return a.idx == b.idx })
		for _, h := range st.highs {
			st.rarity = append(st.rarity, h.w)
		}
		slices.SortFunc(st.rarity, func(a, b float32) int { return cmpF32(b, a) })
	}
	for _, ci := range st.communes {
		if int(ci) >= len(ix.byCommune) || !sc.covers(ix.pl, ci) {
			continue
		}
		for _, idx := range ix.byCommune[ci] {
			e := ix.postOf(idx)
			if st.bound(&e, false) >= st.cut {
				out = append(out, idx)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// scan reads one posting list, keeping entries whose bound reaches the cut.
func (st *matchState) scan(list []post, sc scope, out []uint32) []uint32 {
	for x := range list {
		e := &list[x]
		if !sc.all && !sc.covers(st.ix.pl, e.commune) {
			continue
		}
		if st.bound(e, true) >= st.cut {
			out = append(out, e.idx)
		}
	}
	return out
}

// bound is the most weight the record behind a posting entry can reach
// without an ID number or phone agreeing (those records are candidates
// anyway): its name, sex and place as the entry has them, and the best its
// date of birth can do given the year. It first bounds the name cheaply,
// word by word, and weighs it properly only when that could matter; with
// collect, names close to the best are noted for capName.
func (st *matchState) bound(e *post, collect bool) float64 {
	w := st.dobB[e.year] + st.sexW[e.flags&3]
	if st.placeP != nil && e.commune != 0 {
		if e.commune == st.communes[0] || len(st.communes) > 1 && slices.Contains(st.communes, e.commune) {
			w += st.placeS
		} else {
			w += st.placeP[st.ix.pl.provOf[e.commune]]
		}
	}
	if st.m == nil {
		return float64(w)
	}
	long := e.flags&postLong != 0
	if !long {
		// (Plain comparisons: the built-in max on floats is slow here.)
		var best [maxWords]float32
		nw := len(st.m.words)
		slot := st.m.slot
		for _, t := range e.toks {
			if t == 0 {
				break
			}
			if int(t) >= len(slot) || slot[t] == 0 {
				continue
			}
			opt := &st.rows[slot[t]].opt
			for i := range nw {
				if opt[i] > best[i] {
					best[i] = opt[i]
				}
			}
		}
		opt := float32(0)
		for i := range nw {
			opt += best[i]
		}
		if w+opt < st.cut32 && opt < st.nameHigh32 {
			return float64(w + opt)
		}
	}
	wf := float64(w)
	var nw float64
	if long {
		nw, _ = st.name(st.ix.words(e.idx))
	} else {
		var buf [4]uint32
		n := 0
		for _, t := range e.toks {
			if t == 0 {
				break
			}
			buf[n] = uint32(t)
			n++
		}
		nw, _ = st.name(buf[:n])
	}
	if collect && nw >= st.nameHigh {
		st.highs = append(st.highs, scoredW{e.idx, float32(nw)})
	}
	return wf + nw
}

// capName limits a name's weight by how rare such a name really is. The
// word weights assume words independent, which names are not: Thạch, Sóc
// and Sóc are each rare nationally but go together among Khmer families.
// So the name weight may not exceed log2(m/u) with u the share of records
// whose names weigh as much or more (counted while scanning) and m = 0.8.
func (st *matchState) capName(w float64) float64 {
	if len(st.rarity) == 0 || w < st.nameHigh {
		return w
	}
	k, _ := slices.BinarySearchFunc(st.rarity, float32(w)-0.01, func(a, t float32) int { return cmpF32(t, a) })
	for k < len(st.rarity) && st.rarity[k] >= float32(w)-0.01 {
		k++
	}
	return min(w, math.Log2(mNameCap*(st.n+1)/float64(max(k, 1))))
}

func cmpF32(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// score computes the probability that slot idx is the candidate; with
// reasons, it also lists why.
func (st *matchState) score(idx uint32, reasons *[]string) float64 {
	ix := st.ix
	r := &ix.recs[idx]
	add := func(code string) {
		if reasons != nil && code != "" {
			*reasons = append(*reasons, code)
		}
	}
	w := 0.0
	var nf nameFlags
	if st.m != nil {
		var nw float64
		nw, nf = st.name(ix.words(idx))
		w += st.capName(nw)
		switch {
		case nf.differs:
			add("name_differs")
		case nf.near:
			add("name_typo")
		case !nf.partial:
			add("name_exact")
		}
		if nf.partial {
			add("name_partial")
		}
	}
	dw, why := st.dobWeight(r.dob)
	w += dw
	add(why)
	sw := st.sexWeight(r.sex)
	w += sw
	switch {
	case sw > 0:
		add("sex")
	case sw < 0:
		add("sex_differs")
	}
	pw, why := st.placeWeight(r.commune)
	w += pw
	add(why)
	pidAgrees := false
	if st.pid != 0 && ix.pids[idx] != 0 {
		switch {
		case st.pid == ix.pids[idx]:
			w += wPIDAgree
			pidAgrees = true
			add("pid")
		case pidNear(st.pid, ix.pids[idx]):
			w += wPIDNear
			add("pid_near")
		default:
			w += wPIDDiffer
			add("pid_differs")
		}
	}
	if st.phone != 0 && ix.phones[idx] != 0 {
		if st.phone == ix.phones[idx] {
			w += wPhoneAgree
			add("phone")
		} else {
			w += wPhoneDiffer
			add("phone_differs")
		}
	}
	p := 1 / (1 + math.Exp2(-(w + st.prior)))
	if nf.differs && !pidAgrees {
		// A given or family name that does not agree at all (a twin, a
		// brother) is never "likely" without the ID number to say so.
		p = min(p, LikelyThreshold-0.001)
	}
	return p
}

type nameFlags struct {
	near    bool // some word agreed only within typo tolerance or by sound
	partial bool // a middle name missing or different, words the record lacks, or out of order
	differs bool // the given or the family name disagrees outright
}

func role(j, n int) int {
	switch {
	case j == n-1:
		return roleGiven
	case j == 0:
		return roleFamily
	}
	return roleMiddle
}

// name weighs the candidate's name against a record's words. The words are
// paired greedily, best similarity first and in any order; each record
// word then counts by its role (first word the family name, last the given
// name, others middle names) and by how common it is in that role. Words
// in an order that is neither the record's nor the record's with the
// family name moved last ("Văn An Nguyễn") lose weight, and each word
// counts only as much as its rarer reading: "Đỗ Thanh Đức" against "Đỗ Đức
// Thành" does not get the weight of a rare given name Đức.
func (st *matchState) name(w []uint32) (float64, nameFlags) {
	var f nameFlags
	m := st.m
	nw := len(m.words)
	nr := min(len(w), 8)
	type pair struct {
		s    uint8
		i, j int8
	}
	var pairs [maxWords * 8]pair
	var rowOf [8]uint16
	np := 0
	for j := range nr {
		if int(w[j]) < len(m.slot) {
			rowOf[j] = m.slot[w[j]]
		}
		row := &m.sims[rowOf[j]]
		for i := range nw {
			if s := row[i]; s > 0 {
				pairs[np] = pair{s, int8(i), int8(j)}
				np++
			}
		}
	}
	for a := 1; a < np; a++ { // insertion sort, best first; ties keep position order
		for b := a; b > 0 && pairs[b].s > pairs[b-1].s; b-- {
			pairs[b], pairs[b-1] = pairs[b-1], pairs[b]
		}
	}
	var qUsed [maxWords]bool
	var rSim [8]uint8
	var rBy [8]int8
	for _, p := range pairs[:np] {
		if qUsed[p.i] || rSim[p.j] != 0 {
			continue
		}
		qUsed[p.i] = true
		rSim[p.j], rBy[p.j] = p.s, p.i
	}
	// Order: the matched words, read in the record's order, must come in
	// the candidate's order, or in it with the family name moved last.
	direct, rotated := true, true
	last, lastRot := -1, -1
	for j := range nr {
		if rSim[j] == 0 {
			continue
		}
		i := int(rBy[j])
		if i < last {
			direct = false
		}
		if r := (i + 1) % nw; r < lastRot {
			rotated = false
		} else {
			lastRot = r
		}
		last = max(last, i)
	}
	inOrder := direct || rotated
	freeQ := 0
	for i := range nw {
		if !qUsed[i] {
			freeQ++
		}
	}
	weight := float32(0)
	var unmatched [3]int
	for j := range nr {
		ro := role(j, nr)
		if rSim[j] == 0 {
			unmatched[ro]++
			continue
		}
		ri := &st.rows[rowOf[j]]
		i := int(rBy[j])
		if rSim[j] >= simExact {
			weight += ri.exact
			if rSim[j] == simExact && st.qAccented[i] && ri.accented {
				weight += st.accentW[i]
				f.near = true
			}
			continue
		}
		f.near = true
		weight += ri.w[i]
	}
	if !inOrder {
		weight += wOrder
		f.partial = true
	}
	// The candidate's given name (its last word, or the one before when the
	// family name was written last) left over while the record's given name
	// went to another word: the given names differ ("Ma Văn Minh Khang"
	// against "Ma Minh").
	if nr >= 2 && nw >= 2 && unmatched[roleGiven] == 0 {
		gi := nw - 1
		if !direct && rotated {
			gi = nw - 2
		}
		if !qUsed[gi] {
			weight += wGivenDiffer
			f.differs = true
			freeQ--
		}
	}
	// Unmatched record words, the given name, the family name, the middle
	// names in that order, each take one of the candidate's leftover words
	// as a disagreement while there are any; the rest are missing.
	for _, ro := range [3]int{roleGiven, roleFamily, roleMiddle} {
		for range unmatched[ro] {
			if freeQ > 0 {
				freeQ--
				switch ro {
				case roleGiven:
					weight += wGivenDiffer
					f.differs = true
				case roleFamily:
					weight += wFamilyDiffer
					f.differs = true
				default:
					weight += wMiddleDiffer
					f.partial = true
				}
				continue
			}
			f.partial = true
			switch ro {
			case roleGiven:
				weight += wGivenMiss
			case roleFamily:
				weight += wFamilyMiss
			default:
				weight += wMiddleMiss
			}
		}
	}
	if freeQ > 0 {
		weight += wExtraWord * float32(freeQ)
		f.partial = true
	}
	return float64(weight), f
}

func (st *matchState) sexWeight(s uint8) float64 {
	switch {
	case st.sex == ident.SexUnknown || s == 0:
		return 0
	case ident.Sex(s) == st.sex:
		return wSexAgree
	}
	return wSexDiffer
}

// placeWeight compares the record's commune with the candidate's.
func (st *matchState) placeWeight(ci uint16) (float64, string) {
	if len(st.communes) == 0 || ci == 0 {
		return 0, ""
	}
	if slices.Contains(st.communes, ci) {
		return math.Log2(mCommune / st.uComm), "commune"
	}
	p := st.ix.pl.provOf[ci]
	if p != 0 && slices.Contains(st.provs, p) {
		u := share(int(st.ix.provCount[p]), st.n, 1.0/34)
		return math.Log2(mProvince / u), "province"
	}
	return wPlaceDiffer, "commune_differs"
}

// dobWeight compares dates of birth at the precision both have.
func (st *matchState) dobWeight(v uint32) (float64, string) {
	c := st.dob
	if c.IsZero() || v == 0 {
		return 0, ""
	}
	r := unpackDate(v)
	ix := st.ix
	y := r.Year - 1900
	if y < 0 || y > 255 {
		return 0, ""
	}
	uYear := share(int(ix.yearCount[y]), float64(ix.nYear), 1.0/16)
	uMonth := func() float64 {
		return share(int(ix.monthCount[y*13+r.Month]), float64(ix.nMonth), 1.0/192)
	}
	uDay := func() float64 {
		return share(int(ix.dayCount[(y*13+r.Month)*32+r.Day]), float64(ix.nDay), 1.0/5844)
	}
	dy := c.Year - r.Year
	yearOff := func() (float64, string) {
		if c.Estimated || r.Estimated {
			return math.Log2(mDOBYear1E / (2 * uYear)), ""
		}
		return math.Log2(mDOBYear1 / (2 * uYear)), "dob_differs"
	}
	prec := max(c.Precision, r.Precision) // the coarser of the two
	switch {
	case dy == 0 && prec == dates.Day:
		switch {
		case c.Month == r.Month && c.Day == r.Day:
			return math.Log2(mDOBExact / uDay()), "dob_exact"
		case dates.SwappedDayMonth(c, r):
			return math.Log2(mDOBSwap / uDay()), "dob_swapped"
		case c.Month == r.Month:
			if d := c.Day - r.Day; d == 1 || d == -1 {
				return math.Log2(mDOBNear / (2 * uDay())), "dob_near"
			}
			return math.Log2(mDOBMonth / uMonth()), "dob_month"
		}
		if d := st.dobDay - dayNumber(r.Year, r.Month, r.Day); d == 1 || d == -1 {
			return math.Log2(mDOBNear / (2 * uDay())), "dob_near"
		}
		return math.Log2(mDOBYear / uYear), "dob_year"
	case dy == 0 && prec == dates.Month:
		if c.Month == r.Month {
			return math.Log2(mDOBPartM / uMonth()), "dob_month"
		}
		return math.Log2(mDOBYear / uYear), "dob_year"
	case dy == 0:
		return math.Log2(mDOBPartY / uYear), "dob_year"
	case (dy == 1 || dy == -1) && prec == dates.Day:
		if d := st.dobDay - dayNumber(r.Year, r.Month, r.Day); d == 1 || d == -1 { // 31/12 and 01/01
			return math.Log2(mDOBNear / (2 * uDay())), "dob_near"
		}
		return yearOff()
	case dy == 1 || dy == -1:
		return yearOff()
	}
	return wDOBDiffer, "dob_differs"
}

// dobBound is the most dobWeight can give a record born in the year an
// entry carries (0: unknown).
func (st *matchState) dobBound(year uint8) float64 {
	c := st.dob
	if c.IsZero() || year == 0 {
		return 0
	}
	ix := st.ix
	y := int(year) + 1900
	cy := c.Year - 1900
	if cy < 0 || cy > 255 {
		return 0
	}
	uYear := func(y int) float64 { return share(int(ix.yearCount[y]), float64(ix.nYear), 1.0/16) }
	switch dy := c.Year - y; {
	case dy == 0:
		switch c.Precision {
		case dates.Day: // at best the same day (a swap or a day off weigh less)
			u := share(int(ix.dayCount[(cy*13+c.Month)*32+c.Day]), float64(ix.nDay), 1.0/5844)
			return math.Log2(mDOBExact / u)
		case dates.Month:
			u := share(int(ix.monthCount[cy*13+c.Month]), float64(ix.nMonth), 1.0/192)
			return math.Log2(mDOBPartM / u)
		}
		return math.Log2(mDOBPartY / uYear(cy))
	case dy == 1 || dy == -1:
		w := math.Log2(mDOBYear1E / (2 * uYear(y-1900)))
		if c.Precision == dates.Day && (c.Month == 1 && c.Day == 1 || c.Month == 12 && c.Day == 31) {
			w = max(w, math.Log2(mDOBNear/(2*share(0, float64(ix.nDay), 1.0/5844))))
		}
		return w
	}
	return wDOBDiffer
}

// pidNear reports whether two 12-digit numbers differ in one digit or by
// two neighbouring digits swapped.
func pidNear(a, b uint64) bool {
	sa, sb := formatPID(a), formatPID(b)
	var diff []int
	for i := range 12 {
		if sa[i] != sb[i] {
			diff = append(diff, i)
			if len(diff) > 2 {
				return false
			}
		}
	}
	switch len(diff) {
	case 1:
		return true
	case 2:
		i, j := diff[0], diff[1]
		return j == i+1 && sa[i] == sb[j] && sa[j] == sb[i]
	}
	return false
}

func digitsOnly(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b = append(b, c)
		case c == ' ' || c == '.' || c == '-':
		default:
			return s
		}
	}
	return string(b)
}
