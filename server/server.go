// Package server is the HTTP face of Assises: routes, sign-in and sessions, server-rendered
// pages, the JSON API, static files and the /ws upgrade handed to the hub. Handlers parse the
// request, call the domain, and answer through the shared response helpers.
package server

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/frontend"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/i18n"
	"github.com/assises/assises/mail"
)

// Config holds what the server needs; nothing is read from globals or the environment here.
type Config struct {
	DB        *bun.DB
	Hub       *hub.Hub // nil: live workshops are not served (some tests)
	PublicURL *url.URL // the address people use; the WebSocket origin check compares against it
	Logger    *slog.Logger
	Now       func() time.Time
	Mail      *mail.Sender // nil or not enabled: no email; organisers hand out links and cards
	// Catalog is the interface texts; nil loads the embedded ones. The binary loads them once
	// and gives the same catalog to the hub (its refusals) and here.
	Catalog *i18n.Catalog
	// TrustedProxies are the reverse proxies in front of the server: from them, the per-address
	// rate limits believe X-Forwarded-For (see clientKey). None: the peer is the client.
	TrustedProxies []netip.Prefix
}

// handler holds the dependencies of every route.
type handler struct {
	db        *bun.DB
	hub       *hub.Hub
	publicURL *url.URL
	log       *slog.Logger
	now       func() time.Time
	catalog   *i18n.Catalog
	pages     map[string]*template.Template
	assets    *assets
	mail      *mail.Sender
	limits    limits // per-address rate limits on registration and sign-in
	// crossOrigin refuses changes that a browser says come from another site (middleware.go).
	crossOrigin *http.CrossOriginProtection
	// trustedProxies: whose X-Forwarded-For the rate limits believe.
	trustedProxies []netip.Prefix
}

// New returns the HTTP handler of the whole product.
func New(cfg Config) (http.Handler, error) {
	if cfg.DB == nil || cfg.PublicURL == nil {
		return nil, fmt.Errorf("server: DB and PublicURL are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	catalog := cfg.Catalog
	if catalog == nil {
		var err error
		if catalog, err = i18n.Load(frontend.Catalogs, "i18n"); err != nil {
			return nil, err
		}
	}
	a, err := loadAssets(frontend.Static, "static")
	if err != nil {
		return nil, err
	}
	h := &handler{
		db:        cfg.DB,
		hub:       cfg.Hub,
		publicURL: cfg.PublicURL,
		log:       cfg.Logger,
		now:       cfg.Now,
		catalog:   catalog,
		assets:    a,
		mail:      cfg.Mail,
		limits:    newLimits(),

		trustedProxies: cfg.TrustedProxies,
	}
	if h.pages, err = parsePages(a); err != nil {
		return nil, err
	}
	if h.crossOrigin, err = newCrossOriginProtection(cfg.PublicURL); err != nil {
		return nil, err
	}
	return h.middleware(h.routes()), nil
}
