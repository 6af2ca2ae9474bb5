package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// livePage is what the three live faces of a workshop (participant, moderator, projector)
// receive. The page is a shell: its script opens the WebSocket and draws the room.
type livePage struct {
	Face       string // participant, moderator, projector
	WorkshopID int64
	// Title, ThemeTitle and ProcessTitle are in the reader's language (or marked); the
	// projector shows the theme in French and Dutch side by side (ThemeMain, ThemeTexts).
	Title record.Localised
	// Phase is the phase when the page was made: the page names it before its scripts run
	// (on a slow phone they take seconds), and the live connection keeps it current.
	Phase        record.Phase
	ThemeTitle   record.Localised
	ThemeMain    string
	ThemeTexts   map[string]string
	ProcessTitle record.Localised
	MainLanguage string   // the process's, for the scripts' fallbacks
	Languages    []string // the process's, main first: the moderator types a question in each
	When         string
	Place        string
	Code         string
	JoinURL      string
	Participant  int64
	Moderate     bool
	Agenda       []agendaLine
	// PostLanguages (participant page): the languages a post can be marked as written in: the
	// process's, and the phone's own when it is not among them.
	PostLanguages []postLanguage
	// Roster (moderator console): the session's confirmed participants, for the check-in list.
	Roster []people.RegistrationRow
	// Arrival (participant page, a person with a place): the "Je suis là" button, or when they
	// arrived.
	Arrival *arrival
	// TestHooks marks the page for the browser tests (Config.TestHooks): only then does the
	// script expose its state as window.assises.
	TestHooks bool
}

// postLanguage is one choice of the language a post is written in.
type postLanguage struct{ Code, Label, Name string }

// postLanguagesFor lists the process's languages, then the reader's when the process lacks it.
func postLanguagesFor(proc *record.Process, lang string) []postLanguage {
	codes := proc.ContentLanguages()
	if !proc.HasLanguage(lang) {
		codes = append(codes[:len(codes):len(codes)], lang)
	}
	out := make([]postLanguage, 0, len(codes))
	for _, c := range codes {
		name := web.LanguageNames[c]
		if name == "" {
			name = c
		}
		out = append(out, postLanguage{Code: c, Label: strings.ToUpper(c), Name: name})
	}
	return out
}

// agendaLine is an agenda item of the moderator console, its title in the reader's language.
type agendaLine struct {
	ID             int64
	Phase          record.Phase
	Title          record.Localised
	PlannedMinutes int
}

// arrival is what a participant's page says of their own check-in.
type arrival struct {
	CheckedAt string // "14:05" once checked in
	Opens     string // when "Je suis là" starts to count: the day and hour
}

// participantPage is a workshop on a phone: GET /w/{id}.
func (h *handler) participantPage(w http.ResponseWriter, r *http.Request) {
	h.livePage(w, r, "participant")
}

// moderatorPage is the moderator's console: GET /w/{id}/moderate.
func (h *handler) moderatorPage(w http.ResponseWriter, r *http.Request) {
	h.livePage(w, r, "moderator")
}

// projectorPage is the room's big screen: GET /w/{id}/projector.
func (h *handler) projectorPage(w http.ResponseWriter, r *http.Request) {
	h.livePage(w, r, "projector")
}

func (h *handler) livePage(w http.ResponseWriter, r *http.Request, face string) {
	ctx := r.Context()
	lang := web.Lang(r)
	id, ok := h.site.PageID(w, r, "id")
	if !ok {
		return
	}
	p := h.site.SignedIn(w, r, "ui.signin.needed.body", "/join", "ui.join.title")
	if p == nil {
		return
	}
	ws := h.site.WorkshopByID(w, r, id)
	if ws == nil {
		return
	}
	acc, err := h.site.WorkshopAccess(ctx, p, ws)
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	if !acc.View || (face == "moderator" && !acc.Moderate) {
		h.site.Forbidden(w, r, "ui.forbidden.body")
		return
	}
	data := livePage{
		Face: face, WorkshopID: ws.ID, Phase: ws.Phase, Code: ws.Code, Place: ws.Place,
		When:        web.FormatSession(lang, ws.StartsAt, ws.EndsAt),
		JoinURL:     h.publicURL.JoinPath("j", ws.Code).String(),
		Participant: p.ID, Moderate: acc.Moderate, TestHooks: h.testHooks,
	}
	proc, err := record.GetProcess(ctx, h.db, ws.ProcessID)
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	loc := web.LocaliserFor(proc, lang)
	data.ProcessTitle, data.Title, data.MainLanguage = proc.Localise("title", lang), loc.Workshop(ws), proc.MainLanguage()
	data.Languages = proc.ContentLanguages()
	data.PostLanguages = postLanguagesFor(proc, lang)
	if ws.ThemeID != nil {
		if th, err := process.GetTheme(ctx, h.db, *ws.ThemeID); err == nil {
			data.ThemeTitle, _ = loc.Theme(th)
			data.ThemeMain, data.ThemeTexts = th.Title, map[string]string{}
			for l, f := range th.Translations {
				if f["title"] != "" {
					data.ThemeTexts[l] = f["title"]
				}
			}
		}
	}
	if face == "participant" && p.Role == record.RoleParticipant {
		reg, err := people.ConfirmedPlace(ctx, h.db, ws.ID, p.ID)
		switch {
		case err == nil:
			data.Arrival = &arrival{Opens: web.FormatSession(lang, ws.StartsAt.Add(-deliberation.SelfCheckInOpens), ws.EndsAt)}
			if reg.CheckedInAt != nil {
				data.Arrival.CheckedAt = reg.CheckedInAt.In(web.Brussels).Format("15:04")
			}
		case !errors.Is(err, record.ErrNotFound):
			h.site.WriteInternalError(w, r, err)
			return
		}
	}
	if face == "moderator" {
		items, err := record.ListAgenda(ctx, h.db, ws.ID)
		if err != nil {
			h.site.WriteInternalError(w, r, err)
			return
		}
		for _, it := range items {
			data.Agenda = append(data.Agenda, agendaLine{ID: it.ID, Phase: it.Phase, Title: loc.Of(it.Title, it.Translations, "title"), PlannedMinutes: it.PlannedMinutes})
		}
		regs, err := people.ListWorkshopRegistrations(ctx, h.db, ws.ID)
		if err != nil {
			h.site.WriteInternalError(w, r, err)
			return
		}
		for _, reg := range regs {
			if reg.Status == record.RegistrationConfirmed && reg.Role == record.RoleParticipant {
				data.Roster = append(data.Roster, reg)
			}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	h.site.WritePage(w, r, http.StatusOK, face, data.Title.Text, data)
}

// joinPage lets a person type the short code shown in the room: GET /join?code=….
func (h *handler) joinPage(w http.ResponseWriter, r *http.Request) {
	if code := r.URL.Query().Get("code"); code != "" {
		h.joinByCode(w, r, code)
		return
	}
	_, signedIn, err := h.site.Participant(r)
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	data := map[string]any{"Code": "", "Problem": ""}
	if !signedIn {
		// No personal link on this phone: it may ask the welcome desk (server/door/joinrequest.go).
		data["Ask"], data["Form"] = true, h.site.FormToken(w, r)
		if r.URL.Query().Get("refused") != "" {
			data["Problem"] = h.catalog.T(web.Lang(r), "join.refused")
		}
	}
	h.site.WritePage(w, r, http.StatusOK, "join", h.catalog.T(web.Lang(r), "ui.join.title"), data)
}

// joinCode is the address the projector's QR code holds: GET /j/{code}.
func (h *handler) joinCode(w http.ResponseWriter, r *http.Request) {
	h.joinByCode(w, r, r.PathValue("code"))
}

// joinByCode sends a signed-in person to the session of a code. Someone who is not signed in
// is told to open their personal link first: a code alone never signs anyone in, and the
// answer does not say whether the code exists.
func (h *handler) joinByCode(w http.ResponseWriter, r *http.Request, code string) {
	ctx := r.Context()
	lang := web.Lang(r)
	p, signedIn, err := h.site.Participant(r)
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	// An open session lets anyone in under a pseudonym (server/door/openjoin.go).
	var who *record.Participant
	if signedIn {
		who = p
	}
	if h.door.OpenSessionOf(w, r, code, who) {
		return
	}
	if !signedIn {
		h.site.WritePage(w, r, http.StatusOK, "join", h.catalog.T(lang, "ui.join.title"),
			map[string]any{"Code": process.NormaliseJoinCode(code), "Problem": h.catalog.T(lang, "ui.join.needlink"),
				"Ask": true, "Form": h.site.FormToken(w, r)})
		return
	}
	ws, err := process.GetWorkshopByCode(ctx, h.db, code)
	if err != nil && !errors.Is(err, record.ErrNotFound) {
		h.site.WriteInternalError(w, r, err)
		return
	}
	if ws != nil {
		acc, err := h.site.WorkshopAccess(ctx, p, ws)
		if err != nil {
			h.site.WriteInternalError(w, r, err)
			return
		}
		if acc.View {
			http.Redirect(w, r, "/w/"+strconv.FormatInt(ws.ID, 10), http.StatusSeeOther)
			return
		}
	}
	h.site.WritePage(w, r, http.StatusNotFound, "join", h.catalog.T(lang, "ui.join.title"),
		map[string]any{"Code": process.NormaliseJoinCode(code), "Problem": h.catalog.T(lang, "ui.join.unknown")})
}

// workshopQR is the QR code of a workshop's join address, as SVG: GET /w/{id}/qr.svg.
func (h *handler) workshopQR(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := h.site.PageID(w, r, "id")
	if !ok {
		return
	}
	p, signedIn, err := h.site.Participant(r)
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	if !signedIn {
		h.api.Error(w, r, http.StatusUnauthorized, "forbidden")
		return
	}
	ws := h.site.WorkshopByID(w, r, id)
	if ws == nil {
		return
	}
	if acc, err := h.site.WorkshopAccess(ctx, p, ws); err != nil || !acc.View {
		h.api.Error(w, r, http.StatusForbidden, "forbidden")
		return
	}
	svg, err := web.QRSVG(h.publicURL.JoinPath("j", ws.Code).String())
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(svg)
}
