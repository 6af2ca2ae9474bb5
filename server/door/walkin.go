package door

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// A walk-in at the door: the door keeper types the name of a person who came without a
// place; the form (POST /w/{id}/door/walkin) gives them a confirmed place, records their
// arrival through the live room, and redirects (Post/Redirect/Get) to the walk-in's page
// (GET /w/{id}/door/walkin/{participant}), which shows the QR code of their personal link,
// the link and its short code, big, for them to scan or copy.
//
// The link's token and the code reach that page in a cookie of the door keeper's browser
// (HttpOnly, SameSite=Strict, for that page's path only, walkinTTL): never in an address,
// which logs, histories and Referer headers keep. So a language switch or a reload shows the
// same QR code again, to the same door keeper only (the page also asks for the door's rights),
// and after walkinTTL the page only says how the person gets a new link.

// walkinCookie carries a walk-in's link and code from the form's POST to the walk-in's page.
const walkinCookie = "assises_walkin"

// walkinTTL is how long the walk-in's page can be shown again: time for the person to take
// out their phone, switch the language, scan. A door keeper's phone passes from hand to hand.
const walkinTTL = 30 * time.Minute

// walkinPage is the walk-in's page: the QR code of their own link, big, for them to scan.
type walkinPage struct {
	WorkshopID int64
	Title      record.Localised // in the reader's language
	Name, Link string
	Code       string // formatted: ACE-HJK-MNPR
	CodePage   string // where to type it
	QR         template.URL
	CheckedIn  bool // false: the arrival could not be recorded; the door's list can
}

func walkinPath(workshop, participant int64) string {
	return "/w/" + strconv.FormatInt(workshop, 10) + "/door/walkin/" + strconv.FormatInt(participant, 10)
}

// WalkIn adds a person who came without registering: POST /w/{id}/door/walkin.
func (h *Door) WalkIn(w http.ResponseWriter, r *http.Request) {
	ws, keeper, _ := h.doorForm(w, r)
	if ws == nil {
		return
	}
	lang := web.Lang(r)
	clean := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	in := walkinForm{
		DisplayName: clean(r.PostFormValue("displayName")), Organisation: clean(r.PostFormValue("organisation")),
		ServiceUser: r.PostFormValue("serviceUser") != "",
	}
	switch {
	case in.DisplayName == "":
		in.Error = h.Catalog.T(lang, "reg.err.name.empty")
	case len(in.DisplayName) > web.MaxName:
		in.Error = h.Catalog.T(lang, "reg.err.name.long")
	case len(in.Organisation) > web.MaxTitle:
		in.Error = h.Catalog.T(lang, "reg.err.organisation.long")
	}
	if in.Error != "" {
		h.renderDoor(w, r, ws, "", 0, 0, "", in, http.StatusBadRequest)
		return
	}
	id, way, err := people.WalkIn(r.Context(), h.DB, ws, people.NewParticipant{
		ProcessID: &ws.ProcessID, Role: record.RoleParticipant, Organisation: in.Organisation,
		Person: people.Person{DisplayName: in.DisplayName, Language: lang, ServiceUser: in.ServiceUser},
	}, h.Now())
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	if err := h.doorCheck(r.Context(), ws, keeper.ID, id, true); err != nil {
		// The person and their link are committed: their page says they are not marked
		// present yet, and the door's list can do it.
		h.Log.WarnContext(r.Context(), "door: walk-in not checked in", "workshop", ws.ID, "participant", id, "err", err)
	}
	path := walkinPath(ws.ID, id)
	http.SetCookie(w, &http.Cookie{
		Name: walkinCookie, Value: url.Values{"t": {way.Token}, "c": {way.Code}}.Encode(), Path: path,
		MaxAge: int(walkinTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.PublicURL.Scheme == "https",
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// WalkInPage is GET /w/{id}/door/walkin/{participant}.
func (h *Door) WalkInPage(w http.ResponseWriter, r *http.Request) {
	ws, _ := h.doorWorkshop(w, r)
	if ws == nil {
		return
	}
	ctx, lang := r.Context(), web.Lang(r)
	pid, ok := h.PageID(w, r, "participant")
	if !ok {
		return
	}
	var inv *people.Invitation
	c, err := r.Cookie(walkinCookie)
	v, _ := url.ParseQuery(cookieValue(c, err))
	if v.Get("t") != "" {
		inv, err = people.LookupInvitation(ctx, h.DB, v.Get("t"), h.Now())
		if err != nil && !web.TokenRefused(err) {
			h.WriteInternalError(w, r, err)
			return
		}
	}
	// Only the link made for this person in this session: a cookie is the browser's word.
	if inv == nil || err != nil || inv.ParticipantID != pid || inv.WorkshopID == nil || *inv.WorkshopID != ws.ID {
		h.WriteMessage(w, r, http.StatusNotFound, web.Message{
			Heading: h.Catalog.T(lang, "reg.walkin.gone.title"), Body: h.Catalog.T(lang, "reg.walkin.gone.body"),
			Link: "/w/" + strconv.FormatInt(ws.ID, 10) + "/door", LinkText: h.Catalog.T(lang, "reg.walkin.back"),
		})
		return
	}
	data := walkinPage{WorkshopID: ws.ID, Title: h.WorkshopTitle(ctx, ws, lang), Code: people.FormatCode(v.Get("c")),
		Link: h.PublicURL.JoinPath("i", v.Get("t")).String(), CodePage: h.PublicURL.JoinPath("code").String()}
	if person, err := people.GetPerson(ctx, h.DB, pid); err == nil {
		data.Name = person.DisplayName
	}
	rows, err := people.ListWorkshopRegistrations(ctx, h.DB, ws.ID)
	if err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	for _, row := range rows {
		if row.ParticipantID == pid {
			data.CheckedIn = row.CheckedInAt != nil
		}
	}
	if data.QR, err = web.QRDataURL(data.Link); err != nil {
		h.WriteInternalError(w, r, err)
		return
	}
	h.WritePage(w, r, http.StatusOK, "walkin", h.Catalog.T(lang, "reg.walkin.done"), data)
}

// cookieValue is a cookie's value, or "" when the request has none.
func cookieValue(c *http.Cookie, err error) string {
	if err != nil {
		return ""
	}
	return c.Value
}
