package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"treem/internal/jobs"
	"treem/internal/store"
	"treem/internal/store/storetest"
	"treem/internal/testenv"
)

type counter struct {
	mu   sync.Mutex
	runs map[string]int
}

func (c *counter) handler(fail func(a args, attempt int) error) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) error {
		var a args
		if err := decode(j, &a); err != nil {
			return err
		}
		c.mu.Lock()
		c.runs[a.Name]++
		c.mu.Unlock()
		if fail != nil {
			return fail(a, j.Attempt)
		}
		return nil
	}
}

func (c *counter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs[name]
}

type args struct{ Name string }

func decode(j jobs.Job, v any) error { return jsonUnmarshal(j.Args, v) }

func runDue(t *testing.T, q *jobs.Queue) int {
	t.Helper()
	n, err := q.RunDue(context.Background())
	if err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	return n
}

func newQueue(db *store.DB, clock *testenv.Clock, c *counter, fail func(args, int) error) *jobs.Queue {
	q := jobs.New(db, nil, clock.Now)
	q.Handle("test", c.handler(fail))
	return q
}

func enqueue(t *testing.T, db *store.DB, q *jobs.Queue, name string, o jobs.Opts) {
	t.Helper()
	ctx := context.Background()
	if err := db.Write(ctx, func(tx *store.Tx) error { return q.Enqueue(ctx, tx, "test", args{name}, o) }); err != nil {
		t.Fatal(err)
	}
}

func TestJobRunsOnceWhenDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := testenv.NewClock(testenv.Start)
		c := &counter{runs: map[string]int{}}
		q := newQueue(db, clock, c, nil)
		enqueue(t, db, q, "now", jobs.Opts{})
		enqueue(t, db, q, "later", jobs.Opts{RunAt: clock.Now().Add(24 * time.Hour)})
		ctx := context.Background()
		if n, err := q.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("first run: %d jobs, %v; want the due one", n, err)
		}
		if n, _ := q.RunDue(ctx); n != 0 {
			t.Fatalf("a done job ran again (%d)", n)
		}
		clock.Advance(24 * time.Hour)
		runDue(t, q)
		if c.get("now") != 1 || c.get("later") != 1 {
			t.Fatalf("runs: %v", c.runs)
		}
	})
}

func TestFailedJobIsRetriedWithBackOffThenGivenUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := testenv.NewClock(testenv.Start)
		c := &counter{runs: map[string]int{}}
		q := newQueue(db, clock, c, func(a args, attempt int) error { return errors.New("SMTP down") })
		enqueue(t, db, q, "mail", jobs.Opts{MaxAttempts: 3})
		ctx := context.Background()
		runDue(t, q)
		runDue(t, q) // not due yet: back-off
		if c.get("mail") != 1 {
			t.Fatalf("retried without waiting: %d runs", c.get("mail"))
		}
		for i := 0; i < 5; i++ {
			clock.Advance(time.Hour)
			runDue(t, q)
		}
		if c.get("mail") != 3 {
			t.Fatalf("runs %d, want MaxAttempts 3", c.get("mail"))
		}
		st, _ := q.Stats(ctx)
		if st["failed"] != 1 {
			t.Fatalf("job states %v, want one failed", st)
		}
	})
}

func TestUniqueKeyAndRollback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := testenv.NewClock(testenv.Start)
		c := &counter{runs: map[string]int{}}
		q := newQueue(db, clock, c, nil)
		enqueue(t, db, q, "remind", jobs.Opts{UniqueKey: "case:1:plan"})
		enqueue(t, db, q, "remind", jobs.Opts{UniqueKey: "case:1:plan"})
		ctx := context.Background()
		db.Write(ctx, func(tx *store.Tx) error {
			q.Enqueue(ctx, tx, "test", args{"rolled back"}, jobs.Opts{})
			return errors.New("the change failed")
		})
		runDue(t, q)
		if c.get("remind") != 1 || c.get("rolled back") != 0 {
			t.Fatalf("runs %v: want the unique job once and nothing from the rolled-back transaction", c.runs)
		}
	})
}

// Two instances on one database race for the same jobs: each job runs once.
func TestEachJobRunsOnceAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := testenv.NewClock(testenv.Start)
		c := &counter{runs: map[string]int{}}
		qa := newQueue(db, clock, c, nil)
		qb := newQueue(db, clock, c, nil)
		qa.Batch, qb.Batch = 7, 5
		const n = 200
		ctx := context.Background()
		for i := 0; i < n; i++ {
			enqueue(t, db, qa, "j"+string(rune('A'+i%26))+itoa(i), jobs.Opts{})
		}
		var wg sync.WaitGroup
		for _, q := range []*jobs.Queue{qa, qb, qa, qb} {
			wg.Add(1)
			go func(q *jobs.Queue) {
				defer wg.Done()
				if _, err := q.RunDue(ctx); err != nil {
					t.Error(err)
				}
			}(q)
		}
		wg.Wait()
		total := 0
		for name, runs := range c.runs {
			if runs != 1 {
				t.Errorf("job %s ran %d times", name, runs)
			}
			total++
		}
		if total != n {
			t.Fatalf("%d jobs ran, want %d", total, n)
		}
	})
}

// A worker that dies mid-job loses its lease; another instance runs the job.
func TestAbandonedJobIsTakenOverAfterItsLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := testenv.NewClock(testenv.Start)
		c := &counter{runs: map[string]int{}}
		dead := jobs.New(db, nil, clock.Now)
		block := make(chan struct{})
		dead.Handle("test", func(ctx context.Context, j jobs.Job) error { <-block; return nil })
		alive := newQueue(db, clock, c, nil)
		enqueue(t, db, alive, "x", jobs.Opts{})
		go dead.RunDue(context.Background())
		// Wait until the dead worker holds the job.
		for i := 0; i < 200; i++ {
			st, _ := alive.Stats(context.Background())
			if st["running"] == 1 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		runDue(t, alive)
		if c.get("x") != 0 {
			t.Fatal("a leased job was taken before its lease ended")
		}
		clock.Advance(alive.Lease + time.Second)
		runDue(t, alive)
		if c.get("x") != 1 {
			t.Fatalf("abandoned job not taken over: %d runs", c.get("x"))
		}
		close(block)
	})
}

func TestStartRunsEnqueuedJobs(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	done := make(chan string, 1)
	q := jobs.New(db, nil, nil)
	q.Handle("test", func(ctx context.Context, j jobs.Job) error {
		var a args
		decode(j, &a)
		done <- a.Name
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q.Start(ctx)
	if err := q.EnqueueNow(ctx, "test", args{"hello"}, jobs.Opts{}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-done:
		if got != "hello" {
			t.Fatalf("ran %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the worker did not run the job")
	}
}

// Start runs Workers jobs at once: two slow jobs are both under way at
// the same time, so together they take the time of one.
func TestWorkersRunSlowJobsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		started := make(chan string, 2)
		release := make(chan struct{})
		finished := make(chan string, 2)
		q := jobs.New(db, nil, nil)
		q.Workers = 2
		q.Handle("test", func(ctx context.Context, j jobs.Job) error {
			var a args
			decode(j, &a)
			started <- a.Name
			select {
			case <-release: // the test lets both go only once both are under way
			case <-ctx.Done():
				return ctx.Err()
			}
			finished <- a.Name
			return nil
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer func() { cancel(); q.Wait() }()
		q.Start(ctx)
		enqueue(t, db, q, "slow 1", jobs.Opts{})
		enqueue(t, db, q, "slow 2", jobs.Opts{})
		for i := 0; i < 2; i++ {
			select {
			case <-started:
			case <-time.After(10 * time.Second):
				t.Fatalf("only %d of 2 slow jobs under way: the workers run one job at a time", i)
			}
		}
		close(release)
		for i := 0; i < 2; i++ {
			select {
			case <-finished:
			case <-time.After(10 * time.Second):
				t.Fatal("a released job did not finish")
			}
		}
	})
}

// Several instances, each with several workers, run every job exactly once.
func TestConcurrentWorkersRunEachJobOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 120
		c := &counter{runs: map[string]int{}}
		ran := make(chan struct{}, 2*n)
		ctx, cancel := context.WithCancel(context.Background())
		var qs []*jobs.Queue
		for i := 0; i < 3; i++ {
			q := jobs.New(db, nil, nil)
			q.Workers = 4
			h := c.handler(nil)
			q.Handle("test", func(ctx context.Context, j jobs.Job) error {
				err := h(ctx, j)
				ran <- struct{}{}
				return err
			})
			qs = append(qs, q)
		}
		for i := 0; i < n; i++ {
			enqueue(t, db, qs[i%3], "j"+itoa(i), jobs.Opts{})
		}
		for _, q := range qs {
			q.Start(ctx)
		}
		for i := 0; i < n; i++ {
			select {
			case <-ran:
			case <-time.After(20 * time.Second):
				t.Fatalf("%d of %d jobs ran", i, n)
			}
		}
		cancel()
		for _, q := range qs {
			q.Wait()
		}
		if len(c.runs) != n {
			t.Fatalf("%d distinct jobs ran, want %d", len(c.runs), n)
		}
		for name, runs := range c.runs {
			if runs != 1 {
				t.Errorf("job %s ran %d times", name, runs)
			}
		}
		st, _ := qs[0].Stats(context.Background())
		if st["done"] != n {
			t.Fatalf("job states %v, want %d done", st, n)
		}
	})
}

// Stopping gives running jobs Grace, then cancels them and hands them back
// at once, without counting the interrupted attempt.
func TestStopHandsBackInterruptedJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := testenv.NewClock(testenv.Start)
		started := make(chan struct{}, 1)
		q := jobs.New(db, nil, clock.Now)
		q.Grace = 50 * time.Millisecond
		q.Handle("test", func(ctx context.Context, j jobs.Job) error {
			started <- struct{}{}
			<-ctx.Done() // a job that does not finish by itself
			return ctx.Err()
		})
		ctx, cancel := context.WithCancel(context.Background())
		q.Start(ctx)
		enqueue(t, db, q, "long", jobs.Opts{})
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("the job did not start")
		}
		cancel()
		q.Wait()
		// Another instance takes it over now, not after the lease, as attempt 1.
		var attempt int
		other := jobs.New(db, nil, clock.Now)
		other.Handle("test", func(ctx context.Context, j jobs.Job) error { attempt = j.Attempt; return nil })
		if n := runDue(t, other); n != 1 || attempt != 1 {
			t.Fatalf("after stop: %d jobs ran, attempt %d; want the interrupted job again as attempt 1", n, attempt)
		}
	})
}
