// Package organise is the organiser's JSON API (/api/organise/…): processes, themes, sessions
// with their agenda, people and their invitation links, moderators per session, registrations
// and erasure. Every route needs an organiser session; every state-changing one also needs the
// session's CSRF token in the X-CSRF-Token header. A handler parses, calls one function of
// process or people (each owns its transaction) and answers; the site around it (package
// server) says who is signed in, in which language they read, and sends the mail.
package organise

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/mail"
	"github.com/assises/assises/mail/outbox"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// API serves the organiser's routes. Its fields are the site's: server.New fills them.
type API struct {
	DB        *bun.DB
	PublicURL *url.URL // personal links and public pages are addresses under it
	Log       *slog.Logger
	Now       func() time.Time
	Catalog   *i18n.Catalog
	Mail      *mail.Sender // nil or not enabled: the page offers no "send again"
	JSON      web.JSON
	Lang      func(*http.Request) string

	// Participant returns who is signed in, if anyone; CheckCSRF checks a change's token.
	Participant func(*http.Request) (p *record.Participant, signedIn bool, err error)
	CheckCSRF   func(*http.Request) error
	// Disconnect closes a person's live sockets and forgets their sessions on this node (a new
	// link, an erasure, a cancelled place).
	Disconnect func(participantID int64)
	// LogsReset tells the live rooms of a process's workshops that their logs were rewritten
	// (an erasure): they drop what they remember (hub.Hub.ResetLog).
	LogsReset func(ctx context.Context, processID int64)
	// MailInvitation sends a person their link again (people.ErrNoEmail without an address);
	// NotifyPromoted tells someone off the waiting list that they have a place.
	MailInvitation func(ctx context.Context, participantID int64) error
	NotifyPromoted func(ctx context.Context, participantID int64, w *record.Workshop)
	// NotebookURL is the address of a process's notebook editor, or "" when this build has
	// none.
	NotebookURL func(processID int64) string
}

// localLayout is how the organiser page reads and writes times: Brussels wall-clock time, the
// value of an <input type="datetime-local">, whatever the zone of the browser or the server.
const localLayout = "2006-01-02T15:04"

// organiser returns the signed-in organiser, or answers 401/403 and returns nil. For methods
// that change something it also checks the CSRF token.
func (a *API) organiser(w http.ResponseWriter, r *http.Request) *record.Participant {
	p, signedIn, err := a.Participant(r)
	if err != nil {
		a.Log.ErrorContext(r.Context(), "organiser api: current participant", "err", err)
		a.JSON.Error(w, r, http.StatusInternalServerError, "unavailable")
		return nil
	}
	if !signedIn {
		a.JSON.Error(w, r, http.StatusUnauthorized, "forbidden")
		return nil
	}
	if p.Role != record.RoleOrganiser {
		a.JSON.Error(w, r, http.StatusForbidden, "forbidden")
		return nil
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := a.CheckCSRF(r); errors.Is(err, web.ErrWrongAddress) {
			a.JSON.Error(w, r, http.StatusForbidden, "wrong_address")
			return nil
		} else if err != nil {
			a.JSON.Error(w, r, http.StatusForbidden, "org_csrf")
			return nil
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	return p
}

// --- views -----------------------------------------------------------------------------------

type processJSON struct {
	ID                   int64    `json:"id"`
	Slug                 string   `json:"slug"`
	Title                string   `json:"title"`
	Description          string   `json:"description"`
	Languages            []string `json:"languages"`    // the process's languages, the main one first
	MainLanguage         string   `json:"mainLanguage"` // the language of title and description
	Capacity             int      `json:"capacity"`
	PerOrgCap            int      `json:"perOrgCap"`
	RegistrationDeadline string   `json:"registrationDeadline"`
	InvitationRequired   bool     `json:"invitationRequired"`
	OverlapRule          string   `json:"overlapRule"`
	PublicURL            string   `json:"publicUrl"`
	// Translations: title and description in the other languages.
	Translations record.Translations `json:"translations"`
}

type themeJSON struct {
	ID           int64               `json:"id"`
	Position     int                 `json:"position"`
	Title        string              `json:"title"`
	Why          string              `json:"why"`
	Translations record.Translations `json:"translations"`
}

type agendaJSON struct {
	Kind           string                       `json:"kind"`
	Title          string                       `json:"title"`
	Phase          string                       `json:"phase"`
	PlannedMinutes int                          `json:"plannedMinutes"`
	Translations   map[string]map[string]string `json:"translations,omitempty"`
}

type workshopJSON struct {
	ID         int64        `json:"id"`
	ThemeID    *int64       `json:"themeId"`
	Title      string       `json:"title"`
	Starts     string       `json:"starts"`
	Ends       string       `json:"ends"`
	When       string       `json:"when"`
	Place      string       `json:"place"`
	Code       string       `json:"code"`
	Capacity   int          `json:"capacity"`
	Access     string       `json:"access"`
	Phase      string       `json:"phase"`
	Agenda     []agendaJSON `json:"agenda"`
	Moderators []int64      `json:"moderators"`
	// Translations: the title in the other languages.
	Translations record.Translations `json:"translations"`
}

func (a *API) processView(p *record.Process) processJSON {
	v := processJSON{
		ID: p.ID, Slug: p.Slug, Title: p.Title, Description: p.Description,
		Languages: p.ContentLanguages(), MainLanguage: p.MainLanguage(), Translations: translationsView(p.Translations),
		Capacity: p.Capacity, PerOrgCap: p.PerOrgCap,
		InvitationRequired: p.InvitationRequired, PublicURL: a.PublicURL.JoinPath("p", p.Slug).String(),
		OverlapRule: people.OverlapRefuse,
	}
	if p.OverlapRule == people.OverlapWarn {
		v.OverlapRule = people.OverlapWarn
	}
	if p.RegistrationDeadline != nil {
		v.RegistrationDeadline = p.RegistrationDeadline.In(web.Brussels).Format(localLayout)
	}
	return v
}

func themeJSONOf(t *record.Theme) themeJSON {
	return themeJSON{ID: t.ID, Position: t.Position, Title: t.Title, Why: t.Why, Translations: translationsView(t.Translations)}
}

func workshopJSONOf(lang string, w *record.Workshop, agenda []record.AgendaItem, moderators []int64) workshopJSON {
	v := workshopJSON{
		ID: w.ID, ThemeID: w.ThemeID, Title: w.Title, Place: w.Place, Code: w.Code, Capacity: w.Capacity,
		Access: w.Access, Phase: string(w.Phase),
		Starts: w.StartsAt.In(web.Brussels).Format(localLayout), Ends: w.EndsAt.In(web.Brussels).Format(localLayout),
		When:   web.FormatSession(lang, w.StartsAt, w.EndsAt),
		Agenda: []agendaJSON{}, Moderators: moderators, Translations: translationsView(w.Translations),
	}
	if v.Moderators == nil {
		v.Moderators = []int64{}
	}
	for _, it := range agenda {
		v.Agenda = append(v.Agenda, agendaJSON{Kind: it.Kind, Title: it.Title, Phase: string(it.Phase), PlannedMinutes: it.PlannedMinutes,
			Translations: translationsView(it.Translations)})
	}
	return v
}

// --- processes -------------------------------------------------------------------------------

// Processes lists the processes this organiser may set up.
func (a *API) Processes(w http.ResponseWriter, r *http.Request) {
	me := a.organiser(w, r)
	if me == nil {
		return
	}
	ps, err := process.List(r.Context(), a.DB)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	out := []processJSON{}
	for i := range ps {
		if people.MayOrganise(me, ps[i].ID) {
			out = append(out, a.processView(&ps[i]))
		}
	}
	a.JSON.Write(w, http.StatusOK, map[string]any{"processes": out, "canCreate": people.IsPlatformOrganiser(me)})
}

// Process returns one process with everything the organiser page shows.
func (a *API) Process(w http.ResponseWriter, r *http.Request) {
	_, p, ok := a.OrganiserAndProcess(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	lang := a.Lang(r)
	themes, err := process.ListThemes(ctx, a.DB, p.ID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	workshops, err := process.ListWorkshops(ctx, a.DB, p.ID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	roles, err := people.ListProcessWorkshopRoles(ctx, a.DB, p.ID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	moderators := map[int64][]int64{}
	for _, wr := range roles {
		if wr.Role == record.RoleModerator {
			moderators[wr.WorkshopID] = append(moderators[wr.WorkshopID], wr.ParticipantID)
		}
	}
	out := map[string]any{"process": a.processView(p)}
	tj := []themeJSON{}
	for i := range themes {
		tj = append(tj, themeJSONOf(&themes[i]))
	}
	out["themes"] = tj
	wj := []workshopJSON{}
	for i := range workshops {
		agenda, err := record.ListAgenda(ctx, a.DB, workshops[i].ID)
		if err != nil {
			a.JSON.StoreError(w, r, err)
			return
		}
		wj = append(wj, workshopJSONOf(lang, &workshops[i], agenda, moderators[workshops[i].ID]))
	}
	out["workshops"] = wj
	persons, err := a.peopleView(r, p.ID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	out["people"] = persons
	regs, err := people.ListProcessRegistrations(ctx, a.DB, p.ID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	rj := []registrationJSON{}
	for _, reg := range regs {
		rj = append(rj, registrationJSON{
			WorkshopID: reg.WorkshopID, ParticipantID: reg.ParticipantID, Status: reg.Status,
			DisplayName: reg.DisplayName, Organisation: reg.Organisation, Role: string(reg.Role),
			CheckedIn: reg.CheckedInAt != nil,
		})
	}
	out["registrations"] = rj
	missing, err := process.MissingTranslations(ctx, a.DB, p)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	out["missing"] = missing // texts not yet in one of the process's languages
	out["notebook"] = a.NotebookURL(p.ID)
	out["mail"] = a.Mail.Enabled() // the page offers "send the invitation again" only with SMTP
	if a.Mail.Enabled() {
		// Email that could not be sent yet: how many, and the last error, for the organisers.
		health, err := outbox.Status(ctx, a.DB)
		if err != nil {
			a.JSON.StoreError(w, r, err)
			return
		}
		out["outbox"] = health
	}
	a.JSON.Write(w, http.StatusOK, out)
}

// organised serves the routes on one thing an organiser sets up (/api/organise/<things>/{id}):
// it returns the signed-in organiser and the thing {id}, read by load, when they may set up
// its process (processOf; nil when it has none). Otherwise it has answered — 401 or 403 (see
// organiser), 404, 500 or 403 — and ok is false.
func organised[T any](a *API, w http.ResponseWriter, r *http.Request,
	load func(context.Context, bun.IDB, int64) (*T, error), processOf func(*T) *int64) (me *record.Participant, v *T, ok bool) {
	if me = a.organiser(w, r); me == nil {
		return nil, nil, false
	}
	id, ok := web.PathID(r, "id")
	if !ok {
		a.JSON.Error(w, r, http.StatusNotFound, "not_found")
		return nil, nil, false
	}
	v, err := load(r.Context(), a.DB, id)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return nil, nil, false
	}
	if pid := processOf(v); pid == nil || !people.MayOrganise(me, *pid) {
		a.JSON.Error(w, r, http.StatusForbidden, "forbidden")
		return nil, nil, false
	}
	return me, v, true
}

// OrganiserAndProcess returns the signed-in organiser and the process {id} they may set up,
// or answers as organised does.
func (a *API) OrganiserAndProcess(w http.ResponseWriter, r *http.Request) (*record.Participant, *record.Process, bool) {
	return organised(a, w, r, record.GetProcess, func(p *record.Process) *int64 { return &p.ID })
}

// input is a request body that checks itself and copies itself onto a T; apply returns the
// code and field of a refusal.
type input[T any] interface {
	apply(*T) (code, field string)
}

// decodeApply reads the body into in, checks it and copies it onto v; otherwise it answers
// 400 (invalid_args, or the code and field of the refusal) and returns false.
func decodeApply[T any](a *API, w http.ResponseWriter, r *http.Request, in input[T], v *T) bool {
	if !a.JSON.Decode(w, r, in) {
		return false
	}
	if code, field := in.apply(v); code != "" {
		a.JSON.FieldError(w, r, code, field)
		return false
	}
	return true
}

// titleRefusal trims a title in place and returns the code of a refusal ("" for none).
func titleRefusal(title *string) string {
	*title = strings.TrimSpace(*title)
	switch {
	case *title == "":
		return "empty"
	case len(*title) > web.MaxTitle:
		return "too_long"
	}
	return ""
}

type processInput struct {
	Slug                 string   `json:"slug"`
	Title                string   `json:"title"`
	Description          string   `json:"description"`
	Languages            []string `json:"languages"`
	Capacity             int      `json:"capacity"`
	PerOrgCap            int      `json:"perOrgCap"`
	RegistrationDeadline string   `json:"registrationDeadline"`
	InvitationRequired   bool     `json:"invitationRequired"`
	OverlapRule          string   `json:"overlapRule"` // refuse (also when empty) or warn
	// Translations replace the stored ones when present (absent: kept). Their main language
	// is the one title and description are in: the stored main language when the request
	// changes it (the texts are then swapped, process.ChangeMainLanguage).
	Translations map[string]map[string]string `json:"translations"`
}

// apply checks the input and copies it onto p; it returns the code and field of a refusal.
func (in *processInput) apply(p *record.Process) (code, field string) {
	if code := titleRefusal(&in.Title); code != "" {
		return code, "title"
	}
	switch {
	case len(in.Description) > web.MaxText:
		return "too_long", "description"
	case in.Capacity < 0 || in.Capacity > 100000:
		return "invalid_args", "capacity"
	case in.PerOrgCap < 0 || in.PerOrgCap > 100000:
		return "invalid_args", "perOrgCap"
	case in.OverlapRule != "" && in.OverlapRule != people.OverlapRefuse && in.OverlapRule != people.OverlapWarn:
		return "invalid_args", "overlapRule"
	}
	langs, ok := languagesOf(in.Languages)
	if !ok {
		return "invalid_args", "languages"
	}
	textMain := langs[0]
	if p.ID != 0 {
		textMain = p.MainLanguage()
	}
	if in.Translations != nil {
		t, code := translationsOf(in.Translations, textMain, processFields)
		if code != "" {
			return code, "translations"
		}
		p.Translations = t
	}
	p.Title, p.Description = in.Title, strings.TrimSpace(in.Description)
	p.Languages = strings.Join(langs, ",")
	p.Capacity, p.PerOrgCap, p.InvitationRequired = in.Capacity, in.PerOrgCap, in.InvitationRequired
	p.OverlapRule = people.OverlapRefuse
	if in.OverlapRule == people.OverlapWarn {
		p.OverlapRule = people.OverlapWarn
	}
	p.RegistrationDeadline = nil
	if in.RegistrationDeadline != "" {
		t, err := time.ParseInLocation(localLayout, in.RegistrationDeadline, web.Brussels)
		if err != nil {
			return "org_dates", "registrationDeadline"
		}
		t = t.UTC()
		p.RegistrationDeadline = &t
	}
	return "", ""
}

// CreateProcess creates a process (platform organisers only).
func (a *API) CreateProcess(w http.ResponseWriter, r *http.Request) {
	me := a.organiser(w, r)
	if me == nil {
		return
	}
	if !people.IsPlatformOrganiser(me) {
		a.JSON.Error(w, r, http.StatusForbidden, "forbidden")
		return
	}
	var in processInput
	p := &record.Process{}
	if !decodeApply(a, w, r, &in, p) {
		return
	}
	p.Slug = process.Slug(in.Slug)
	if p.Slug == "" {
		p.Slug = process.Slug(in.Title)
	}
	if p.Slug == "" {
		a.JSON.FieldError(w, r, "empty", "slug")
		return
	}
	if _, err := process.GetBySlug(r.Context(), a.DB, p.Slug); err == nil {
		a.JSON.FieldError(w, r, "org_slug_taken", "slug")
		return
	}
	if err := process.Create(r.Context(), a.DB, p); err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	a.JSON.Write(w, http.StatusCreated, map[string]any{"process": a.processView(p)})
}

// UpdateProcess saves a process's settings.
func (a *API) UpdateProcess(w http.ResponseWriter, r *http.Request) {
	_, p, ok := a.OrganiserAndProcess(w, r)
	if !ok {
		return
	}
	oldMain := p.MainLanguage()
	var in processInput
	if !decodeApply(a, w, r, &in, p) {
		return
	}
	if !a.saveProcess(w, r, p, oldMain) {
		return
	}
	a.JSON.Write(w, http.StatusOK, map[string]any{"process": a.processView(p)})
}

// --- themes ----------------------------------------------------------------------------------

type themeInput struct {
	Position     int                          `json:"position"`
	Title        string                       `json:"title"`
	Why          string                       `json:"why"`
	Translations map[string]map[string]string `json:"translations"` // absent: kept
	main         string                       // the process's main language
}

func (in *themeInput) apply(t *record.Theme) (code, field string) {
	if code := titleRefusal(&in.Title); code != "" {
		return code, "title"
	}
	if len(in.Why) > web.MaxText {
		return "too_long", "why"
	}
	if in.Translations != nil {
		tr, code := translationsOf(in.Translations, in.main, themeFields)
		if code != "" {
			return code, "translations"
		}
		t.Translations = tr
	}
	t.Title, t.Why = in.Title, strings.TrimSpace(in.Why)
	if in.Position > 0 {
		t.Position = in.Position
	}
	return "", ""
}

// CreateTheme adds a theme at the end of a process's list.
func (a *API) CreateTheme(w http.ResponseWriter, r *http.Request) {
	_, p, ok := a.OrganiserAndProcess(w, r)
	if !ok {
		return
	}
	in := themeInput{main: p.MainLanguage()}
	t := &record.Theme{ProcessID: p.ID}
	if !decodeApply(a, w, r, &in, t) {
		return
	}
	if t.Position == 0 { // none asked for: the end of the list
		existing, err := process.ListThemes(r.Context(), a.DB, p.ID)
		if err != nil {
			a.JSON.StoreError(w, r, err)
			return
		}
		t.Position = len(existing) + 1
	}
	if err := process.CreateTheme(r.Context(), a.DB, t); err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	a.JSON.Write(w, http.StatusCreated, map[string]any{"theme": themeJSONOf(t)})
}

// UpdateTheme saves a theme.
func (a *API) UpdateTheme(w http.ResponseWriter, r *http.Request) {
	_, t, ok := organised(a, w, r, process.GetTheme, func(t *record.Theme) *int64 { return &t.ProcessID })
	if !ok {
		return
	}
	p, err := record.GetProcess(r.Context(), a.DB, t.ProcessID)
	if err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	in := themeInput{main: p.MainLanguage()}
	if !decodeApply(a, w, r, &in, t) {
		return
	}
	if err := process.UpdateTheme(r.Context(), a.DB, t); err != nil {
		a.JSON.StoreError(w, r, err)
		return
	}
	a.JSON.Write(w, http.StatusOK, map[string]any{"theme": themeJSONOf(t)})
}
