package door

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// At the door of a session (/w/{id}/door), for its moderators and the organisers: find a
// registered person by name and check them in, scan the QR code of their invitation card, or
// add a walk-in and show them the QR code of their own personal link.
//
// Scanning a card identifies its holder and checks them in; it never signs the scanning phone
// in as that person (people.LookupInvitation reads the link without using it, and no
// cookie is set here).

type doorPerson struct {
	ParticipantID      int64
	Name, Organisation string
	Status             string
	CheckedIn          bool
	CheckedAt          string
}

type doorPage struct {
	WorkshopID         int64
	Title              record.Localised // in the reader's language
	When, Place        string
	CSRF, Query        string
	People             []doorPerson
	Confirmed, Present int
	Done, Undone       string // the name just checked in (or undone), for the confirmation
	Problem            string
	Walkin             walkinForm
	Joins              []joinRow // phones waiting to join with the session's code
}

type walkinForm struct {
	DisplayName, Organisation string
	ServiceUser               bool
	Error                     string
}

// doorWorkshop loads the workshop of {id} and checks that the signed-in person may keep its
// door. It answers and returns nil when they may not.
func (h *Door) doorWorkshop(w http.ResponseWriter, r *http.Request) (*record.Workshop, *record.Participant) {
	id, ok := h.PageID(w, r, "id")
	if !ok {
		return nil, nil
	}
	p := h.SignedIn(w, r, "ui.signin.needed.body", "/", "nav.home")
	if p == nil {
		return nil, nil
	}
	ws := h.WorkshopByID(w, r, id)
	if ws == nil {
		return nil, nil
	}
	acc, err := h.WorkshopAccess(r.Context(), p, ws)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return nil, nil
	}
	if !acc.Moderate {
		h.Forbidden(w, r, "ui.forbidden.body")
		return nil, nil
	}
	w.Header().Set("Cache-Control", "no-store")
	return ws, p
}

// doorForm serves a form posted at the door of a session (see doorWorkshop): it checks the
// form's token and returns the workshop, the door keeper and the address of its door page. Otherwise it has
// answered and returns nil.
func (h *Door) doorForm(w http.ResponseWriter, r *http.Request) (*record.Workshop, *record.Participant, string) {
	ws, keeper := h.doorWorkshop(w, r)
	if ws == nil {
		return nil, nil, ""
	}
	back := "/w/" + strconv.FormatInt(ws.ID, 10) + "/door"
	if r.ParseForm() != nil || !h.CheckSessionForm(r) {
		h.RefuseForm(w, r, back)
		return nil, nil, ""
	}
	return ws, keeper, back
}

// Page is GET /w/{id}/door?q=….
func (h *Door) Page(w http.ResponseWriter, r *http.Request) {
	ws, _ := h.doorWorkshop(w, r)
	if ws == nil {
		return
	}
	q := r.URL.Query()
	done, _ := strconv.ParseInt(q.Get("done"), 10, 64)
	undone, _ := strconv.ParseInt(q.Get("undone"), 10, 64)
	h.renderDoor(w, r, ws, q.Get("q"), done, undone, "", walkinForm{}, http.StatusOK)
}

func (h *Door) renderDoor(w http.ResponseWriter, r *http.Request, ws *record.Workshop, query string, done, undone int64, problem string, walkin walkinForm, status int) {
	lang := web.Lang(r)
	rows, err := people.ListWorkshopRegistrations(r.Context(), h.DB, ws.ID)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	data := doorPage{
		WorkshopID: ws.ID, Title: h.WorkshopTitle(r.Context(), ws, lang), When: web.FormatSession(lang, ws.StartsAt, ws.EndsAt), Place: ws.Place,
		CSRF: web.SessionCSRF(r), Query: query, Problem: problem, Walkin: walkin,
	}
	needle := people.OrganisationKey(query)
	var everyone []doorPerson
	for _, row := range rows {
		if row.Status == record.RegistrationCancelled {
			continue
		}
		if row.Status == record.RegistrationConfirmed {
			data.Confirmed++
			if row.CheckedInAt != nil {
				data.Present++
			}
		}
		if row.ParticipantID == done {
			data.Done = row.DisplayName
		}
		if row.ParticipantID == undone {
			data.Undone = row.DisplayName
		}
		if row.Status != record.RegistrationCancelled {
			everyone = append(everyone, doorPerson{ParticipantID: row.ParticipantID, Name: row.DisplayName, Organisation: row.Organisation, Status: row.Status})
		}
		// Accents, case and spacing do not matter: "zoe" finds "Zoé".
		if needle != "" && !strings.Contains(people.OrganisationKey(row.DisplayName+" "+row.Organisation), needle) {
			continue
		}
		p := doorPerson{ParticipantID: row.ParticipantID, Name: row.DisplayName, Organisation: row.Organisation, Status: row.Status, CheckedIn: row.CheckedInAt != nil}
		if row.CheckedInAt != nil {
			p.CheckedAt = row.CheckedInAt.In(web.Brussels).Format("15:04")
		}
		data.People = append(data.People, p)
	}
	if data.Joins, err = h.doorJoins(r, ws, everyone); err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	h.WritePage(w, r, status, "door", h.Catalog.T(lang, "reg.door.title")+" · "+data.Title.Text, data)
}

// CheckIn checks a person in (or takes it back): POST /w/{id}/door/checkin with
// participant, and undo or admit (give a place to someone waiting or not registered).
func (h *Door) CheckIn(w http.ResponseWriter, r *http.Request) {
	ws, keeper, back := h.doorForm(w, r)
	if ws == nil {
		return
	}
	pid, err := strconv.ParseInt(r.PostFormValue("participant"), 10, 64)
	if err != nil {
		h.NotFound(w, r)
		return
	}
	who, err := people.GetParticipant(r.Context(), h.DB, pid)
	if err != nil || who.ProcessID == nil || *who.ProcessID != ws.ProcessID || who.ErasedAt != nil {
		h.NotFound(w, r)
		return
	}
	v := url.Values{}
	if q := r.PostFormValue("q"); q != "" {
		v.Set("q", q)
	}
	switch {
	case r.PostFormValue("undo") != "":
		err = h.doorCheck(r.Context(), ws, keeper.ID, pid, false)
		v.Set("undone", strconv.FormatInt(pid, 10))
	case r.PostFormValue("admit") != "":
		// The place first (the moderator decides, outside capacity), then the arrival.
		if err = people.AddRegistration(r.Context(), h.DB, ws, pid, record.RegistrationConfirmed); err == nil {
			err = h.doorCheck(r.Context(), ws, keeper.ID, pid, true)
		}
		v.Set("done", strconv.FormatInt(pid, 10))
	default:
		err = h.doorCheck(r.Context(), ws, keeper.ID, pid, true)
		v.Set("done", strconv.FormatInt(pid, 10))
	}
	if errors.Is(err, people.ErrNotConfirmed) {
		h.renderDoor(w, r, ws, r.PostFormValue("q"), 0, 0, h.Catalog.T(web.Lang(r), "reg.door.notconfirmed"), walkinForm{}, http.StatusConflict)
		return
	}
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	if wantsJSON(r) {
		h.JSON.Write(w, http.StatusOK, map[string]any{"participant": pid, "status": "checked_in"})
		return
	}
	http.Redirect(w, r, back+"?"+v.Encode(), http.StatusSeeOther)
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// scanResult is what the door's scanner shows after reading a card.
type scanResult struct {
	Result       string `json:"result"` // checked_in, already, waiting, not_registered, invalid
	Participant  int64  `json:"participant,omitempty"`
	Name         string `json:"name,omitempty"`
	Organisation string `json:"organisation,omitempty"`
	Message      string `json:"message"`
}

// tokenOf takes the token out of what a scanner read or a person pasted: a whole /i/{token}
// address, or the token alone.
func tokenOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "/i/"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "?#/"); i >= 0 {
		s = s[:i]
	}
	return s
}

// Scan checks in the holder of an invitation card: POST /w/{id}/door/scan with token
// (the address the QR code holds). It answers JSON to the scanner, or goes back to the door
// page for the paste-the-link form.
func (h *Door) Scan(w http.ResponseWriter, r *http.Request) {
	// Scanning tries links, as signing in does: refused cards count against the same limit.
	if h.SignInLimit.Exhausted(w, r) {
		return
	}
	ws, keeper := h.doorWorkshop(w, r)
	if ws == nil {
		return
	}
	back := "/w/" + strconv.FormatInt(ws.ID, 10) + "/door"
	if r.ParseForm() != nil || !h.CheckSessionForm(r) {
		if wantsJSON(r) {
			h.JSON.Error(w, r, http.StatusForbidden, "org_csrf")
			return
		}
		h.RefuseForm(w, r, back)
		return
	}
	res, err := h.scan(r.Context(), ws, keeper.ID, tokenOf(r.PostFormValue("token")))
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	if res.Result == "invalid" {
		h.SignInLimit.Fail(r)
	}
	lang := web.Lang(r)
	res.Message = h.Catalog.T(lang, "reg.scan."+res.Result)
	if wantsJSON(r) {
		h.JSON.Write(w, http.StatusOK, res)
		return
	}
	if res.Result == "checked_in" || res.Result == "already" {
		http.Redirect(w, r, back+"?done="+strconv.FormatInt(res.Participant, 10), http.StatusSeeOther)
		return
	}
	problem := res.Message
	if res.Name != "" {
		problem = res.Name + " — " + problem
	}
	h.renderDoor(w, r, ws, res.Name, 0, 0, problem, walkinForm{}, http.StatusConflict)
}

func (h *Door) scan(ctx context.Context, ws *record.Workshop, keeper int64, token string) (scanResult, error) {
	invalid := scanResult{Result: "invalid"}
	inv, err := people.LookupInvitation(ctx, h.DB, token, h.Now())
	if web.TokenRefused(err) {
		return invalid, nil
	}
	if err != nil {
		return invalid, err
	}
	who, err := people.GetParticipant(ctx, h.DB, inv.ParticipantID)
	if err != nil || who.ProcessID == nil || *who.ProcessID != ws.ProcessID || who.ErasedAt != nil {
		// Another process's card says nothing about this room, and we say nothing about it.
		return invalid, nil
	}
	res := scanResult{Participant: who.ID}
	rows, err := people.ListWorkshopRegistrations(ctx, h.DB, ws.ID)
	if err != nil {
		return invalid, err
	}
	res.Result = "not_registered"
	if person, err := people.GetPerson(ctx, h.DB, who.ID); err == nil {
		res.Name = person.DisplayName
	}
	for _, row := range rows {
		if row.ParticipantID != who.ID {
			continue
		}
		res.Organisation = row.Organisation
		switch {
		case row.Status == record.RegistrationWaiting:
			res.Result = "waiting"
		case row.Status != record.RegistrationConfirmed:
		case row.CheckedInAt != nil:
			res.Result = "already"
		default:
			if err := h.doorCheck(ctx, ws, keeper, who.ID, true); err != nil {
				return invalid, err
			}
			res.Result = "checked_in"
		}
	}
	return res, nil
}
