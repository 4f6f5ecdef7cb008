package children

import (
	"context"
	"testing"
	"time"

	"treem/internal/store"
	"treem/internal/store/storetest"
)

// A load that fails part way (here: every chunk's read) returns the error;
// it does not wait for ever on the readers it started, however many
// chunks are still to come.
func TestLoadThatFailsReturns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, err := New(ctx, Deps{DB: db})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, "ALTER TABLE children RENAME TO children_gone")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.loadRange(ctx, 1, 100*loadChunk) }()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("a load without its table succeeded")
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a failed load hangs")
		}
	})
}
