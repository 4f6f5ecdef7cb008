package privacy

import (
	"context"
	"time"

	"treem/internal/audit"
	"treem/internal/errs"
	"treem/internal/jobs"
	"treem/internal/store"
)

// retentionHour is when the daily run starts: 02:00 in Vietnam (19:00 UTC).
const retentionHour = 19

// maxPerRun bounds what one run erases per target, so that a first run on
// a large old registry does not hold a worker for hours; the next day's
// run goes on.
const maxPerRun = 20000

// Schedule makes sure the next daily retention run is queued. Every
// instance calls it at start-up; the unique key (the run's day) keeps one.
func (s *Service) Schedule(ctx context.Context) error {
	if s.Jobs == nil {
		return nil
	}
	next := nextRun(s.Now())
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		return s.enqueue(ctx, tx, next)
	})
}

func (s *Service) enqueue(ctx context.Context, tx *store.Tx, at time.Time) error {
	return s.Jobs.Enqueue(ctx, tx, JobRetention, map[string]string{"day": at.Format("2006-01-02")},
		jobs.Opts{RunAt: at, UniqueKey: JobRetention + ":" + at.Format("2006-01-02"), MaxAttempts: 5})
}

// nextRun is the first retention time after now.
func nextRun(now time.Time) time.Time {
	u := now.UTC()
	t := time.Date(u.Year(), u.Month(), u.Day(), retentionHour, 0, 0, 0, time.UTC)
	if !t.After(u) {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// retentionJob runs the rule, then queues the next day's run (in the same
// transaction as nothing else: if queuing fails the job is retried, and
// the run is idempotent).
func (s *Service) retentionJob(ctx context.Context, j jobs.Job) error {
	if _, err := s.RunRetention(ctx); err != nil {
		return err
	}
	next := nextRun(s.Now())
	return s.DB.Write(ctx, func(tx *store.Tx) error { return s.enqueue(ctx, tx, next) })
}

// RunRetention anonymises, for every target, the records inactive for
// longer than the retention period, and returns how many it erased. With
// the rule off (RetentionYears 0) it does nothing.
func (s *Service) RunRetention(ctx context.Context) (int, error) {
	if s.RetentionYears <= 0 {
		return 0, nil
	}
	ctx = audit.WithActor(ctx, audit.System)
	cutoff := s.Now().AddDate(-s.RetentionYears, 0, 0)
	total := 0
	for _, t := range s.targetList() {
		done := 0
		for done < maxPerRun {
			ids, err := t.Due(ctx, cutoff, retentionBatch)
			if err != nil {
				return total, err
			}
			progressed := 0
			for _, id := range ids {
				_, err := s.erase(ctx, t.Name, id, ReasonRetention, "", t.Erase)
				if errs.Is(err, 409) || errs.Is(err, 404) {
					continue // another instance (or a person) got there first
				}
				if err != nil {
					return total, err
				}
				progressed++
			}
			done += progressed
			total += progressed
			if len(ids) < retentionBatch || progressed == 0 {
				break
			}
		}
		if done > 0 {
			s.Log.Info("retention: records anonymised", "target", t.Name, "count", done)
		}
	}
	return total, nil
}
