package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/hub"
)

// Leases is the hub.TickLease of a node on PostgreSQL: a row of workshop_leases per
// workshop, whose node renews it while its room runs. The database's clock decides expiry,
// so the nodes' clocks need not agree.
type Leases struct {
	db   *bun.DB
	node string
	ttl  time.Duration
	log  *slog.Logger
}

var _ hub.TickLease = (*Leases)(nil)

// NewLeases returns the leases of node; a lease not renewed within ttl may be taken.
func NewLeases(db *bun.DB, node string, ttl time.Duration, log *slog.Logger) *Leases {
	if log == nil {
		log = slog.Default()
	}
	return &Leases{db: db, node: node, ttl: ttl, log: log}
}

// Holds takes or renews the lease. A node that does not hold it first reads the row, and
// writes only when the lease is free or expired: every room of every node asks every third
// of the lease, and only the holder's renewal should cost a commit. The write itself is one
// statement that succeeds only if the row is free, this node's, or expired.
func (l *Leases) Holds(ctx context.Context, workshop int64) bool {
	var node string
	var expired bool
	err := l.db.NewRaw("SELECT node, expires_at < now() FROM workshop_leases WHERE workshop_id = ?", workshop).
		Scan(ctx, &node, &expired)
	switch {
	case err == nil && node != l.node && !expired:
		return false // another node's, alive
	case err != nil && !isNoRows(err):
		l.log.Warn("cluster: lease", "workshop", workshop, "err", err)
		return false
	}
	err = l.db.NewRaw(`INSERT INTO workshop_leases (workshop_id, node, expires_at)
		VALUES (?, ?, now() + ? * interval '1 millisecond')
		ON CONFLICT (workshop_id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at
		WHERE workshop_leases.node = excluded.node OR workshop_leases.expires_at < now()
		RETURNING node`, workshop, l.node, l.ttl.Milliseconds()).Scan(ctx, &node)
	if err != nil {
		if !isNoRows(err) {
			l.log.Warn("cluster: lease", "workshop", workshop, "err", err)
		}
		return false
	}
	return node == l.node
}

// Release deletes the lease if it is this node's.
func (l *Leases) Release(ctx context.Context, workshop int64) {
	_, err := l.db.NewRaw("DELETE FROM workshop_leases WHERE workshop_id = ? AND node = ?", workshop, l.node).Exec(ctx)
	if err != nil {
		l.log.Warn("cluster: release lease", "workshop", workshop, "err", err)
	}
}

// Holder names the node that holds a workshop's lease, "" when none does (tests, logs).
func (l *Leases) Holder(ctx context.Context, workshop int64) (string, error) {
	var node []string
	err := l.db.NewRaw("SELECT node FROM workshop_leases WHERE workshop_id = ? AND expires_at >= now()", workshop).Scan(ctx, &node)
	if err != nil {
		return "", fmt.Errorf("cluster: lease holder: %w", err)
	}
	if len(node) == 0 {
		return "", nil
	}
	return node[0], nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
