package server

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/i18n"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
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
}

type sessionChoice struct {
	ID                        int64
	Title, Theme, When, Place string
	State                     string // open, full (the waiting list is open), closed
	Left                      int    // places left when open; -1: no limit
	Checked                   bool
}

type langChoice struct {
	Code, Label string
	Selected    bool
}

var languageNames = map[string]string{"fr": "Français", "nl": "Nederlands", "en": "English"}

// newRegForm builds the empty form (or the frame of a refused one) for a process.
func (h *handler) newRegForm(ctx context.Context, lang string, p *deliberation.Process, workshops []deliberation.Workshop, themes []deliberation.Theme) (*regForm, error) {
	counts, err := people.ConfirmedCounts(ctx, h.db, p.ID)
	if err != nil {
		return nil, err
	}
	now := h.now()
	f := &regForm{Action: "/p/" + p.Slug + "/register", Language: lang, Errors: map[string]string{}}
	deadlinePassed := p.RegistrationDeadline != nil && !now.Before(*p.RegistrationDeadline)
	themeTitle := map[int64]string{}
	for _, t := range themes {
		themeTitle[t.ID] = t.Title
	}
	for _, w := range workshops {
		c := sessionChoice{ID: w.ID, Title: w.Title, When: web.FormatSession(lang, w.StartsAt, w.EndsAt), Place: w.Place, Left: -1, State: "open"}
		if w.ThemeID != nil {
			c.Theme = themeTitle[*w.ThemeID]
		}
		capacity := w.Capacity
		if capacity <= 0 {
			capacity = p.Capacity
		}
		switch {
		case deadlinePassed || w.Phase == deliberation.PhaseClosed || !now.Before(w.EndsAt):
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
		f.Languages = append(f.Languages, langChoice{Code: code, Label: languageNames[code]})
	}
	if len(f.Languages) == 0 {
		for _, code := range i18n.Languages {
			f.Languages = append(f.Languages, langChoice{Code: code, Label: languageNames[code]})
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

// register handles the registration form.
func (h *handler) register(w http.ResponseWriter, r *http.Request) {
	if h.rateLimited(w, r, h.limits.register) {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.refuseForm(w, r, "/p/"+r.PathValue("slug"))
		return
	}
	ctx := r.Context()
	lang := h.lang(r)
	t := func(k string) string { return h.catalog.T(lang, k) }
	pv, err := h.loadProcessView(r, r.PathValue("slug"))
	if h.loadFailed(w, r, err, h.notFound) {
		return
	}
	form := pv.Form
	chosen := form.read(r, t)
	if !h.checkFormToken(r) {
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
	who, placements, token, err := people.SignUp(ctx, h.db, people.NewParticipant{
		ProcessID: &pv.Process.ID, Role: deliberation.RoleParticipant, Organisation: form.Organisation,
		Person: people.Person{
			DisplayName: form.DisplayName, Email: email, Language: form.Language,
			ServiceUser: form.ServiceUser, AttributionConsent: form.Consent,
		},
	}, chosen, h.now())
	if errors.Is(err, people.ErrRegistrationClosed) {
		// A session closed (or the deadline passed) between the page and the post.
		form.Problem = t("reg.closed.now")
		h.renderProcess(w, r, pv, http.StatusConflict)
		return
	}
	if err != nil {
		h.writeInternalError(w, r, err)
		return
	}
	res := registeredPage{Process: pv.Process, Name: form.DisplayName}
	for _, pl := range placements {
		for _, s := range form.Sessions {
			if s.ID == pl.WorkshopID {
				res.Sessions = append(res.Sessions, placedSession{Title: s.Title, When: s.When, Place: s.Place, Status: pl.Status, Reason: pl.Reason})
			}
		}
	}
	switch {
	case email == nil:
		res.Delivery = "card"
	case !h.mail.Enabled():
		res.Delivery = "nomail"
	default:
		msg := h.invitationMail(form.Language, form.DisplayName, pv.Process.Title, h.publicURL.JoinPath("i", token).String(), res.Sessions)
		msg.To = form.Email
		// The email goes even if the person closes the page while it is being sent.
		if err := h.mail.Send(context.WithoutCancel(ctx), msg); err != nil {
			h.log.WarnContext(r.Context(), "invitation email not sent", "participant", who.ID, "err", err)
			res.Delivery = "mailfailed"
		} else {
			res.Delivery = "mail"
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	h.writePage(w, r, http.StatusOK, "registered", t("reg.done.title"), res)
}

// registeredPage is the answer to a registration: where each session landed and how the
// invitation will reach the person.
type registeredPage struct {
	Process  *deliberation.Process
	Name     string
	Sessions []placedSession
	Delivery string // mail (sent), mailfailed, nomail (no SMTP), card (no email given)
}

type placedSession struct {
	Title, When, Place string
	Status             string // confirmed or waiting
	Reason             string // why it waits: full or organisation
}
