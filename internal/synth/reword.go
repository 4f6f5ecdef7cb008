package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"treem/internal/dates"
	"treem/internal/ident"
)

// Changes a second report may carry, as RewordExplained names them.
const (
	ChangeCase            = "case"              // all capitals or all small letters
	ChangeNoDiacritics    = "no_diacritics"     // typed without diacritics
	ChangeWrongDiacritics = "wrong_diacritics"  // a tone or hat wrong in one word
	ChangeOrder           = "order"             // family name written last
	ChangeTypo1           = "typo_1"            // a typing slip in one word
	ChangeTypo2           = "typo_2"            // typing slips in two words
	ChangeMiddleMissing   = "middle_missing"    // middle name left out
	ChangeMiddleDifferent = "middle_different"  // another middle name
	ChangeDOBShort        = "dob_dmyy"          // written d/m/yy
	ChangeDOBYear         = "dob_year"          // only the year
	ChangeDOBMonth        = "dob_month"         // only month and year
	ChangeDOBSwapped      = "dob_swapped"       // day and month swapped
	ChangeDOBOffDay       = "dob_off_day"       // a day off
	ChangeDOBYearOff      = "dob_year_off"      // "about" a neighbouring year
	ChangeDOBMissing      = "dob_missing"       // no date at all
	ChangeCommuneOld      = "commune_old"       // the pre-2025 commune code
	ChangeCommuneMissing  = "commune_missing"   // no commune
	ChangeCommuneNear     = "commune_neighbour" // a neighbouring commune (moved, or reported there)
	ChangeSexMissing      = "sex_missing"       // sex not given
	ChangePID             = "pid"               // the report carries the ID number
	ChangePhone           = "phone"             // the report carries the caregiver's phone
)

// Reword writes c down again as a second, independent report about the same
// child would: see RewordExplained.
func Reword(c Child, r *rand.Rand) Child {
	out, _ := RewordExplained(c, r)
	return out
}

// RewordExplained returns a second report of c and the changes made (the
// Change constants). Each kind of change is drawn independently, at rates
// meant to look like reports that reach a commune from a hotline, a school
// or a neighbouring commune:
//
//	name: capitals/small 15%, no diacritics 25%, a wrong diacritic 12%,
//	      family name last 10%, typo in one word 25% and in two 8%,
//	      middle name missing 8% or different 4%
//	date of birth: as registered 43%, d/m/yy 12%, year only 10%,
//	      month and year 10%, day and month swapped 8% (when possible),
//	      a day off 7%, a neighbouring year marked "about" 2%, missing 3%
//	commune: same 60%, its old code 15%, missing 10%, a neighbour 15%
//	sex missing 15%; the ID number given 30% and the phone 30% of the
//	times the child has one
//
// Groups, ethnicity and caregiver are left as they are.
func RewordExplained(c Child, r *rand.Rand) (Child, []string) {
	var changes []string
	note := func(s string) { changes = append(changes, s) }
	n := partsOf(c)
	out := c
	out.Groups = nil
	out.OldCommune = ""

	// Name.
	if n.middle != "" && n.style != styleEde && n.style != styleBana && n.style != styleKoho && n.style != styleJrai {
		switch x := r.IntN(100); {
		case x < 8:
			n.middle = ""
			note(ChangeMiddleMissing)
		case x < 12:
			before := n.middle
			for i := 0; i < 10 && n.middle == before; i++ {
				n.middle = makeName(r, c.Ethnicity, c.Sex, north).middle
			}
			if n.middle != before {
				note(ChangeMiddleDifferent)
			}
		}
	}
	name := n.full()
	words := strings.Fields(name)
	if len(words) >= 3 && n.family != "" && n.style != styleEde && r.IntN(100) < 10 {
		words = append(words[1:], words[0])
		note(ChangeOrder)
	}
	switch x := r.IntN(100); {
	case x < 25:
		if typo(words, 1, r) {
			note(ChangeTypo1)
		}
	case x < 33:
		if typo(words, 2, r) {
			note(ChangeTypo2)
		}
	}
	name = strings.Join(words, " ")
	if r.IntN(100) < 25 {
		name = stripDiacritics(name)
		note(ChangeNoDiacritics)
	} else if r.IntN(100) < 12 {
		if w, ok := wrongDiacritic(name, r); ok {
			name = w
			note(ChangeWrongDiacritics)
		}
	}
	switch x := r.IntN(100); {
	case x < 10:
		name = strings.ToUpper(name)
		note(ChangeCase)
	case x < 15:
		name = strings.ToLower(name)
		note(ChangeCase)
	}
	out.Name = name

	// Date of birth.
	out.DOBText, out.DOB = rewordDate(c.DOB, r, note)

	// Commune.
	p := loadPlaces()
	if ci := p.communeIndex(c.Commune); ci >= 0 {
		switch x := r.IntN(100); {
		case x < 60:
		case x < 75:
			if old := p.communes[ci].oldCodes; len(old) > 0 {
				out.Commune = ""
				out.OldCommune = old[r.IntN(len(old))]
				note(ChangeCommuneOld)
			}
		case x < 85:
			out.Commune = ""
			note(ChangeCommuneMissing)
		default:
			if nb := p.neighbour(ci, r); nb != ci {
				out.Commune = p.communes[nb].code
				note(ChangeCommuneNear)
			}
		}
	}

	if r.IntN(100) < 15 {
		out.Sex = ident.SexUnknown
		note(ChangeSexMissing)
	}
	if c.PID != "" && r.IntN(100) < 30 {
		note(ChangePID)
	} else {
		out.PID = ""
	}
	if c.Phone != "" && r.IntN(100) < 30 {
		note(ChangePhone)
	} else {
		out.Phone = ""
	}
	return out, changes
}

// partsOf returns c's name parts; a Child not made here is read as family
// name first, given name last.
func partsOf(c Child) nameParts {
	if c.name.given != "" && c.name.full() == c.Name {
		return c.name
	}
	w := strings.Fields(c.Name)
	switch len(w) {
	case 0:
		return nameParts{}
	case 1:
		return nameParts{given: w[0]}
	}
	return nameParts{family: w[0], middle: strings.Join(w[1:len(w)-1], " "), given: w[len(w)-1]}
}

func rewordDate(d dates.Date, r *rand.Rand, note func(string)) (string, dates.Date) {
	text := d.String()
	if d.IsZero() {
		return "", d
	}
	x := r.IntN(100)
	switch {
	case x < 43:
	case x < 55:
		if d.Precision == dates.Day {
			text = strconv.Itoa(d.Day) + "/" + strconv.Itoa(d.Month) + "/" + strconv.Itoa(d.Year%100)
			if d.Year%100 < 10 {
				text = strconv.Itoa(d.Day) + "/" + strconv.Itoa(d.Month) + "/0" + strconv.Itoa(d.Year%100)
			}
			note(ChangeDOBShort)
		}
	case x < 65:
		text = strconv.Itoa(d.Year)
		note(ChangeDOBYear)
	case x < 75:
		if d.Precision <= dates.Month {
			text = dates.Date{Year: d.Year, Month: d.Month, Precision: dates.Month}.String()
			note(ChangeDOBMonth)
		}
	case x < 83:
		if d.Precision == dates.Day && d.Day <= 12 && d.Day != d.Month {
			text = dates.Date{Year: d.Year, Month: d.Day, Day: d.Month, Precision: dates.Day}.String()
			note(ChangeDOBSwapped)
		}
	case x < 90:
		if d.Precision == dates.Day {
			day := dayNumber(d.Year, d.Month, d.Day) + 1 - 2*r.IntN(2)
			text = exactDate(day).String()
			note(ChangeDOBOffDay)
		}
	case x < 92:
		y := d.Year + 1 - 2*r.IntN(2)
		text = "~" + strconv.Itoa(y)
		note(ChangeDOBYearOff)
	case x < 95:
		note(ChangeDOBMissing)
		return "", dates.Date{}
	}
	parsed, err := dates.Parse(text)
	if err != nil { // cannot happen for the shapes above; keep the registry's form
		return d.String(), d
	}
	return text, parsed
}

// keyboard neighbours on a QWERTY layout, for substitution slips.
var neighbours = map[rune]string{
	'q': "wa", 'w': "qes", 'e': "wrd", 'r': "etf", 't': "ryg", 'y': "tuh", 'u': "yij", 'i': "uok",
	'o': "ipl", 'p': "o", 'a': "qsz", 's': "awdx", 'd': "sefc", 'f': "drgv", 'g': "fthb",
	'h': "gyjn", 'j': "hukm", 'k': "jil", 'l': "ko", 'z': "ax", 'x': "zsc", 'c': "xdv",
	'v': "cfb", 'b': "vgn", 'n': "bhm", 'm': "nj",
}

// typo makes a slip in n distinct words of at least two letters; it reports
// whether it could.
func typo(words []string, n int, r *rand.Rand) bool {
	var cand []int
	for i, w := range words {
		if len([]rune(w)) >= 2 {
			cand = append(cand, i)
		}
	}
	if len(cand) < n {
		return false
	}
	r.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	for _, i := range cand[:n] {
		words[i] = slip(words[i], r)
	}
	return true
}

// slip changes one word by one keystroke: a neighbouring key, a letter
// dropped, a letter doubled or two letters swapped.
func slip(w string, r *rand.Rand) string {
	rs := []rune(w)
	for range 10 {
		i := r.IntN(len(rs))
		switch r.IntN(4) {
		case 0:
			base := unicode.ToLower(baseLetter(rs[i]))
			nb := neighbours[base]
			if nb == "" {
				continue
			}
			c := rune(nb[r.IntN(len(nb))])
			if unicode.IsUpper(rs[i]) {
				c = unicode.ToUpper(c)
			}
			rs[i] = c
		case 1:
			if len(rs) < 3 {
				continue
			}
			rs = append(rs[:i], rs[i+1:]...)
		case 2:
			rs = append(rs[:i+1], rs[i:]...)
			rs[i+1] = unicode.ToLower(rs[i+1])
		case 3:
			if i == len(rs)-1 || rs[i] == rs[i+1] {
				continue
			}
			a, b := rs[i], rs[i+1]
			if unicode.IsUpper(a) { // keep the capital first
				a, b = unicode.ToLower(a), unicode.ToUpper(b)
			}
			rs[i], rs[i+1] = b, a
		}
		if out := string(rs); out != w {
			return out
		}
	}
	return w
}

// baseLetter returns the letter without its diacritics: ễ → e, đ → d.
func baseLetter(c rune) rune {
	switch c {
	case 'đ':
		return 'd'
	case 'Đ':
		return 'D'
	}
	if c < 0x80 {
		return c
	}
	for _, d := range norm.NFD.String(string(c)) {
		return d
	}
	return c
}

// stripDiacritics writes s as typed on a keyboard without Vietnamese input:
// letters keep their case, lose their marks, đ becomes d.
func stripDiacritics(s string) string {
	var b strings.Builder
	for _, c := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, c):
		case c == 'đ':
			b.WriteByte('d')
		case c == 'Đ':
			b.WriteByte('D')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Tone marks as combining characters.
var tones = []rune{0x0300, 0x0301, 0x0303, 0x0309, 0x0323}

func isTone(c rune) bool {
	for _, t := range tones {
		if c == t {
			return true
		}
	}
	return false
}

// wrongDiacritic puts the wrong tone on one word (or takes its tone or hat
// away): Nguyễn → Nguyến, Thị → Thi.
func wrongDiacritic(s string, r *rand.Rand) (string, bool) {
	words := strings.Fields(s)
	var marked []int
	for i, w := range words {
		if strings.ContainsFunc(norm.NFD.String(w), func(c rune) bool { return unicode.Is(unicode.Mn, c) }) {
			marked = append(marked, i)
		}
	}
	if len(marked) == 0 {
		return s, false
	}
	i := marked[r.IntN(len(marked))]
	d := []rune(norm.NFD.String(words[i]))
	for j, c := range d {
		if !unicode.Is(unicode.Mn, c) {
			continue
		}
		if isTone(c) && r.IntN(3) > 0 {
			for {
				t := tones[r.IntN(len(tones))]
				if t != c {
					d[j] = t
					break
				}
			}
		} else {
			d = append(d[:j], d[j+1:]...)
		}
		break
	}
	words[i] = norm.NFC.String(string(d))
	return strings.Join(words, " "), true
}
