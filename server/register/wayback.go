package register

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// The way back after a registration: the result page (GET /p/{slug}/registered, after the
// form's Post/Redirect/Get) hands the person a personal link, its short code and the link's
// QR code, with one sentence on what to do with them; "my sessions" (/me) is where they lead;
// /code is where a person types the code.
//
// The link's token and the code reach the result page in a cookie set by the registration's
// answer (HttpOnly, SameSite=Strict, one hour, only for that page's path): never in an address,
// which logs, histories and Referer headers keep. A language switch or a reload shows the
// same link and code again; an hour later the page only says how to come back.

// wayBackCookie carries the link and the code from the registration's POST to its result page.
const wayBackCookie = "assises_wayback"

// wayBackTTL is how long the result page can be shown again (a language switch, a reload).
const wayBackTTL = time.Hour

type wayBack struct {
	Token, Code string
	Delivery    string // mail, mailfailed, nomail, card
}

func (h *Pages) setWayBack(w http.ResponseWriter, slug string, wb wayBack) {
	v := url.Values{"t": {wb.Token}, "c": {wb.Code}, "d": {wb.Delivery}}
	http.SetCookie(w, &http.Cookie{
		Name: wayBackCookie, Value: v.Encode(), Path: "/p/" + slug + "/registered", MaxAge: int(wayBackTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.PublicURL.Scheme == "https",
	})
}

func readWayBack(r *http.Request) (wayBack, bool) {
	c, err := r.Cookie(wayBackCookie)
	if err != nil {
		return wayBack{}, false
	}
	v, err := url.ParseQuery(c.Value)
	if err != nil || v.Get("t") == "" {
		return wayBack{}, false
	}
	return wayBack{Token: v.Get("t"), Code: v.Get("c"), Delivery: v.Get("d")}, true
}

// registeredPage is the answer to a registration: where each session landed, the way back,
// and how the invitation reaches the person.
type registeredPage struct {
	Process  *record.Process
	Name     string
	Sessions []mySession
	Delivery string // mail (sent), mailfailed, nomail (no SMTP), card (no email given)
	Link     string
	Code     string // formatted: ACE-HJK-MNPR
	CodePage string // where to type it: the public address of /code
	QR       template.URL
}

// Registered is GET /p/{slug}/registered.
func (h *Pages) Registered(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := web.Lang(r)
	proc, err := process.GetBySlug(ctx, h.DB, r.PathValue("slug"))
	if h.LoadFailed(w, r, err, h.NotFound) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	wb, ok := readWayBack(r)
	var inv *people.Invitation
	if ok {
		inv, err = people.LookupInvitation(ctx, h.DB, wb.Token, h.Now())
	}
	var who *record.Participant
	if ok && err == nil {
		who, err = people.GetParticipant(ctx, h.DB, inv.ParticipantID)
	}
	if !ok || err != nil || who.ProcessID == nil || *who.ProcessID != proc.ID || who.ErasedAt != nil {
		if err != nil && !web.TokenRefused(err) {
			h.WriteInternalError(w, r, err)
			return
		}
		h.WriteMessage(w, r, http.StatusNotFound, web.Message{
			Heading: h.Catalog.T(lang, "reg.way.gone.title"), Body: h.Catalog.T(lang, "reg.way.gone.body"),
			Link: "/code", LinkText: h.Catalog.T(lang, "reg.code.title"),
		})
		return
	}
	data := registeredPage{Process: proc, Delivery: wb.Delivery, Code: people.FormatCode(wb.Code),
		Link: h.PublicURL.JoinPath("i", wb.Token).String(), CodePage: h.PublicURL.JoinPath("code").String()}
	if person, err := people.GetPerson(ctx, h.DB, who.ID); err == nil {
		data.Name = person.DisplayName
	}
	if data.Sessions, err = h.mySessions(ctx, lang, who.ID); err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	if data.QR, err = web.QRDataURL(data.Link); err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	h.WritePage(w, r, http.StatusOK, "registered", h.Catalog.T(lang, "reg.done.title"), data)
}

// mySession is one of a person's registrations as their pages show it.
type mySession struct {
	WorkshopID             int64
	Title, Theme           record.Localised // in the reader's language
	When, Place            string
	MapURL                 string // a map of the place, to find the way
	Status                 string // confirmed or waiting
	Position               int    // on the waiting list, from 1
	Reason                 string // why it waits: full or organisation
	CheckedIn, Over, Today bool   // Today: the session is today and not over: the way in
}

// mySessions lists a person's registrations (not cancelled), in the order of their dates.
func (h *Pages) mySessions(ctx context.Context, lang string, participantID int64) ([]mySession, error) {
	regs, err := people.ListParticipantRegistrations(ctx, h.DB, participantID)
	if err != nil {
		return nil, err
	}
	now := h.Now()
	themes := map[int64]record.Localised{}
	processes := map[int64]*record.Process{}
	var out []mySession
	for i := range regs {
		reg := &regs[i]
		ws, err := record.GetWorkshop(ctx, h.DB, reg.WorkshopID)
		if err != nil {
			return nil, err
		}
		proc, ok := processes[ws.ProcessID]
		if !ok {
			if proc, err = record.GetProcess(ctx, h.DB, ws.ProcessID); err != nil {
				return nil, err
			}
			processes[ws.ProcessID] = proc
		}
		loc := web.LocaliserFor(proc, lang)
		s := mySession{
			WorkshopID: ws.ID, Title: loc.Workshop(ws), When: web.FormatSession(lang, ws.StartsAt, ws.EndsAt), Place: ws.Place,
			Status: reg.Status, CheckedIn: reg.CheckedInAt != nil, Over: !now.Before(ws.EndsAt),
		}
		s.Today = !s.Over && sameDay(now, ws.StartsAt)
		if ws.Place != "" {
			s.MapURL = "https://www.openstreetmap.org/search?query=" + url.QueryEscape(ws.Place)
		}
		if s.Position, err = people.WaitingPosition(ctx, h.DB, reg); err != nil {
			return nil, err
		}
		if s.Position > 0 {
			if s.Reason, err = h.waitReason(ctx, ws); err != nil {
				return nil, err
			}
		}
		if ws.ThemeID != nil {
			if _, ok := themes[*ws.ThemeID]; !ok {
				if th, err := process.GetTheme(ctx, h.DB, *ws.ThemeID); err == nil {
					themes[*ws.ThemeID], _ = loc.Theme(th)
				}
			}
			s.Theme = themes[*ws.ThemeID]
		}
		out = append(out, s)
	}
	return out, nil
}

// waitReason says why people wait for a session: it is full, or (places are left) the
// person's organisation has reached its cap.
func (h *Pages) waitReason(ctx context.Context, ws *record.Workshop) (string, error) {
	proc, err := record.GetProcess(ctx, h.DB, ws.ProcessID)
	if err != nil {
		return "", err
	}
	counts, err := people.ConfirmedCounts(ctx, h.DB, ws.ProcessID)
	if err != nil {
		return "", err
	}
	capacity := ws.Capacity
	if capacity <= 0 {
		capacity = proc.Capacity
	}
	if capacity > 0 && counts[ws.ID] >= capacity {
		return "full", nil
	}
	return "organisation", nil
}

// sameDay reports whether two instants fall on the same day in Brussels, where sessions happen.
func sameDay(a, b time.Time) bool {
	ay, am, ad := a.In(web.Brussels).Date()
	by, bm, bd := b.In(web.Brussels).Date()
	return ay == by && am == bm && ad == bd
}

// codePage is the page where a person types their personal code.
type codePage struct {
	Token, Code, Problem string
}

// CodeForm is GET /code.
func (h *Pages) CodeForm(w http.ResponseWriter, r *http.Request) {
	h.renderCode(w, r, codePage{}, http.StatusOK)
}

func (h *Pages) renderCode(w http.ResponseWriter, r *http.Request, data codePage, status int) {
	data.Token = h.FormToken(w, r)
	w.Header().Set("Cache-Control", "private, no-store")
	h.WritePage(w, r, status, "code", h.Catalog.T(web.Lang(r), "reg.code.title"), data)
}

// CodeSignIn is POST /code: a good code signs the browser in as its link would, then goes to
// "my sessions". Wrong codes count against the address's failure limit (a code is much shorter than a link's token, so its limit is much tighter: a typo is human,
// a stream of them is not).
func (h *Pages) CodeSignIn(w http.ResponseWriter, r *http.Request) {
	if h.CodeLimit.Exhausted(w, r) {
		return
	}
	lang := web.Lang(r)
	if r.ParseForm() != nil || !h.CheckFormToken(r) {
		h.renderCode(w, r, codePage{Problem: h.Catalog.T(lang, "reg.csrf.title") + ". " + h.Catalog.T(lang, "reg.csrf.again")}, http.StatusForbidden)
		return
	}
	typed := strings.TrimSpace(r.PostFormValue("code"))
	if len(typed) > 40 {
		typed = typed[:40]
	}
	code, err := people.NormaliseCode(typed)
	if err != nil {
		h.CodeLimit.Fail(r)
		h.renderCode(w, r, codePage{Code: typed, Problem: h.Catalog.T(lang, "reg.code.bad")}, http.StatusBadRequest)
		return
	}
	inv, _, session, err := people.SignInWithCode(r.Context(), h.DB, code, h.Now(), web.SessionTTL)
	if web.TokenRefused(err) {
		h.CodeLimit.Fail(r)
		h.renderCode(w, r, codePage{Code: typed, Problem: h.Catalog.T(lang, "reg.code.unknown")}, http.StatusNotFound)
		return
	}
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	h.SetSessionCookie(w, session)
	target := "/me"
	if inv.WorkshopID != nil {
		target = "/w/" + strconv.FormatInt(*inv.WorkshopID, 10)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}
