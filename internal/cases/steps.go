package cases

import (
	"slices"

	"treem/internal/auth"
)

// Step codes of the procedure (Nghị định 56/2017/NĐ-CP, Điều 26–30), used
// by the API.
const (
	StepReceived           = "received"            // 1 tiếp nhận thông tin (Mẫu 01)
	StepVerifying          = "verifying"           // 2 kiểm tra, xác minh
	StepInitialAssessment  = "initial_assessment"  // 3 đánh giá nguy cơ ban đầu (Mẫu 02)
	StepEmergency          = "emergency"           // can thiệp khẩn cấp, tạm thời cách ly (Mẫu 07), within 12 hours
	StepDetailedAssessment = "detailed_assessment" // 4 đánh giá nguy cơ cụ thể (Mẫu 03)
	StepPlanning           = "planning"            // 5 xây dựng kế hoạch (Mẫu 04)
	StepPlanApproval       = "plan_approval"       // 5 phê duyệt kế hoạch (Mẫu 05)
	StepImplementing       = "implementing"        // 6 thực hiện kế hoạch
	StepReviewing          = "reviewing"           // 7 rà soát, đánh giá (Mẫu 06)
	StepClosed             = "closed"              // 7 đóng hồ sơ
	StepTransferred        = "transferred"         // handed to another commune, awaiting its acceptance
)

// Steps lists the step codes in the order of the procedure.
var Steps = []string{StepReceived, StepVerifying, StepInitialAssessment, StepEmergency, StepDetailedAssessment,
	StepPlanning, StepPlanApproval, StepImplementing, StepReviewing, StepClosed, StepTransferred}

// ValidStep reports whether s is a step code.
func ValidStep(s string) bool { return slices.Contains(Steps, s) }

// Transition is an allowed move between steps and the permission it needs.
type Transition struct {
	From, To string
	Perm     auth.Perm
}

// transitions is the state machine: the one place that says which step may
// follow which, and who may move a case. A transition not listed is
// refused with the list of those that are allowed. Guards that depend on
// the case's records (a recorded emergency measure, a drafted plan, a
// receiving commune) are in checkGuards.
var transitions = []Transition{
	{StepReceived, StepVerifying, auth.PermCaseWrite},
	{StepReceived, StepInitialAssessment, auth.PermCaseWrite},
	{StepReceived, StepEmergency, auth.PermCaseWrite},
	{StepReceived, StepClosed, auth.PermCaseWrite}, // not a child-protection matter, duplicate

	{StepVerifying, StepInitialAssessment, auth.PermCaseWrite},
	{StepVerifying, StepEmergency, auth.PermCaseWrite},
	{StepVerifying, StepClosed, auth.PermCaseWrite}, // report unfounded

	{StepInitialAssessment, StepEmergency, auth.PermCaseWrite}, // serious danger: act within 12 hours
	{StepInitialAssessment, StepDetailedAssessment, auth.PermCaseWrite},
	{StepInitialAssessment, StepClosed, auth.PermCaseWrite}, // no risk found

	{StepEmergency, StepDetailedAssessment, auth.PermCaseWrite}, // after the emergency measure (Mẫu 07)

	{StepDetailedAssessment, StepEmergency, auth.PermCaseWrite},
	{StepDetailedAssessment, StepPlanning, auth.PermCaseWrite},
	{StepDetailedAssessment, StepClosed, auth.PermCaseWrite},

	{StepPlanning, StepEmergency, auth.PermCaseWrite},
	{StepPlanning, StepPlanApproval, auth.PermCaseWrite}, // submit the plan (Mẫu 04) for approval

	{StepPlanApproval, StepImplementing, auth.PermCaseApprove}, // approve (Mẫu 05)
	{StepPlanApproval, StepPlanning, auth.PermCaseApprove},     // send back

	{StepImplementing, StepEmergency, auth.PermCaseWrite},
	{StepImplementing, StepReviewing, auth.PermCaseWrite},

	{StepReviewing, StepClosed, auth.PermCaseWrite},       // the child is safe and stable (Mẫu 06)
	{StepReviewing, StepPlanning, auth.PermCaseWrite},     // a new plan
	{StepReviewing, StepImplementing, auth.PermCaseWrite}, // carry on with the plan

	{StepClosed, StepVerifying, auth.PermCaseWrite}, // reopen on new information
}

// transferable are the steps from which a case may be handed to another
// commune; the receiving commune accepting it returns it to the step it
// was in (or the sender withdraws it).
var transferable = []string{StepReceived, StepVerifying, StepInitialAssessment, StepDetailedAssessment,
	StepPlanning, StepImplementing, StepReviewing}

// Transitions returns the state machine's table (for documentation and
// tests), transfers included.
func Transitions() []Transition {
	out := slices.Clone(transitions)
	for _, s := range transferable {
		out = append(out, Transition{s, StepTransferred, auth.PermCaseWrite})
		out = append(out, Transition{StepTransferred, s, auth.PermCaseWrite})
	}
	return out
}

// next lists the steps a case in step from may move to (ignoring who asks).
// prev is the step before a transfer, the only way out of transferred.
func next(from, prev string) []string {
	var out []string
	if from == StepTransferred {
		if prev != "" {
			out = append(out, prev)
		}
		return out
	}
	for _, t := range transitions {
		if t.From == from {
			out = append(out, t.To)
		}
	}
	if slices.Contains(transferable, from) {
		out = append(out, StepTransferred)
	}
	return out
}

// permFor is the permission a transition needs.
func permFor(from, to string) auth.Perm {
	for _, t := range transitions {
		if t.From == from && t.To == to {
			return t.Perm
		}
	}
	return auth.PermCaseWrite
}
