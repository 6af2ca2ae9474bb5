package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/uptrace/bun"
)

// The address links are printed with. The server knows where it listens; an admin command
// (`admin link`, `admin invite`), run apart, does not. So the server writes its address at every
// start, and an admin command given neither -public-url nor -addr prints links with it, instead
// of guessing :8080.

// siteAddress is the one row the server writes.
type siteAddress struct {
	bun.BaseModel `bun:"table:site_addresses"`

	Name      string `bun:",pk"`
	URL       string
	UpdatedAt time.Time
}

const servedAddress = "served"

// listenURL is the public URL of a server listening on ln when none was configured: this
// machine, at the port it really listens on (-addr :0 included).
func listenURL(ln net.Listener) *url.URL {
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	host := "localhost"
	if port != "80" {
		host += ":" + port
	}
	return &url.URL{Scheme: "http", Host: host}
}

// saveServedAddress records where the running server is reached.
func saveServedAddress(ctx context.Context, db bun.IDB, u *url.URL, now time.Time) error {
	row := &siteAddress{Name: servedAddress, URL: u.String(), UpdatedAt: now}
	_, err := db.NewInsert().Model(row).On("CONFLICT (name) DO UPDATE").Set("url = EXCLUDED.url, updated_at = EXCLUDED.updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: save served address: %w", err)
	}
	return nil
}

// servedAddressOr returns the address the server last recorded, or fallback when none is
// recorded (a server that never started on this database).
func servedAddressOr(ctx context.Context, db bun.IDB, fallback *url.URL) *url.URL {
	var row siteAddress
	if err := db.NewSelect().Model(&row).Where("name = ?", servedAddress).Scan(ctx); err != nil {
		return fallback
	}
	u, err := url.Parse(row.URL)
	if err != nil || u.Host == "" {
		return fallback
	}
	return u
}

// linkBase is the address an admin command prints links with: the configured public URL, else
// -addr when given, else where the server says it listens, else http://localhost:8080.
func linkBase(ctx context.Context, db bun.IDB, cfg config) *url.URL {
	if cfg.publicSet || cfg.addrSet {
		return cfg.publicURL
	}
	return servedAddressOr(ctx, db, cfg.publicURL)
}
