// Package match finds children in the registry by name, personal ID number
// or phone (Search), and finds the records a new or reported child may
// already have (Match), at national scale: two million records in memory,
// answers in milliseconds. It is pure: the registry feeds it with Upsert and
// Delete; it knows nothing of the database.
//
// # Names
//
// Names are cut into syllables ("H'Hen Niê" is h, hen, nie) and folded
// (lower case, no diacritics, đ → d) with vntext. The folded vocabulary of
// Vietnamese names is small — a few thousand syllables — so a query word is
// expanded against the whole vocabulary: to itself, to sound-alike
// spellings (d/gi/r, tr/ch, s/x, final n/ng/nh, y/i …; one confusion at a
// time), to words one edit away (two for words of five letters or more,
// only when no one-edit word exists), and for a name still being typed to
// the words it begins. Every accented syllable has a posting list per
// province; an entry (16 bytes) carries the record's slot, its first four
// words, commune, year of birth and sex, so most of the work runs over
// sequential memory without touching the records.
//
// # Search
//
// See Index.Search for what matches. The query word with the fewest
// postings in scope is the pivot; its postings are read and every other
// word is checked against the words the entry carries.
//
// # Match: the model
//
// Match is a Fellegi–Sunter record linkage. For each field the comparison
// of candidate and record has an outcome (agree, agree in part, disagree,
// missing) whose weight is log2(m/u): m the chance of that outcome when the
// record is the candidate (a second report of the same child), u the chance
// when it is not. The m values are set in match.go from what reports look
// like (how often a word is misspelt, a date given as a year, a commune
// given by its old code); the u values come from the index's own counts, so
// they are frequency-aware: "Nguyễn" agreeing weighs about 1.3 bits, a given
// name one child in ten thousand carries about 13; the same day of birth
// about 12 bits, the same year about 4; the same commune 10–12 bits, the same
// province 1–2. Counts are shrunk towards national defaults by a thousand
// pseudo-records, so a small pilot registry does not overreact.
//
//   - Name: words are paired in any order, best first. A word weighs by how
//     many records have it anywhere in their name. A near pair (typo, sound-
//     alike) weighs log2(p/u) with p the chance of that slip and u the chance
//     that any name comes out written this way — so "Jhang" for Khang counts
//     and "Hang" for Khang does not. Words out of order (other than family
//     name last) lose 3 bits; a missing middle name little, a different one
//     3.6 bits, a different given or family name 5–5.6 bits. Because name
//     words are not independent (Thạch, Sóc, Sóc go together), the name's
//     weight is capped by how many records have a name weighing as much:
//     log2(0.8 · N / k).
//   - Date of birth: exact, day and month swapped (weaker), a day off,
//     month-and-year or year-only agreement (partial, by the coarser of the
//     two dates), a year off (neutral-ish if either is an estimate), other.
//   - Sex; commune (current code, or an old code resolved through geo to the
//     commune(s) it went into) and, failing that, province; ID number (equal,
//     one digit off, different); phone — the caregiver's, so it agrees for
//     brothers and sisters too and counts as household evidence (6 bits).
//
// The weights add up to W, and the score is the posterior probability that
// the record is the candidate: 1 / (1 + 2^−(W + log2(0.5/N))), with N the
// records in the index and 0.5 the prior chance that a reported child is in
// the registry at all. A record whose given or family name disagrees
// outright is never "likely" unless its ID number agrees (twins, brothers).
//
// Candidates are found by reading the postings of the candidate's rarest
// name word (and the next while under 120,000 entries), through its exact
// and sound-alike spellings (its typo neighbours too when the word itself
// looks like a slip), plus every record of the candidate's commune and
// every record holding its ID number or phone; an entry is scored only if
// what it carries could reach the "possible" threshold.
//
// # Thresholds
//
// LikelyThreshold (0.80) and PossibleThreshold (0.05) are probabilities,
// and were chosen on the labelled synthetic set of package quality
// (go run ./internal/match/cmd/matcheval prints the sweep): at 200,000
// records, scores ≥ 0.80 put the right child first for 95% of second
// reports and answer 0.3% of children not in the registry (precision above
// 99%); lowering "likely" to 0.5 gains 2 points of recall for six times the
// false alarms (1.8%), raising it to 0.9 loses 1 point for half. "Possible"
// at 0.05 keeps every right first answer (98.9%) while showing something for
// one child in eight who is not in the registry, which is what search before
// create is for; at 0.2 it would drop half a point of recall to halve that.
// At 2,000,000 records the same thresholds give recall 0.97–0.98 and 0.5–1%
// false "likely": a bigger registry holds more namesakes, and the prior
// falls with N.
package match
