package server

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/internal/spreadsheet"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// Two things an organiser takes out of the product: printable invitation cards (many
// participants are handed paper, not email) and the attendance list of a session as CSV.

// organiserOf checks, for an HTML or file route, that the signed-in person organises the
// process; it answers and returns false when not.
func (h *handler) organiserOf(w http.ResponseWriter, r *http.Request, processID int64) bool {
	p := h.site.SignedIn(w, r, "ui.organise.signin", "/", "nav.home")
	if p == nil {
		return false
	}
	if !people.MayOrganise(p, processID) {
		h.site.Forbidden(w, r, "ui.organise.forbidden")
		return false
	}
	w.Header().Set("Cache-Control", "no-store")
	return true
}

// card is one person's invitation, written in their language: they read it, not the
// organiser who prints it. A person whose language is not known gets the titles in every
// language of the process and the instructions in the organiser's.
type card struct {
	Name       string
	Lang       string             // the card's language
	Process    []record.Localised // the process's title, in one language or in each
	Sessions   []cardSession
	Link, Code string
	QR         template.URL
	// The card's instructions in its language.
	How, CodeLabel, Keep, GroupLabel string
	// More says how many sessions did not fit on the card and where to find them all.
	More string
}

type cardSession struct {
	Title       []record.Localised
	When, Place string
	Group       string       // the colour group, once groups are made
	Swatch      template.URL // a dot of the group's colour (the CSP forbids style attributes)
}

// cardsPage prints cards on A4 sheets: 8 per sheet (105 × 74 mm), or 4 large ones
// (105 × 148 mm) for people who read large print. The sheets are cut by the server so that
// the printed page count does not depend on the browser's page breaking.
type cardsPage struct {
	Process    *record.Process
	Workshop   string // the session the cards are for, when one was chosen
	Cards      []card
	Sheets     [][]card
	Large      bool
	CodePage   string // where a code is typed
	SmallHref  string
	LargeHref  string
	PerSheet   int
	SheetCount int
}

// sessionsPerCard is how many sessions a printed card has room for, small or large (large
// print is larger, not longer): a card is cut to its size when printed, so past that it lists
// one fewer and counts the rest in a line at its foot that sends to "my sessions", where the
// code on the card leads.
const sessionsPerCard = 2

// cardsPerSheet is how many cards an A4 sheet holds: 2 × 4, or 2 × 2 large.
func cardsPerSheet(large bool) int {
	if large {
		return 4
	}
	return 8
}

// cardsPageHandler prints one invitation card per confirmed person of a process (or of one
// session: ?workshop=ID): GET /organise/processes/{id}/cards. Each card carries a fresh
// personal link, reusable until the process's last session ends plus a day. Earlier links
// are not revoked: a card printed twice (a jammed printer) must work whichever copy is handed
// out. Making links on a GET is safe here: another site can make an organiser's browser load
// this page but cannot read it (same-origin policy, frame-ancestors 'none').
func (h *handler) cardsPageHandler(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := web.Lang(r)
	id, ok := h.site.PageID(w, r, "id")
	if !ok {
		return
	}
	proc, err := record.GetProcess(ctx, h.db, id)
	if h.site.LoadFailed(w, r, err, h.site.NotFound) {
		return
	}
	if !h.organiserOf(w, r, proc.ID) {
		return
	}
	workshops, err := process.ListWorkshops(ctx, h.db, proc.ID)
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	byID := map[int64]*record.Workshop{}
	for i := range workshops {
		byID[workshops[i].ID] = &workshops[i]
	}
	data := cardsPage{Process: proc}
	var only int64
	if v := r.URL.Query().Get("workshop"); v != "" {
		only, _ = strconv.ParseInt(v, 10, 64)
		ws, ok := byID[only]
		if !ok {
			h.site.NotFound(w, r)
			return
		}
		data.Workshop = ws.Title
	}
	regs, err := people.ListProcessRegistrations(ctx, h.db, proc.ID)
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	// Each confirmed person once, with every session they have a place in.
	sessions := map[int64][]int64{}
	names := map[int64]string{}
	langs := map[int64]string{}
	var order []int64
	for _, reg := range regs {
		if reg.Status != record.RegistrationConfirmed || reg.Role == record.RoleOrganiser {
			continue
		}
		if _, seen := sessions[reg.ParticipantID]; !seen {
			order = append(order, reg.ParticipantID)
		}
		sessions[reg.ParticipantID] = append(sessions[reg.ParticipantID], reg.WorkshopID)
		names[reg.ParticipantID] = reg.DisplayName
		langs[reg.ParticipantID] = reg.Language
	}
	if only != 0 {
		order = slices.DeleteFunc(order, func(pid int64) bool { return !slices.Contains(sessions[pid], only) })
	}
	slices.SortStableFunc(order, func(a, b int64) int { return strings.Compare(strings.ToLower(names[a]), strings.ToLower(names[b])) })
	landings := make([]people.Landing, len(order))
	for i, pid := range order {
		// One session: the link lands in it. Several: on "my sessions", which lists them.
		landings[i].Participant = pid
		if ids := sessions[pid]; len(ids) == 1 {
			landings[i].Workshop = &ids[0]
		}
	}
	ways, err := people.IssueLinks(ctx, h.db, proc.ID, landings, h.now())
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	tags, err := people.ListGroupTags(ctx, h.db, proc.ID)
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	groups := map[[2]int64]people.GroupTag{}
	for _, g := range tags {
		groups[[2]int64{g.WorkshopID, g.ParticipantID}] = g
	}
	large := r.URL.Query().Get("size") == "large"
	for i, pid := range order {
		holder := langs[pid]
		if holder != "" {
			holder = i18n.Normalise(holder)
		}
		cl := holder
		if cl == "" {
			cl = lang
		}
		t := func(k string) string { return h.catalog.T(cl, k) }
		c := card{
			Name: names[pid], Lang: cl, Process: web.TextsFor(proc, holder, proc.Title, proc.Translations, "title"),
			Link: h.publicURL.JoinPath("i", ways[i].Token).String(), Code: people.FormatCode(ways[i].Code),
			How: t("reg.cards.how") + " " + t("reg.way.code.where"), CodeLabel: t("reg.way.code.label"),
			Keep: t("reg.cards.keep"), GroupLabel: t("reg.cards.group"),
		}
		if c.QR, err = web.QRDataURL(c.Link); err != nil {
			h.site.WriteInternalError(w, r, err)
			return
		}
		for _, wid := range sessions[pid] {
			ws := byID[wid]
			if ws == nil {
				continue
			}
			cs := cardSession{Title: web.TextsFor(proc, holder, ws.Title, ws.Translations, "title"), When: web.FormatSession(cl, ws.StartsAt, ws.EndsAt), Place: ws.Place}
			if g, ok := groups[[2]int64{wid, pid}]; ok {
				cs.Group, cs.Swatch = g.Name, colourSwatch(g.Colour)
			}
			c.Sessions = append(c.Sessions, cs)
		}
		if fit := sessionsPerCard; len(c.Sessions) > fit {
			// The line that counts the rest takes the place of one session.
			shown := fit - 1
			c.More = strings.ReplaceAll(t("reg.cards.more"), "{n}", strconv.Itoa(len(c.Sessions)-shown))
			c.Sessions = c.Sessions[:shown]
		}
		data.Cards = append(data.Cards, c)
	}
	data.Large = large
	data.PerSheet = cardsPerSheet(data.Large)
	for start := 0; start < len(data.Cards); start += data.PerSheet {
		data.Sheets = append(data.Sheets, data.Cards[start:min(start+data.PerSheet, len(data.Cards))])
	}
	data.SheetCount = len(data.Sheets)
	data.CodePage = h.publicURL.JoinPath("code").String()
	q := r.URL.Query()
	q.Del("lang")
	q.Del("size")
	data.SmallHref = "?" + q.Encode()
	q.Set("size", "large")
	data.LargeHref = "?" + q.Encode()
	h.site.WritePage(w, r, http.StatusOK, "cards", h.catalog.T(lang, "reg.cards.title")+" · "+proc.Title, data)
}

// colourSwatch is a dot of a group's colour as an image (printed with the card, and allowed
// by the CSP where a style attribute is not). A colour that is not #rgb or #rrggbb gives none.
func colourSwatch(colour string) template.URL {
	if !hexColour.MatchString(colour) {
		return ""
	}
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4.5" fill="` + colour + `" stroke="#000" stroke-width=".5"/></svg>`
	return template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg)))
}

var hexColour = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// attendanceCSV exports the attendance of one session: GET
// /organise/workshops/{id}/attendance.csv. Organisers only: it names people.
func (h *handler) attendanceCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := h.site.PageID(w, r, "id")
	if !ok {
		return
	}
	ws := h.site.WorkshopByID(w, r, id)
	if ws == nil {
		return
	}
	if !h.organiserOf(w, r, ws.ProcessID) {
		return
	}
	sep, ok := h.site.CSVSep(w, r)
	if !ok {
		return
	}
	rows, err := people.ListWorkshopRegistrations(ctx, h.db, ws.ID)
	if err != nil {
		h.site.WriteInternalError(w, r, err)
		return
	}
	lang := web.Lang(r)
	t := func(k string) string { return h.catalog.T(lang, k) }
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="attendance-%d.csv"`, ws.ID))
	cw, err := spreadsheet.NewWriter(w, sep)
	if err != nil {
		return // the client went away
	}
	cw.Write([]string{t("reg.csv.id"), t("reg.csv.name"), t("reg.csv.organisation"), t("reg.csv.status"), t("reg.csv.checkedin")})
	for _, row := range rows {
		if row.Status == record.RegistrationCancelled {
			continue
		}
		checked := ""
		if row.CheckedInAt != nil {
			checked = row.CheckedInAt.In(web.Brussels).Format("2006-01-02 15:04")
		}
		cw.Write([]string{
			"P" + strconv.FormatInt(row.ParticipantID, 10), spreadsheet.Cell(row.DisplayName), spreadsheet.Cell(row.Organisation),
			t("ui.organise.status." + row.Status), checked,
		})
	}
	if err := cw.Flush(); err != nil {
		h.log.WarnContext(r.Context(), "attendance export cut short", "err", err)
	}
}

// organisePage is the organiser's desk: GET /organise. The page carries the session's CSRF
// token for its script, which sends it back with every change.
func (h *handler) organisePage(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(r)
	p := h.site.SignedIn(w, r, "ui.organise.signin", "/", "nav.home")
	if p == nil {
		return
	}
	if p.Role != record.RoleOrganiser {
		h.site.Forbidden(w, r, "ui.organise.forbidden")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.site.WritePage(w, r, http.StatusOK, "organise", h.catalog.T(lang, "ui.organise.title"), map[string]any{
		"CSRF": web.SessionCSRF(r), "Platform": people.IsPlatformOrganiser(p),
	})
}
