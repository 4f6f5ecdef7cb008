package seal

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"treem/internal/store"
)

// Column names a database column holding sealed values, so that key
// rotation can find and re-seal them. Each area lists its own (for example
// auth.SealedColumns) and the application gathers them.
type Column struct {
	Table   string // table name
	Key     string // the row's unique key: a column, or several separated by commas
	Column  string // the sealed column
	Context string // the context the values were sealed with
}

func (c Column) String() string { return c.Table + "." + c.Column }

// ResealColumns re-seals, with the active key, every value of the columns sealed
// with another key. It works in batches and changes a value only if it is
// still the one read (a row changed meanwhile was sealed with the active
// key anyway), so it can run while the servers do. It returns how many
// values it re-sealed per column.
func (k *Keyring) ResealColumns(ctx context.Context, db *store.DB, cols []Column, progress func(c Column, done int)) (map[string]int, error) {
	out := map[string]int{}
	active := k.Active()
	for _, c := range cols {
		keys := strings.Split(c.Key, ",")
		for i := range keys {
			keys[i] = strings.TrimSpace(keys[i])
		}
		keyList := strings.Join(keys, ", ")
		var last []any
		for {
			q := fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s IS NOT NULL", keyList, c.Column, c.Table, c.Column)
			if last != nil {
				// Keyset paging on the (possibly composite) key: one text
				// for both engines, row values included.
				ph := make([]string, len(keys))
				for i := range keys {
					ph[i] = fmt.Sprintf("$%d", i+1)
				}
				q += fmt.Sprintf(" AND (%s) > (%s)", keyList, strings.Join(ph, ", "))
			}
			q += fmt.Sprintf(" ORDER BY %s LIMIT 500", keyList)
			type row struct {
				key    []any
				sealed []byte
			}
			var batch []row
			rows, err := db.Read().QueryContext(ctx, q, last...)
			if err != nil {
				return out, fmt.Errorf("reseal %s: %w", c, err)
			}
			for rows.Next() {
				r := row{key: make([]any, len(keys))}
				dest := make([]any, len(keys)+1)
				for i := range keys {
					dest[i] = &r.key[i]
				}
				dest[len(keys)] = &r.sealed
				if err := rows.Scan(dest...); err != nil {
					rows.Close()
					return out, err
				}
				batch = append(batch, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return out, err
			}
			if len(batch) == 0 {
				break
			}
			last = batch[len(batch)-1].key
			where := make([]string, len(keys))
			for i, k := range keys {
				where[i] = fmt.Sprintf("%s = $%d", k, i+3)
			}
			upd := fmt.Sprintf("UPDATE %s SET %s = $1 WHERE %s = $2 AND %s", c.Table, c.Column, c.Column, strings.Join(where, " AND "))
			err = db.Write(ctx, func(tx *store.Tx) error {
				for _, r := range batch {
					if id, err := KeyOf(r.sealed); err != nil || id == active || len(r.sealed) == 0 {
						continue
					}
					fresh, changed, err := k.Reseal(c.Context, r.sealed)
					if err != nil {
						return fmt.Errorf("reseal %s: %w", c, err)
					}
					if !changed {
						continue
					}
					res, err := tx.ExecContext(ctx, upd, append([]any{fresh, r.sealed}, r.key...)...)
					if err != nil {
						return fmt.Errorf("reseal %s: %w", c, err)
					}
					if n, _ := res.RowsAffected(); n == 1 {
						out[c.String()]++
					}
				}
				return nil
			})
			if err != nil {
				return out, err
			}
			if progress != nil {
				progress(c, out[c.String()])
			}
		}
	}
	return out, nil
}

// InUse counts, per key id, the values of the columns sealed with it.
func InUse(ctx context.Context, db *store.DB, cols []Column) (map[string]int, error) {
	out := map[string]int{}
	for _, c := range cols {
		rows, err := db.Read().QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NOT NULL", c.Column, c.Table, c.Column))
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", c, err)
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return nil, err
			}
			if id, err := KeyOf(b); err == nil && len(b) > 0 {
				out[id]++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Watch reloads the key file whenever it changes (after `treem keys
// rotate`), checking every interval until ctx ends, so running servers
// seal new data with the new key without a restart.
func (k *Keyring) Watch(ctx context.Context, interval time.Duration, onError func(error)) {
	if k.path == "" {
		return
	}
	mod := func() time.Time {
		fi, err := os.Stat(k.path)
		if err != nil {
			return time.Time{}
		}
		return fi.ModTime()
	}
	seen := mod()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if m := mod(); !m.IsZero() && !m.Equal(seen) {
				if err := k.Reload(); err != nil {
					if onError != nil {
						onError(err)
					}
					continue
				}
				seen = m
			}
		}
	}
}
