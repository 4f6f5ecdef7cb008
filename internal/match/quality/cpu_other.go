//go:build !linux

package quality

import "time"

// ThreadCPU is not measured on this system: it returns 0.
func ThreadCPU() time.Duration { return 0 }
