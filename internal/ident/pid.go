package ident

import (
	"fmt"
	"time"

	"treem/internal/dates"
)

// PID is a personal identification number (số định danh cá nhân, the number
// on the CCCD card; children receive one when their birth is registered),
// taken apart. The layout (Nghị định 137/2015/NĐ-CP, Thông tư 07/2016/TT-BCA
// and its successor 59/2021/TT-BCA) is: province code, century-and-sex digit,
// two-digit year of birth, serial.
type PID struct {
	Province    string // 3-digit code of the province of birth registration, one of the 63 pre-2025 provinces: "001" Hà Nội
	Century     int    // hundreds of the year of birth: 19 for 1900–1999, 20 for 2000–2099
	Sex         Sex    // from the century digit: even male, odd female
	YearOfBirth int    // full year, 2015
	Serial      string // the last 6 digits
}

// String returns the 12 digits.
func (p PID) String() string {
	digit := (p.Century-19)*2 + 1
	if p.Sex == Male {
		digit--
	}
	return fmt.Sprintf("%s%d%02d%s", p.Province, digit, p.YearOfBirth%100, p.Serial)
}

// clock gives "now" for the future-birth-year check; tests replace it.
var clock = time.Now

// ParsePID reads a 12-digit personal identification number. Spaces, dots and
// dashes are ignored. Errors are *PIDError with reason ErrEmpty, ErrDigits,
// ErrLength, ErrProvince or ErrCentury.
func ParsePID(s string) (PID, error) {
	n := strip(s, ".-")
	if n == "" {
		return PID{}, &PIDError{Reason: ErrEmpty}
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return PID{}, &PIDError{Reason: ErrDigits, Char: r}
		}
	}
	if len(n) != 12 {
		return PID{}, &PIDError{Reason: ErrLength, Length: len(n)}
	}
	p := PID{Province: n[:3], Serial: n[6:]}
	if !pidProvinces[p.Province] {
		return PID{}, &PIDError{Reason: ErrProvince, Province: p.Province}
	}
	c := int(n[3] - '0')
	p.Century = 19 + c/2 // 0/1 → 1900s, 2/3 → 2000s, 4/5 → 2100s …
	p.Sex = Male
	if c%2 == 1 {
		p.Sex = Female
	}
	p.YearOfBirth = p.Century*100 + int(n[4]-'0')*10 + int(n[5]-'0')
	if now := dates.Today(clock()).Year; p.YearOfBirth > now {
		return PID{}, &PIDError{Reason: ErrCentury, EncodedYear: p.YearOfBirth, EncodedSex: p.Sex}
	}
	return p, nil
}

// CheckPID reads s like ParsePID and checks it against the record: the year
// it encodes must be dob's year and the sex it encodes must be sex. Each
// check is skipped when the record does not know that part (zero dob,
// SexUnknown). A mismatch is a *PIDError with reason ErrYearMismatch (or
// ErrSexMismatch when only the sex differs) that carries both sides, so a
// message can say "the number encodes a girl born in 2015 but the record
// says a boy born in 2016". An estimated dob is still compared: the number
// is usually right and the estimate wrong, which is worth telling the
// officer; RecordEstimated lets the message say so. On a mismatch the parsed
// PID is returned along with the error, so the caller can show what the
// number says.
func CheckPID(s string, dob dates.Date, sex Sex) (PID, error) {
	p, err := ParsePID(s)
	if err != nil {
		return PID{}, err
	}
	yearBad := !dob.IsZero() && dob.Year != p.YearOfBirth
	sexBad := sex != SexUnknown && sex != p.Sex
	if !yearBad && !sexBad {
		return p, nil
	}
	e := &PIDError{
		Reason:      ErrYearMismatch,
		EncodedYear: p.YearOfBirth, EncodedSex: p.Sex,
		RecordYear: dob.Year, RecordSex: sex, RecordEstimated: dob.Estimated,
		YearDiffers: yearBad, SexDiffers: sexBad,
	}
	if !yearBad {
		e.Reason = ErrSexMismatch
	}
	return p, e
}

// PIDError says why a personal identification number was rejected. It
// unwraps to its Reason. The number itself is not kept.
type PIDError struct {
	Reason Reason
	Char   rune // ErrDigits: the first character that is not a digit
	Length int  // ErrLength: the number of digits found
	// ErrProvince: the 3-digit code found
	Province string
	// What the number encodes (ErrCentury, mismatches).
	EncodedYear int
	EncodedSex  Sex
	// What the record says (mismatches); zero where the record does not know.
	RecordYear      int
	RecordSex       Sex
	RecordEstimated bool
	// Which parts disagree; both may be true, Reason names the year first.
	YearDiffers, SexDiffers bool
}

func (e *PIDError) Unwrap() error { return e.Reason }

// Args returns the details of e by name, for a translated message.
func (e *PIDError) Args() map[string]any {
	a := map[string]any{}
	switch e.Reason {
	case ErrDigits:
		a["char"] = string(e.Char)
	case ErrLength:
		a["length"] = e.Length
	case ErrProvince:
		a["province"] = e.Province
	case ErrCentury:
		a["encoded_year"] = e.EncodedYear
	case ErrYearMismatch, ErrSexMismatch:
		a["encoded_year"], a["encoded_sex"] = e.EncodedYear, e.EncodedSex.String()
		a["record_year"], a["record_sex"] = e.RecordYear, e.RecordSex.String()
		a["record_estimated"] = e.RecordEstimated
		a["year_differs"], a["sex_differs"] = e.YearDiffers, e.SexDiffers
	}
	return a
}

func (e *PIDError) Error() string {
	const what = "personal ID number"
	switch e.Reason {
	case ErrEmpty:
		return what + ": nothing given"
	case ErrDigits:
		return fmt.Sprintf("%s: only digits are allowed, found %q", what, e.Char)
	case ErrLength:
		return fmt.Sprintf("%s: must have 12 digits, found %d", what, e.Length)
	case ErrProvince:
		return fmt.Sprintf("%s: starts with %s, which is not a province code (001–096)", what, e.Province)
	case ErrCentury:
		return fmt.Sprintf("%s: encodes a birth year of %d, which is in the future", what, e.EncodedYear)
	case ErrYearMismatch, ErrSexMismatch:
		return fmt.Sprintf("%s encodes %s born in %d, but the record says %s", what, e.EncodedSex.word(), e.EncodedYear, e.record())
	}
	return what + ": " + e.Reason.Error()
}

// record describes what the record says, naming only the parts it knows.
func (e *PIDError) record() string {
	born := ""
	if e.RecordYear != 0 {
		about := ""
		if e.RecordEstimated {
			about = "about "
		}
		born = fmt.Sprintf("born in %s%d", about, e.RecordYear)
	}
	switch {
	case e.RecordSex == SexUnknown:
		return born
	case born == "":
		return e.RecordSex.word()
	}
	return e.RecordSex.word() + " " + born
}
