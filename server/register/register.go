package register

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// Registration from the public page of a process: POST /p/{slug}/register. The rules (places,
// per-organisation cap, deadline) are the database's (people.Register); this file checks
// what the person typed, says clearly what is wrong while keeping what they typed, and tells
// them where each session landed.

// regForm is the registration form: what the person typed, the sessions to choose from, and
// what is wrong, field by field.
type regForm struct {
	Action, Token string
	Open          bool // the deadline has not passed and some session is still open
	Sessions      []sessionChoice
	Languages     []langChoice

	DisplayName, Organisation, Email, Language string
	ServiceUser, Consent                       bool

	Errors  map[string]string // field name → what to correct
	Problem string            // the summary at the top of the form
	// Overlap: the chosen sessions clash and the process lets the person confirm them all
	// (AcceptOverlap is that confirmation, a checkbox shown only then).
	Overlap, AcceptOverlap bool
}

type sessionChoice struct {
	ID           int64
	Title, Theme record.Localised // in the reader's language
	When, Place  string
	State        string // open, full (the waiting list is open), closed
	Left         int    // places left when open; -1: no limit
	Checked      bool
}

type langChoice struct {
	Code, Label string
	Selected    bool
}

// newRegForm builds the empty form (or the frame of a refused one) for a process.
func (h *Pages) newRegForm(ctx context.Context, lang string, p *record.Process, workshops []record.Workshop, themes []record.Theme) (*regForm, error) {
	counts, err := people.ConfirmedCounts(ctx, h.DB, p.ID)
	if err != nil {
		return nil, err
	}
	now := h.Now()
	f := &regForm{Action: "/p/" + p.Slug + "/register", Language: lang, Errors: map[string]string{}}
	deadlinePassed := p.RegistrationDeadline != nil && !now.Before(*p.RegistrationDeadline)
	loc := web.LocaliserFor(p, lang)
	themeTitle := map[int64]record.Localised{}
	for _, t := range themes {
		themeTitle[t.ID], _ = loc.Theme(&t)
	}
	for _, w := range workshops {
		c := sessionChoice{ID: w.ID, Title: loc.Workshop(&w), When: web.FormatSession(lang, w.StartsAt, w.EndsAt), Place: w.Place, Left: -1, State: "open"}
		if w.ThemeID != nil {
			c.Theme = themeTitle[*w.ThemeID]
		}
		capacity := w.Capacity
		if capacity <= 0 {
			capacity = p.Capacity
		}
		switch {
		case deadlinePassed || w.Phase == record.PhaseClosed || !now.Before(w.EndsAt):
			c.State = "closed"
		case capacity > 0 && counts[w.ID] >= capacity:
			c.State = "full"
		case capacity > 0:
			c.Left = capacity - counts[w.ID]
		}
		f.Open = f.Open || c.State != "closed"
		f.Sessions = append(f.Sessions, c)
	}
	for _, code := range process.Languages(p.Languages) {
		f.Languages = append(f.Languages, langChoice{Code: code, Label: web.LanguageNames[code]})
	}
	if len(f.Languages) == 0 {
		for _, code := range i18n.Languages {
			f.Languages = append(f.Languages, langChoice{Code: code, Label: web.LanguageNames[code]})
		}
	}
	return f, nil
}

// read copies the posted values into the form and checks them. It returns the chosen sessions.
func (f *regForm) read(r *http.Request, t func(string) string) []int64 {
	clean := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	f.DisplayName = clean(r.PostFormValue("displayName"))
	f.Organisation = clean(r.PostFormValue("organisation"))
	f.Email = strings.TrimSpace(r.PostFormValue("email"))
	f.ServiceUser = r.PostFormValue("serviceUser") != ""
	f.Consent = r.PostFormValue("consent") != ""
	f.AcceptOverlap = r.PostFormValue("acceptOverlap") != ""
	if l := r.PostFormValue("language"); l != "" {
		f.Language = l
	}
	switch {
	case f.DisplayName == "":
		f.Errors["displayName"] = t("reg.err.name.empty")
	case len(f.DisplayName) > web.MaxName:
		f.Errors["displayName"] = t("reg.err.name.long")
	}
	if len(f.Organisation) > web.MaxTitle {
		f.Errors["organisation"] = t("reg.err.organisation.long")
	}
	if f.Email != "" {
		if a, err := mail.ParseAddress(f.Email); err != nil || a.Address != f.Email || len(f.Email) > web.MaxTitle {
			f.Errors["email"] = t("reg.err.email")
		}
	}
	known := false
	for i := range f.Languages {
		f.Languages[i].Selected = f.Languages[i].Code == f.Language
		known = known || f.Languages[i].Selected
	}
	if !known {
		f.Errors["language"] = t("reg.err.language")
	}
	var chosen []int64
	seen := map[int64]bool{}
	for _, v := range r.PostForm["session"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || seen[id] {
			continue
		}
		seen[id] = true
		for i := range f.Sessions {
			if f.Sessions[i].ID != id {
				continue
			}
			f.Sessions[i].Checked = true
			if f.Sessions[i].State == "closed" {
				f.Errors["session"] = t("reg.err.session.closed")
			}
			chosen = append(chosen, id)
		}
	}
	if len(chosen) == 0 && f.Errors["session"] == "" {
		f.Errors["session"] = t("reg.err.session.none")
	}
	// Rows are locked in id order, so that two registrations never wait on each other.
	slices.Sort(chosen)
	return chosen
}

// Register handles the registration form.
func (h *Pages) Register(w http.ResponseWriter, r *http.Request) {
	if h.RegisterLimit.Take(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.RefuseForm(w, r, "/p/"+r.PathValue("slug"))
		return
	}
	ctx := r.Context()
	lang := web.Lang(r)
	t := func(k string) string { return h.Catalog.T(lang, k) }
	pv, err := h.loadProcessView(r, r.PathValue("slug"))
	if h.LoadFailed(w, r, err, h.NotFound) {
		return
	}
	form := pv.Form
	chosen := form.read(r, t)
	if !h.CheckFormToken(r) {
		// Nothing is saved, but what the person typed comes back with a fresh token: the
		// usual cause is a page left open past the cookie's day, not an attack. (Another site
		// cannot read this answer.)
		form.Errors = map[string]string{}
		form.Problem = t("reg.csrf.title") + ". " + t("reg.csrf.again")
		h.renderProcess(w, r, pv, http.StatusForbidden)
		return
	}
	if !form.Open {
		form.Problem = t("reg.closed")
	}
	if len(form.Errors) > 0 || !form.Open {
		if form.Problem == "" {
			form.Problem = t("reg.err.summary")
		}
		h.renderProcess(w, r, pv, http.StatusBadRequest)
		return
	}
	var email *string
	if form.Email != "" {
		email = &form.Email
	}
	done, err := people.SignUp(ctx, h.DB, people.NewParticipant{
		ProcessID: &pv.Process.ID, Role: record.RoleParticipant, Organisation: form.Organisation,
		Person: people.Person{
			DisplayName: form.DisplayName, Email: email, Language: form.Language,
			ServiceUser: form.ServiceUser, AttributionConsent: form.Consent,
		},
	}, people.Choice{Workshops: chosen, AcceptOverlap: form.AcceptOverlap}, h.Now())
	if errors.Is(err, people.ErrRegistrationClosed) {
		// A session closed (or the deadline passed) between the page and the post.
		form.Problem = t("reg.closed.now")
		h.renderProcess(w, r, pv, http.StatusConflict)
		return
	}
	if oe := (*people.OverlapError)(nil); errors.As(err, &oe) {
		form.overlapping(oe, t)
		h.renderProcess(w, r, pv, http.StatusConflict)
		return
	}
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	delivery := "card"
	if email != nil {
		delivery = h.mailWayBack(ctx, pv.Process, done, form)
	}
	// Post/Redirect/Get: the answer is a page of its own, which a language switch or a reload
	// shows again without posting twice. The link and code travel there in a cookie (never in
	// an address, which logs and histories keep).
	h.setWayBack(w, pv.Process.Slug, wayBack{Token: done.Token, Code: done.Code, Delivery: delivery})
	// The page speaks the language the person chose in the form.
	http.Redirect(w, r, "/p/"+pv.Process.Slug+"/registered?lang="+url.QueryEscape(form.Language), http.StatusSeeOther)
}

// overlapping says which chosen sessions are at the same time. Under the "warn" rule the form
// also offers to confirm them all.
func (f *regForm) overlapping(oe *people.OverlapError, t func(string) string) {
	title := map[int64]string{}
	for _, s := range f.Sessions {
		title[s.ID] = s.Title.Text
	}
	var pairs []string
	for _, p := range oe.Pairs {
		pairs = append(pairs, "«\u00a0"+title[p[0]]+"\u00a0» "+t("reg.overlap.and")+" «\u00a0"+title[p[1]]+"\u00a0»")
	}
	f.Errors["session"] = t("reg.overlap.same") + " " + strings.Join(pairs, ", ") + "."
	if oe.Rule == people.OverlapWarn {
		f.Overlap = true
		f.Problem = t("reg.overlap.warn")
	} else {
		f.Problem = t("reg.overlap.refuse")
	}
}

// mailWayBack emails the person their way back (link, code, sessions) and says how it went:
// mail (sent), mailfailed, nomail (no SMTP configured). This is the one place a registration
// sends mail.
func (h *Pages) mailWayBack(ctx context.Context, p *record.Process, done *people.SignedUp, form *regForm) string {
	if !h.Mail.Enabled() {
		return "nomail"
	}
	// The email speaks the language chosen in the form, which may not be the page's: the
	// titles are looked up again in it.
	lang := form.Language
	workshops, err := process.ListWorkshops(ctx, h.DB, p.ID)
	if err != nil {
		h.Log.WarnContext(ctx, "invitation email not made", "participant", done.Participant.ID, "err", err)
		return "mailfailed"
	}
	loc := web.LocaliserFor(p, lang)
	var sessions []placedSession
	for _, pl := range done.Placements {
		for _, w := range workshops {
			if w.ID == pl.WorkshopID {
				sessions = append(sessions, placedSession{Title: loc.Workshop(&w), When: web.FormatSession(lang, w.StartsAt, w.EndsAt), Place: w.Place, Status: pl.Status, Reason: pl.Reason})
			}
		}
	}
	msg := h.invitationMail(lang, form.DisplayName, p.Localise("title", lang), h.PublicURL.JoinPath("i", done.Token).String(), people.FormatCode(done.Code), sessions)
	msg.To = form.Email
	// Queued, not sent: the page answers now, the outbox sends (and retries) in the background.
	if err := h.queueMail(ctx, done.Participant.ID, msg); err != nil {
		h.Log.WarnContext(ctx, "invitation email not queued", "participant", done.Participant.ID, "err", err)
		return "mailfailed"
	}
	return "mail"
}

// placedSession is a session in a registration email, with where the person landed.
type placedSession struct {
	Title       record.Localised
	When, Place string
	Status      string // confirmed or waiting
	Reason      string // why it waits: full or organisation
}
