package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"treem/internal/match/quality"
	"treem/internal/vntext"
)

// pgPeer runs the same reports through the obvious peer: PostgreSQL's
// pg_trgm similarity over unaccented, lower-cased names (vntext.Fold is
// what unaccent(lower(name)) gives), with a GIN trigram index, the best
// ten by similarity. It knows names only, as such a query would.
func pgPeer(ctx context.Context, dsn string, set *quality.Set, limit int) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("pg_trgm peer: %w", err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		"CREATE EXTENSION IF NOT EXISTS pg_trgm",
		"DROP TABLE IF EXISTS matcheval_registry",
		"CREATE TABLE matcheval_registry (id BIGINT PRIMARY KEY, name_folded TEXT NOT NULL)",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("pg_trgm peer: %s: %w", q, err)
		}
	}
	defer conn.Exec(context.Background(), "DROP TABLE IF EXISTS matcheval_registry")
	start := time.Now()
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"matcheval_registry"}, []string{"id", "name_folded"},
		pgx.CopyFromSlice(len(set.Registry), func(i int) ([]any, error) {
			r := set.Registry[i]
			return []any{r.ID, vntext.Fold(r.Name)}, nil
		}))
	if err != nil {
		return fmt.Errorf("pg_trgm peer: copy: %w", err)
	}
	for _, q := range []string{
		"CREATE INDEX matcheval_trgm ON matcheval_registry USING gin (name_folded gin_trgm_ops)",
		"ANALYZE matcheval_registry",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("pg_trgm peer: %s: %w", q, err)
		}
	}
	fmt.Printf("\npg_trgm peer: %d names loaded and indexed in %v\n", len(set.Registry), time.Since(start).Round(time.Millisecond))

	const query = `SELECT id, similarity(name_folded, $1) FROM matcheval_registry
		WHERE name_folded % $1 ORDER BY 2 DESC, id LIMIT 10`
	var (
		second, notIn, first, any10 int
		rightScores, newScores      []float64
		took                        []time.Duration
	)
	for i, rep := range set.Reports {
		if limit > 0 && i >= limit {
			break
		}
		t0 := time.Now()
		rows, err := conn.Query(ctx, query, vntext.Fold(rep.Child.Name))
		if err != nil {
			return fmt.Errorf("pg_trgm peer: query: %w", err)
		}
		var ids []int64
		var best float64
		for rows.Next() {
			var id int64
			var s float32
			if err := rows.Scan(&id, &s); err != nil {
				rows.Close()
				return err
			}
			if len(ids) == 0 {
				best = float64(s)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		took = append(took, time.Since(t0))
		if rep.Want != 0 {
			second++
			if len(ids) > 0 && ids[0] == rep.Want {
				first++
				rightScores = append(rightScores, best)
			} else {
				rightScores = append(rightScores, 0)
			}
			if slices.Contains(ids, rep.Want) {
				any10++
			}
		} else {
			notIn++
			newScores = append(newScores, best)
		}
	}
	slices.Sort(took)
	fmt.Printf("pg_trgm peer over %d reports (%d second reports, %d children not in the registry):\n", len(took), second, notIn)
	fmt.Printf("  right child first: %.4f; among the ten: %.4f\n", ratio(first, second), ratio(any10, second))
	fmt.Printf("  query wall time p50 %v p95 %v max %v\n", quality.Percentile(took, .50).Round(time.Microsecond),
		quality.Percentile(took, .95).Round(time.Microsecond), took[len(took)-1].Round(time.Microsecond))
	fmt.Println("  if a best similarity of at least T were called likely:")
	for _, t := range []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1.0} {
		fmt.Printf("    T=%.1f: right child first and likely %.4f; a child not in the registry likely %.4f\n",
			t, atLeast(rightScores, t), atLeast(newScores, t))
	}
	return nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func atLeast(scores []float64, t float64) float64 {
	n := 0
	for _, s := range scores {
		if s >= t-1e-9 {
			n++
		}
	}
	return ratio(n, len(scores))
}
