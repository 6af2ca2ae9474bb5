// Package storage opens the database behind Assises: an embedded SQLite file by default, or
// PostgreSQL when given a postgres:// URL. It hides nothing else: callers get a *bun.DB and use
// bun directly.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	_ "modernc.org/sqlite" // registers the "sqlite" driver: pure Go, no cgo
)

// DefaultSQLitePath is where the embedded database lives when nothing else is configured.
const DefaultSQLitePath = "data/assises.db"

// Options tune the connection pool. The zero value gives sensible defaults.
type Options struct {
	// MaxOpenConns bounds the PostgreSQL pool (SQLite always uses one connection: one writer).
	MaxOpenConns int
	// StatementTimeout, LockTimeout and IdleInTxTimeout are set on every PostgreSQL session so
	// that a stuck query or a forgotten transaction cannot hold a room hostage.
	StatementTimeout time.Duration
	LockTimeout      time.Duration
	IdleInTxTimeout  time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = 16
	}
	if o.StatementTimeout <= 0 {
		o.StatementTimeout = 10 * time.Second
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 5 * time.Second
	}
	if o.IdleInTxTimeout <= 0 {
		o.IdleInTxTimeout = 30 * time.Second
	}
	return o
}

// Open connects to the database named by dsn and checks that it answers.
//
//   - "" means the default SQLite file (DefaultSQLitePath);
//   - "postgres://…" or "postgresql://…" means PostgreSQL;
//   - anything else is a SQLite file path (optionally prefixed with "sqlite://" or "file:").
func Open(ctx context.Context, dsn string, opts Options) (*bun.DB, error) {
	opts = opts.withDefaults()
	var db *bun.DB
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db = openPostgres(dsn, opts)
	default:
		var err error
		db, err = openSQLite(sqlitePath(dsn))
		if err != nil {
			return nil, err
		}
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: connect to %s: %w", Describe(dsn), err)
	}
	return db, nil
}

// IsPostgresDSN reports whether dsn names a PostgreSQL database (else a SQLite file).
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLitePath is the file a SQLite dsn names (DefaultSQLitePath for ""), for the commands that
// work on the file itself (backup, restore).
func SQLitePath(dsn string) string { return sqlitePath(dsn) }

func sqlitePath(dsn string) string {
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		path = DefaultSQLitePath
	}
	return path
}

func openSQLite(path string) (*bun.DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("storage: create data directory: %w", err)
		}
	}
	// WAL lets readers work while the writer commits; synchronous(FULL) makes every commit
	// durable before we acknowledge it (group commit amortises the fsync); _txlock=immediate
	// takes the write lock at BEGIN so two transactions never deadlock upgrading a read lock.
	// secure_delete overwrites deleted rows with zeros instead of leaving them in free space,
	// so that an erasure erases from the file too (people.Erase, docs/privacy.md).
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "secure_delete(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	// modernc.org/sqlite directly: it honours _pragma and _txlock on every platform, where
	// bun's sqliteshim fell back to mattn/go-sqlite3 under cgo and dropped them silently.
	sqldb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("storage: open sqlite: %w", err)
	}
	// One connection: SQLite has one writer anyway, and a single connection turns lock
	// contention into an orderly queue in database/sql instead of SQLITE_BUSY errors.
	sqldb.SetMaxOpenConns(1)
	sqldb.SetMaxIdleConns(1)
	sqldb.SetConnMaxLifetime(0)
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

func openPostgres(dsn string, opts Options) *bun.DB {
	params := map[string]any{
		"statement_timeout":                   ms(opts.StatementTimeout),
		"lock_timeout":                        ms(opts.LockTimeout),
		"idle_in_transaction_session_timeout": ms(opts.IdleInTxTimeout),
	}
	if schema := searchPath(dsn); schema != "" {
		params["search_path"] = schema
	}
	connector := pgdriver.NewConnector(pgdriver.WithDSN(dsn), pgdriver.WithConnParams(params))
	sqldb := sql.OpenDB(connector)
	sqldb.SetMaxOpenConns(opts.MaxOpenConns)
	sqldb.SetMaxIdleConns(opts.MaxOpenConns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	return bun.NewDB(sqldb, pgdialect.New())
}

// searchPath reads a search_path query parameter (tests give each run its own schema).
func searchPath(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return u.Query().Get("search_path")
}

func ms(d time.Duration) string { return fmt.Sprintf("%d", d.Milliseconds()) }

// IsPostgres reports whether db talks to PostgreSQL.
func IsPostgres(db bun.IDB) bool { return db.Dialect().Name() == dialect.PG }

// Describe names a database for logs without its password.
func Describe(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "postgres (unparsable URL)"
		}
		return "postgres://" + u.Host + u.Path
	}
	return "sqlite " + sqlitePath(dsn)
}

// ErrUnavailable marks a failure to reach the database at all (as opposed to a refused query).
var ErrUnavailable = errors.New("storage: database unavailable")
