// Package server is the HTTP face of Assises: every route (routes.go, also those served by
// its packages organise, register, door and notebooks), sign-in and sign-out, the live pages
// of a session, the organiser's pages, static files, the middleware and the /ws upgrade
// handed to the hub. Handlers parse the request, call the domain, and answer through the
// helpers every page shares (server/web).
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/attempts"
	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/frontend"
	"github.com/assises/assises/hub"
	"github.com/assises/assises/i18n"
	"github.com/assises/assises/mail"
	"github.com/assises/assises/mail/outbox"
	"github.com/assises/assises/server/assets"
	"github.com/assises/assises/server/door"
	"github.com/assises/assises/server/notebooks"
	"github.com/assises/assises/server/organise"
	"github.com/assises/assises/server/register"
	"github.com/assises/assises/server/web"
)

// Config holds what the server needs; nothing is read from globals or the environment here.
type Config struct {
	DB        *bun.DB
	Hub       *hub.Hub // nil: live workshops are not served (some tests)
	PublicURL *url.URL // the address people use; the WebSocket origin check compares against it
	Logger    *slog.Logger
	Now       func() time.Time
	Mail      *mail.Sender // nil or not enabled: no email; organisers hand out links and cards
	// Outbox sends the queued email in the background (cmd/assises runs it); the handlers
	// only wake it.
	Outbox *outbox.Worker
	// Catalog is the interface texts; nil loads the embedded ones. The binary loads them once
	// and gives the same catalog to the hub (its refusals) and here.
	Catalog *i18n.Catalog
	// TrustedProxies are the reverse proxies in front of the server: from them, the per-address
	// rate limits believe X-Forwarded-For (see clientKey). None: the peer is the client.
	TrustedProxies []netip.Prefix
	// Ready says whether the node should get new traffic: an error (its text is the state,
	// e.g. "draining") makes /readyz answer 503. nil: ready whenever the database answers.
	Ready func() error
	// Deadlines bound the reading of requests; zero fields take DefaultDeadlines. The
	// http.Server must come from HTTPServer with the same value.
	Deadlines Deadlines
	// MaxPerAddress bounds the requests in progress of one client behind a trusted proxy
	// (the listener bounds the connections of the others: server/edge); 0 = no bound.
	MaxPerAddress int
	// TestHooks lets the live pages expose their state to the browser tests (window.assises).
	// Only `assises serve -test-hooks` sets it, which production never passes.
	TestHooks bool
}

// handler holds the dependencies of every route.
type handler struct {
	db        *bun.DB
	hub       *hub.Hub
	sessions  sessionCache // the handshake's memory of session cookies (sessioncache.go)
	publicURL *url.URL
	log       *slog.Logger
	now       func() time.Time
	catalog   *i18n.Catalog
	api       web.JSON  // the answers of the JSON routes
	site      *web.Site // what the pages of every package share: templates, sign-in, forms
	organise  *organise.API
	notebooks *notebooks.Pages
	door      *door.Door
	register  *register.Pages
	assets    *assets.Set // /static/: scripts, styles, images
	texts     *assets.Set // /i18n/: one catalog per language, for the scripts
	mail      *mail.Sender
	outbox    *outbox.Worker // woken when a message is queued; nil: it finds it when it polls
	limits    limits         // per-address rate limits on registration and sign-in
	guesses   *attempts.Book // the failed guesses the budgets in limits count, shared by all nodes
	// crossOrigin refuses changes that a browser says come from another site (middleware.go).
	crossOrigin *http.CrossOriginProtection
	// trustedProxies: whose X-Forwarded-For the rate limits believe.
	trustedProxies []netip.Prefix
	// trap: the wrong addresses already logged (address.go).
	trap      addressTrap
	mux       *http.ServeMux // routes(): the middleware asks it a request's route, the language switch the nearest page (lang.go)
	deadlines Deadlines
	proxied   proxiedRequests
	testHooks bool         // Config.TestHooks
	readiness func() error // nil: always ready (readyz still checks the database)
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
	a, err := assets.Load("/static/", frontend.Static, "static")
	if err != nil {
		return nil, err
	}
	texts, err := catalogAssets(catalog)
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
		texts:     texts,
		mail:      cfg.Mail,
		outbox:    cfg.Outbox,
		limits:    newLimits(),
		guesses:   attempts.NewBook(cfg.DB),

		trustedProxies: cfg.TrustedProxies,
		readiness:      cfg.Ready,
		deadlines:      cfg.Deadlines.withDefaults(),
		proxied:        proxiedRequests{max: cfg.MaxPerAddress, n: map[string]int{}},
		testHooks:      cfg.TestHooks,
	}
	h.sessions.now = h.now
	if cfg.Hub != nil {
		// Another node took a person's access away: the cookies this node trusts from memory
		// for them go, before the hub closes their sockets here.
		cfg.Hub.OnRevokedElsewhere(h.sessions.forgetParticipant)
	}
	h.api = web.JSON{Log: h.log, Catalog: catalog, Lang: web.Lang}
	h.site = &web.Site{
		DB: h.db, PublicURL: h.publicURL, Log: h.log, Now: h.now, Catalog: catalog, JSON: h.api,
		Assets: a, Texts: texts, NearestPage: h.nearestPage,
		SameOrigin: SameOrigin(h.publicURL), WrongAddress: h.wrongAddress, Disconnect: h.revoke,
	}
	if h.site.Templates, err = web.ParseTemplates(a); err != nil {
		return nil, err
	}
	h.register = &register.Pages{Site: h.site, Mail: h.mail, Outbox: h.outbox,
		RegisterLimit: h.limit(h.limits.register), CodeLimit: h.guessing(h.limits.code)}
	h.door = &door.Door{Site: h.site, Hub: h.hub, ClientKey: h.clientKey,
		SignInLimit: h.guessing(h.limits.signIn), JoinLimit: h.guessing(h.limits.join), OpenJoinLimit: h.limit(h.limits.openJoin)}
	h.organise = &organise.API{
		DB: h.db, PublicURL: h.publicURL, Log: h.log, Now: h.now, Catalog: catalog, Mail: h.mail,
		JSON: h.api, Lang: web.Lang, Participant: h.site.Participant, CheckCSRF: h.site.CheckCSRF,
		Disconnect:     h.revoke,
		LogsReset:      h.resetLiveLogs,
		MailInvitation: h.register.SendInvitation, NotifyPromoted: h.register.NotifyPromoted,
		NotebookURL: h.notebookURL,
	}
	h.notebooks = &notebooks.Pages{Site: h.site, Organise: h.organise}
	if h.crossOrigin, err = newCrossOriginProtection(cfg.PublicURL); err != nil {
		return nil, err
	}
	h.mux = h.routes()
	routes, err := compressPages(h.mux)
	if err != nil {
		return nil, err
	}
	return h.middleware(routes), nil
}

// health answers 200 when the database answers a query, 503 otherwise: load balancers and
// `make run`'s start-up test rely on it.
func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var one int
	if err := h.db.NewSelect().ColumnExpr("1").Scan(ctx, &one); err != nil {
		h.log.Warn("health check: database does not answer", "err", err)
		h.api.Write(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "down"})
		return
	}
	h.api.Write(w, http.StatusOK, map[string]string{"status": "ok", "database": h.db.Dialect().Name().String()})
}

// ready tells a load balancer whether to send this node new traffic: not while it drains
// before stopping (Config.Ready), nor when its database does not answer. /healthz stays 200
// while draining: the process is alive and finishing its work.
func (h *handler) ready(w http.ResponseWriter, r *http.Request) {
	if h.readiness != nil {
		if err := h.readiness(); err != nil {
			w.Header().Set("Retry-After", "5")
			h.api.Write(w, http.StatusServiceUnavailable, map[string]string{"status": err.Error()})
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var one int
	if err := h.db.NewSelect().ColumnExpr("1").Scan(ctx, &one); err != nil {
		h.api.Write(w, http.StatusServiceUnavailable, map[string]string{"status": "database down"})
		return
	}
	h.api.Write(w, http.StatusOK, map[string]string{"status": "ready"})
}

// resetLiveLogs tells this node's live rooms of a process's workshops that their logs were
// rewritten (an erasure committed a new epoch): each forgets its recent events, presence and
// catch-ups, and its clients resume from a fresh snapshot.
func (h *handler) resetLiveLogs(ctx context.Context, processID int64) {
	if h.hub == nil {
		return
	}
	ids, err := journal.ProcessWorkshopIDs(context.WithoutCancel(ctx), h.db, processID)
	if err != nil {
		// The erasure committed; only memory may still hold the old events, until the rooms
		// go idle or the server restarts. Say so loudly.
		h.log.Error("erasure: live rooms not reset, their memory may hold erased names until they close", "process", processID, "err", err)
		return
	}
	for _, id := range ids {
		h.hub.ResetLog(id)
	}
}

// notebookURL is the address of a process's notebook when that page exists in this build, else
// "": the organiser page shows no link to a page that is not there.
func (h *handler) notebookURL(processID int64) string {
	u := fmt.Sprintf("/organise/processes/%d/notebook", processID)
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return ""
	}
	if _, pattern := h.routes().Handler(req); pattern == "" || pattern == "/" {
		return ""
	}
	return u
}

// siteLimit is one of the per-address limits, as the packages that serve pages use it.
type siteLimit struct {
	h *handler
	l *limiter
}

func (h *handler) limit(l *limiter) web.Limit { return siteLimit{h, l} }

func (s siteLimit) Take(w http.ResponseWriter, r *http.Request) bool {
	return s.h.rateLimited(w, r, s.l)
}

// siteGuesses is one of the budgets of failed guesses, as the packages that serve pages use it.
type siteGuesses struct {
	h *handler
	b attempts.Budget
}

func (h *handler) guessing(b attempts.Budget) web.Guesses { return siteGuesses{h, b} }

func (s siteGuesses) Exhausted(w http.ResponseWriter, r *http.Request) bool {
	return s.h.failuresLimited(w, r, s.b)
}

func (s siteGuesses) Fail(r *http.Request) { s.h.countFailure(r, s.b) }

// clientKey is the address the per-address limits count r against.
func (h *handler) clientKey(r *http.Request) string { return clientKey(r, h.trustedProxies) }
