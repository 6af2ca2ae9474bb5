// Package clustertest helps the tests of nodes that share one PostgreSQL: it cuts the bus the
// way a network fault or an administrator would, so that a test can watch the nodes recover.
package clustertest

import (
	"context"
	"testing"

	"github.com/uptrace/bun"
)

// TerminateListeners ends, with pg_terminate_backend, every connection on which a node of
// db's schema listens to the cluster's channel ("assises:" and the schema), and returns how
// many it ended.
func TerminateListeners(ctx context.Context, t testing.TB, db bun.IDB) int {
	t.Helper()
	var killed []bool
	if err := db.NewRaw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN "assises:' || current_schema() || '"%'`).Scan(ctx, &killed); err != nil {
		t.Fatal(err)
	}
	return len(killed)
}
