package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/i18n"
)

// The organiser's JSON API (/api/organise/…): processes, themes, sessions with their agenda,
// people and their invitation links, moderators per session, registrations. Every route needs
// an organiser session; every state-changing one also needs the session's CSRF token in the
// X-CSRF-Token header (see csrfToken).

// localLayout is how the organiser page reads and writes times: Brussels wall-clock time, the
// value of an <input type="datetime-local">, whatever the zone of the browser or the server.
const localLayout = "2006-01-02T15:04"

// Limits on what an organiser types.
const (
	maxTitle = 200
	maxText  = 4000
	maxName  = 120
)

// organiser returns the signed-in organiser, or answers 401/403 and returns nil. For methods
// that change something it also checks the CSRF token.
func (h *handler) organiser(w http.ResponseWriter, r *http.Request) *deliberation.Participant {
	p, signedIn, err := h.currentParticipant(r)
	if err != nil {
		h.log.Error("organiser api: current participant", "err", err)
		h.writeJSONError(w, r, http.StatusInternalServerError, "unavailable")
		return nil
	}
	if !signedIn {
		h.writeJSONError(w, r, http.StatusUnauthorized, "forbidden")
		return nil
	}
	if p.Role != deliberation.RoleOrganiser {
		h.writeJSONError(w, r, http.StatusForbidden, "forbidden")
		return nil
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := h.checkCSRF(r); err != nil {
			h.writeJSONError(w, r, http.StatusForbidden, "org_csrf")
			return nil
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	return p
}

// decodeBody reads a JSON body strictly into dst; on failure it answers 400 and returns false.
func (h *handler) decodeBody(w http.ResponseWriter, r *http.Request, dst any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		h.writeJSONError(w, r, http.StatusBadRequest, "invalid_args")
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		h.writeJSONError(w, r, http.StatusBadRequest, "invalid_args")
		return false
	}
	return true
}

// fieldError is a refusal that names the field the organiser must correct.
func (h *handler) fieldError(w http.ResponseWriter, r *http.Request, code, field string) {
	h.writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{
		"code": code, "field": field, "message": h.catalog.T(h.lang(r), "err."+code),
	}})
}

// storeError answers a store failure: 404 for ErrNotFound, 500 otherwise.
func (h *handler) storeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, deliberation.ErrNotFound) {
		h.writeJSONError(w, r, http.StatusNotFound, "not_found")
		return
	}
	h.log.Error("organiser api", "route", r.Pattern, "err", err)
	h.writeJSONError(w, r, http.StatusInternalServerError, "unavailable")
}

// --- views -----------------------------------------------------------------------------------

type processJSON struct {
	ID                   int64    `json:"id"`
	Slug                 string   `json:"slug"`
	Title                string   `json:"title"`
	Description          string   `json:"description"`
	Languages            []string `json:"languages"`
	Capacity             int      `json:"capacity"`
	PerOrgCap            int      `json:"perOrgCap"`
	RegistrationDeadline string   `json:"registrationDeadline"`
	InvitationRequired   bool     `json:"invitationRequired"`
	PublicURL            string   `json:"publicUrl"`
}

type themeJSON struct {
	ID       int64  `json:"id"`
	Position int    `json:"position"`
	Title    string `json:"title"`
	Why      string `json:"why"`
}

type agendaJSON struct {
	Kind           string `json:"kind"`
	Title          string `json:"title"`
	Phase          string `json:"phase"`
	PlannedMinutes int    `json:"plannedMinutes"`
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
	Phase      string       `json:"phase"`
	Agenda     []agendaJSON `json:"agenda"`
	Moderators []int64      `json:"moderators"`
}

func (h *handler) processView(p *deliberation.Process) processJSON {
	v := processJSON{
		ID: p.ID, Slug: p.Slug, Title: p.Title, Description: p.Description,
		Languages: splitLanguages(p.Languages), Capacity: p.Capacity, PerOrgCap: p.PerOrgCap,
		InvitationRequired: p.InvitationRequired, PublicURL: h.publicURL.JoinPath("p", p.Slug).String(),
	}
	if p.RegistrationDeadline != nil {
		v.RegistrationDeadline = p.RegistrationDeadline.In(brussels).Format(localLayout)
	}
	return v
}

func themeJSONOf(t *deliberation.Theme) themeJSON {
	return themeJSON{ID: t.ID, Position: t.Position, Title: t.Title, Why: t.Why}
}

func workshopJSONOf(lang string, w *deliberation.Workshop, agenda []deliberation.AgendaItem, moderators []int64) workshopJSON {
	v := workshopJSON{
		ID: w.ID, ThemeID: w.ThemeID, Title: w.Title, Place: w.Place, Code: w.Code, Capacity: w.Capacity,
		Phase:  string(w.Phase),
		Starts: w.StartsAt.In(brussels).Format(localLayout), Ends: w.EndsAt.In(brussels).Format(localLayout),
		When:   formatSession(lang, w.StartsAt, w.EndsAt),
		Agenda: []agendaJSON{}, Moderators: moderators,
	}
	if v.Moderators == nil {
		v.Moderators = []int64{}
	}
	for _, a := range agenda {
		v.Agenda = append(v.Agenda, agendaJSON{Kind: a.Kind, Title: a.Title, Phase: string(a.Phase), PlannedMinutes: a.PlannedMinutes})
	}
	return v
}

func splitLanguages(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// --- processes -------------------------------------------------------------------------------

// apiOrganiseProcesses lists the processes this organiser may set up.
func (h *handler) apiOrganiseProcesses(w http.ResponseWriter, r *http.Request) {
	me := h.organiser(w, r)
	if me == nil {
		return
	}
	ps, err := deliberation.ListProcesses(r.Context(), h.db)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	out := []processJSON{}
	for i := range ps {
		if mayOrganise(me, ps[i].ID) {
			out = append(out, h.processView(&ps[i]))
		}
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"processes": out, "canCreate": isPlatformOrganiser(me)})
}

// apiOrganiseProcess returns one process with everything the organiser page shows.
func (h *handler) apiOrganiseProcess(w http.ResponseWriter, r *http.Request) {
	_, p, ok := h.organiserAndProcess(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	lang := h.lang(r)
	themes, err := deliberation.ListThemes(ctx, h.db, p.ID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	workshops, err := deliberation.ListWorkshops(ctx, h.db, p.ID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	roles, err := deliberation.ListProcessWorkshopRoles(ctx, h.db, p.ID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	moderators := map[int64][]int64{}
	for _, wr := range roles {
		if wr.Role == deliberation.RoleModerator {
			moderators[wr.WorkshopID] = append(moderators[wr.WorkshopID], wr.ParticipantID)
		}
	}
	out := map[string]any{"process": h.processView(p)}
	tj := []themeJSON{}
	for i := range themes {
		tj = append(tj, themeJSONOf(&themes[i]))
	}
	out["themes"] = tj
	wj := []workshopJSON{}
	for i := range workshops {
		agenda, err := deliberation.ListAgenda(ctx, h.db, workshops[i].ID)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		wj = append(wj, workshopJSONOf(lang, &workshops[i], agenda, moderators[workshops[i].ID]))
	}
	out["workshops"] = wj
	people, err := h.peopleView(r, p.ID)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	out["people"] = people
	regs, err := deliberation.ListProcessRegistrations(ctx, h.db, p.ID)
	if err != nil {
		h.storeError(w, r, err)
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
	out["notebook"] = h.notebookURL(p.ID)
	out["mail"] = h.mail.Enabled() // the page offers "send the invitation again" only with SMTP
	h.writeJSON(w, http.StatusOK, out)
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

// organised serves the routes on one thing an organiser sets up (/api/organise/<things>/{id}):
// it returns the signed-in organiser and the thing {id}, read by load, when they may set up
// its process (processOf; nil when it has none). Otherwise it has answered — 401 or 403 (see
// organiser), 404, 500 or 403 — and ok is false.
func organised[T any](h *handler, w http.ResponseWriter, r *http.Request,
	load func(context.Context, bun.IDB, int64) (*T, error), processOf func(*T) *int64) (me *deliberation.Participant, v *T, ok bool) {
	if me = h.organiser(w, r); me == nil {
		return nil, nil, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.writeJSONError(w, r, http.StatusNotFound, "not_found")
		return nil, nil, false
	}
	v, err := load(r.Context(), h.db, id)
	if err != nil {
		h.storeError(w, r, err)
		return nil, nil, false
	}
	if pid := processOf(v); pid == nil || !mayOrganise(me, *pid) {
		h.writeJSONError(w, r, http.StatusForbidden, "forbidden")
		return nil, nil, false
	}
	return me, v, true
}

// organiserAndProcess returns the signed-in organiser and the process {id} they may set up,
// or answers as organised does.
func (h *handler) organiserAndProcess(w http.ResponseWriter, r *http.Request) (*deliberation.Participant, *deliberation.Process, bool) {
	return organised(h, w, r, deliberation.GetProcess, func(p *deliberation.Process) *int64 { return &p.ID })
}

// input is a request body that checks itself and copies itself onto a T; apply returns the
// code and field of a refusal.
type input[T any] interface {
	apply(*T) (code, field string)
}

// decodeApply reads the body into in, checks it and copies it onto v; otherwise it answers
// 400 (invalid_args, or the code and field of the refusal) and returns false.
func decodeApply[T any](h *handler, w http.ResponseWriter, r *http.Request, in input[T], v *T) bool {
	if !h.decodeBody(w, r, in) {
		return false
	}
	if code, field := in.apply(v); code != "" {
		h.fieldError(w, r, code, field)
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
	case len(*title) > maxTitle:
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
}

// apply checks the input and copies it onto p; it returns the code and field of a refusal.
func (in *processInput) apply(p *deliberation.Process) (code, field string) {
	if code := titleRefusal(&in.Title); code != "" {
		return code, "title"
	}
	switch {
	case len(in.Description) > maxText:
		return "too_long", "description"
	case in.Capacity < 0 || in.Capacity > 100000:
		return "invalid_args", "capacity"
	case in.PerOrgCap < 0 || in.PerOrgCap > 100000:
		return "invalid_args", "perOrgCap"
	}
	var langs []string
	for _, l := range in.Languages {
		if i18n.Normalise(l) != l {
			return "invalid_args", "languages"
		}
		langs = append(langs, l)
	}
	if len(langs) == 0 {
		langs = i18n.Languages
	}
	p.Title, p.Description = in.Title, strings.TrimSpace(in.Description)
	p.Languages = strings.Join(langs, ",")
	p.Capacity, p.PerOrgCap, p.InvitationRequired = in.Capacity, in.PerOrgCap, in.InvitationRequired
	p.RegistrationDeadline = nil
	if in.RegistrationDeadline != "" {
		t, err := time.ParseInLocation(localLayout, in.RegistrationDeadline, brussels)
		if err != nil {
			return "org_dates", "registrationDeadline"
		}
		t = t.UTC()
		p.RegistrationDeadline = &t
	}
	return "", ""
}

// apiOrganiseCreateProcess creates a process (platform organisers only).
func (h *handler) apiOrganiseCreateProcess(w http.ResponseWriter, r *http.Request) {
	me := h.organiser(w, r)
	if me == nil {
		return
	}
	if !isPlatformOrganiser(me) {
		h.writeJSONError(w, r, http.StatusForbidden, "forbidden")
		return
	}
	var in processInput
	p := &deliberation.Process{}
	if !decodeApply(h, w, r, &in, p) {
		return
	}
	p.Slug = slugify(in.Slug)
	if p.Slug == "" {
		p.Slug = slugify(in.Title)
	}
	if p.Slug == "" {
		h.fieldError(w, r, "empty", "slug")
		return
	}
	if _, err := deliberation.GetProcessBySlug(r.Context(), h.db, p.Slug); err == nil {
		h.fieldError(w, r, "org_slug_taken", "slug")
		return
	}
	if err := deliberation.CreateProcess(r.Context(), h.db, p); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.writeJSON(w, http.StatusCreated, map[string]any{"process": h.processView(p)})
}

// apiOrganiseUpdateProcess saves a process's settings.
func (h *handler) apiOrganiseUpdateProcess(w http.ResponseWriter, r *http.Request) {
	_, p, ok := h.organiserAndProcess(w, r)
	if !ok {
		return
	}
	var in processInput
	if !decodeApply(h, w, r, &in, p) {
		return
	}
	if err := deliberation.UpdateProcess(r.Context(), h.db, p); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"process": h.processView(p)})
}

// slugify turns a title into the last part of a process's public address:
// "Assises du Logement" → "assises-du-logement".
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= 60 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

// --- themes ----------------------------------------------------------------------------------

type themeInput struct {
	Position int    `json:"position"`
	Title    string `json:"title"`
	Why      string `json:"why"`
}

func (in *themeInput) apply(t *deliberation.Theme) (code, field string) {
	if code := titleRefusal(&in.Title); code != "" {
		return code, "title"
	}
	if len(in.Why) > maxText {
		return "too_long", "why"
	}
	t.Title, t.Why = in.Title, strings.TrimSpace(in.Why)
	if in.Position > 0 {
		t.Position = in.Position
	}
	return "", ""
}

// apiOrganiseCreateTheme adds a theme at the end of a process's list.
func (h *handler) apiOrganiseCreateTheme(w http.ResponseWriter, r *http.Request) {
	_, p, ok := h.organiserAndProcess(w, r)
	if !ok {
		return
	}
	var in themeInput
	t := &deliberation.Theme{ProcessID: p.ID}
	if !decodeApply(h, w, r, &in, t) {
		return
	}
	if t.Position == 0 { // none asked for: the end of the list
		existing, err := deliberation.ListThemes(r.Context(), h.db, p.ID)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		t.Position = len(existing) + 1
	}
	if err := deliberation.CreateTheme(r.Context(), h.db, t); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.writeJSON(w, http.StatusCreated, map[string]any{"theme": themeJSONOf(t)})
}

// apiOrganiseUpdateTheme saves a theme.
func (h *handler) apiOrganiseUpdateTheme(w http.ResponseWriter, r *http.Request) {
	_, t, ok := organised(h, w, r, deliberation.GetTheme, func(t *deliberation.Theme) *int64 { return &t.ProcessID })
	if !ok {
		return
	}
	var in themeInput
	if !decodeApply(h, w, r, &in, t) {
		return
	}
	if err := deliberation.UpdateTheme(r.Context(), h.db, t); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"theme": themeJSONOf(t)})
}
